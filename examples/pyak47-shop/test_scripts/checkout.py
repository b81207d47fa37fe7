# A Pyak47 virtual user that buys: it posts an order and checks the answer.
import os
import time
import urllib.request

TARGET = os.environ.get("PACE_TARGET", "http://127.0.0.1:8080").rstrip("/")


class Transaction(object):
    def __init__(self):
        self.orders = 0  # kept across this user's iterations

    def run(self):
        self.orders += 1
        body = ('{"item": 42, "order": %d}' % self.orders).encode()
        req = urllib.request.Request(
            TARGET + "/cart/checkout",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        start = time.time()
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
            assert resp.status == 200, "HTTP %s" % resp.status
        self.custom_timers["checkout"] = time.time() - start
