"""Navigators under load: lessons, quizzes, outreach, certificate checks (loopback only).

Run by benchmarks/load.py, which prepares the data and checks the database afterwards.
Every acknowledged quiz attempt and outreach activity is written to ACK_FILE.
"""

import json
import os
import random
import re

from forms import fill
from locust import HttpUser, between, events, task

ACK_FILE = os.environ["NAVIGATOR_LOAD_ACKS"]
PEOPLE = json.loads(os.environ["NAVIGATOR_LOAD_PEOPLE"])
LESSONS = json.loads(os.environ["NAVIGATOR_LOAD_LESSONS"])
QUIZZES = json.loads(os.environ["NAVIGATOR_LOAD_QUIZZES"])
CODES = json.loads(os.environ.get("NAVIGATOR_LOAD_CODES", "[]"))
# Several app servers: each request goes to one of them at random, so a person signs in on one
# and goes on through another (tests/test_several_servers.py). Empty: --host alone.
HOSTS = json.loads(os.environ.get("NAVIGATOR_LOAD_HOSTS", "[]"))
_acks = open(ACK_FILE, "a", buffering=1)


def _at(path: str) -> str:
    return random.choice(HOSTS) + path if HOSTS else path


@events.quitting.add_listener
def _close(environment, **_kwargs):
    _acks.close()


class Navigator(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self):
        # A cohort is many phones, not one: behind a trusted proxy (NAVIGATOR_PROXIES) each user
        # has an address of its own, so per-address limits (certificate checks: 30 a minute)
        # apply as in a deployment. Without a trusted proxy the header is ignored.
        self.client.headers["X-Forwarded-For"] = "10.{}.{}.{}".format(
            *(random.randrange(1, 255) for _ in range(3)))
        email, password = PEOPLE[random.randrange(len(PEOPLE))]
        page = self.client.get(_at("/sign-in"), name="/sign-in")
        _action, data = fill(page.text, {"email": email, "password": password}, "email")
        self.client.post(_at("/sign-in"), data=data, name="/sign-in [POST]")

    @task(6)
    def read_lesson(self):
        self.client.get(_at(random.choice(LESSONS)), name="/learn/[lesson]")

    @task(2)
    def take_quiz(self):
        url = random.choice(QUIZZES)
        page = self.client.get(_at(url), name="/learn/[quiz]")
        _action, data = fill(page.text, field="attempt_key")
        key = data.get("attempt_key")
        with self.client.post(_at(url), data=data, name="/learn/[quiz] [POST]",
                              catch_response=True) as response:
            if response.status_code == 200 and "/results/" in response.url:
                _acks.write(json.dumps({"kind": "quiz", "key": key}) + "\n")
                response.success()
            elif response.status_code == 200:
                response.failure("quiz submission was not accepted")

    @task(2)
    def log_outreach(self):
        page = self.client.get(_at("/outreach/new"), name="/outreach/new")
        _action, data = fill(page.text, {
            "held_on": "2026-11-20", "minutes": "45", "people": "7",
            "note": "Helped a group compare two mood apps."}, field="submission_key")
        key = data.get("submission_key")
        with self.client.post(_at("/outreach/new"), data=data, name="/outreach/new [POST]",
                              catch_response=True) as response:
            if response.status_code == 200 and re.search(r"/outreach/\d+", response.url):
                _acks.write(json.dumps({"kind": "outreach", "key": key}) + "\n")
                response.success()
            elif response.status_code == 200:
                response.failure("outreach activity was not accepted")

    @task(1)
    def verify_certificate(self):
        code = random.choice(CODES) if CODES else "NOPE-NOPE-NO"
        with self.client.get(_at(f"/verify/{code}"), name="/verify/[code]",
                             catch_response=True) as response:
            if response.status_code in (200, 404):
                response.success()
