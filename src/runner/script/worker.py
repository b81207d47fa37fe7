"""pace's Python worker: one virtual user running a Pyak47 Transaction script.

pace passes this source to the interpreter with `-c` (no file is written).
It speaks pace's worker protocol (docs/scripts.md): one JSON object per
line, requests in, replies out. The script's own output (print, or a child
process writing to fd 1) is sent to stderr, which pace keeps in
workers.log, so it can never corrupt the protocol.

Run plainly, it is one user's worker on stdin/stdout. Run with
`--zygote FD`, it imports the script once and forks a worker per user on
request: a fork costs about a millisecond where starting an interpreter
costs tens, so hundreds of users start in a second. Each forked worker gets
one end of a socket pair, whose other end the zygote sends to pace over the
socket FD, and speaks the same protocol on it.

No worker outlives pace: pace starts the zygote and plain workers with a
parent-death signal (Linux), the zygote sets one in each worker it forks,
and a zygote whose input ends (pace is gone) kills its workers.
"""

import sys

# With -c, the working directory (the project) comes first on the import
# path, so a project file named like a module the worker needs (json.py,
# socket.py) would replace it; the script's folders are added when it is
# imported, as Pyak47 did.
if sys.path and sys.path[0] == "":
    del sys.path[0]

import array
import importlib.util
import json
import math
import os
import re
import signal
import socket
import time
import traceback

PROTOCOL = 1


def parent_death_signal():
    """prctl(PR_SET_PDEATHSIG, SIGKILL) for a forked worker, or None where
    it cannot be had (not Linux, or no ctypes)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
        prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
        prctl.restype = ctypes.c_int
    except (ImportError, OSError, AttributeError):
        return None
    PR_SET_PDEATHSIG = 1
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0


def import_script(msg):
    """Imports the script as a module of its own."""
    script = msg["script"]
    project = msg.get("project_dir") or os.getcwd()
    for path in (os.path.dirname(script), project):
        if path and path not in sys.path:
            sys.path.insert(0, path)
    # Any file name loads (Pyak47 imported by module name, so 'my-test.py'
    # could not): the module gets a name of its own.
    stem = os.path.splitext(os.path.basename(script))[0]
    name = "pace_script_" + re.sub(r"\W", "_", stem)
    spec = importlib.util.spec_from_file_location(name, script)
    if spec is None or spec.loader is None:
        raise ImportError("cannot load %s as a Python module" % script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load(msg, module=None):
    """Makes the script's Transaction, as Pyak47 did (importing the script
    first unless a zygote already has)."""
    if module is None:
        module = import_script(msg)
    cls = getattr(module, "Transaction", None)
    if cls is None:
        raise AttributeError("%s defines no Transaction class" % msg["script"])
    # custom_timers exists before __init__ runs, for scripts that use it
    # there without making it.
    trans = cls.__new__(cls)
    try:
        trans.custom_timers = {}
    except AttributeError:
        pass
    trans.__init__()
    if not isinstance(getattr(trans, "custom_timers", None), dict):
        trans.custom_timers = {}
    # As Pyak47 does: the user's index in its group, and the group's index.
    trans.thread_num = msg.get("thread_num", 0)
    trans.process_num = msg.get("process_num", 0)
    return trans


def describe(exc):
    """The exception in words: never empty (Pyak47 counted an exception
    with an empty message as a success), commas and newlines kept."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text or type(exc).__name__


def run(trans):
    timers = trans.custom_timers
    # Cleared before every call: Pyak47 reported a timer's stale value again
    # when a run() did not set it.
    if isinstance(timers, dict):
        timers.clear()
    else:
        trans.custom_timers = timers = {}
    error = None
    start = time.perf_counter()
    try:
        trans.run()
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too
        elapsed = time.perf_counter() - start
        error = describe(exc)
        traceback.print_exc()
    else:
        elapsed = time.perf_counter() - start
    out = {}
    for key, value in list(trans.custom_timers.items()):
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = float("nan")
        if math.isfinite(seconds) and seconds >= 0:
            out[str(key)] = seconds
        elif error is None:
            error = "custom timer %r is not a duration in seconds: %r" % (key, value)
    return {"ok": error is None, "elapsed": elapsed, "timers": out, "error": error}


def serve(reader, send, module=None):
    """Answers requests until stop or end of input."""
    trans = None
    for line in reader:
        try:
            msg = json.loads(line)
        except ValueError:
            send({"ok": False, "error": "pace worker: not a JSON request: %r" % line[:200]})
            continue
        op = msg.get("op")
        if op == "run":
            if trans is None:
                send({"ok": False, "elapsed": 0.0, "timers": {},
                      "error": "pace worker: run before a successful init"})
            else:
                send(run(trans))
        elif op == "init":
            try:
                trans = load(msg, module)
            except BaseException as exc:
                traceback.print_exc()
                send({"ok": False, "protocol": PROTOCOL, "error": describe(exc)})
            else:
                send({"ok": True, "protocol": PROTOCOL})
        elif op == "stop":
            break
        else:
            send({"ok": False, "error": "pace worker: unknown op %r" % op})


class Prefixed(object):
    """stderr with every line marked with the user it came from, so pace
    can tell forked users apart in the one stream they share."""

    def __init__(self, inner, prefix):
        self.inner, self.prefix, self.pending = inner, prefix, ""

    def write(self, text):
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            self.inner.write(self.prefix + line + "\n")
        return len(text)

    def flush(self):
        if self.pending:
            self.inner.write(self.prefix + self.pending + "\n")
            self.pending = ""
        self.inner.flush()

    def __getattr__(self, name):
        return getattr(self.inner, name)


def forked(module, req, sock, conns, proto_fd, zygote_pid, die_with_parent):
    """A user's worker, in a child of the zygote. Never returns."""
    code = 0
    try:
        # First, so that no window is left: a zygote that died before the
        # signal was set would never send it.
        if die_with_parent is not None and (
            not die_with_parent() or os.getppid() != zygote_pid
        ):
            os._exit(1)
        # A group of its own: pace's kill takes what the script started too.
        os.setpgid(0, 0)
        # Only the zygote may hold its channels to pace: a worker holding
        # them would hide the zygote's death from pace.
        conns.close()
        os.close(proto_fd)
        user = req.get("thread_num", 0)
        sys.stderr = sys.stdout = Prefixed(sys.__stderr__, "\x1f%d\x1f" % user)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        reader = sock.makefile("rb")
        writer = sock.makefile("wb")

        def send(obj):
            writer.write((json.dumps(obj) + "\n").encode())
            writer.flush()

        serve(reader, send, module)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stderr.flush()
        except BaseException:
            pass
        os._exit(code)


def zygote(send, proto_fd, conns):
    """Imports the script once, then forks a worker per `fork` request.
    Each worker's connection is sent to pace on `conns` before the answer,
    so pace takes them in order."""
    module = None
    die_with_parent = parent_death_signal()
    workers = set()
    stopped = False
    for line in sys.stdin.buffer:
        msg = json.loads(line)
        op = msg.get("op")
        if op == "init":
            if die_with_parent is None and sys.platform.startswith("linux"):
                # Forked workers could outlive a killed pace: pace then
                # starts a process per worker, each of which it can tie to
                # its own life.
                send({"ok": False, "protocol": PROTOCOL,
                      "error": "cannot set a parent-death signal (no ctypes)"})
                continue
            try:
                module = import_script(msg)
            except BaseException as exc:
                traceback.print_exc()
                send({"ok": False, "protocol": PROTOCOL, "error": describe(exc)})
            else:
                send({"ok": True, "protocol": PROTOCOL})
        elif op == "fork":
            sys.stderr.flush()
            try:
                ours, theirs = socket.socketpair()
            except OSError as exc:
                send({"ok": False, "error": describe(exc)})
                continue
            me = os.getpid()
            try:
                pid = os.fork()
            except OSError as exc:
                ours.close()
                theirs.close()
                send({"ok": False, "error": describe(exc)})
                continue
            if pid == 0:
                ours.close()
                forked(module, msg, theirs, conns, proto_fd, me, die_with_parent)
            theirs.close()
            try:
                conns.sendmsg([b"F"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                        array.array("i", [ours.fileno()]))])
            except OSError as exc:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                send({"ok": False, "error": describe(exc)})
            else:
                workers.add(pid)
                send({"ok": True, "pid": pid})
            finally:
                ours.close()
        elif op == "status":
            # How a forked worker ended (it is the zygote's child).
            try:
                pid, status = os.waitpid(msg["pid"], os.WNOHANG)
            except ChildProcessError:
                pid, status = 0, 0
            if pid == 0:
                send({"ok": True, "exited": False})
            else:
                workers.discard(pid)
                if os.WIFSIGNALED(status):
                    send({"ok": True, "exited": True, "signal": os.WTERMSIG(status)})
                else:
                    send({"ok": True, "exited": True, "code": os.WEXITSTATUS(status)})
        elif op == "stop":
            stopped = True
            break
    if not stopped:
        # The input ended without a stop: pace is gone (killed), and its
        # workers must not go on sending load. Not yet reaped, their pids
        # cannot belong to anyone else.
        for pid in workers:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
    # Reap every worker, so their time is accounted to pace's run.
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break


def main():
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(obj):
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    if len(sys.argv) == 3 and sys.argv[1] == "--zygote":
        conns = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0, int(sys.argv[2]))
        # Nothing the script starts may hold pace's channel.
        conns.set_inheritable(False)
        zygote(send, proto.fileno(), conns)
    else:
        serve(sys.stdin.buffer, send)


if __name__ == "__main__":
    main()
