# Minimal stand-in for python-frontmatter (not installable here), enough for the Python CAO's imports and profile reads.
import re, yaml
class Post:
    def __init__(self, content="", handler=None, **metadata):
        self.content = content; self.metadata = dict(metadata)
    def __getitem__(self, k): return self.metadata[k]
    def get(self, k, d=None): return self.metadata.get(k, d)
def loads(text, **kw):
    m = re.match(r'^---\s*\n(.*?)\n---\s*\n?(.*)$', text, re.S)
    if not m: return Post(text)
    return Post(m.group(2), **(yaml.safe_load(m.group(1)) or {}))
def load(f, **kw):
    return loads(f.read() if hasattr(f, 'read') else open(f).read())
def dumps(post, **kw):
    return "---\n" + yaml.safe_dump(post.metadata) + "---\n" + post.content
