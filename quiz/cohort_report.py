"""What a cohort's page says of its members' results: who its members are, where the
group stands in each area and how sure that is, which questions it missed most, and how
it compares with all takers.

Pure: no Flask, no SQL. It reads rows of ``Store.cohort_attempts`` (attempts with
their stored measurement, :meth:`quiz.measurement.Measurement.summary`), marks of
``Store.question_tallies`` and bins of ``Store.first_score_bins``.

Which attempts count (docs/measurement.md, "A cohort's results"):
- the group's figures (verdict mix, area means, most-missed questions) count each
  member's latest finished attempt with a verdict, where the group stands now;
- the comparison with all takers counts each member's *first* finished assessment in
  the cohort against every taker's first finished assessment, the rule of the
  percentiles, so that retakes weigh on neither side.
"""

from __future__ import annotations

import bisect
import itertools
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from .bank import Bank
from .measurement import INTERVAL, Scores
from .report import percentile_rank

Row = Mapping[str, Any]

# z of the central INTERVAL: a member's stored interval is this many posterior SDs either
# side of the score (a normal approximation of the posterior; docs/measurement.md).
Z = NormalDist().inv_cdf(0.5 + INTERVAL / 2)
WEAKEST = 2  # areas named as the group's weakest
MISSED_SHOWN = 3  # questions shown under each weakest area
NO_VERDICT = "Not enough answers"


@dataclass(frozen=True)
class Member:
    """A taker with at least one attempt in the cohort.

    ``shown`` is the attempt the members' table shows and links: the latest finished one,
    the same the group's figures count (:func:`latest_finished`), or while none is
    finished the latest started; ``in_progress`` counts their unfinished attempts.
    """

    taker: str
    name: str | None  # the name given in their latest attempt that has one
    attempts: int  # in the cohort
    shown: Row
    in_progress: int


def _by_finish(row: Row) -> tuple[str, int]:
    return (row["finished_at"] or "", row["id"])


def members(rows: Sequence[Row]) -> list[Member]:
    """Each taker of ``rows`` (``Store.cohort_attempts``, oldest first) once; ordered by
    name (case-insensitive), takers without a name last."""
    by_taker: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_taker[row["taker"]].append(row)
    out = []
    for taker, own in by_taker.items():
        name = next((r["display_name"] for r in reversed(own) if r["display_name"]), None)
        finished = [r for r in own if r["finished_at"]]
        shown = max(finished, key=_by_finish) if finished else own[-1]
        out.append(Member(taker, name, len(own), shown, len(own) - len(finished)))
    return sorted(out, key=lambda m: (m.name is None, (m.name or "").casefold(), m.taker))


def judged(row: Row) -> bool:
    """Whether a finished attempt has a verdict (and its measurement)."""
    return bool(row["finished_at"] and row["verdict"] and row["measurement"])


def latest_finished(rows: Sequence[Row]) -> list[Row]:
    """Each member's latest finished attempt, by the time it finished: what the group's
    figures count (those without a verdict only in the verdict mix, as "Not enough
    answers")."""
    chosen: dict[str, Row] = {}
    for row in sorted((r for r in rows if r["finished_at"]), key=_by_finish):
        chosen[row["taker"]] = row
    return list(chosen.values())


def first_assessments(rows: Sequence[Row]) -> list[Row]:
    """The members' attempts that are their first finished assessment anywhere (the
    store's ``first`` flag, which the percentiles count), when it was taken in this
    cohort: the comparison with all takers. A member who had taken the assessment on
    their own before is left out, their cohort attempt being a retake."""
    return [r for r in rows if r["first"] and judged(r) and r["mode"] == "assessment"]


def settled_count(rows: Iterable[Row]) -> int:
    """How many of ``rows`` have a settled verdict (``Scores.settled``)."""
    return sum(Scores.from_summary(r["measurement"]).settled for r in rows)


@dataclass(frozen=True)
class AreaMean:
    """The group's mean score in one area and how sure it is, all 0..1.

    ``low``/``high``: the central INTERVAL of the group's mean *true* score given its
    members' measurement error; ``scores``: the members' own scores, lowest first.
    """

    area: str
    mean: float
    low: float
    high: float
    scores: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.scores)


def area_means(rows: Sequence[Row], areas: Sequence[str]) -> list[AreaMean]:
    """The mean of each area's score over ``rows`` (attempts with a measurement), in the
    order of ``areas``; an area no row measured is left out.

    The interval is the mean ± Z·SE, SE = √(Σ sdᵢ²) / n, each member's posterior SD sdᵢ
    read from their stored interval as (high − low) / 2Z: the variance of a mean of
    independent errors, with a normal approximation of each posterior. It says how sure
    the group's mean is for these members, not for a population they were drawn from
    (their own scores, beside it, show how far apart they are). Clipped to 0..1.
    """
    out = []
    for area in areas:
        measured = [
            r["measurement"]["areas"][area] for r in rows if area in r["measurement"]["areas"]
        ]
        if not measured:
            continue
        n = len(measured)
        mean = math.fsum(m["score"] for m in measured) / n
        se = math.sqrt(math.fsum(((m["high"] - m["low"]) / (2 * Z)) ** 2 for m in measured)) / n
        out.append(
            AreaMean(
                area,
                mean,
                max(0.0, mean - Z * se),
                min(1.0, mean + Z * se),
                tuple(sorted(m["score"] for m in measured)),
            )
        )
    return out


def weakest(means: Sequence[AreaMean], count: int = WEAKEST) -> list[AreaMean]:
    """The ``count`` areas with the lowest group mean, lowest first (ties: the order given)."""
    return sorted(means, key=lambda m: m.mean)[:count]


@dataclass(frozen=True)
class MissedQuestion:
    """A question as the group answered it: how many had it, how many did not earn its
    full mark (wrong, partly right or unanswered), and its facility among them (the mean
    mark, 0..1; unanswered counts 0)."""

    question: str
    area: str
    asked: int
    missed: int
    unanswered: int
    facility: float


def most_missed(
    tallies: Iterable[tuple[str, str, int, int, int, float]],
    shown: int = MISSED_SHOWN,
    min_asked: int = 1,
) -> dict[str, list[MissedQuestion]]:
    """For each area of ``tallies``, the ``shown`` questions the group did worst on:
    lowest facility first, then the most people asked, then id. ``tallies``: (question
    id, area, how many had it, missed it, left it unanswered, sum of marks 0..1) from
    ``Store.question_tallies``. Questions nobody missed, or fewer than ``min_asked``
    members had, are left out (attempts draw their questions from pools, so in a small
    group most questions reach one member, and one member's miss says little of the
    group)."""
    out: dict[str, list[MissedQuestion]] = defaultdict(list)
    for question, area, asked, missed, unanswered, marks in tallies:
        found = out[area]  # an area whose questions nobody missed stays, empty
        if missed and asked >= min_asked:
            found.append(MissedQuestion(question, area, asked, missed, unanswered, marks / asked))
    return {
        area: sorted(found, key=lambda q: (q.facility, -q.asked, q.question))[:shown]
        for area, found in out.items()
    }


class Reference:
    """All takers' first attempts in one scope, from ``Store.first_score_bins`` ((score,
    count), lowest first), ready to rank many scores: each in O(log bins)."""

    def __init__(self, bins: Sequence[tuple[float, int]]):
        self.keys = [round(value * 1000) for value, _ in bins]
        self.counts = [count for _, count in bins]
        self.below = list(itertools.accumulate(self.counts, initial=0))
        self.total = self.below[-1]

    def counts_of(self, score: float) -> tuple[int, int, int]:
        """(below, equal, all) of ``score``, compared to a tenth of a percent as
        ``Store.percentile_counts`` compares (SQLite's round(), half away from zero)."""
        at = math.floor(score * 1000 + 0.5)
        index = bisect.bisect_left(self.keys, at)
        equal = self.counts[index] if index < len(self.keys) and self.keys[index] == at else 0
        return self.below[index], equal, self.total


@dataclass(frozen=True)
class Comparison:
    """One scope ('' overall, else an area id) of the cohort against all takers, 0..1
    scores and percentile ranks 0..100."""

    scope: str
    n: int  # members' first finished assessments
    median: float
    reference_n: int  # every taker's first finished assessment (members included)
    reference_median: float  # of the scores to a tenth of a percent (the bins): show 0.1%
    percentile: float  # the middle member's percentile rank among all takers
    above: int  # members above all takers' median


def compare(
    rows: Sequence[Row], scopes: Sequence[str], bins: Mapping[str, Sequence[tuple[float, int]]]
) -> list[Comparison]:
    """The cohort's ``rows`` (each member's first finished assessment:
    :func:`first_assessments`) against all takers' first attempts (``bins`` by
    scope, '' for the overall score), for each of ``scopes`` both sides have scores.

    The percentile rank counts ties as half (:func:`quiz.report.percentile_rank`); the
    middle member's is the median of the members' ranks."""
    out = []
    for scope in scopes:
        reference = bins.get(scope) or []
        scores = [
            r["overall"] if scope == "" else r["measurement"]["areas"][scope]["score"]
            for r in rows
            if scope == "" or scope in r["measurement"]["areas"]
        ]
        if not scores or not reference:
            continue
        ranks = Reference(reference)
        total = ranks.total
        middle = _median_of_bins(reference, total)
        out.append(
            Comparison(
                scope,
                len(scores),
                statistics.median(scores),
                total,
                middle,
                statistics.median(percentile_rank(*ranks.counts_of(s)) for s in scores),
                # To a tenth of a percent, as the ranks and the bins the median comes from.
                sum(1 for s in scores if math.floor(s * 1000 + 0.5) / 1000 > middle),
            )
        )
    return out


def _median_of_bins(bins: Sequence[tuple[float, int]], total: int) -> float:
    """The median of the scores the bins hold (the mean of the two middle ones when even)."""

    def at(index: int) -> float:
        seen = 0
        for value, count in bins:
            seen += count
            if seen > index:
                return value
        return bins[-1][0]

    return (at((total - 1) // 2) + at(total // 2)) / 2


def verdict_mix(counts: list[tuple[str | None, int]], bank: Bank | None) -> dict[str, Any]:
    """``counts`` (verdict id or None, how many) as rows of a verdict mix (the dashboard's
    last 30 days, a cohort's members): the bank's verdicts in its order, then verdicts it
    no longer has (by id), then the attempts without a verdict; each with its share of
    the total (0..1)."""
    labels = {v.id: v.label for v in bank.scheme.verdicts} if bank else {}
    order = {vid: i for i, vid in enumerate(labels)}
    total = sum(n for _, n in counts)
    rows = [
        {
            "id": vid or "",
            "label": labels.get(vid, vid) if vid else NO_VERDICT,
            "count": n,
            "share": n / total,
        }
        for vid, n in sorted(
            counts, key=lambda c: (c[0] is None, order.get(c[0], len(order)), c[0] or "")
        )
    ]
    return {"total": total, "rows": rows}
