"""Scores, area scores, the overall score and the verdict. Pure functions.

Answers are stored in the question's own terms (option indexes as written
in the bank, a number as a decimal string), so the order in which options
were shown never changes a score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .bank import Likert, Multiple, Numeric, Scheme, Settings, Single, Verdict

Answer = int | list[int] | str | None


def score(question: Any, answer: Answer) -> float:
    """The mark of one answer, from 0 to 1. No answer scores 0.

    A multiple-response answer earns right picks ÷ number of right options minus
    wrong picks ÷ number of wrong options, floored at 0, so ticking every box earns
    nothing whatever the number of right options (Moodle's multiple-choice question
    scores the same way when each wrong option carries minus its share of 100%).
    """
    if answer is None:
        return 0.0
    if isinstance(question, Single):
        return question.option_score(answer)
    if isinstance(question, Multiple):
        correct = question.correct_indexes
        chosen = set(answer)
        right, wrong = len(chosen & correct), len(chosen - correct)
        wrong_options = len(question.options) - len(correct)
        return max(0.0, right / len(correct) - wrong / wrong_options)
    if isinstance(question, Numeric):
        try:
            return 1.0 if question.accepts(Decimal(answer)) else 0.0
        except InvalidOperation:
            return 0.0
    if isinstance(question, Likert):
        value = answer if not question.reverse else 6 - answer
        return (value - 1) / 4
    raise TypeError(f"unknown question type {type(question).__name__}")


@dataclass(frozen=True)
class Result:
    overall: float
    areas: dict[str, float]
    verdict: Verdict


def area_scores(scheme: Scheme, marks: Iterable[tuple[Any, float]]) -> dict[str, float]:
    """Weighted mean mark per area, over the questions of the attempt.

    Unscored questions (``Question.scored``) count for nothing; an area that
    has only those (disposition items) has no score and is left out.
    """
    got: dict[str, float] = {}
    most: dict[str, float] = {}
    for question, mark in marks:
        if not question.scored:
            continue
        got[question.area] = got.get(question.area, 0.0) + question.weight * mark
        most[question.area] = most.get(question.area, 0.0) + question.weight
    return {d.id: got[d.id] / most[d.id] for d in scheme.dimensions if most.get(d.id)}


def overall_score(scheme: Scheme, areas: Mapping[str, float]) -> float:
    """The mean of the area scores, weighted by the areas' weights."""
    weights = {d.id: d.weight for d in scheme.dimensions if d.id in areas}
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(areas[a] * w for a, w in weights.items()) / total


def verdict(scheme: Scheme, overall: float, areas: Mapping[str, float]) -> Verdict:
    """The first verdict rule whose conditions all hold (the last has none).

    Scores (0..1) are compared as the whole percentages the pages show (``percent``),
    so a score shown as 60% always meets a rule of at least 60%.
    """
    shown = {a: percent(s) for a, s in areas.items()}
    whole = percent(overall)
    for rule in scheme.verdicts:
        if rule.min_overall is not None and whole < rule.min_overall:
            continue
        if rule.max_overall is not None and whole > rule.max_overall:
            continue
        if rule.min_each_area is not None and any(p < rule.min_each_area for p in shown.values()):
            continue
        if any(shown.get(a, 0) < floor for a, floor in rule.min_area.items()):
            continue
        return rule
    return scheme.verdicts[-1]


def result(scheme: Scheme, marks: Iterable[tuple[Any, float]]) -> Result:
    areas = area_scores(scheme, marks)
    overall = overall_score(scheme, areas)
    return Result(overall=overall, areas=areas, verdict=verdict(scheme, overall, areas))


def band(settings: Settings, area_score: float) -> str:
    """'strength', 'adequate' or 'gap' for an area score from 0 to 1, compared as the
    whole percentage shown."""
    shown = percent(area_score)
    if shown >= settings.bands.strength:
        return "strength"
    if shown >= settings.bands.adequate:
        return "adequate"
    return "gap"


def percent(fraction: float) -> int:
    """A score as a whole percentage, rounded half up as people round: 0.745 is 75."""
    return int(_percent(fraction) + 0.5)


def _percent(fraction: float) -> float:
    # Rounded so that 0.75 computed as 0.7499999999999999 still meets a 75% rule.
    return round(100 * fraction, 9)
