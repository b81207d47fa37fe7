# A Pyak47 Transaction for the verdict study (bench/verdict.sh): its run()
# "works" for WORK_MS (20 ms) plus up to 5 ms of jitter, and times it in a
# custom timer. It sends nothing: a script worker does not see
# ${PACE_TARGET}, so it could not find the embedded target's port.
import random
import time

WORK_S = 0.020
JITTER_S = 0.005


class Transaction(object):
    def run(self):
        start = time.time()
        time.sleep(WORK_S + random.random() * JITTER_S)
        self.custom_timers['work'] = time.time() - start
