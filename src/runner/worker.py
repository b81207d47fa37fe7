"""pace's Python worker: one virtual user running a Pyak47 Transaction script.

pace writes this file out at run time and starts it once per virtual user.
It speaks pace's worker protocol (docs/scripts.md): one JSON object per line,
requests on stdin, replies on stdout. The script's own output (print, or a
child process writing to fd 1) is sent to stderr, which pace keeps in
workers.log, so it can never corrupt the protocol.
"""

import importlib.util
import json
import math
import os
import re
import sys
import time
import traceback

PROTOCOL = 1


def load(msg):
    """Imports the script and makes its Transaction, as Pyak47 did."""
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
    cls = getattr(module, "Transaction", None)
    if cls is None:
        raise AttributeError("%s defines no Transaction class" % script)
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


def main():
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(obj):
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    trans = None
    for line in sys.stdin.buffer:
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
                trans = load(msg)
            except BaseException as exc:
                traceback.print_exc()
                send({"ok": False, "protocol": PROTOCOL, "error": describe(exc)})
            else:
                send({"ok": True, "protocol": PROTOCOL})
        elif op == "stop":
            break
        else:
            send({"ok": False, "error": "pace worker: unknown op %r" % op})


if __name__ == "__main__":
    main()
