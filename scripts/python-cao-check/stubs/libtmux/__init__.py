# Import-only stand-in (libtmux is not installable here); the client code under check never drives tmux itself.
class Server:
    def __init__(self, *a, **k): raise RuntimeError("libtmux stub: not available")
