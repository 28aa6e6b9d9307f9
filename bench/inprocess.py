"""The taker's requests timed in process (Flask's test client, no network, no server):
a quick A/B between two checkouts of the app on the same machine.

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
        app.config["WTF_CSRF_ENABLED"] = False  # the bench posts forms directly
        client = app.test_client()
        times: dict[str, list[float]] = {}

        def timed(name, call, *args, **kwargs):
            start = time.perf_counter()
            response = call(*args, **kwargs)
            times.setdefault(name, []).append(time.perf_counter() - start)
            return response

        client.get("/")
        for _ in range(args.attempts):
            started = timed("POST /start", client.post, "/start")
            base = re.search(r"(/a/[^/]+)/", started.headers["Location"]).group(1)
            total = int(re.search(r"of (\d+)", client.get(f"{base}/q/1").text).group(1))
            for n in range(1, total + 1):
                page = timed("GET question", client.get, f"{base}/q/{n}").text
                values = re.findall(r'name="answer" value="(\d+)"', page)
                form = {"nav": "next", "answer": values[0] if values else "2"}
                headers = {"HX-Request": "true"}
                timed(
                    "POST answer (htmx)", client.post, f"{base}/q/{n}", data=form, headers=headers
                )
            timed("POST finish", client.post, f"{base}/finish")
            timed("GET /", client.get, "/")

    print(f"app: {Path(quiz.__file__).parent}, {args.attempts} attempts of {total} questions")
    for name, values in times.items():
        print(f"{name:20} median {statistics.median(values) * 1000:6.2f} ms  n={len(values)}")
    print("command: python bench/inprocess.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
