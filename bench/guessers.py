"""What a blind guesser scores: simulated takers who pick at random through the real draw.

Each guesser takes the fixed form (the app's own draw) and answers every scored
question at random: one option, a random non-empty set of options, or a number nobody
expects. The area scores are the app's measurement (EAP, domain mastery). Prints the
mean and 95th percentile per area, and the command.

    python bench/guessers.py --guessers 500 --seed 7
"""

from __future__ import annotations

import argparse
import random
import statistics

from quiz import bundled, measurement
from quiz.bank import load
from quiz.draw import draw
from quiz.scoring import score


def guess(q, rng: random.Random):
    if q.type == "single":
        return rng.randrange(len(q.options))
    if q.type == "multiple":
        return sorted(rng.sample(range(len(q.options)), rng.randint(1, len(q.options))))
    return "123456"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guessers", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    bank = load(bundled("questions.yaml"))
    pools = measurement.pools(bank, {})
    rng = random.Random(args.seed)
    scores: dict[str, list[float]] = {d.id: [] for d in bank.dimensions}
    for n in range(args.guessers):
        responses: dict[str, list] = {}
        for item in draw(bank, f"guesser-{args.seed}-{n}"):
            q = bank.by_id[item["question_id"]]
            if q.scored:
                mark = score(q, guess(q, rng))
                responses.setdefault(q.area, []).append((measurement.provisional(q), mark, True))
        result = measurement.measure(bank.scheme, responses, pools, draws=200)
        for area, s in result.areas.items():
            scores[area].append(s.score)
    for area, values in scores.items():
        values.sort()
        p95 = values[int(0.95 * (len(values) - 1))]
        print(
            f"{area}: mean {100 * statistics.mean(values):.1f}%, 95th percentile {100 * p95:.1f}%"
        )
    print(f"command: python bench/guessers.py --guessers {args.guessers} --seed {args.seed}")


if __name__ == "__main__":
    main()
