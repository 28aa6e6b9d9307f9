"""Capacity benchmark: /healthz and each taker request saturated in turn on one gunicorn.

Starts the app under gunicorn on 127.0.0.1 with a fresh database and the bundled
bank, prepares attempts over HTTP, then runs wrk (bench/capacity.lua) against one
request at a time, alternating phases in rounds on the same server: /healthz, the
answer POST, POST /start, the question GET, POST finish and the result GET. It
prints req/s and latency per phase, each taker request's ratios to /healthz, the
errors, the CPU that the server, wrk and everything else used, and whether every
acknowledged answer is in the database; it exits non-zero on any error or loss.

Answers. Each answer POST is the front end's htmx "next" (HX-Request, X-CSRFToken,
the form's csrf_token, slot and marks, nav=next and an answer to the question that the attempt's
previous response showed) to an (attempt, position) that no other request of the
run touches: each wrk thread takes its own attempts in rotation, one request in
flight per attempt, positions 1 to total - 1 (Next on the last question shows the
finish page, another kind of response). So every POST saves a new row and renders
the next question, nothing is overwritten, and the check is exact: every answer
acknowledged (a 200 whose HX-Push-Url names the next question) must be a row of
``responses``, and every row of these attempts a request sent (one cut off when a
phase ends may be saved or not). Rather than cycle back, each round gets enough
fresh attempts: --attempts, raised to what 1.5 x the best answer rate seen (at
first 1.2 x /healthz's) could answer. A pool that runs out voids its phase.

Other requests. Start posts from a few landing-page sessions whose cookie it never
updates, so each start comes from a new taker who has seen nothing, as on a first
visit; the app's per-client start limits are raised for the run. The question GET
cycles through the questions of the round's answered attempts. Finish posts once
to each attempt of a fresh pool with every question answered, its answers written
beforehand through the app's own storage calls (56 POSTs each would take minutes);
every finish acknowledged must be finished in the database. The result GET cycles
through attempts finished while preparing.

    make bench-capacity                                                  # defaults
    make bench-capacity CAPACITY_ARGS="--seconds 2 --rounds 1 --attempts 40"  # quick
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import resource
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from quiz import attempts, scoring
from quiz.answers import read_answer
from quiz.store import Store

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).with_suffix(".lua")
PHASES = ("healthz", "answer", "start", "question", "finish", "result")
LABELS = {
    "healthz": "GET /healthz",
    "answer": "POST /a/[token]/q/[n] (htmx next)",
    "start": "POST /start",
    "question": "GET /a/[token]/q/[n]",
    "finish": "POST /a/[token]/finish",
    "result": "GET /a/[token]/result",
}
# The target for the answer POST: at least half of /healthz's rate, p99 at most 3x.
TARGET_RATE, TARGET_P99 = 0.5, 3.0
START_CLIENTS = 64  # landing-page sessions the start phase posts from
RESULT_POOL = 50  # attempts finished while preparing, for the result GET
NO_LIMIT = "1000000000"
TOTAL = re.compile(r"Question \d+ of (\d+)")
INPUT = re.compile(r"<input\b[^>]*>")
ATTEMPT_URL = re.compile(r"/a/([\w-]+)")
SESSION = re.compile(r"session=([^;]*)")
# What other processes may use during a phase before its figures are called disturbed.
DISTURBED = 0.15  # cores
DISTURBED_WRITES = 1.0  # MB/s written to disk


class BenchError(Exception):
    """The benchmark could not run as designed; the message says why."""


# --- a small HTTP client for preparing ---------------------------------------------


class Client:
    """One browser: its session cookie, kept from each response, over http.client
    (gunicorn's sync workers close every connection anyway)."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""

    def call(
        self, method: str, path: str, form: dict | list | None = None
    ) -> tuple[int, http.client.HTTPResponse, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        body, headers = None, {}
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        found = SESSION.search(response.getheader("Set-Cookie") or "")
        if found:
            self.cookie = found.group(1)
        return response.status, response, text

    def expect(self, status: int, method: str, path: str, form=None):
        got, response, text = self.call(method, path, form)
        if got != status:
            raise BenchError(f"{method} {path} answered {got}, not {status}: {text[:300]!r}")
        return response, text


def inputs(page: str) -> list[dict[str, str]]:
    """The attributes of each <input> of a page."""
    return [dict(re.findall(r'([\w-]+)="([^"]*)"', tag)) for tag in INPUT.findall(page)]


def csrf_of(page: str) -> str:
    for tag in inputs(page):
        if tag.get("name") == "csrf_token":
            return tag["value"]
    raise BenchError("no csrf_token field on the landing page")


def answer_spec(page: str) -> str:
    """The answer fields of a question page as the Lua script reads them:
    "o:0,1,2" (option values) or "n" (a number field)."""
    options, number = [], False
    for tag in inputs(page):
        if tag.get("name") != "answer":
            continue
        if tag.get("type") in ("radio", "checkbox"):
            options.append(tag.get("value", ""))
        else:
            number = True
    if options:
        return "o:" + ",".join(options)
    if number:
        return "n"
    raise BenchError("a question page has no answer field this script recognises")


def profile_form(page: str) -> list[tuple[str, str]]:
    """The about-you form filled in: the first choice of every rating and background item."""
    chosen: dict[str, str] = {}
    for tag in inputs(page):
        if tag.get("type") in ("radio", "checkbox") and "name" in tag:
            chosen.setdefault(tag["name"], tag.get("value", ""))
    return list(chosen.items())


@dataclass
class Attempt:
    token: str
    cookie: str
    csrf: str
    total: int = 0
    spec: str = ""
    marks: str = "-"  # the navigator's marks the question form sends back ("-": none)


def landing(port: int) -> tuple[Client, str]:
    """A new visitor who opened the landing page: their session cookie and CSRF token."""
    client = Client(port)
    _, page = client.expect(200, "GET", "/")
    return client, csrf_of(page)


def start_attempt(port: int, first_question: bool = True) -> Attempt:
    """Landing page, start, about you (profile filled in), and the first question."""
    client, csrf = landing(port)
    response, _ = client.expect(303, "POST", "/start", {"csrf_token": csrf})
    where = response.getheader("Location") or ""
    found = ATTEMPT_URL.search(where)
    if not found:
        raise BenchError(f"POST /start led to {where!r}, not to an attempt")
    token = found.group(1)
    if where.endswith("/about"):
        _, page = client.expect(200, "GET", where)
        client.expect(303, "POST", where, [("csrf_token", csrf), *profile_form(page)])
    attempt = Attempt(token, client.cookie, csrf)
    if first_question:
        _, page = client.expect(200, "GET", f"/a/{token}/q/1")
        found = TOTAL.search(page)
        if not found:
            raise BenchError(f"no 'Question 1 of N' on /a/{token}/q/1")
        attempt.total, attempt.spec = int(found.group(1)), answer_spec(page)
        attempt.marks = next((t["value"] for t in inputs(page) if t.get("name") == "marks"), "-")
    return attempt


def in_parallel(function, count: int, *args):
    """``count`` calls of ``function(*args)`` from 8 threads (the server has a backlog)."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: function(*args), range(count)))


def fill_answers(database: Path, tokens: list[str]) -> None:
    """Answer every question of these attempts through the app's own storage calls, as
    the answer POST does (value read from the form, scored, position moved on). The
    bench's connection skips fsync: it prepares, it is not measured."""
    store = Store(database)
    store.db.execute("PRAGMA synchronous = OFF")
    try:
        for token in tokens:
            attempt = attempts.load(store, token)
            for item in attempts.items(store, attempt):
                if item.option_order:
                    shown = str(item.position % len(item.option_order))
                elif item.question.type == "likert":
                    shown = str(1 + item.position % 5)
                else:
                    shown = str(item.position)
                value = read_answer(item.question, item.option_order, [shown])
                score = scoring.score(item.question, value)
                store.save_answer(
                    attempt.id, item.position, item.version_hash, value, score, item.position + 1
                )
    finally:
        store.close()


def finish_over_http(port: int, attempt: Attempt) -> None:
    client = Client(port)
    client.cookie = attempt.cookie
    client.expect(303, "POST", f"/a/{attempt.token}/finish", {"csrf_token": attempt.csrf})


# --- CPU accounting ----------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def busy_ticks() -> int:
    """CPU time that processes used and the hypervisor stole, from /proc/stat. Niced
    processes count (on this VM they slow the server all the same); interrupts do not:
    on loopback they are mostly the benchmark's own traffic."""
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return user + nice + system + steal


@dataclass
class Processes:
    """CPU time of the server (gunicorn's master and workers) and its pids, and how many
    bytes every other process has had written to disk, by pid."""

    server_ticks: int
    server_pids: frozenset[int]
    written: dict[int, int]

    def others_wrote(self, before: Processes) -> int:
        """Bytes that processes other than the server wrote to disk since ``before``
        (fsync'd SQLite commits elsewhere slow every commit here)."""
        return sum(n - before.written.get(pid, 0) for pid, n in self.written.items())


def processes(root: int) -> Processes:
    ticks, pids, written = 0, set(), {}
    for folder in Path("/proc").glob("[0-9]*"):
        try:
            text = (folder / "stat").read_text()
            io = (folder / "io").read_text()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        pid = int(folder.name)
        fields = text.rsplit(")", 1)[1].split()  # after the command, which may hold spaces
        if pid == root or int(fields[1]) == root:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
            pids.add(pid)
        elif pid != os.getpid():
            written[pid] = int(io.split("write_bytes:")[1].split()[0])
    return Processes(ticks, frozenset(pids), written)


# --- one phase ---------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    round: int
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    unexpected: dict[str, int] = field(default_factory=dict)
    socket: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # cores used: server, wrk, other
    server_cpu_s: float = 0.0
    other_writes: float = 0.0  # MB/s that other processes wrote to disk
    workers_changed: bool = False
    pool: int = 0
    sent: list[str] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """The server's CPU time per request: other load inflates it less than it cuts req/s."""
        return self.server_cpu_s * 1000 / self.requests if self.requests else 0.0

    @property
    def disturbed(self) -> bool:
        return self.cpu["other"] > DISTURBED or self.other_writes > DISTURBED_WRITES

    @property
    def socket_errors(self) -> int:
        return sum(n for kind, n in self.socket.items() if kind != "status")

    @property
    def problems(self) -> list[str]:
        found = []
        if self.unexpected:
            found.append(f"unexpected status {self.unexpected}")
        if self.socket_errors:
            found.append(f"socket errors {self.socket}")
        hint = "raise --attempts" if self.name == "answer" else "run again"
        for key, what in (
            ("exhausted", f"times the pool ran out: the phase is void ({hint})"),
            ("mismatched", "responses that match no request"),
            ("unparsed", "question pages without a recognised answer field"),
            ("garbled", "lines of wrk's records garbled: the answer check is not exact"),
        ):
            if self.counts.get(key):
                found.append(f"{self.counts[key]} {what}")
        if self.workers_changed:
            found.append("a gunicorn worker was replaced during the phase")
        return found

    def row(self) -> dict:
        return {
            "phase": self.name,
            "round": self.round,
            "requests": self.requests,
            "req_per_s": round(self.rate, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "server_cpu_ms_per_request": round(self.cpu_ms, 2),
            "unexpected_status": self.unexpected,
            "socket_errors": self.socket,
            "cpu_cores": self.cpu,
            "other_writes_mb_per_s": round(self.other_writes, 2),
            "disturbed": self.disturbed,
            "pool": self.pool,
        }


# A thread's record of the answers it sent and saw acknowledged, and the finishes.
RECORD = re.compile(r"(sent|acked|finished) ([\w-]+)(?: (\d+))?", re.ASCII)
LATENCIES = {"p50_us": "p50_ms", "p90_us": "p90_ms", "p99_us": "p99_ms", "max_us": "max_ms"}


def run_wrk(args, name: str, number: int, pool_lines: list[str], gunicorn: int, seconds: int):
    """One wrk run of ``name`` against the pool; the phase's figures and CPU use."""
    work = Path(args.workdir)
    pool_file = work / f"pool-{name}-{number}.txt"
    out_file = work / f"out-{name}-{number}.txt"
    pool_file.write_text("".join(line + "\n" for line in pool_lines))
    command = [
        args.wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        f"--timeout={args.timeout}s",
        "-s",
        str(SCRIPT),
        f"http://127.0.0.1:{args.port}",
        "--",
        name,
        str(pool_file),
        str(args.threads),
    ]
    env = {**os.environ, "CAPACITY_OUT": str(out_file)}
    before = processes(gunicorn)
    busy_before, children_before = busy_ticks(), resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.monotonic() - began
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_after = busy_ticks()
    after = processes(gunicorn)
    if done.returncode != 0 or not out_file.exists():
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")

    phase = Phase(name, number, pool=len(pool_lines))
    for record in sorted(work.glob(f"{out_file.name}.*")):
        for line in record.read_bytes().decode(errors="replace").splitlines():
            found = RECORD.fullmatch(line)
            if not found:
                phase.counts["garbled"] = phase.counts.get("garbled", 0) + 1
                continue
            kind, token, position = found.groups()
            getattr(phase, kind).append(f"{token} {position}" if position else token)
    for line in out_file.read_text().splitlines():
        key, _, value = line.partition(" ")
        if key == "unexpected":
            status, n = value.split()
            phase.unexpected[status] = phase.unexpected.get(status, 0) + int(n)
        elif key.startswith("socket_"):
            phase.socket[key.removeprefix("socket_")] = int(value)
        elif key == "requests":
            phase.requests = int(value)
        elif key == "duration_us":
            phase.seconds = int(value) / 1e6
        elif key in LATENCIES:
            setattr(phase, LATENCIES[key], float(value) / 1e3)
        else:
            phase.counts[key] = int(value)
    if name == "healthz" and phase.socket.get("status"):
        # No response hook in this phase: wrk only counts the statuses over 399.
        phase.unexpected["over 399"] = phase.socket["status"]
    wrk_seconds = (children_after.ru_utime - children_before.ru_utime) + (
        children_after.ru_stime - children_before.ru_stime
    )
    server_seconds = (after.server_ticks - before.server_ticks) / TICK
    busy_seconds = (busy_after - busy_before) / TICK
    phase.server_cpu_s = server_seconds
    phase.cpu = {
        "server": round(server_seconds / wall, 2),
        "wrk": round(wrk_seconds / wall, 2),
        "other": round(max(0.0, busy_seconds - server_seconds - wrk_seconds) / wall, 2),
    }
    phase.other_writes = after.others_wrote(before) / wall / 1e6
    # A replaced worker takes its CPU time with it, and means a crash or a timeout.
    phase.workers_changed = before.server_pids != after.server_pids
    return phase


# --- the run -----------------------------------------------------------------------


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def wait_until_up(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited with {server.returncode} before answering")
        try:
            if Client(port).call("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError(f"the server did not answer on port {port}")


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}"
    )


def version_of(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True)
    return (done.stdout or done.stderr).splitlines()[0].strip()


class Bench:
    """The server, the pools, and the phases run so far."""

    def __init__(self, args, gunicorn: subprocess.Popen):
        self.args = args
        self.gunicorn = gunicorn
        self.phases: list[Phase] = []
        self.answer_pools: list[list[Attempt]] = []
        self.finish_pools: list[list[Attempt]] = []
        self.result_pool: list[Attempt] = []
        self.start_clients: list[tuple[str, str]] = []
        self.finish_estimate = 0.0
        self.healthz_estimate = 0.0
        self.length = 0  # questions per attempt

    def log(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def phase(self, name: str, number: int, pool: list[str], seconds: int | None = None):
        if self.gunicorn.poll() is not None:
            raise BenchError(f"gunicorn exited with {self.gunicorn.returncode}")
        seconds = seconds or self.args.seconds
        pooled = f" ({len(pool)} in its pool)" if pool else ""
        self.log(f"  round {number}: {name} for {seconds} s{pooled}")
        spy = self.profile(name, number, seconds) if number else None
        result = run_wrk(self.args, name, number, pool, self.gunicorn.pid, seconds)
        if spy is not None and spy.wait() != 0:
            raise BenchError(f"py-spy failed: {spy.stderr.read().decode(errors='replace')}")
        time.sleep(self.args.pause)  # requests cut off at the end finish before the next phase
        return result

    def profile(self, name: str, number: int, seconds: int) -> subprocess.Popen | None:
        """With --profile: py-spy samples every gunicorn process through the phase into a
        flame graph, <dir>/<phase>-<round>.svg. It reads the workers' memory without
        stopping them (--nonblocking), but its own CPU competes with theirs: the figures
        of a profiled run are for comparing profiles, not for the capacity table."""
        if not self.args.profile:
            return None
        # Installed beside this Python (a virtualenv not on PATH), or anywhere on PATH.
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which(
            "py-spy"
        )
        if not spy:
            raise BenchError("--profile needs py-spy (pip install '.[bench]')")
        self.args.profile.mkdir(parents=True, exist_ok=True)
        out = self.args.profile / f"{name}-{number}.svg"
        command = [spy, "record", "--pid", str(self.gunicorn.pid), "--subprocesses"]
        command += ["--nonblocking", "--rate", "250", "--duration", str(seconds)]
        command += ["--function", "--format", "flamegraph", "--output", str(out)]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def prepare(self) -> None:
        """Warm up and measure /healthz briefly (to size the pools), then the pools that
        every round shares: start's landing sessions and the finished attempts."""
        port = self.args.port
        warm = self.phase("healthz", 0, [], seconds=2)
        self.healthz_estimate = warm.rate
        self.log(f"warm-up: /healthz {warm.rate:.0f} req/s (sizes the answer pools)")
        began = time.monotonic()
        self.start_clients = [
            (client.cookie, csrf) for client, csrf in in_parallel(landing, START_CLIENTS, port)
        ]
        self.result_pool = in_parallel(start_attempt, RESULT_POOL, port, False)
        fill_answers(self.args.database, [a.token for a in self.result_pool])
        finishing = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda a: finish_over_http(port, a), self.result_pool))
        self.finish_estimate = RESULT_POOL / (time.monotonic() - finishing)
        self.log(
            f"prepared {START_CLIENTS} landing sessions and {RESULT_POOL} finished attempts "
            f"in {time.monotonic() - began:.1f} s (finish about {self.finish_estimate:.0f}/s)"
        )

    def answer_pool(self, number: int) -> list[Attempt]:
        """Fresh attempts for this round's answer phase: enough for the best rate seen."""
        best = [p.rate for p in self.phases if p.name == "answer"]
        # Half again the best answer rate seen; before any, /healthz's, which no request beats.
        rate = 1.5 * max(best) if best else 1.2 * self.healthz_estimate
        first = [start_attempt(self.args.port)] if not self.length else []
        self.length = self.length or first[0].total
        per_attempt = self.length - 1  # positions 1 to total - 1
        # Each thread needs more attempts than connections: one waits for its response.
        count = max(
            self.args.attempts,
            2 * self.args.connections,
            math.ceil(rate * self.args.seconds / per_attempt),
        )
        began = time.monotonic()
        pool = first + in_parallel(start_attempt, count - len(first), self.args.port)
        self.log(f"round {number}: {count} attempts to answer in {time.monotonic() - began:.1f} s")
        self.answer_pools.append(pool)
        return pool

    def finish_pool(self, number: int) -> list[Attempt]:
        """Fresh attempts with every question answered, for this round's finish phase."""
        best = [p.rate for p in self.phases if p.name == "finish"]
        rate = 1.5 * max(best) if best else 2 * self.finish_estimate
        # Plus the requests in flight when the phase ends, which at ~1 s each are many.
        count = math.ceil(rate * self.args.seconds) + 2 * self.args.connections
        began = time.monotonic()
        pool = in_parallel(start_attempt, count, self.args.port, False)
        started = time.monotonic()
        fill_answers(self.args.database, [a.token for a in pool])
        self.log(
            f"round {number}: {count} attempts to finish in {time.monotonic() - began:.1f} s "
            f"(answers written in {time.monotonic() - started:.1f} s)"
        )
        self.finish_pools.append(pool)
        return pool

    def round(self, number: int) -> None:
        wanted = self.args.phases
        answers = self.answer_pool(number) if {"answer", "question"} & set(wanted) else []
        finishing = self.finish_pool(number) if "finish" in wanted else []
        pools = {
            "healthz": [],
            "answer": [
                f"{a.token} {a.cookie} {a.csrf} {a.total} {a.spec} {a.marks}" for a in answers
            ],
            "start": [f"{cookie} {csrf}" for cookie, csrf in self.start_clients],
            "question": [f"{a.token} {a.cookie} {a.total}" for a in answers],
            "finish": [f"{a.token} {a.cookie} {a.csrf}" for a in finishing],
            "result": [f"{a.token} {a.cookie}" for a in self.result_pool],
        }
        for name in PHASES:
            if name in wanted:
                self.phases.append(self.phase(name, number, pools[name]))


# --- checks and the report ---------------------------------------------------------


@dataclass
class Check:
    twice: int  # (attempt, position) posted more than once: the check would not be exact
    sent: int
    acked: int
    lost: list[str]
    phantom: list[str]
    cut_off_saved: int
    finishes_acked: int
    finishes_missing: list[str]

    @property
    def ok(self) -> bool:
        return not (self.twice or self.lost or self.phantom or self.finishes_missing)


def check_database(database: Path, bench: Bench) -> Check:
    """Every acknowledged answer a row, every row of these attempts a request sent, and
    every acknowledged finish finished."""
    posted = [key for p in bench.phases for key in p.sent]
    sent = set(posted)
    acked = {key for p in bench.phases for key in p.acked}
    tokens = {a.token for pool in bench.answer_pools for a in pool}
    finished = {t for p in bench.phases for t in p.finished}
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        rows = {
            f"{token} {position}"
            for token, position in db.execute(
                "SELECT a.token, r.position FROM responses AS r "
                "JOIN attempts AS a ON a.id = r.attempt_id"
            )
            if token in tokens
        }
        closed = {
            token
            for (token,) in db.execute("SELECT token FROM attempts WHERE finished_at IS NOT NULL")
        }
    return Check(
        twice=len(posted) - len(sent),
        sent=len(sent),
        acked=len(acked),
        lost=sorted(acked - rows),
        phantom=sorted(rows - sent),
        cut_off_saved=len((sent - acked) & rows),
        finishes_acked=len(finished),
        finishes_missing=sorted(finished - closed),
    )


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def command_line() -> str:
    given = shlex.join(sys.argv[1:])
    return "make bench-capacity" + (f' CAPACITY_ARGS="{given}"' if given else "")


def ratios(phases: list[Phase], healthz: list[Phase]) -> None:
    """Each taker request against /healthz, and the answer POST against the target."""
    base_rate = mean([p.rate for p in healthz])
    base_p99 = mean([p.p99_ms for p in healthz])
    base_cpu = mean([p.cpu_ms for p in healthz])
    print(
        f"\nRatios to /healthz ({base_rate:.0f} req/s, p99 {base_p99:.1f} ms), each from the mean "
        "of the rounds\n(per round in brackets). CPU ratio: /healthz's server CPU per request "
        "over the\nrequest's, the rate ratio that the server's CPU time alone would give.\n"
    )
    print("| request | req/s | ratio | p99 ms | p99 ratio | CPU ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in PHASES[1:]:
        runs = [p for p in phases if p.name == name]
        if not runs:
            continue
        rate, p99 = mean([p.rate for p in runs]), mean([p.p99_ms for p in runs])
        cpu = mean([p.cpu_ms for p in runs])
        per_round = ", ".join(
            f"{p.rate / h.rate:.2f}" for p, h in zip(runs, healthz, strict=False) if h.rate
        )
        print(
            f"| {LABELS[name]} | {rate:.0f} | {rate / base_rate:.2f} ({per_round}) | "
            f"{p99:.1f} | {p99 / base_p99:.1f} | {base_cpu / cpu if cpu else 0:.2f} |"
        )
        if name == "answer":
            met = rate / base_rate >= TARGET_RATE and p99 / base_p99 <= TARGET_P99
            target = (
                f"\nanswer target (rate >= {TARGET_RATE} x /healthz, p99 <= {TARGET_P99:.0f} x): "
                f"{'met' if met else 'NOT met'} ({rate / base_rate:.2f}, {p99 / base_p99:.1f})"
            )
    if any(p.name == "answer" for p in phases):
        print(target)


def report(args, bench: Bench, check: Check | None, problems: list[str]) -> bool:
    """Print the figures; True when the run is clean (no error, nothing lost)."""
    phases = bench.phases
    print(f"\ncommand: {command_line()}")
    print(f"machine: {machine()}")
    wrk = version_of([args.wrk, "-v"]).split(" Copyright")[0]
    print(f"{wrk}; {args.gunicorn_line}")
    inherited = sorted(k for k in os.environ if k.startswith("QUIZ_"))
    if inherited:
        print(f"QUIZ_ settings inherited from the environment: {', '.join(inherited)}")
    print(
        f"load: wrk -t{args.threads} -c{args.connections}, {args.seconds} s per phase, "
        f"{args.rounds} round(s); questions per attempt {bench.length}; answer pools "
        f"{', '.join(str(len(p)) for p in bench.answer_pools) or '-'} attempts, finish pools "
        f"{', '.join(str(len(p)) for p in bench.finish_pools) or '-'}"
    )
    print(
        "notes: wrk and the server share this machine's cores and disk. CPU: the cores that\n"
        "the server, wrk and everything else (other processes, time the hypervisor stole)\n"
        "used during each phase. Writes: MB/s that other processes wrote to disk (their\n"
        "fsyncs slow the server's). ! marks a phase that others disturbed. CPU ms/req: the\n"
        "server's CPU time per request (other load inflates it too, less than it cuts req/s).\n"
        "Unexpected status: any but the request's usual one (303 for start and finish, else\n"
        "200). At saturation latency is mostly queueing: p50 ~ connections / req/s.\n"
    )
    print(
        "| round | request | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | unexpected "
        "status | socket errors | CPU server / wrk / other | writes | CPU ms/req |"
    )
    print(
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"
    )
    for p in phases:
        bad = sum(p.unexpected.values())
        cpu = f"{p.cpu['server']:.2f} / {p.cpu['wrk']:.2f} / {p.cpu['other']:.2f}"
        print(
            f"| {p.round} | {LABELS[p.name]} | {p.requests} | {p.rate:.0f} | {p.p50_ms:.1f} | "
            f"{p.p90_ms:.1f} | {p.p99_ms:.1f} | {p.max_ms:.0f} | {bad} | {p.socket_errors} | "
            f"{cpu} | {p.other_writes:.1f}{' !' if p.disturbed else ''} | {p.cpu_ms:.2f} |"
        )

    healthz = [p for p in phases if p.name == "healthz"]
    if healthz:
        ratios(phases, healthz)

    if phases:
        print(f"\nwrk used at most {max(p.cpu['wrk'] for p in phases):.2f} cores in any phase")
        disturbed = [p for p in phases if p.disturbed]
        cpu = max(p.cpu["other"] for p in phases)
        writes = max(p.other_writes for p in phases)
        limits = f"{DISTURBED} cores or {DISTURBED_WRITES:.0f} MB/s of writes"
        if disturbed:
            print(
                f"DISTURBED: other processes used more than {limits} in {len(disturbed)} of "
                f"{len(phases)} phases (marked !; up to {cpu:.2f} cores, {writes:.1f} MB/s), "
                "so their figures are low: run again on a quiet machine"
            )
        else:
            print(f"other processes used at most {cpu:.2f} cores and {writes:.1f} MB/s of writes")

    for p in phases:
        problems.extend(f"{p.name} round {p.round}: {text}" for text in p.problems)
    if check is not None:
        print(
            f"answers: {check.sent} sent, {check.acked} acknowledged, "
            f"{check.acked - len(check.lost)} of them in the database "
            f"({'none lost' if not check.lost else f'{len(check.lost)} LOST'}); "
            f"{check.sent - check.acked} cut off at a phase's end ({check.cut_off_saved} saved)"
        )
        print(
            f"finishes: {check.finishes_acked} acknowledged, "
            f"{check.finishes_acked - len(check.finishes_missing)} finished in the database"
        )
        if check.twice:
            problems.append(f"{check.twice} answer positions were posted twice")
        if check.lost:
            problems.append(f"{len(check.lost)} acknowledged answers lost, e.g. {check.lost[:3]}")
        if check.phantom:
            problems.append(f"{len(check.phantom)} answers stored that were never sent")
        if check.finishes_missing:
            problems.append(f"{len(check.finishes_missing)} acknowledged finishes not stored")
    for text in problems:
        print(f"ERROR: {text}")
    print("result: " + ("clean" if not problems else "FAILED"))

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "command": command_line(),
                    "machine": machine(),
                    "phases": [p.row() for p in phases],
                    "check": None if check is None else vars(check),
                    "problems": problems,
                },
                indent=2,
                default=str,
            )
        )
    return not problems


# --- main --------------------------------------------------------------------------


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The module docstring as written, and each option's default."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--seconds", type=int, default=8, help="seconds per phase")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of all the phases")
    parser.add_argument(
        "--attempts",
        type=int,
        default=200,
        help="attempts to answer per round, at least: raised when the best rate seen "
        "could answer more questions than they hold",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=1,
        help="threads per gunicorn worker; more than 1 uses gthread workers, else sync",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (-t)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (-c)")
    parser.add_argument("--timeout", type=int, default=10, help="wrk's request timeout, s")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help="the phases to run each round, comma-separated, healthz among them",
    )
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between phases")
    parser.add_argument("--port", type=int, default=8766, help="gunicorn's port on 127.0.0.1")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the database and wrk files")
    parser.add_argument(
        "--profile",
        type=Path,
        help="record a py-spy flame graph of the server in each phase into this folder "
        "(the run's rates are then disturbed by the sampling)",
    )
    args = parser.parse_args()
    args.phases = [name.strip() for name in args.phases.split(",") if name.strip()]
    unknown = set(args.phases) - set(PHASES)
    if unknown or "healthz" not in args.phases:
        parser.error(f"--phases takes {', '.join(PHASES)}, healthz included")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    return args


def main() -> None:
    args = parse_args()
    args.wrk = shutil.which("wrk")
    if not args.wrk:
        sys.exit("wrk is not installed: `make bench-capacity` installs it (apt-get install wrk)")
    if not port_is_free(args.port):
        sys.exit(f"something already listens on 127.0.0.1:{args.port}; choose --port")
    args.workdir = tempfile.mkdtemp(prefix="quiz-capacity-")
    args.database = Path(args.workdir) / "quiz.db"
    env = {
        **os.environ,
        "QUIZ_DATABASE": str(args.database),
        "QUIZ_INSTANCE_PATH": args.workdir,
        "QUIZ_QUESTIONS": str(ROOT / "questions.yaml"),
        "QUIZ_SECRET_KEY": "capacity-bench-secret-key-of-at-least-32-bytes",
        # Every start comes from 127.0.0.1, and the start phase is all starts.
        "QUIZ_START_LIMIT_PER_ADDRESS": NO_LIMIT,
        "QUIZ_START_LIMIT_PER_TAKER": NO_LIMIT,
    }
    command = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers)]
    if args.worker_threads > 1:
        command += ["--threads", str(args.worker_threads)]
    command += ["--bind", f"127.0.0.1:{args.port}", "--log-level", "warning", "quiz:create_app()"]
    kind = "sync" if args.worker_threads == 1 else f"gthread ({args.worker_threads} threads)"
    args.gunicorn_line = (
        f"{version_of([sys.executable, '-m', 'gunicorn', '--version'])}, "
        f"{args.workers} {kind} workers"
    )
    gunicorn = subprocess.Popen(command, env=env, cwd=ROOT)
    bench = Bench(args, gunicorn)
    problems: list[str] = []
    check = None
    try:
        wait_until_up(args.port, gunicorn)
        bench.prepare()
        for number in range(1, args.rounds + 1):
            bench.round(number)
    except (BenchError, OSError) as exc:
        problems.append(str(exc))
    finally:
        gunicorn.terminate()
        gunicorn.wait(30)
    if bench.phases and args.database.exists():
        check = check_database(args.database, bench)
    clean = report(args, bench, check, problems)
    if args.keep or not clean:
        print(f"database and wrk files kept in {args.workdir}")
    else:
        shutil.rmtree(args.workdir, ignore_errors=True)
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
