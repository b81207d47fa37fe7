#!/usr/bin/env python3
"""A small loopback HTTP/1.1 target with one misbehaviour, for the adversarial study.

    behave.py --mode MODE --port-file F --life SECONDS [--seed N] [mode options]

Listens on 127.0.0.1 only (a free port, written to --port-file once it
listens), keeps connections alive (HTTP/1.1), answers 100 bytes, and exits
by itself after --life seconds whatever happens (every sleep is bounded by
it). Times are measured from the server's start (the study starts pace
right after it, so the run's clock is a few tens of ms behind).

Modes (times in seconds, latencies in ms):
  plain      --latency L                       every answer after L ms
  hang       --latency L --p P                 a share P of requests never answered (until --life)
  endhang    --latency L --after T             requests arriving after T never answered
  burst      --latency L --from T1 --to T2     500 for requests arriving in [T1, T2)
  stall      --latency L --from T1 --to T2     requests arriving in [T1, T2) wait until T2
  warmup     --latency L --slow S --until T    S ms until T, then L ms
  drift      --latency L --slope K             L + K*t ms (t since start)
  idleclose  --latency L --idle I              closes a kept-alive connection idle for I ms
  reuseclose --latency L --p P                 a share P of the requests that arrive on a reused
                                               connection read, then the connection closed with no
                                               answer (the idle-close race, made certain: the
                                               client cannot tell the two apart, running.md)

Every mode also takes per-request overrides in the query string, as pace's
embedded target does: ?latency=MS (a number of ms) and ?status=CODE; and
?hang=1 (never answer). Standard library only.
"""

import argparse
import os
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

BODY = b"x" * 100


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--life", type=float, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--latency", type=float, default=1.0)
    ap.add_argument("--p", type=float, default=0.0)
    ap.add_argument("--after", type=float, default=1e9)
    ap.add_argument("--from", dest="t1", type=float, default=1e9)
    ap.add_argument("--to", dest="t2", type=float, default=1e9)
    ap.add_argument("--slow", type=float, default=0.0)
    ap.add_argument("--until", type=float, default=0.0)
    ap.add_argument("--slope", type=float, default=0.0)
    ap.add_argument("--idle", type=float, default=0.0)
    o = ap.parse_args()
    life = min(max(o.life, 1.0), 120.0)  # never more than 2 minutes
    t0 = time.monotonic()
    deadline = t0 + life
    rng = random.Random(o.seed)
    lock = threading.Lock()

    def now():
        return time.monotonic() - t0

    def sleep_until(t_abs):
        time.sleep(max(0.0, min(t_abs, deadline) - time.monotonic()))

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = (o.idle / 1000.0) if (o.mode == "idleclose" and o.idle > 0) else life

        def log_message(self, *a):
            pass

        def setup(self):
            super().setup()
            # no Nagle: the header and the body are two writes, and Nagle's wait for the
            # ACK of the first (delayed by the client, ~40 ms) would add to every answer
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.served = 0  # requests read on this connection

        def handle_any(self):
            arrived = now()
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(min(n, 1 << 20))
            q = parse_qs(urlparse(self.path).query)
            lat = o.latency
            status = 200
            hang = q.get("hang", ["0"])[0] == "1"
            m = o.mode
            self.served += 1
            if m == "reuseclose" and self.served > 1:
                with lock:
                    drop = rng.random() < o.p
                if drop:
                    # the request is read; the connection ends before any byte of an answer
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
            if m == "hang":
                with lock:
                    hang = hang or rng.random() < o.p
            elif m == "endhang":
                hang = hang or arrived >= o.after
            elif m == "burst":
                if o.t1 <= arrived < o.t2:
                    status = 500
            elif m == "stall":
                if o.t1 <= arrived < o.t2:
                    sleep_until(t0 + o.t2)
            elif m == "warmup":
                if arrived < o.until:
                    lat = o.slow
            elif m == "drift":
                lat = o.latency + o.slope * arrived
            if "latency" in q:
                lat = float(q["latency"][0])
            if "status" in q:
                status = int(q["status"][0])
            if hang:
                sleep_until(deadline)
                self.close_connection = True
                return
            sleep_until(time.monotonic() + lat / 1000.0)
            head = (f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}\r\n"
                    f"Content-Type: text/plain\r\nContent-Length: {len(BODY)}\r\n\r\n").encode()
            try:
                self.wfile.write(head + BODY)  # one write: the answer leaves in one segment
            except OSError:
                self.close_connection = True

        do_GET = do_POST = do_PUT = handle_any

    class S(ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 1024

    srv = S(("127.0.0.1", 0), H)
    port = srv.server_address[1]
    tmp = o.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, o.port_file)

    def stopper():
        sleep_until(deadline)
        os._exit(0)

    threading.Thread(target=stopper, daemon=True).start()
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
