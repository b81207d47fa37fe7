"""Locust side of pace's benchmark (bench/run.sh max): FastHttpUser, back to
back (no wait), one GET of nginx's 100-byte file on 127.0.0.1:8089."""

from locust import FastHttpUser, constant, task


class Get(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get("/index.txt")
