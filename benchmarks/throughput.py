"""Lesson page throughput under gunicorn, against a bare Flask response served the same way.

Both run under the same gunicorn settings on loopback and the same client load, measured in
one run, so the ratio says what the platform costs over Flask itself on this machine.
"""

import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from forms import fill  # noqa: E402
from load import free_port, prepare  # noqa: E402

WORKERS = 2          # one per core on this machine
CLIENTS = 8
SECONDS = 8


def _serve(module: str, env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", module], cwd=ROOT, env=env)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return server
        except urllib.error.HTTPError:
            return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{module} did not start")


def _cookie(port: int, email: str, password: str) -> str:
    """Sign in over HTTP, as a browser would; the session cookie to send."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(base + "/sign-in").read().decode()
    _action, data = fill(page, {"email": email, "password": password}, "email")
    opener.open(base + "/sign-in", urllib.parse.urlencode(data).encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _hammer(port: int, path: str, cookie: str = "") -> tuple[float, float]:
    """Requests per second and p95 latency (ms) with CLIENTS threads for SECONDS."""
    latencies: list[float] = []
    errors: list[int] = []
    stop = time.monotonic() + SECONDS
    headers = {"Accept-Encoding": "gzip", **({"Cookie": cookie} if cookie else {})}

    def client():
        while time.monotonic() < stop:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                errors.append(response.status)
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    if errors:
        raise RuntimeError(f"{len(errors)} errors on {path}, e.g. HTTP {errors[0]}")
    return len(latencies) / elapsed, statistics.quantiles(latencies, n=20)[18]


def run() -> list[dict]:
    """Lesson page and bare Flask throughput, one dict per figure with its target."""
    tmp = Path(tempfile.mkdtemp(prefix="navigator-throughput-"))
    env = {**os.environ, "NAVIGATOR_INSTANCE_PATH": str(tmp / "instance"),
           "NAVIGATOR_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
           "NAVIGATOR_SECRET_KEY": "throughput-benchmark-" + "x" * 32,
           "NAVIGATOR_RATELIMIT_ENABLED": "false", "NAVIGATOR_DEMO": "false"}
    data = prepare(env, navigators=2)
    lesson = data["lessons"][len(data["lessons"]) // 2]
    app_port, bare_port = free_port(), free_port()
    app_server = _serve("app:app", env, app_port)
    bare_server = _serve("benchmarks.bare:app", env, bare_port)
    try:
        cookie = _cookie(app_port, *data["people"][0])
        _hammer(app_port, lesson, cookie)  # warm-up: templates, markdown, sandbox embeds
        lesson_rps, lesson_p95 = _hammer(app_port, lesson, cookie)
        bare_rps, bare_p95 = _hammer(bare_port, "/")
    finally:
        for server in (app_server, bare_server):
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    return [
        {"name": "lesson page throughput (req/s)", "value": round(lesson_rps, 1),
         "target": None},
        {"name": "bare Flask throughput, same server (req/s)", "value": round(bare_rps, 1),
         "target": None},
        {"name": "lesson page / bare Flask (ratio)", "value": round(lesson_rps / bare_rps, 3),
         "target": None},
        {"name": "lesson page p95 latency (ms)", "value": round(lesson_p95, 1),
         "target": None},
        {"name": "bare Flask p95 latency (ms)", "value": round(bare_p95, 1), "target": None},
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:<48} {row['value']:>10}  target: {row['target']}")
