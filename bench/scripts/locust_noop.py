"""Locust's side of bench/scripts.sh: a trivial task, back to back, that
reports itself as one request so Locust counts it (its per-task cost)."""

import time

from locust import User, constant, task


class Noop(User):
    wait_time = constant(0)

    @task
    def noop(self):
        start = time.perf_counter()
        self.environment.events.request.fire(
            request_type="task", name="noop",
            response_time=(time.perf_counter() - start) * 1000,
            response_length=0, exception=None, context={})
