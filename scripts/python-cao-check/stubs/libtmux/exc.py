class LibTmuxException(Exception): pass
