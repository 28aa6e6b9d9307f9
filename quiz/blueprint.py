"""The test blueprint: which scored questions sample each duty of the role. Pure.

A blueprint (or table of specifications) maps the content an exam must cover to
its items, so that coverage is planned rather than left to what writers happen to
write (Standards for Educational and Psychological Testing, AERA/APA/NCME 2014,
standard 4.2). The bank lists the role's duties and their topics under
``blueprint``; each question names its ``topics``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .bank import Bank


def questions_by_topic(bank: Bank) -> dict[str, list[Any]]:
    """Each blueprint topic's scored questions, in bank order: {topic id: [question]}."""
    found: dict[str, list[Any]] = defaultdict(list)
    for q in bank.questions:
        if q.scored:
            for topic in q.topics:
                found[topic].append(q)
    return {t.id: found.get(t.id, []) for t in bank.blueprint}


def table(bank: Bank) -> str:
    """The blueprint as a Markdown table: duty, topic, questions per area and their ids."""
    areas = list(bank.dimensions)
    head = ["Duty", "Topic", *(d.name for d in areas), "Questions"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    by_topic = questions_by_topic(bank)
    duty = None
    for topic in bank.blueprint:
        questions = by_topic[topic.id]
        counts = [str(sum(q.area == d.id for q in questions)) for d in areas]
        ids = ", ".join(f"`{q.id}`" for q in questions) or "**none**"
        shown_duty = topic.duty if topic.duty != duty else ""
        duty = topic.duty
        lines.append("| " + " | ".join([shown_duty, topic.name, *counts, ids]) + " |")
    return "\n".join(lines)
