"""Load benchmark: simulated takers doing complete attempts against gunicorn.

Starts the app under gunicorn (2 workers on 127.0.0.1) with a fresh database,
runs locust in this process with TAKERS users who each complete ATTEMPTS
attempts the way the htmx front end does (start, profile, every answer with
Next, finish, result), next to PROBES users calling /healthz without pause,
then prints throughput and latency per endpoint, the error count, and checks
that every answer the server acknowledged is in the database.

    make bench                       # defaults
    make bench BENCH_ARGS="--takers 50 --attempts 2"
"""

# locust must come first: it patches the standard library for gevent.
from locust import FastHttpUser, between, constant, events, task  # noqa: I001
from locust.env import Environment
from locust.exception import StopUser

import argparse
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import urlencode
from pathlib import Path

import gevent

ROOT = Path(__file__).resolve().parent.parent
FORM_HX = {"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"}
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
TOTAL = re.compile(r"Question \d+ of (\d+)")

acknowledged = 0  # answers the server confirmed with a 200
attempts_done = 0
takers_started = 0
takers_active = 0
problems: list[str] = []
server_ms: dict[str, list[float]] = {}  # the app's own time per request (Server-Timing)
SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")


@events.request.add_listener
def _server_time(name, response=None, exception=None, **_kw) -> None:
    header = response.headers.get("Server-Timing") if response is not None else None
    found = SERVER_TIMING.search(header or "")
    if found:
        server_ms.setdefault(name, []).append(float(found.group(1)))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def pick_answer(html: str) -> list[tuple[str, str]]:
    """Some answer to the question in ``html``: the first option, or a number."""
    if 'inputmode="decimal"' in html:
        return [("answer", "2")]
    values = re.findall(r'name="answer" value="(\d+)"', html)
    return [("answer", values[0])] if values else []


class Taker(FastHttpUser):
    attempts = 1
    wait_time = constant(0)

    def on_start(self) -> None:
        global takers_started, takers_active
        takers_started += 1
        takers_active += 1
        self.done = 0

    def on_stop(self) -> None:
        global takers_active
        takers_active -= 1

    @task
    def complete_attempt(self) -> None:
        if self.done >= self.attempts:
            raise StopUser()
        try:
            self.attempt()
        except Exception as exc:  # a broken page: count it and stop this taker
            problems.append(f"{type(exc).__name__}: {exc}")
            raise StopUser() from exc

    def attempt(self) -> None:
        global acknowledged, attempts_done
        landing = self.client.get("/", name="GET /")
        token = CSRF.search(landing.text).group(1)
        form = {"csrf_token": token}
        start = self.client.post("/start", data=form, name="POST /start", allow_redirects=False)
        base = start.headers["Location"].removesuffix("/about")
        self.client.post(
            f"{base}/about",
            name="POST /a/[token]/about",
            allow_redirects=False,
            data={**form, "rate-technical": "3", "bg-degree": "bachelor"},
        )
        page = self.client.get(f"{base}/q/1", name="GET /a/[token]/q/[n]").text
        total = int(TOTAL.search(page).group(1))
        for n in range(1, total + 1):
            fields = [("csrf_token", token), ("nav", "next"), *pick_answer(page)]
            with self.client.post(
                f"{base}/q/{n}",
                data=urlencode(fields),
                headers=FORM_HX,
                name="POST /a/[token]/q/[n] (answer)",
                catch_response=True,
            ) as response:
                if response.status_code == 200:
                    acknowledged += 1
                    response.success()
                else:
                    response.failure(f"status {response.status_code}")
                    problems.append(f"answer {base}/q/{n}: {response.status_code}")
                    return
            page = response.text
        self.client.post(
            f"{base}/finish", data=form, name="POST /a/[token]/finish", allow_redirects=False
        )
        self.client.get(f"{base}/result", name="GET /a/[token]/result")
        attempts_done += 1
        self.done += 1


class Probe(FastHttpUser):
    wait_time = between(0, 0)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="GET /healthz")


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the server did not answer at {url}")


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--takers", type=int, default=200)
    parser.add_argument("--attempts", type=int, default=3, help="attempts per taker")
    parser.add_argument("--probes", type=int, default=10, help="users calling /healthz")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker (more than 1: gunicorn's gthread workers)",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    Taker.attempts = args.attempts
    Taker.fixed_count = args.takers
    Probe.fixed_count = args.probes
    workdir = Path(tempfile.mkdtemp(prefix="quiz-bench-"))
    database = workdir / "quiz.db"
    env = {
        **os.environ,
        "QUIZ_DATABASE": str(database),
        "QUIZ_INSTANCE_PATH": str(workdir),
        "QUIZ_SECRET_KEY": "bench-secret-key-of-at-least-32-bytes",
        "QUIZ_SERVER_TIMING": "true",  # the app's own time per request, read below
        # Every simulated taker comes from 127.0.0.1: the per-address start limit is for
        # real clients.
        "QUIZ_START_LIMIT_PER_ADDRESS": "1000000000",
    }
    host = f"http://127.0.0.1:{args.port}"
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
            "quiz:create_app()",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        wait_until_up(f"{host}/healthz")
        environment = Environment(user_classes=[Taker, Probe], host=host, events=events)
        runner = environment.create_local_runner()
        began = time.monotonic()
        runner.start(args.takers + args.probes, spawn_rate=100)
        while takers_started < args.takers or takers_active > 0:
            gevent.sleep(0.2)
        elapsed = time.monotonic() - began
        runner.quit()
    finally:
        gunicorn.terminate()
        gunicorn.wait(30)

    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT count(*) FROM responses").fetchone()[0]
        finished = db.execute(
            "SELECT count(*) FROM attempts WHERE finished_at IS NOT NULL"
        ).fetchone()[0]
    report(args, environment, elapsed, stored, finished)


def report(args, environment, elapsed: float, stored: int, finished: int) -> None:
    stats = environment.stats
    rows = []
    for (name, _method), entry in sorted(stats.entries.items()):
        own = server_ms.get(name, [])
        rows.append(
            {
                "endpoint": name,
                "requests": entry.num_requests,
                "errors": entry.num_failures,
                "per_second": entry.num_requests / elapsed,
                "p50_ms": entry.get_response_time_percentile(0.50),
                "p95_ms": entry.get_response_time_percentile(0.95),
                "p99_ms": entry.get_response_time_percentile(0.99),
                "server_p50_ms": percentile(own, 0.50),
                "server_p95_ms": percentile(own, 0.95),
            }
        )
    errors = stats.total.num_failures
    command = "make bench" + (f' BENCH_ARGS="{" ".join(sys.argv[1:])}"' if sys.argv[1:] else "")
    kind = "sync" if args.threads == 1 else f"gthread ({args.threads} threads each)"
    print(f"\ncommand: {command}")
    print(f"machine: {machine()}")
    print(
        f"load: {args.takers} takers x {args.attempts} attempts, {args.probes} /healthz users, "
        f"gunicorn {args.workers} {kind} workers, {elapsed:.1f} s\n"
    )
    print(
        "| endpoint | requests | errors | req/s | p50 ms | p95 ms | p99 ms "
        "| server p50 ms | server p95 ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['endpoint']} | {r['requests']} | {r['errors']} | {r['per_second']:.1f} | "
            f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | "
            f"{r['server_p50_ms']:.2f} | {r['server_p95_ms']:.2f} |"
        )
    lost = acknowledged - stored
    print(f"\nerrors: {errors}, taker failures: {len(problems)}")
    print(
        f"answers acknowledged: {acknowledged}, in the database: {stored} "
        f"({'none lost' if lost == 0 else f'{lost} LOST'})"
    )
    print(f"attempts finished: {attempts_done} by the takers, {finished} in the database")
    for problem in problems[:10]:
        print(f"  {problem}")
    # No ratio of the answers' req/s to /healthz's here: in a mixed load it says how the
    # load was split, not what either can do. make bench-capacity measures capacity.
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rows": rows,
                    "errors": errors,
                    "elapsed": elapsed,
                    "acknowledged": acknowledged,
                    "stored": stored,
                },
                indent=2,
            )
        )
    if errors or lost or problems or finished != attempts_done:
        sys.exit(1)


if __name__ == "__main__":
    main()
