"""Redis, when configured: the job queue and the rate-limit counters every server shares.

Runs when NAVIGATOR_TEST_REDIS_URL names a Redis server (.ci/run starts one); each test
empties that Redis database first.
"""

import os
import time
from pathlib import Path

import pytest

from navigator import jobs
from tests.conftest import PASSWORD

REDIS_URL = os.environ.get("NAVIGATOR_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="NAVIGATOR_TEST_REDIS_URL is not set")


@jobs.job
def leave_a_mark(path: str, text: str) -> str:
    Path(path).write_text(text)
    return text


@pytest.fixture
def redis_url():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


def test_a_job_queued_by_one_server_runs_in_a_worker_on_another(app_factory, redis_url,
                                                                tmp_path):
    server = app_factory(REDIS_URL=redis_url, INSTANCE_PATH=str(tmp_path / "server"))
    worker_app = app_factory(REDIS_URL=redis_url, INSTANCE_PATH=str(tmp_path / "worker"))
    for app in (server, worker_app):
        jobs.bind_jobs(app)
    marker = tmp_path / "marker.txt"
    with server.app_context():
        jobs.enqueue(leave_a_mark, str(marker), "from the queue in Redis")
    assert not (tmp_path / "server" / "jobs.db").exists()  # no queue file on the server
    worker = jobs.start_worker(worker_app, workers=1)
    try:
        deadline = time.monotonic() + 15
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert marker.read_text() == "from the queue in Redis"


def test_the_redis_queue_serves_the_most_urgent_job_first(app_factory, redis_url, tmp_path):
    app = app_factory(REDIS_URL=redis_url, INSTANCE_PATH=str(tmp_path / "server"))
    jobs.bind_jobs(app)
    with app.app_context():
        jobs.enqueue(leave_a_mark, str(tmp_path / "later.txt"), "background")
        jobs.enqueue(leave_a_mark, str(tmp_path / "now.txt"), "waited for", priority=10)
    huey = app.extensions["navigator.jobs"]
    first, second = huey.dequeue(), huey.dequeue()
    assert (first.args[1], second.args[1]) == ("waited for", "background")


def test_sign_in_limits_count_across_servers_in_redis(app_factory, redis_url, make_user,
                                                      tmp_path):
    servers = [app_factory(REDIS_URL=redis_url, RATELIMIT_ENABLED=True,
                           INSTANCE_PATH=str(tmp_path / name)) for name in ("a", "b")]
    make_user(email="target@example.org")
    clients = [s.test_client() for s in servers]
    statuses = [clients[i % 2].form("/sign-in", {"email": "target@example.org",
                                                 "password": f"wrong-{i}"}).status_code
                for i in range(6)]
    assert statuses == [200] * 5 + [429]  # one count for both servers
    import redis

    keys = redis.Redis.from_url(redis_url).keys("LIMITS:*")
    assert keys, "the counters are in Redis"
    right = clients[0].form("/sign-in", {"email": "target@example.org", "password": PASSWORD})
    assert right.status_code == 429
