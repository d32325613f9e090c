"""memlens: exact memory tracing for Python programs.

Run a program under the tracer with the command line tool (``memlens run script.py``) and read the
capture with ``memlens summary`` / ``top`` / ``leaks``. This package holds the tracer extension
(``memlens._memlens``), compiled once per interpreter version.
"""
from memlens._memlens import __version__, is_tracing, start, stop

__all__ = ["__version__", "start", "stop", "is_tracing"]
