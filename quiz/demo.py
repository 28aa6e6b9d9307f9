"""Realistic finished attempts for demonstrations and for measuring at scale. Pure.

Each simulated taker has an ability; each question a difficulty (from its
label) and a discrimination, both fixed per question. A taker gets a question
right with the two-parameter logistic probability of item response theory, so
strong takers score high, weak ones low, and the statistics mean something.
Wrong answers favour some distractors over others, as real ones do.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from .answers import plain_number
from .bank import Bank, Likert, Multiple, Numeric, Single
from .draw import draw
from .measurement import measure, pools, provisional
from .scoring import score

DIFFICULTY = {"easy": -1.2, "medium": 0.0, "hard": 1.1, None: 0.0}


def _traits(bank: Bank) -> dict[str, tuple[float, float, list[float]]]:
    """(difficulty, discrimination, distractor weights) of each question, fixed by its id."""
    out = {}
    for q in bank.questions:
        rng = random.Random(q.id)
        weights = [rng.random() ** 2 for _ in range(len(getattr(q, "options", ())))]
        out[q.id] = (DIFFICULTY[q.difficulty] + rng.gauss(0, 0.4), rng.uniform(0.6, 1.8), weights)
    return out


def _answer(q: Any, p: float, weights: list[float], rng: random.Random) -> Any:
    right = rng.random() < p
    if isinstance(q, Single):
        best = max(range(len(q.options)), key=q.option_score)
        if right:
            return best
        others = [i for i in range(len(q.options)) if i != best]
        return rng.choices(others, [weights[i] + 0.02 for i in others])[0]
    if isinstance(q, Multiple):
        chosen = [
            i
            for i in range(len(q.options))
            if (i in q.correct_indexes and rng.random() < p)
            or (i not in q.correct_indexes and rng.random() < (1 - p) * weights[i])
        ]
        return chosen or None
    if isinstance(q, Numeric):
        return plain_number(q.answer if right else q.answer * rng.choice([0.5, 1.5, 10]))
    if isinstance(q, Likert):
        return max(1, min(5, round(3 + 2 * (p - 0.5) + rng.gauss(0, 1))))
    raise TypeError(type(q).__name__)


def attempts(
    bank: Bank, count: int, seed: int = 1, now: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """``count`` finished attempts, each ready for Store.add_finished_attempts."""
    rng = random.Random(seed)
    traits = _traits(bank)
    domains = pools(bank, {})
    now = now or datetime.now(UTC)
    for n in range(count):
        token = f"demo{seed:04d}{n:024d}"
        ability = rng.gauss(0, 1)
        items = draw(bank, token)
        answers, responses = [], {}
        for position, item in enumerate(items, start=1):
            q = bank.by_id[item["question_id"]]
            difficulty, discrimination, weights = traits[q.id]
            p = 1 / (1 + math.exp(-1.7 * discrimination * (ability - difficulty)))
            answer = None if rng.random() < 0.02 else _answer(q, p, weights, rng)
            mark = score(q, answer)
            if q.scored:
                responses.setdefault(q.area, []).append((provisional(q), mark, answer is not None))
            if answer is not None:
                answers.append((position, item["hash"], answer, mark))
        # Fewer posterior draws than a real finish: the verdict's probability to about
        # ±0.02, for a demonstration that loads hundreds of attempts at once.
        outcome = measure(bank.scheme, responses, domains, draws=400, seed=token)
        started = now - timedelta(days=rng.uniform(0, 180))
        ratings = {
            d.id: max(1, min(5, round(3 + ability + rng.gauss(0, 1)))) for d in bank.dimensions
        }
        yield {
            "token": token,
            "taker": f"demo-taker-{seed}-{n}",
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": (started + timedelta(minutes=rng.uniform(12, 35))).isoformat(
                timespec="seconds"
            ),
            "items": items,
            "answers": answers,
            "profile": {
                "self_rating": ratings,
                "background": {
                    "degree": rng.choice(["none", "bachelor", "bachelor", "master"]),
                    "experience": rng.choice(["y0-1", "y2-3", "y4-5", "y6-7", "y8"]),
                },
            },
            "overall": outcome.overall,
            "verdict": outcome.verdict.id if outcome.verdict else None,
            "areas": {area: s.score for area, s in outcome.areas.items()},
            "measurement": outcome.summary(),
        }
