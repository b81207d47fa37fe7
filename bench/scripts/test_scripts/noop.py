# A trivial Pyak47 script: what is left of an iteration's time is pace's.
class Transaction(object):
    def run(self):
        self.custom_timers['noop'] = 0.0
