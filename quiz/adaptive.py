"""The adaptive mode: which question to ask next, and when to stop. Pure.

An adaptive attempt does not draw its questions when it starts: after each answer,
:func:`next_question` looks at every answer so far (so going back and changing one
counts at once) and picks the next question, or says that the answers are enough.
docs/measurement.md explains the rules in words; in short:

- Areas take turns. Each asks at least ``min_per_area`` scored questions, then keeps
  asking only while its 90% interval straddles a verdict cut that could still change
  the result (a cut of a rule whose overall range the overall interval reaches), or
  the overall interval straddles an overall cut; at most ``max_per_area``.
- Within an area, the candidates are the unseen questions with the most Fisher
  information at the area's current estimate (Birnbaum, in Lord & Novick 1968; the
  formula is catsim's ``irt.inf``). Content balance: the question type furthest below
  its share of the area's pool goes first. Exposure control: one of the RANDOMESQUE
  most informative is drawn at random (Kingsbury & Zara 1989), so strong takers do not
  all see the same hard questions. Questions from the taker's earlier attempts come
  only when an area has no new ones left, oldest first.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .bank import Bank, Scheme
from .draw import item_of
from .measurement import ItemParameters, area_score, domain_table, posterior

RANDOMESQUE = 4  # how many of the most informative questions the next one is drawn from
Z = 1.6449  # the normal quantile of a central 90% interval, for the overall score


def information(params: ItemParameters, theta: float) -> float:
    """Fisher information of a three-parameter logistic item at ``theta`` (logits):
    a² (P − c)² (1 − P) / ((1 − c)² P), P the expected mark (de Ayala 2009, eq. 6.3;
    catsim's ``irt.inf``)."""
    p = params.expected_mark(theta)
    if p <= 0 or p >= 1:
        return 0.0
    return params.a**2 * (p - params.c) ** 2 * (1 - p) / ((1 - params.c) ** 2 * p)


@dataclass(frozen=True)
class Asked:
    """A scored question already in the attempt: its parameters, its mark (0..1, 0 when
    unanswered) and whether it was answered."""

    question: Any
    params: ItemParameters
    mark: float
    answered: bool


@dataclass(frozen=True)
class AreaState:
    """Where an area stands: questions asked, its domain score's posterior mean, sd and
    90% interval (0..1), its θ estimate (logits), and how many questions it may still ask."""

    asked: int
    score: float
    sd: float
    low: float
    high: float
    theta: float
    room: int


def area_states(
    scheme: Scheme,
    asked: Sequence[Asked],
    pools: Mapping[str, Sequence[ItemParameters]],
) -> dict[str, AreaState]:
    """Each area's state from the answers so far (areas without a pool are left out)."""
    states = {}
    cap = scheme.settings.adaptive.max_per_area
    responses: dict[str, list[tuple[ItemParameters, float, bool]]] = {}
    for a in asked:
        responses.setdefault(a.question.area, []).append((a.params, a.mark, a.answered))
    joint = posterior(responses, [d.id for d in scheme.dimensions if pools.get(d.id)])
    for d in scheme.dimensions:
        pool = pools.get(d.id)
        if not pool:
            continue
        mine = responses.get(d.id, [])
        fit = joint.estimates[d.id]
        table = domain_table(pool)
        measured = area_score(fit, pool, table)
        variance = sum(
            w * (v - measured.score) ** 2 for v, w in zip(table, fit.weights, strict=True)
        )
        states[d.id] = AreaState(
            len(mine),
            measured.score,
            math.sqrt(variance),
            measured.low,
            measured.high,
            fit.theta,
            min(cap, len(pool)) - len(mine),
        )
    return states


def _straddles(low: float, high: float, cut: float) -> bool:
    # Cuts are whole percentages, compared as the pages round (scoring.verdict).
    return round(100 * low) < cut <= round(100 * high)


def areas_to_ask(scheme: Scheme, states: Mapping[str, AreaState]) -> list[str]:
    """The areas that should ask another question, most uncertain first; [] to stop."""
    settings = scheme.settings.adaptive
    open_ = [a for a, s in states.items() if s.room > 0]
    short = [a for a in open_ if states[a].asked < settings.min_per_area]
    if short:
        return sorted(short, key=lambda a: states[a].asked)
    weights = {d.id: d.weight for d in scheme.dimensions if d.id in states}
    total = sum(weights.values())
    overall = sum(states[a].score * w for a, w in weights.items()) / total
    spread = math.sqrt(sum((states[a].sd * w) ** 2 for a, w in weights.items())) / total
    low, high = overall - Z * spread, overall + Z * spread
    wanted: set[str] = set()
    for rule in scheme.verdicts:
        overall_cuts = [c for c in (rule.min_overall, rule.max_overall) if c is not None]
        if any(_straddles(low, high, c) for c in overall_cuts):
            wanted.update(open_)
        # A rule's area cuts matter only if its overall range is within reach.
        reachable = (rule.min_overall is None or round(100 * high) >= rule.min_overall) and (
            rule.max_overall is None or round(100 * low) <= rule.max_overall
        )
        if not reachable:
            continue
        for a in open_:
            cuts = [rule.min_each_area] if rule.min_each_area is not None else []
            cuts += [floor for area, floor in rule.min_area.items() if area == a]
            if any(_straddles(states[a].low, states[a].high, c) for c in cuts):
                wanted.add(a)
    return sorted(wanted, key=lambda a: (-states[a].sd * weights[a], states[a].asked))


def choose(
    candidates: Sequence[Any],
    params_of: Callable[[Any], ItemParameters],
    theta: float,
    asked_types: Counter[str],
    pool_types: Counter[str],
    seen: Mapping[str, int],
    rng: random.Random,
) -> Any:
    """One question of an area: unseen ones before seen ones (oldest seen first), the
    question type furthest below its share of the pool, then one of the RANDOMESQUE
    most informative at ``theta``."""
    fresh = [q for q in candidates if q.id not in seen]
    if not fresh:
        oldest = min(seen[q.id] for q in candidates)
        fresh = [q for q in candidates if seen[q.id] == oldest]
    total_pool, total_asked = sum(pool_types.values()), sum(asked_types.values())

    def deficit(kind: str) -> float:
        return pool_types[kind] / total_pool - asked_types[kind] / max(total_asked, 1)

    kind = max({q.type for q in fresh}, key=lambda k: (deficit(k), k))
    ranked = sorted(
        (q for q in fresh if q.type == kind),
        key=lambda q: (-information(params_of(q), theta), q.id),
    )
    return rng.choice(ranked[:RANDOMESQUE])


def next_question(
    bank: Bank,
    asked: Sequence[Asked],
    params_of: Callable[[Any], ItemParameters],
    seen: Mapping[str, int],
    seed: str,
) -> Any | None:
    """The next scored question of an adaptive attempt, or None when it has asked
    enough. ``asked`` are the attempt's scored questions so far, ``params_of`` gives
    a bank question's parameters, ``seen`` maps question ids from the taker's earlier
    attempts to how recently (higher is more recent); ``seed`` (the attempt's token and
    position) makes the random draw among the most informative repeatable."""
    scheme = bank.scheme
    scored = {d.id: [q for q in bank.in_area(d.id) if q.scored] for d in scheme.dimensions}
    pools = {area: [params_of(q) for q in qs] for area, qs in scored.items()}
    states = area_states(scheme, asked, pools)
    taken = {a.question.id for a in asked}
    for area in areas_to_ask(scheme, states):
        candidates = [q for q in scored[area] if q.id not in taken]
        if not candidates:
            continue
        return choose(
            candidates,
            params_of,
            states[area].theta,
            Counter(a.question.type for a in asked if a.question.area == area),
            Counter(q.type for q in scored[area]),
            seen,
            random.Random(seed),
        )
    return None


USUAL_FROM = 20  # finished adaptive attempts before their lengths say what is usual


def length_range(bank: Bank, lengths: Sequence[int]) -> tuple[int, int, bool]:
    """How many questions an adaptive attempt asks in all: (low, high, usual). With at
    least USUAL_FROM ``lengths`` of finished attempts, their 10th and 90th percentiles
    and usual=True; before that, the fewest and most the settings allow."""
    if len(lengths) >= USUAL_FROM:
        ordered = sorted(lengths)
        last = len(ordered) - 1
        return ordered[round(0.1 * last)], ordered[round(0.9 * last)], True
    settings = bank.settings.adaptive
    unscored = sum(not q.scored for q in bank.questions)
    sizes = [sum(q.scored for q in bank.in_area(d.id)) for d in bank.dimensions]
    low = unscored + sum(min(settings.min_per_area, n) for n in sizes)
    high = unscored + sum(min(settings.max_per_area, n) for n in sizes)
    return low, high, False


def first_items(
    bank: Bank,
    token: str,
    params_of: Callable[[Any], ItemParameters],
    seen: Mapping[str, int],
) -> list[dict[str, Any]]:
    """The items an adaptive attempt starts with (as ``draw.draw`` gives them): the
    unscored statements about the taker, which every attempt asks, then the first
    scored question."""
    rng = random.Random(token)
    items = [item_of(bank, q, rng) for q in bank.questions if not q.scored]
    first = next_item(bank, [], params_of, seen, token, len(items) + 1)
    return items + ([first] if first else [])


def next_item(
    bank: Bank,
    asked: Sequence[Asked],
    params_of: Callable[[Any], ItemParameters],
    seen: Mapping[str, int],
    token: str,
    position: int,
) -> dict[str, Any] | None:
    """The item to add at ``position`` of the attempt with ``token`` (as ``draw.draw``
    gives them), or None when the answers so far are enough (:func:`next_question`)."""
    question = next_question(bank, asked, params_of, seen, f"{token}:{position}")
    if question is None:
        return None
    return item_of(bank, question, random.Random(f"{token}:{position}:order"))
