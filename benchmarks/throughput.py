"""Learner pages under gunicorn, against a bare Flask route served the same way, with wrk.

    .venv/bin/python benchmarks/throughput.py [--seconds S] [--connections N] [--pages a,b]

Both apps run under the same gunicorn settings (WORKERS sync workers) on loopback, measured in
one run; `wrk` (Debian's package) is the load generator: written in C, it leaves the cores to
the servers, where a Python client would take half of them. Each page is asked by one signed-in
navigator, as a browser asks it (gzip accepted). Beside requests per second it prints the CPU
time the gunicorn workers themselves spent per request (user + system, from /proc), which holds
steady when other programs share the machine, and the SQL each page sends is counted by
benchmarks/pages.py.

Targets: the lesson page at least LESSON_RATIO of the bare route's requests per second; the
course, module, quiz, result, sandbox, outreach and certificates pages at most CPU_TARGET_MS of
worker CPU each.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from forms import fill  # noqa: E402
from load import free_port, prepare  # noqa: E402

WORKERS = 2          # one per core on the 2-core machine the targets are set for
CONNECTIONS = 8
SECONDS = 8
LESSON_RATIO = 0.15
CPU_TARGET_MS = 3.0
TICKS = os.sysconf("SC_CLK_TCK")
# One browser: signed in and then asking pages with the same User-Agent (Flask-Login's session
# protection would otherwise mark every request's session as changed and send a new cookie).
AGENT = "navigator-benchmark/1"
CPU_PAGES = ("course", "module", "quiz", "result", "sandbox", "outreach", "certificates")


def _serve(module: str, env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", module], cwd=ROOT, env=env)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return server
        except urllib.error.HTTPError:
            return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{module} did not start")


def _workers_cpu(master: int) -> float:
    """Seconds of CPU (user + system) the master's worker processes have used so far."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # ppid
            total += (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    return total


def _session(port: int, email: str, password: str):
    """A browser's cookie jar, signed in through the form."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", AGENT)]
    base = f"http://127.0.0.1:{port}"
    page = opener.open(base + "/sign-in").read().decode()
    _action, data = fill(page, {"email": email, "password": password}, "email")
    opener.open(base + "/sign-in", urllib.parse.urlencode(data).encode())
    return opener, "; ".join(f"{c.name}={c.value}" for c in jar)


def _result_url(opener, port: int, quiz: str) -> str:
    """Send a quiz once (every first option chosen): the result page's address."""
    base = f"http://127.0.0.1:{port}"
    _action, data = fill(opener.open(base + quiz).read().decode(), field="attempt_key")
    response = opener.open(base + quiz, urllib.parse.urlencode(data, doseq=True).encode())
    return urllib.parse.urlsplit(response.geturl()).path


def wrk(port: int, path: str, cookie: str, seconds: int, connections: int,
        master: int) -> dict:
    """Requests per second, latency and worker CPU per request for one address."""
    headers = ["-H", "Accept-Encoding: gzip", "-H", f"User-Agent: {AGENT}"]
    headers += ["-H", f"Cookie: {cookie}"] if cookie else []
    url = f"http://127.0.0.1:{port}{path}"
    # Warm-up: every worker compiles its templates and fills its caches (a lesson's sandbox
    # example loads the model once per worker) before anything is counted.
    subprocess.run(["wrk", "-t1", f"-c{connections}", "-d3s", "--timeout", "60s", *headers,
                    url], check=True, capture_output=True)
    before = _workers_cpu(master)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                          *headers, url], check=True, capture_output=True, text=True).stdout
    cpu = _workers_cpu(master) - before
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or errors or not requests:
        raise RuntimeError(f"{path}: {bad.group(0) if bad else errors.group(0) if errors else out}")

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "cpu_ms": 1000 * cpu / requests, "p99_ms": ms("99"), "p50_ms": ms("50")}


def run(seconds: int = SECONDS, connections: int = CONNECTIONS,
        names: tuple[str, ...] = ("lesson",) + CPU_PAGES) -> list[dict]:
    """One dict per figure, with its target (None: context for the others)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (.ci/install --test does)")
    tmp = Path(tempfile.mkdtemp(prefix="navigator-throughput-"))
    env = {**os.environ, "NAVIGATOR_INSTANCE_PATH": str(tmp / "instance"),
           "NAVIGATOR_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
           "NAVIGATOR_SECRET_KEY": "throughput-benchmark-" + "x" * 32,
           "NAVIGATOR_RATELIMIT_ENABLED": "false", "NAVIGATOR_DEMO": "false"}
    data = prepare(env, navigators=2)
    lesson = data["lessons"][len(data["lessons"]) // 2]
    module = lesson.rsplit("/lessons/", 1)[0] + "/"
    app_port, bare_port = free_port(), free_port()
    app_server = _serve("app:app", env, app_port)
    bare_server = _serve("benchmarks.bare:app", env, bare_port)
    rows = []
    try:
        opener, cookie = _session(app_port, *data["people"][0])
        paths = {"lesson": lesson, "module": module,
                 "course": module.split("/modules/", 1)[0] + "/", "quiz": data["quizzes"][0],
                 "result": _result_url(opener, app_port, data["quizzes"][0]),
                 "sandbox": "/sandbox/", "outreach": "/outreach/new",
                 "certificates": "/certificates/", "health": "/health"}
        for name in names:  # first views: the sandbox model trained, the caches filled
            opener.open(f"http://127.0.0.1:{app_port}{paths[name]}", timeout=600).read()
        bare = wrk(bare_port, "/", "", seconds, connections, bare_server.pid)
        figures = {name: wrk(app_port, paths[name], cookie, seconds, connections,
                             app_server.pid) for name in names}
    finally:
        for server in (app_server, bare_server):
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    rows.append({"name": "bare Flask route (req/s)", "value": round(bare["rps"]),
                 "target": None})
    rows.append({"name": "bare Flask route: worker CPU per request (ms)",
                 "value": round(bare["cpu_ms"], 3), "target": None})
    for name, f in figures.items():
        rows.append({"name": f"{name} page (req/s)", "value": round(f["rps"], 1),
                     "target": None})
        rows.append({"name": f"{name} page: worker CPU per request (ms)",
                     "value": round(f["cpu_ms"], 2),
                     "target": CPU_TARGET_MS if name in CPU_PAGES else None})
        rows.append({"name": f"{name} page: p99 latency (ms)", "value": round(f["p99_ms"], 1),
                     "target": None})
    if "lesson" in figures:
        rows.append({"name": "lesson page / bare Flask route (ratio of req/s)",
                     "value": round(figures["lesson"]["rps"] / bare["rps"], 3),
                     "target": LESSON_RATIO, "higher": True})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=SECONDS)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--pages", default=",".join(("lesson",) + CPU_PAGES),
                        help="comma-separated: lesson, " + ", ".join(CPU_PAGES) + ", health")
    args = parser.parse_args()
    missed = False
    for row in run(args.seconds, args.connections, tuple(args.pages.split(","))):
        target = row["target"]
        ok = target is None or (row["value"] >= target if row.get("higher")
                                else row["value"] <= target)
        missed |= not ok
        shown = "-" if target is None else f"{'≥' if row.get('higher') else '≤'} {target:g}"
        print(f"{row['name']:<52} {row['value']:>10g}  {shown:>7}  {'' if ok else 'MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
