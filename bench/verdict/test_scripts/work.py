# A Pyak47 Transaction for the verdict study (bench/verdict.sh): its run()
# GETs pace's embedded target (PACE_TARGET, in every script worker's
# environment) and times the request in a custom timer.
import os
import time
import urllib.request

TARGET = os.environ["PACE_TARGET"] + "/"


class Transaction(object):
    def run(self):
        start = time.time()
        with urllib.request.urlopen(TARGET, timeout=10) as r:
            assert r.status == 200, "HTTP %s" % r.status
            r.read()
        self.custom_timers['get'] = time.time() - start
