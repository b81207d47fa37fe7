"""pace's Python worker: one virtual user running a Pyak47 Transaction script.

pace writes this file out at run time. It speaks pace's worker protocol
(docs/scripts.md): one JSON object per line, requests in, replies out. The
script's own output (print, or a child process writing to fd 1) is sent to
stderr, which pace keeps in workers.log, so it can never corrupt the
protocol.

Run plainly, it is one user's worker on stdin/stdout. Run with `--zygote`,
it imports the script once and forks a worker per user on request: a fork
costs about a millisecond where starting an interpreter costs tens, so
hundreds of users start in a second. Each forked worker connects to pace's
Unix socket, says which user it is, and then speaks the same protocol.
"""

import importlib.util
import json
import math
import os
import re
import socket
import sys
import time
import traceback

PROTOCOL = 1


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


def forked(module, req, socket_path):
    """A user's worker, in a child of the zygote. Never returns."""
    code = 0
    try:
        user = req.get("thread_num", 0)
        sys.stderr = sys.stdout = Prefixed(sys.__stderr__, "\x1f%d\x1f" % user)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(socket_path)
        reader = sock.makefile("rb")
        writer = sock.makefile("wb")

        def send(obj):
            writer.write((json.dumps(obj) + "\n").encode())
            writer.flush()

        send({"hello": user, "pid": os.getpid()})
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


def zygote(send, socket_path):
    """Imports the script once, then forks a worker per `fork` request."""
    module = None
    for line in sys.stdin.buffer:
        msg = json.loads(line)
        op = msg.get("op")
        if op == "init":
            try:
                module = import_script(msg)
            except BaseException as exc:
                traceback.print_exc()
                send({"ok": False, "protocol": PROTOCOL, "error": describe(exc)})
            else:
                send({"ok": True, "protocol": PROTOCOL})
        elif op == "fork":
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                forked(module, msg, socket_path)
            send({"ok": True, "pid": pid})
        elif op == "status":
            # How a forked worker ended (it is the zygote's child).
            try:
                pid, status = os.waitpid(msg["pid"], os.WNOHANG)
            except ChildProcessError:
                pid, status = 0, 0
            if pid == 0:
                send({"ok": True, "exited": False})
            elif os.WIFSIGNALED(status):
                send({"ok": True, "exited": True, "signal": os.WTERMSIG(status)})
            else:
                send({"ok": True, "exited": True, "code": os.WEXITSTATUS(status)})
        elif op == "stop":
            break
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
        zygote(send, sys.argv[2])
    else:
        serve(sys.stdin.buffer, send)


if __name__ == "__main__":
    main()
