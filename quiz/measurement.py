"""Item response theory for the verdict: item parameters, ability with its uncertainty,
domain scores and the probability of each verdict rule. Pure (no Flask, no SQL).

The model, per area (docs/measurement.md):

- Ability θ, in logits, with a normal prior (mean 0, sd PRIOR_SD = 1.5, wider than
  the population's 1 so that a guesser is not pulled up to the average).
- Each scored question has a discrimination ``a``, a difficulty ``b`` and a floor ``c``:
  the expected mark of a blind guess. The expected mark at θ is the three-parameter
  logistic curve ``c + (1 - c) / (1 + exp(-a (θ - b)))`` (Birnbaum, in Lord & Novick
  1968; de Ayala, *The Theory and Practice of Item Response Theory*, 2009, ch. 6).
- Partial credit (weighted judgement options, multiple-response marks) is reduced to
  that curve: a mark x in [0, 1] enters the likelihood as ``P^x (1 - P)^(1 - x)``, the
  Bernoulli quasi-likelihood of fractional responses (Papke & Wooldridge 1996). For a
  mark of 0 or 1 it is the 3PL likelihood itself; for a half mark it counts as half a
  right and half a wrong answer. It keeps one curve per item, which a partial-credit
  model would replace by one curve per mark level; docs/measurement.md says what that costs.
- The estimate is the posterior mean (EAP) over a grid of θ, with the posterior
  standard deviation as its standard error (Bock & Mislevy 1982), so an all-right or
  all-wrong area still gets a finite estimate.
- The score shown is the share of the area's domain mastered: the mean over the
  area's whole pool of ``1 / (1 + exp(-a (θ - b)))``, the expected mark without the
  guessing floor (a domain score; Lord 1980, ch. 5). A guess earns no mastery.
- The probability of each verdict rule is the share of posterior draws of the four
  abilities under which that rule is the first that holds.

catsim (read in its source: the ``irt`` module's logistic curves, information and
log-likelihood) models right/wrong responses; the fractional marks above need their
own likelihood, which over a 121-point grid is a few lines, so this module has no
numerical dependency. catsim's item selection may serve the adaptive mode.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any

from .bank import Bank, Scheme, Verdict
from .scoring import percent, score
from .scoring import verdict as first_verdict

# θ in logits; ±6 is four prior standard deviations, so cutting the tails off moves
# even an all-wrong or all-right estimate by little.
GRID = tuple(-6.0 + 0.1 * i for i in range(121))
PRIOR_SD = 1.5  # wider than the population's 1: see docs/measurement.md

# Provisional parameters, until calibration replaces them: a difficulty label's b, and one
# discrimination for every question (about the median of well-working test items on this
# logistic metric; de Ayala 2009, ch. 6).
DIFFICULTY_B = {"easy": -1.0, "medium": 0.0, "hard": 1.0, None: 0.0}
PROVISIONAL_A = 1.7
CONFIDENT = 0.8  # a verdict less probable than this is shown as undecided
INTERVAL = 0.9  # the central posterior interval shown with each score
MODEL = "3pl-eap-1"  # names the model in each stored measurement


@dataclass(frozen=True)
class ItemParameters:
    """An item's discrimination ``a`` (> 0), difficulty ``b`` (logits) and floor ``c``
    (0..1, the expected mark of a blind guess); ``source`` says where they come from:
    'provisional' or 'calibrated' (a simulation names its own)."""

    a: float
    b: float
    c: float
    source: str = "provisional"

    def mastery(self, theta: float) -> float:
        """The expected mark at ``theta`` without the guessing floor, 0..1."""
        return _logistic(self.a * (theta - self.b))

    def expected_mark(self, theta: float) -> float:
        """The expected mark at ``theta``, 0..1: c + (1 - c) × mastery."""
        return self.c + (1.0 - self.c) * self.mastery(theta)


def _logistic(x: float) -> float:
    if x < -40:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def guessing_floor(question: Any) -> float:
    """The expected mark of a blind guess, 0..1: one option picked at random for a
    single-answer question (keyed or weighted), a random non-empty set of options for
    a multiple-response one, 0 for a number. Computed with the app's own scoring, so it
    follows any change of how marks are given."""
    if question.type == "single":
        return sum(question.option_score(i) for i in range(len(question.options))) / len(
            question.options
        )
    if question.type == "multiple":
        n = len(question.options)
        picks = [list(c) for k in range(1, n + 1) for c in combinations(range(n), k)]
        return sum(score(question, pick) for pick in picks) / len(picks)
    return 0.0


@functools.lru_cache(maxsize=4096)  # a blind guess's mark runs every multiple-response pick
def provisional(question: Any) -> ItemParameters:
    """An item's parameters before calibration: b from its difficulty label, the common
    provisional a, and c from a blind guess."""
    return ItemParameters(
        PROVISIONAL_A, DIFFICULTY_B[question.difficulty], guessing_floor(question)
    )


def parameters(question: Any, calibrated: Mapping[str, Any] | None = None) -> ItemParameters:
    """An item's parameters: its calibrated ones (a row with a, b, c, as ``quiz
    calibrate`` keeps them) when it has them, else its provisional ones."""
    if calibrated is None:
        return provisional(question)
    return ItemParameters(calibrated["a"], calibrated["b"], calibrated["c"], "calibrated")


def pools(
    bank: Bank, calibrated: Mapping[str, Mapping[str, Any]]
) -> dict[str, list[ItemParameters]]:
    """Each area's domain: the parameters of every scored question in its pool.
    ``calibrated`` maps version hashes to calibrated rows."""
    out: dict[str, list[ItemParameters]] = {}
    for q in bank.questions:
        if q.scored:
            row = calibrated.get(bank.versions[q.id][0])
            out.setdefault(q.area, []).append(parameters(q, row))
    return out


@dataclass(frozen=True)
class Estimate:
    """The posterior of one area's ability: its mean ``theta`` (EAP, logits), standard
    deviation ``se``, the weights over GRID, and how many questions were answered."""

    theta: float
    se: float
    weights: tuple[float, ...] = field(repr=False)
    answered: int = 0

    def quantile(self, q: float) -> float:
        """The θ below which a share ``q`` (0..1) of the posterior lies."""
        total = 0.0
        for theta, weight in zip(GRID, self.weights, strict=True):
            total += weight
            if total >= q:
                return theta
        return GRID[-1]


def estimate(
    responses: Iterable[tuple[ItemParameters, float]], answered: int | None = None
) -> Estimate:
    """EAP estimate of one area on its own, from (parameters, mark 0..1) pairs; no
    responses give the prior N(0, PRIOR_SD²). It is :func:`posterior` with nothing to
    borrow from other areas.

    ``answered`` (default: the number of pairs) is kept with the estimate for the
    minimum-answers rule, since an unanswered question enters as a mark of 0.
    """
    pairs = list(responses)
    alone = posterior({"": [(p, mark, True) for p, mark in pairs]}, [""], correlation=0.0)
    count = len(pairs) if answered is None else answered
    return replace(alone.estimates[""], answered=count)


# The higher-order model (de la Torre & Song 2009): each area's ability is a general
# ability g ~ N(0, 1) scaled by PRIOR_SD·√ρ plus an area's own part with sd
# PRIOR_SD·√(1 − ρ), so any two areas correlate ρ and each area's prior is still
# N(0, PRIOR_SD²). Given g the areas are independent, so the joint posterior is exact
# on a grid of g (Segall 1996 shows what a correlated prior saves in adaptive tests).
AREA_CORRELATION = 0.5  # provisional, until data from real takers can estimate it
FACTOR_GRID = tuple(-4.0 + 0.2 * i for i in range(41))


@functools.lru_cache(maxsize=8)
def _conditional_priors(correlation: float) -> tuple[tuple[float, ...], ...]:
    """Per point of FACTOR_GRID, the prior weights over GRID of an area's θ given g."""
    loading = PRIOR_SD * math.sqrt(correlation)
    own = PRIOR_SD * math.sqrt(1.0 - correlation)
    rows = []
    for g in FACTOR_GRID:
        row = [math.exp(-0.5 * ((t - loading * g) / own) ** 2) for t in GRID]
        total = sum(row)
        rows.append(tuple(w / total for w in row))
    return tuple(rows)


@dataclass(frozen=True)
class Posterior:
    """The joint posterior of the areas' abilities given every answer.

    ``estimates``: each area's marginal posterior as an Estimate; ``general``: the
    weights of g over FACTOR_GRID; ``conditional``: per area, per point of g, the
    weights of θ over GRID (joint draws take g, then each area's θ given g).
    """

    estimates: dict[str, Estimate]
    general: tuple[float, ...] = field(repr=False)
    conditional: dict[str, tuple[tuple[float, ...], ...]] = field(repr=False)


def _likelihood(responses: Iterable[tuple[ItemParameters, float]]) -> list[float]:
    """The likelihood of (parameters, mark) pairs at every point of GRID, scaled to a
    maximum of 1 (marks enter as fractional responses)."""
    log_likelihood = [0.0] * len(GRID)
    for params, mark in responses:
        right, wrong = _log_curves(params)
        log_likelihood = [
            lp + mark * r + (1.0 - mark) * w
            for lp, r, w in zip(log_likelihood, right, wrong, strict=True)
        ]
    top = max(log_likelihood)
    return [math.exp(lp - top) for lp in log_likelihood]


def posterior(
    responses: Mapping[str, Sequence[tuple[ItemParameters, float, bool]]],
    areas: Iterable[str],
    correlation: float | None = None,
) -> Posterior:
    """The joint posterior of ``areas`` from (parameters, mark 0..1, answered) triples
    per area, under the higher-order model with the given ``correlation`` (0..1; at 0
    each area's estimate is :func:`estimate`'s). An area without answers is estimated
    from the others. ``correlation`` defaults to AREA_CORRELATION as it is when called."""
    priors = _conditional_priors(AREA_CORRELATION if correlation is None else correlation)
    general = [math.exp(-0.5 * g * g) for g in FACTOR_GRID]
    conditional: dict[str, tuple[tuple[float, ...], ...]] = {}
    answered: dict[str, int] = {}
    for area in areas:
        given = responses.get(area, ())
        answered[area] = sum(1 for *_, a in given if a)
        likelihood = _likelihood((p, mark) for p, mark, _ in given)
        rows = []
        for k, prior in enumerate(priors):
            row = [w * x for w, x in zip(prior, likelihood, strict=True)]
            total = sum(row)
            general[k] *= total
            rows.append(tuple(w / total for w in row))
        conditional[area] = tuple(rows)
    total = sum(general)
    general = [w / total for w in general]
    estimates = {}
    for area, rows in conditional.items():
        weights = [0.0] * len(GRID)
        for share, row in zip(general, rows, strict=True):
            if share > 1e-12:
                weights = [w + share * r for w, r in zip(weights, row, strict=True)]
        mean = sum(t * w for t, w in zip(GRID, weights, strict=True))
        variance = sum((t - mean) ** 2 * w for t, w in zip(GRID, weights, strict=True))
        estimates[area] = Estimate(mean, math.sqrt(variance), tuple(weights), answered[area])
    return Posterior(estimates, tuple(general), conditional)


@functools.lru_cache(maxsize=4096)
def _log_curves(params: ItemParameters) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """log P and log (1 - P) of an item's expected mark at every point of GRID."""
    marks = [min(max(params.expected_mark(t), 1e-9), 1 - 1e-9) for t in GRID]
    return tuple(math.log(p) for p in marks), tuple(math.log(1.0 - p) for p in marks)


def domain_score(pool: Sequence[ItemParameters], theta: float) -> float:
    """The share of an area's domain mastered at ``theta``, 0..1: the mean mastery over
    the area's whole pool of scored questions."""
    return sum(item.mastery(theta) for item in pool) / len(pool)


@dataclass(frozen=True)
class AreaScore:
    """An area's measured score: the posterior mean share of its domain mastered and its
    central INTERVAL (all 0..1), with the ability estimate behind them."""

    score: float
    low: float
    high: float
    estimate: Estimate


def domain_table(pool: Sequence[ItemParameters]) -> tuple[float, ...]:
    """The domain score at every point of GRID (kept for the last few pools, which are
    the same for every attempt until the bank or its calibration changes)."""
    return _domain_table(tuple(pool))


@functools.lru_cache(maxsize=64)
def _domain_table(pool: tuple[ItemParameters, ...]) -> tuple[float, ...]:
    return tuple(domain_score(pool, t) for t in GRID)


def area_score(
    estimate: Estimate, pool: Sequence[ItemParameters], table: Sequence[float] | None = None
) -> AreaScore:
    """The domain score of an estimate: posterior mean and central interval (the domain
    score rises with θ, so the interval's ends are those of θ's). ``table`` is the
    pool's ``domain_table``, when the caller has it already."""
    table = table or domain_table(pool)
    mean = sum(w * d for d, w in zip(table, estimate.weights, strict=True))
    tail = (1 - INTERVAL) / 2
    return AreaScore(
        mean,
        domain_score(pool, estimate.quantile(tail)),
        domain_score(pool, estimate.quantile(1 - tail)),
        estimate,
    )


@dataclass(frozen=True)
class Measurement:
    """What an attempt's answers say, for the report.

    ``areas``: AreaScore by area id; ``overall`` with ``overall_low``/``overall_high``
    (0..1, weighted by the areas' weights); ``probabilities``: verdict id -> probability
    (0..1) that the rule holds for the taker's true mastery; ``verdict``: the most
    probable rule, or None when an area has fewer answers than the bank's
    ``settings.min_answered`` (or than it asked, when it asked fewer).
    """

    areas: dict[str, AreaScore]
    overall: float
    overall_low: float
    overall_high: float
    probabilities: dict[str, float]
    verdict: Verdict | None

    @property
    def confidence(self) -> float:
        """The probability of the verdict shown (0 when there is none)."""
        return self.probabilities.get(self.verdict.id, 0.0) if self.verdict else 0.0

    @property
    def settled(self) -> bool:
        """Whether the answers settle the verdict (its probability, as shown, is at least
        CONFIDENT)."""
        return self.verdict is not None and shown_probability(self.confidence) >= CONFIDENT

    def summary(self) -> dict[str, Any]:
        """What an attempt keeps of its measurement, as JSON-ready values (0..1 scores,
        θ and its standard error in logits); :class:`Scores` reads it back."""
        return {
            "model": MODEL,
            "overall": [self.overall, self.overall_low, self.overall_high],
            "areas": {
                area: {
                    "score": s.score,
                    "low": s.low,
                    "high": s.high,
                    "theta": s.estimate.theta,
                    "se": s.estimate.se,
                    "answered": s.estimate.answered,
                }
                for area, s in self.areas.items()
            },
            "probabilities": self.probabilities,
            "verdict": self.verdict.id if self.verdict else None,
            "confidence": self.confidence,
        }


def shown_probability(probability: float) -> float:
    """A probability (0..1) as the pages and downloads show it: to two decimals, rounded
    half up as ``scoring.percent`` rounds, so 0.795 is shown as 0.80 and counts as 0.80."""
    return percent(probability) / 100


@dataclass(frozen=True)
class Interval:
    """A score and its central INTERVAL, 0..1."""

    score: float
    low: float
    high: float


@dataclass(frozen=True)
class Scores:
    """A finished attempt's stored measurement (:meth:`Measurement.summary`), read back.

    ``areas`` and ``overall`` are Intervals; ``answered`` counts the answered scored
    questions per area; ``probabilities`` maps verdict ids to 0..1; ``verdict_id`` is
    None when an area had too few answers (``measure``).
    """

    overall: Interval
    areas: dict[str, Interval]
    answered: dict[str, int]
    probabilities: dict[str, float]
    verdict_id: str | None
    confidence: float

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> Scores:
        return cls(
            Interval(*summary["overall"]),
            {a: Interval(v["score"], v["low"], v["high"]) for a, v in summary["areas"].items()},
            {a: v["answered"] for a, v in summary["areas"].items()},
            dict(summary["probabilities"]),
            summary["verdict"],
            summary["confidence"],
        )

    @property
    def settled(self) -> bool:
        """Whether the verdict's probability, as shown, is at least CONFIDENT."""
        return self.verdict_id is not None and shown_probability(self.confidence) >= CONFIDENT

    def contenders(self, scheme: Scheme) -> list[Verdict]:
        """The verdicts the answers leave open, best first: the most probable ones whose
        probabilities add up to CONFIDENT (one when the verdict is settled)."""
        ranked = sorted(scheme.verdicts, key=lambda v: -self.probabilities.get(v.id, 0.0))
        chosen, total = [], 0.0
        for v in ranked:
            if total >= CONFIDENT:
                break
            chosen.append(v)
            total += self.probabilities.get(v.id, 0.0)
        order = [v.id for v in scheme.verdicts]
        return sorted(chosen, key=lambda v: order.index(v.id))


def measure(
    scheme: Scheme,
    responses: Mapping[str, Sequence[tuple[ItemParameters, float, bool]]],
    pools: Mapping[str, Sequence[ItemParameters]],
    draws: int = 2000,
    seed: int | str = 0,
) -> Measurement:
    """Score an attempt: ``responses`` maps each area to (parameters, mark 0..1,
    answered) of its scored questions (an unanswered one has mark 0); ``pools`` maps
    each area to the parameters of every scored question in its pool (the domain).

    The areas are measured jointly (:func:`posterior`); the verdict probabilities come
    from ``draws`` joint draws of their abilities, each scored with the bank's rules.
    """
    measured = [d.id for d in scheme.dimensions if pools.get(d.id)]
    joint = posterior(responses, measured)
    tables = {area: domain_table(pools[area]) for area in measured}  # a draw is a lookup
    areas = {
        area: area_score(joint.estimates[area], pools[area], tables[area]) for area in measured
    }
    weights = {d.id: d.weight for d in scheme.dimensions if d.id in areas}
    total_weight = sum(weights.values())
    rng = random.Random(seed)
    factor = rng.choices(range(len(FACTOR_GRID)), weights=joint.general, k=draws)
    cumulative = {
        area: [list(itertools.accumulate(row)) for row in rows]
        for area, rows in joint.conditional.items()
    }
    last = len(GRID) - 1
    shown = {area: [percent(v) for v in tables[area]] for area in areas}
    # The rules see whole percentages only, so a verdict once found is found again.
    known: dict[tuple[int, ...], str] = {}
    counts: dict[str, int] = {v.id: 0 for v in scheme.verdicts}
    overalls = []
    for k in range(draws):
        # g first, then each area's θ given g: the draws keep the areas' correlation.
        at = {
            area: min(last, bisect.bisect_left(cumulative[area][factor[k]], rng.random()))
            for area in areas
        }
        overall = sum(tables[a][at[a]] * w for a, w in weights.items()) / total_weight
        overalls.append(overall)
        key = (percent(overall), *(shown[a][at[a]] for a in areas))
        if key not in known:
            drawn = {a: tables[a][at[a]] for a in areas}
            known[key] = first_verdict(scheme, overall, drawn).id
        counts[known[key]] += 1
    overalls.sort()
    probabilities = {vid: n / draws for vid, n in counts.items()}
    # An area needs min_answered answers, or all it asked when it asked fewer.
    needed = scheme.settings.min_answered
    enough = bool(areas) and all(
        s.estimate.answered >= min(needed, len(responses.get(area, ()))) and s.estimate.answered > 0
        for area, s in areas.items()
    )
    chosen = max(scheme.verdicts, key=lambda v: probabilities[v.id]) if enough else None
    tail = (1 - INTERVAL) / 2
    return Measurement(
        areas,
        sum(areas[a].score * w for a, w in weights.items()) / total_weight,
        overalls[int(tail * (draws - 1))],
        overalls[int((1 - tail) * (draws - 1))],
        probabilities,
        chosen,
    )
