"""Running a user's script under a profiler, the way `python3 script.py` would run it.

Shared by `memlens profile` (memlens.profiler) and `memlens lineprof` / `python3 -m memlens.lines`
(memlens.lines). The script runs as ``__main__`` in a fresh module (so pickle and multiprocessing find
its classes), with its own ``sys.argv`` and its directory as ``sys.path[0]``. Whatever way it ends —
returning, ``sys.exit``, an uncaught exception, ``os._exit``, Ctrl-C — the profiler's ``finish``
callback runs once, in the process that started it (not in a forked child), so a partial profile is
still reported; then the process ends the way plain python would have ended it (same status,
traceback without memlens' frames, death by SIGINT).
"""
import os
import signal
import sys
import traceback
import types

EXIT_USAGE = 2


def die(subject, message, status=EXIT_USAGE):
    """The CLI's error line: "memlens: <subject>: <what is wrong>", then exit."""
    sys.stderr.write("memlens: %s: %s\n" % (subject, message))
    raise SystemExit(status)


def parse_options(argv, command, flags, valued, usage):
    """Splits a runner's `[options] [--] script.py [args...]`: options first, then the script and its
    arguments untouched. flags take no value; valued options take one (NAME VALUE or NAME=VALUE).
    -h/--help prints usage and exits 0. Returns ([(name, value or None), ...], rest)."""
    opts = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            break
        name, eq, val = a.partition("=")
        if name in ("-h", "--help"):
            sys.stdout.write(usage)
            raise SystemExit(0)
        if name in flags and not eq:
            opts.append((name, None))
        elif name in valued:
            if not eq:
                if i + 1 >= len(argv):
                    die(command, "%s needs a value" % a)
                i += 1
                val = argv[i]
            opts.append((name, val))
        else:
            die(command, "unknown option %s (see memlens %s --help)" % (a, command))
        i += 1
    if i >= len(argv):
        die(command, "no script given (see memlens %s --help)" % command)
    return opts, argv[i:]


def restore_environment():
    """Undo what the memlens CLI added to the environment, so that child processes see the user's."""
    if "MEMLENS_LIBDIR" not in os.environ:
        return
    del os.environ["MEMLENS_LIBDIR"]
    old = os.environ.pop("MEMLENS_PYTHONPATH", None)
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old


def compile_script(path, command):
    """The script's code object; a missing file is a usage error, a syntax error is reported as
    python reports it (exit 1)."""
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        die(command, "%s: %s" % (path, e.strerror or e))
    try:
        return compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        traceback.print_exception(type(e), e, None)
        raise SystemExit(1)


def exit_status(code):
    """Python's own rule for SystemExit's argument."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write("%s\n" % (code,))
    return 1


def _strip(tb):
    """The traceback from the user's first frame on (ours are above it)."""
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return tb


def run(path, argv, code, start, stop, finish):
    """Runs `code` (compiled from `path`) as __main__ with sys.argv = argv. start() is called just
    before its first line; stop() (a C function of the engine: the profiler does not see it) as soon
    as it ends, then finish(how) exactly once, where how is None (returned or exited with status 0),
    "exit N", "exception NAME" or "os._exit N". Returns the exit status; a KeyboardInterrupt is
    re-delivered as SIGINT after finish()."""
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=path, __builtins__=__builtins__, __cached__=None)
    sys.argv[:] = argv
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    sys.modules["__main__"] = main
    pid = os.getpid()
    done = []

    def once(how):
        stop()
        if not done and os.getpid() == pid:
            done.append(how)
            finish(how)

    real_exit = os._exit

    def _exit(status):
        once("os._exit %d" % status)
        real_exit(status)

    os._exit = _exit
    status = 0
    try:
        start()
        exec(code, main.__dict__)
        stop()
        once(None)
    except SystemExit as e:
        stop()
        status = exit_status(e.code)
        once(None if status == 0 else "exit %d" % status)
    except KeyboardInterrupt as e:
        stop()
        once("exception KeyboardInterrupt")
        traceback.print_exception(type(e), e, _strip(e.__traceback__))
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        status = 130
    except BaseException as e:
        stop()
        once("exception " + type(e).__name__)
        sys.stderr.flush()
        traceback.print_exception(type(e), e, _strip(e.__traceback__))
        status = 1
    finally:
        os._exit = real_exit
    return status
