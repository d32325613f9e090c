"""Parse every module of the standard library with ast (and drop each tree)."""
import ast
import os
import sysconfig

root = sysconfig.get_paths()["stdlib"]
parsed = 0
for d, dirs, files in os.walk(root):
    dirs[:] = sorted(x for x in dirs if x not in ("site-packages", "dist-packages"))
    for f in sorted(files):
        if f.endswith(".py"):
            with open(os.path.join(d, f), "rb") as fh:
                src = fh.read()
            try:
                ast.parse(src)
                parsed += 1
            except (SyntaxError, ValueError):
                pass
print(parsed)
