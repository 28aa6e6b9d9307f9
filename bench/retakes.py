"""Retakes: how many questions a taker's next attempt shares with the one before.

Each simulated taker starts and finishes attempts one after another through the
app (the real draw, the real history in a fresh SQLite file), and the scored
questions of consecutive attempts are compared.

    make bench-retakes                            # 100 takers, 3 attempts each
    make bench-retakes RETAKE_ARGS="--takers 500 --attempts 4"
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from pathlib import Path

from quiz import attempts, bundled, create_app
from quiz.store import Store


def attempt_questions(store: Store, token: str) -> set[str]:
    """The ids of the scored questions of an attempt."""
    items = attempts.items(store, attempts.load(store, token))
    return {item.question.id for item in items if item.question.scored}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takers", type=int, default=100)
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--questions", default=str(bundled("questions.yaml")))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "retakes.db"
        app = create_app(
            {
                "DATABASE": str(database),
                "QUESTIONS": args.questions,
                "SECRET_KEY": "bench",
                # Every simulated taker comes from one address, and retakes many times.
                "START_LIMIT_PER_TAKER": 10**9,
                "START_LIMIT_PER_ADDRESS": 10**9,
            }
        )
        app.config["WTF_CSRF_ENABLED"] = False  # the bench drives forms directly
        store = Store(database)
        # (attempt number, how many attempts back) -> shares of its questions repeated
        pairs: dict[tuple[int, int], list[float]] = {}
        for _ in range(args.takers):
            client = app.test_client()
            client.get("/")
            history: list[set[str]] = []
            for number in range(1, args.attempts + 1):
                response = client.post("/start")
                token = re.search(r"/a/([^/]+)/", response.headers["Location"]).group(1)
                assert client.post(f"/a/{token}/finish").status_code == 303
                questions = attempt_questions(store, token)
                for back, earlier in enumerate(reversed(history), start=1):
                    share = len(questions & earlier) / len(questions)
                    pairs.setdefault((number, back), []).append(share)
                history.append(questions)
        store.close()

    print(f"{args.takers} takers, {args.attempts} attempts each, bank {args.questions}")
    for (number, back), shares in sorted(pairs.items()):
        print(
            f"attempt {number} vs {number - back}: scored questions repeated "
            f"mean {statistics.mean(shares):.1%}, max {max(shares):.1%} "
            f"over {len(shares)} retakes"
        )
    print("command: python bench/retakes.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
