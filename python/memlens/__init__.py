"""memlens: exact memory tracing for Python programs.

Run a program under the tracer with the command line tool (``memlens run script.py``) and read the
capture with ``memlens summary`` / ``top`` / ``leaks``. This package holds the tracer extension
(``memlens._memlens``), compiled once per interpreter version.
"""
from memlens._memlens import __version__, is_tracing, start, stop

__all__ = ["__version__", "start", "stop", "is_tracing", "profile"]

# Imported on first use, so that `import memlens` stays cheap: name -> (module, attribute or None).
_LAZY = {
    "profile": ("memlens.lines", "profile"),
    "objects": ("memlens.objects", None),
}


def __getattr__(name):
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError("module 'memlens' has no attribute %r" % name) from None
    import importlib

    mod = importlib.import_module(module)
    return getattr(mod, attr) if attr else mod
