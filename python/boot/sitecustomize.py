"""memlens bootstrap: starts the tracer before the first line of the traced program.

``memlens run`` puts this file's directory first on PYTHONPATH, so ``site`` imports it at interpreter
start-up. It then leaves no trace the program could see: it takes its directory off ``sys.path``,
restores PYTHONPATH and removes its MEMLENS_* variables from the environment (child processes are not
traced), runs the sitecustomize module it shadowed (Debian ships one), and starts tracing. The
program then runs exactly as under plain ``python3``: same sys.argv, __main__, sys.path[0],
tracebacks and exit status. Tracing stops at exit, after the program's own atexit handlers, and
before os._exit.
"""


def _cmdline():
    with open("/proc/self/cmdline", "rb") as f:
        return f.read().rstrip(b"\0").split(b"\0")


def _memlens_boot():
    import os
    import sys

    env = os.environ
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    old_path = env.pop("MEMLENS_PYTHONPATH", None)
    if old_path is None:
        env.pop("PYTHONPATH", None)
    else:
        env["PYTHONPATH"] = old_path

    status_fd = int(env.pop("MEMLENS_STATUS_FD", "-1"))
    output = env.pop("MEMLENS_OUTPUT", None)
    libdir = env.pop("MEMLENS_LIBDIR", None)
    max_depth = int(env.pop("MEMLENS_MAX_DEPTH", "0"))
    module = env.pop("MEMLENS_MODULE", None)

    def fail(message):
        sys.stderr.write("memlens: %s\n" % message)
        sys.stderr.flush()
        if status_fd >= 0:
            os.close(status_fd)
        os._exit(2)

    # The shadowed sitecustomize, if any, runs first: it is part of the interpreter's set-up.
    me = sys.modules.pop("sitecustomize")
    try:
        import sitecustomize  # noqa: F401
    except ImportError as e:
        sys.modules["sitecustomize"] = me  # the import system expects to find this module there
        if e.name != "sitecustomize":
            raise
    if output is None or libdir is None:
        return

    if module is not None:
        from importlib.machinery import PathFinder

        top = module.split(".")[0]
        # (memlens itself: `memlens run --lines` runs the script under memlens.lines)
        known = top in sys.builtin_module_names or top in sys.modules or top == "memlens"
        if not known and PathFinder.find_spec(top, [os.getcwd()] + sys.path) is None:
            fail("no module named '%s'" % top)

    sys.path.insert(0, libdir)
    try:
        from memlens import _memlens
    except ImportError as e:
        fail("no tracer built for Python %d.%d (%s): %s; build it with: make pyext PYTHONS=%s"
             % (sys.version_info[0], sys.version_info[1], sys.executable, e, sys.executable))
    finally:
        sys.path.remove(libdir)
    # The package stays importable as `memlens` for the program (markers, the Python API).

    meta = {
        "memlens_version": _memlens.__version__,
        "python_version": sys.version.split("\n")[0],
        "python_executable": sys.executable or "",
        # sys.argv is not final while site runs; the kernel's copy is exact (minus the interpreter)
        "argv": "\0".join(os.fsdecode(a) for a in _cmdline()[1:]),
        "start_unix_ns": str(__import__("time").time_ns()),
    }
    import atexit

    # Registered first, so it runs last: after every atexit handler of the program.
    atexit.register(_memlens.stop)
    real_exit = os._exit

    def _exit(status):
        _memlens.stop()
        real_exit(status)

    _exit.__doc__ = real_exit.__doc__
    os._exit = _exit
    try:
        _memlens.start_capture(output, max_depth, meta)  # last: the bootstrap's own work is not traced
    except OSError as e:
        fail("cannot write the capture: %s" % e)
    if status_fd >= 0:
        os.write(status_fd, b"ok")
        os.close(status_fd)


_memlens_boot()
del _memlens_boot, _cmdline
