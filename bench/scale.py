"""Data at scale: the instructor pages and exports with many finished attempts.

Seeds a database with N realistic finished attempts (``quiz seed-demo``), or
uses an existing one, serves it with gunicorn (1 worker on 127.0.0.1), logs in
as an instructor and measures:

- the item analysis page (``/instructor/statistics``),
- the results list (first page, a filtered and sorted page, a deep page),
- the CSV exports of attempts and of responses, read as a stream, with the
  worker's peak resident memory before and after;
- a cohort of ``--cohort`` of those attempts (1,000 by default, each its own member):
  its page with its results, its item statistics (computed when asked, not kept),
  the results list and the attempts export filtered to it.

    make bench-scale                                  # 100,000 attempts
    make bench-scale SCALE_ARGS="--attempts 10000"
    make bench-scale SCALE_ARGS="--database /tmp/scale/quiz.db"   # reuse a seeded one
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password 123"


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_pid(master: int) -> int:
    for task in Path(f"/proc/{master}/task").iterdir():
        children = (task / "children").read_text().split()
        if children:
            return int(children[0])
    raise SystemExit("no gunicorn worker found")


def timed(session: requests.Session, url: str, runs: int = 5) -> tuple[float, float, int]:
    """Median and worst wall time in ms over ``runs`` requests, after one warm-up."""
    session.get(url).raise_for_status()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = session.get(url)
        response.raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), len(response.content)


def stream(session: requests.Session, url: str) -> tuple[float, int, int]:
    """Seconds, bytes and lines of a download read in chunks as it arrives."""
    started = time.perf_counter()
    size = lines = 0
    with session.get(url, stream=True) as response:
        response.raise_for_status()
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            lines += chunk.count(b"\n")
    return time.perf_counter() - started, size, lines


def make_cohort(database: Path, size: int) -> int:
    """A new cohort of instructor 'bench' holding the ``size`` newest finished attempts (taken
    from any earlier run's cohort), as if their takers had come through its link; returns
    its id."""
    from quiz.cohorts import new_token
    from quiz.store import Store

    store = Store(database)
    try:
        store.migrate()
        cohort = store.create_cohort("bench", "Bench cohort", new_token())
        with store.transaction():
            store.db.execute(
                "UPDATE attempts SET cohort_id = ? WHERE id IN (SELECT id FROM attempts "
                "WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT ?)",
                [cohort, size],
            )
        return cohort
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--database", type=Path, help="an already seeded database to use")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--cohort", type=int, default=1000, help="attempts put in one cohort (0: none)"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="quiz-scale-"))
    database = args.database or workdir / "quiz.db"
    env = {
        **os.environ,
        "QUIZ_DATABASE": str(database),
        "QUIZ_INSTANCE_PATH": str(workdir),
        "QUIZ_SECRET_KEY": "scale-bench-secret-key-of-at-least-32-bytes",
    }
    quiz = [sys.executable, "-m", "quiz.cli"]
    if args.database is None:
        started = time.perf_counter()
        subprocess.run(
            [*quiz, "seed-demo", "--attempts", str(args.attempts)],
            env=env,
            check=True,
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        print(f"seeded {args.attempts} attempts in {time.perf_counter() - started:.0f} s")
    for command in ("create-instructor", "set-password"):  # the second if the first exists
        made = subprocess.run(
            [*quiz, command, "bench"],
            input=PASSWORD + "\n",
            text=True,
            env=env,
            cwd=ROOT,
            capture_output=True,
        )
        if made.returncode == 0:
            break
    cohort = make_cohort(database, args.cohort) if args.cohort else None
    size_mb = database.stat().st_size / 1e6
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--timeout",
            "600",
            "--log-level",
            "warning",
            "quiz:create_app()",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        session = requests.Session()
        for _ in range(200):
            try:
                page = session.get(f"{base}/instructor/login")
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        session.post(
            f"{base}/instructor/login",
            data={"csrf_token": token, "username": "bench", "password": PASSWORD},
        ).raise_for_status()
        worker = worker_pid(server.pid)
        finished = re.search(r"(\d+) finished", session.get(f"{base}/instructor/results").text)

        rows = []
        for label, path in [
            ("item analysis", "/instructor/statistics"),
            ("results, first page", "/instructor/results"),
            (
                "results, filtered and sorted",
                "/instructor/results?verdict=good-fit&status=finished&sort=overall&order=desc",
            ),
            ("results, page 1,000", "/instructor/results?page=1000"),
            *(
                [
                    (f"a cohort's page ({args.cohort:,} members)", f"/instructor/cohorts/{cohort}"),
                    ("the cohort's item statistics", f"/instructor/statistics?cohort={cohort}"),
                    ("results of the cohort", f"/instructor/results?cohort={cohort}"),
                ]
                if cohort
                else []
            ),
        ]:
            median, worst, size = timed(session, base + path)
            rows.append((label, path, median, worst, size))
        before = peak_rss_mb(worker)
        exports = []
        for label, path in [
            ("attempts.csv", "/instructor/results/attempts.csv"),
            ("responses.csv", "/instructor/results/responses.csv"),
            *(
                [
                    (
                        "attempts.csv of the cohort",
                        f"/instructor/results/attempts.csv?cohort={cohort}",
                    )
                ]
                if cohort
                else []
            ),
        ]:
            seconds, size, lines = stream(session, base + path)
            exports.append((label, seconds, size, lines, peak_rss_mb(worker)))
    finally:
        server.terminate()
        server.wait(30)

    command = "make bench-scale" + (
        f' SCALE_ARGS="{" ".join(sys.argv[1:])}"' if sys.argv[1:] else ""
    )
    print(f"\ncommand: {command}")
    print(
        f"database: {finished.group(1) if finished else '?'} finished attempts, "
        f"{size_mb:.0f} MB; gunicorn 1 sync worker; {os.cpu_count()} cores\n"
    )
    print("| page | median ms | worst of 5 ms | size KB |")
    print("| --- | ---: | ---: | ---: |")
    for label, path, median, worst, size in rows:
        print(f"| {label} (`{path}`) | {median:.0f} | {worst:.0f} | {size / 1024:.0f} |")
    print(f"\nworker peak RSS before the exports: {before:.0f} MB")
    print("\n| export | seconds | MB | rows | worker peak RSS after, MB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, seconds, size, lines, rss in exports:
        print(f"| {label} | {seconds:.1f} | {size / 1e6:.1f} | {lines - 1} | {rss:.0f} |")


if __name__ == "__main__":
    main()
