"""Choose an attempt's questions and the order of their options. Pure.

The draw is made once, when the attempt starts, from a generator seeded by
the attempt's token, and stored with the attempt: a resumed attempt shows
exactly the same screens, and the same token always gives the same draw.
"""

from __future__ import annotations

import random
from typing import Any

from .bank import Bank


def draw(bank: Bank, seed: str) -> list[dict[str, Any]]:
    """The attempt's items, grouped by area in the bank's order.

    Each item carries what the store keeps: the version hash and body of the
    question, and ``order``, the bank index of each option in the order shown
    (None for questions without options).
    """
    rng = random.Random(seed)
    items = []
    for dimension in bank.dimensions:
        questions = bank.in_area(dimension.id)
        if bank.settings.shuffle_questions:
            rng.shuffle(questions)
        for question in questions:
            order = None
            if question.has_options:
                order = list(range(len(question.options)))
                if bank.settings.shuffle_options:
                    rng.shuffle(order)
            digest, body = bank.versions[question.id]
            items.append(
                {
                    "hash": digest,
                    "question_id": question.id,
                    "type": question.type,
                    "area": question.area,
                    "body": body,
                    "order": order,
                }
            )
    return items
