"""The taker's requests timed in process (Flask's test client, no network, no server):
a quick A/B between two checkouts of the app on the same machine.

CSRF is checked as in production (the token in the form and in htmx's header).
Beside the taker's requests it times ``GET /healthz`` and a POST to a route this
bench adds that only passes the CSRF check with the session: the floor every
form post pays, against which the answer's own work shows. Wall time and CPU time
(this process) per request, medians; the test client's own work is in both.

    python bench/inprocess.py                          # this checkout
    PYTHONPATH=/path/to/other/checkout python bench/inprocess.py
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import quiz
from quiz import create_app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=30)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE": str(Path(tmp) / "q.db"),
                "SECRET_KEY": "bench",
                # One client starts every attempt: the start limits are for real clients.
                "START_LIMIT_PER_TAKER": 10**9,
                "START_LIMIT_PER_ADDRESS": 10**9,
            }
        )

        @app.post("/bench/floor")
        def floor():  # the CSRF check and the session, nothing else
            return "ok\n"

        client = app.test_client()
        times: dict[str, list[tuple[float, float]]] = {}

        def timed(name, call, *args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            response = call(*args, **kwargs)
            times.setdefault(name, []).append(
                (time.perf_counter() - wall, time.process_time() - cpu)
            )
            return response

        csrf = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").text).group(1)
        htmx = {"HX-Request": "true", "X-CSRFToken": csrf}
        for _ in range(args.attempts):
            started = timed("POST /start", client.post, "/start", data={"csrf_token": csrf})
            base = re.search(r"(/a/[^/]+)/", started.headers["Location"]).group(1)
            total = int(re.search(r"of (\d+)", client.get(f"{base}/q/1").text).group(1))
            for n in range(1, total + 1):
                page = timed("GET question", client.get, f"{base}/q/{n}").text
                values = re.findall(r'name="answer" value="(\d+)"', page)
                form = {"csrf_token": csrf, "slot": "question-slot", "nav": "next"}
                form["answer"] = values[0] if values else "2"
                timed("POST answer (htmx)", client.post, f"{base}/q/{n}", data=form, headers=htmx)
                timed("GET /healthz", client.get, "/healthz")
                timed("POST CSRF floor", client.post, "/bench/floor", data=form, headers=htmx)
            timed("POST finish", client.post, f"{base}/finish", data={"csrf_token": csrf})
            timed("GET /", client.get, "/")

    print(f"app: {Path(quiz.__file__).parent}, {args.attempts} attempts of {total} questions")
    for name, values in times.items():
        wall = statistics.median(v[0] for v in values) * 1000
        cpu = statistics.median(v[1] for v in values) * 1000
        print(f"{name:20} median {wall:6.2f} ms, CPU {cpu:6.2f} ms  n={len(values)}")
    print("command: python bench/inprocess.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
