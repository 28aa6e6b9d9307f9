"""How long an attempt takes: an estimate from the questions it asks. Pure.

Each kind of question gets a time to read and answer it (``settings.seconds``:
a calculation takes longer than a one-best-answer question, a statement to rate
far less), plus the self-rating and background screens before the questions.
The estimate is the sum over an attempt's questions; before the draw, the sum
expected over it: every area draws its quota in proportion to its pool's
difficulties, so each scored question of an area is equally likely to be drawn.
The seconds are assumptions to check against real attempts (docs/question-bank.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .bank import Bank, Seconds, kind


def seconds_for(question: Any, seconds: Seconds) -> float:
    """Seconds to read and answer one question."""
    return float(getattr(seconds, kind(question)))


def minutes(total_seconds: float) -> int:
    """Seconds as the minutes a page says: whole minutes (at least 1), and from a quarter
    of an hour on the nearest multiple of 5 (an estimate to the minute would claim a
    precision it lacks)."""
    whole = max(1, round(total_seconds / 60))
    return whole if whole < 15 else 5 * round(whole / 5)


def attempt_seconds(questions: Iterable[Any], seconds: Seconds) -> float:
    """Seconds for an attempt asking these questions, the profile screens included."""
    return seconds.profile + sum(seconds_for(q, seconds) for q in questions)


def expected_seconds(bank: Bank, questions: int | None = None) -> float:
    """Seconds an attempt is expected to take over its draw: each area's unscored
    questions, plus its draw times the mean time of its scored pool; the profile
    screens included. ``questions``: an attempt of this many questions in all (an
    adaptive length), its scored ones spread evenly over the areas."""
    seconds = bank.settings.seconds
    total = seconds.profile
    per_area = None
    if questions is not None:
        scored = questions - sum(not q.scored for q in bank.questions)
        per_area = max(0, scored) / len(bank.dimensions)
    for d in bank.dimensions:
        pool = bank.in_area(d.id)
        scored = [q for q in pool if q.scored]
        total += sum(seconds_for(q, seconds) for q in pool if not q.scored)
        if not scored:
            continue
        count = min(
            len(scored),
            per_area if per_area is not None else (bank.scheme.draw_count(d.id) or len(scored)),
        )
        total += count * sum(seconds_for(q, seconds) for q in scored) / len(scored)
    return total
