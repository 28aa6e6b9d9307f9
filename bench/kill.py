"""Kill the server with SIGKILL under load, restart it, and count what survived.

Runs TAKERS simulated takers against gunicorn (2 workers), kills the whole
server group with SIGKILL after a while, ROUNDS times over, restarting it each
time on the same database, and after each kill checks that SQLite's integrity
check passes, that every answer the server acknowledged is in the database,
and that every attempt resumes on the screen after its last acknowledged answer.

    .venv/bin/python bench/kill.py [--takers 20] [--rounds 3] [--seconds 3]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quiz import bundled  # noqa: E402
from quiz.store import Store, integrity  # noqa: E402
from tests.test_cli import free_port  # noqa: E402
from tests.test_reliability import gunicorn, kill, server_env, take  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--takers", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="quiz-kill-"))
    shutil.copy(bundled("questions.yaml"), folder / "questions.yaml")
    # Every simulated taker comes from 127.0.0.1: the per-address start limit is for real
    # clients.
    env = server_env(folder, folder / "questions.yaml") | {
        "QUIZ_START_LIMIT_PER_ADDRESS": "1000000000"
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"command: .venv/bin/python bench/kill.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        "| round | answers acknowledged | found after restart | integrity | attempts "
        "resumed where they were |"
    )
    print("| ---: | ---: | ---: | --- | ---: |")
    for round_ in range(1, args.rounds + 1):
        server = gunicorn(env, port)
        acked: list = []
        stop = threading.Event()
        takers = [
            threading.Thread(target=take, args=(base, acked, [], stop)) for _ in range(args.takers)
        ]
        for t in takers:
            t.start()
        time.sleep(args.seconds)
        kill(server)
        stop.set()
        for t in takers:
            t.join(15)
        check = integrity(folder / "quiz.db")
        store = Store(folder / "quiz.db")
        found, last, totals = 0, {}, {}
        for attempt, n, _ in acked:
            row = store.attempt(attempt)
            found += store.items(row["id"], n)[0]["answer"] is not None
            last[attempt] = max(last.get(attempt, 0), n)
            totals[attempt] = row["total"]
        store.close()
        server = gunicorn(env, port)
        resumed = 0
        for attempt, n in last.items():
            response = requests.get(f"{base}/a/{attempt}", allow_redirects=False)
            location = response.headers["Location"]
            finish = totals[attempt] + 1  # the review-and-finish screen
            at = finish if location.endswith("/finish") else int(location.rsplit("/", 1)[1])
            resumed += n + 1 <= at <= n + 2  # one further if an answer's ack was cut off
        kill(server)
        print(f"| {round_} | {len(acked)} | {found} | {check} | {resumed} of {len(last)} |")


if __name__ == "__main__":
    main()
