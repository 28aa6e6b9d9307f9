"""Choose an attempt's questions and the order of their options. Pure.

Each area draws its share of scored questions from its pool (all of them when
the bank sets no ``draw``), spread over difficulties as the pool is, and
preferring questions the taker has not seen yet, then those seen longest ago.
Unscored questions (self-descriptions) are always included.

The draw is made once, when the attempt starts, from a generator seeded by
the attempt's token, and stored with the attempt: a resumed attempt shows
exactly the same screens, and the same token and history give the same draw.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from .bank import Bank


def quotas(
    sizes: Mapping[Any, int], count: int, unseen: Mapping[Any, int] | None = None
) -> dict[Any, int]:
    """``count`` split over strata in proportion to their sizes.

    Each stratum gets its exact share rounded down or up (largest remainder), so
    the spread of the pool is kept. Which strata round up is free as long as
    their share is not whole: those that still have ``unseen`` questions beyond
    their rounded-down share go first, so that a retake repeats as little as it can.
    """
    total = sum(sizes.values())
    if count >= total:
        return dict(sizes)
    unseen = unseen if unseen is not None else sizes
    exact = {key: count * size / total for key, size in sizes.items()}
    shares = {key: int(value) for key, value in exact.items()}
    left = count - sum(shares.values())
    candidates = [key for key in exact if exact[key] > shares[key]]
    candidates.sort(
        key=lambda k: (
            unseen[k] <= shares[k],  # no new question left to round up with
            -(exact[k] - shares[k]),
            -sizes[k],
            str(k),
        )
    )
    for key in candidates[:left]:
        shares[key] += 1
    return shares


def repeats_on_retake(sizes: Mapping[Any, int], count: int) -> int:
    """How many questions a second attempt must share with the first when each
    draws ``count`` from strata of these sizes, preferring unseen ones."""
    first = quotas(sizes, count)
    unseen = {key: size - first[key] for key, size in sizes.items()}
    second = quotas(sizes, count, unseen)
    return sum(max(0, second[key] - unseen[key]) for key in sizes)


def strata_sizes(questions: Iterable[Any]) -> dict[str | None, int]:
    """How many scored questions there are of each difficulty."""
    return dict(Counter(q.difficulty for q in questions if q.scored))


def draw(bank: Bank, seed: str, seen: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
    """The attempt's items, grouped by area in the bank's order.

    ``seen`` maps the ids of questions the taker has had before to how recently
    (higher is more recent). Each item carries what the store keeps: the version
    hash and body of the question, and ``order``, the bank index of each option in
    the order shown (None for questions without options).
    """
    rng = random.Random(seed)
    seen = seen or {}
    items = []
    for dimension in bank.dimensions:
        pool = bank.in_area(dimension.id)
        scored = [q for q in pool if q.scored]
        chosen = {q.id for q in pool if not q.scored}
        strata: dict[str | None, list[Any]] = {}
        for q in scored:
            strata.setdefault(q.difficulty, []).append(q)
        count = bank.scheme.draw_count(dimension.id) or len(scored)
        tiebreak = {q.id: rng.random() for q in scored}
        sizes = {level: len(qs) for level, qs in strata.items()}
        unseen = {level: sum(q.id not in seen for q in qs) for level, qs in strata.items()}
        for level, share in quotas(sizes, count, unseen).items():
            ranked = sorted(strata[level], key=lambda q: (seen.get(q.id, -1), tiebreak[q.id]))
            chosen.update(q.id for q in ranked[:share])
        questions = [q for q in pool if q.id in chosen]
        if bank.settings.shuffle_questions:
            rng.shuffle(questions)
        items.extend(item_of(bank, question, rng) for question in questions)
    return items


def item_of(bank: Bank, question: Any, rng: random.Random) -> dict[str, Any]:
    """What the store keeps of one question in an attempt: its version hash and body,
    and ``order``, the bank index of each option in the order shown (shuffled with
    ``rng`` when the bank says so; None for questions without options)."""
    order = None
    if question.has_options:
        order = list(range(len(question.options)))
        if bank.settings.shuffle_options:
            rng.shuffle(order)
    digest, body = bank.versions[question.id]
    return {
        "hash": digest,
        "question_id": question.id,
        "type": question.type,
        "area": question.area,
        "body": body,
        "order": order,
    }
