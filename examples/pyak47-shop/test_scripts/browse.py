# A Pyak47 virtual user: each run() opens the home page and a product page.
# One run() is one transaction for pace; the custom timers are the
# per-page times of every report ("Custom Timer: home").
import os
import time
import urllib.request

# PACE_TARGET: the target's base URL. pace sets it for a plan with
# [target.embedded]; otherwise it comes from the environment.
TARGET = os.environ.get("PACE_TARGET", "http://127.0.0.1:8080").rstrip("/")


def get(path):
    start = time.time()
    with urllib.request.urlopen(TARGET + path, timeout=10) as resp:
        resp.read()
        assert resp.status == 200, "HTTP %s for %s" % (resp.status, path)
    return time.time() - start


class Transaction(object):
    def __init__(self):
        pass  # once per virtual user

    def run(self):  # once per iteration
        self.custom_timers["home"] = get("/")
        self.custom_timers["product"] = get("/product/42")
