"""The database's ceiling: durable answers per second that one SQLite file takes,
without the web tier.

Creates attempts from the bundled bank in a fresh database, then has N processes
(each with its own connection, as gunicorn's workers have) save answers through
``Store.save_answer`` (the answer POST's one transaction: the response and the
screen, one commit, ``synchronous = FULL``) for a few seconds, and prints the
commits per second and their latency. However many web machines there are, every
answer goes through this one writer: this is how far the web tier can grow before
the database has to move (docs/performance.md, "Scale on paper").

    python bench/commits.py                     # 1, 2 and 4 writers, 5 s each
    python bench/commits.py --writers 2 --seconds 10
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quiz import answers, attempts, scoring  # noqa: E402
from quiz.bank import load  # noqa: E402
from quiz.draw import draw  # noqa: E402
from quiz.store import Store  # noqa: E402


def prepare(database: Path, count: int) -> list[str]:
    """``count`` fresh attempts of the bundled bank; their tokens."""
    bank = load(ROOT / "questions.yaml")
    store = Store(database)
    store.migrate()
    tokens = []
    for n in range(count):
        token = f"bench-commits-{n:06d}".ljust(32, "x")
        store.create_attempt(token, f"taker-{n}", bank.scheme_version, draw(bank, token, {}))
        tokens.append(token)
    store.close()
    return tokens


def write(database: str, tokens: list[str], until: float, out) -> None:
    """Save answers to these attempts, one commit each, until ``until``; send the
    latencies (seconds) back."""
    store = Store(database)
    latencies = []
    pending = [
        (attempt, item)
        for attempt in (attempts.load(store, token) for token in tokens)
        for item in attempts.items(store, attempt)
    ]
    for attempt, item in pending:
        if time.monotonic() >= until:
            break
        shown = str(item.position % len(item.option_order)) if item.option_order else "3"
        value = answers.read_answer(item.question, item.option_order, [shown])
        began = time.perf_counter()
        store.save_answer(
            attempt.id,
            item.position,
            item.version_hash,
            value,
            scoring.score(item.question, value),
            item.position + 1,
        )
        latencies.append(time.perf_counter() - began)
    store.close()
    out.put(latencies)


def run(database: Path, tokens: list[str], writers: int, seconds: float) -> dict[str, float]:
    share = len(tokens) // writers
    queue: multiprocessing.Queue = multiprocessing.Queue()
    until = time.monotonic() + 1.0 + seconds  # the processes start within the second
    processes = [
        multiprocessing.Process(
            target=write, args=(str(database), tokens[i * share : (i + 1) * share], until, queue)
        )
        for i in range(writers)
    ]
    for process in processes:
        process.start()
    latencies = [t for _ in processes for t in queue.get()]
    for process in processes:
        process.join()
    latencies.sort()
    return {
        "writers": writers,
        "commits": len(latencies),
        "per_s": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--attempts", type=int, default=600, help="attempts per run")
    args = parser.parse_args()
    print(f"command: python bench/commits.py {' '.join(sys.argv[1:])}".rstrip())
    print("| writers | commits | commits/s | p50 ms | p99 ms |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for writers in args.writers:
        with tempfile.TemporaryDirectory() as folder:
            database = Path(folder) / "quiz.db"
            tokens = prepare(database, args.attempts)
            result = run(database, tokens, writers, args.seconds)
        print(
            f"| {writers} | {result['commits']:,} | {result['per_s']:,.0f} | "
            f"{result['p50_ms']:.2f} | {result['p99_ms']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
