"""Content checks for ``quiz validate --strict``: what a program can tell about item quality.

A bank can be valid (the app can serve it) and still be a poor test: too few
questions in an area, explanations that teach nothing, "all of the above",
the right answer always in the same place. These checks find such problems
and name the file and line of each. Pure: works on a loaded Bank.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from difflib import SequenceMatcher
from typing import Any

from .bank import DIFFICULTIES, Bank, Problem
from .draw import repeats_on_retake, strata_sizes

MIN_SCORED_PER_AREA = 14
MIN_NUMERIC = {"analytical": 8}  # areas built on arithmetic
KINDS = ("single", "judgement", "multiple")  # every area mixes all three
MIN_EXPLANATION_WORDS = 20
OPTION_COUNT = (3, 5)
NEAR_DUPLICATE = 0.85  # similarity of two prompts, from 0 to 1
MAX_SHARE_OF_ONE_POSITION = 0.5
MAX_SHARE_OF_ONE_DIFFICULTY = 0.6
MAX_RETAKE_OVERLAP = 1 / 3  # of a retake's questions that the attempt before had too
CATCH_ALL = re.compile(
    r"\b(all|none|both|neither)\s+of\s+(the\s+)?(above|these|those|options|answers|choices)\b", re.I
)


def kind(question: Any) -> str:
    """The item kind: 'judgement' for a single question with weighted options, else its type."""
    if question.type == "single" and question.weighted:
        return "judgement"
    return question.type


def key_position(question: Any) -> int | None:
    """Where the right (or best) option stands in the file, for single-answer items."""
    if question.type != "single":
        return None
    return max(range(len(question.options)), key=question.option_score)


def lint(bank: Bank) -> list[Problem]:
    """Every content problem of the bank, in file order."""
    problems: list[Problem] = []

    def add(line_key: str, message: str, question: str | None = None) -> None:
        problems.append(Problem(bank.path, bank.lines.get(line_key, 1), message, question))

    for q in bank.questions:
        for message in _question_problems(bank, q):
            add(q.id, message, q.id)
    for message, a, b in _near_duplicates(bank):
        add(b, f"prompt is nearly the same as question '{a}' ({message})", b)
    for dimension in bank.dimensions:
        for message in _area_problems(bank, dimension.id):
            add(f"area:{dimension.id}", f"area '{dimension.id}': {message}")
    return sorted(problems, key=lambda p: p.line)


def _question_problems(bank: Bank, q: Any) -> list[str]:
    out = []
    prefix = bank.scheme.dimension(q.area).id_prefix
    if not q.id.startswith(prefix):
        out.append(f"id should start with '{prefix}', the prefix of area '{q.area}'")
    if q.difficulty is None and q.scored:
        out.append("needs a difficulty: easy, medium or hard")
    words = len(q.explanation.split())
    if q.scored and words < MIN_EXPLANATION_WORDS:
        out.append(
            f"explanation has {words} words; say why the answer is right and why the "
            f"tempting ones are wrong (at least {MIN_EXPLANATION_WORDS} words)"
        )
    if q.has_options:
        low, high = OPTION_COUNT
        if not low <= len(q.options) <= high:
            out.append(f"has {len(q.options)} options; use {low} to {high}")
        for option in q.options:
            if CATCH_ALL.search(option.text):
                out.append(f"option '{option.text}' is a catch-all; write a real option instead")
    if CATCH_ALL.search(q.prompt):
        out.append("prompt refers to 'all/none of the above'")
    if q.type == "numeric":
        if not q.unit:
            out.append("numeric question needs a 'unit'")
        if "tolerance" not in q.model_fields_set:
            out.append("numeric question needs an explicit 'tolerance' (0 for an exact answer)")
    return out


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def _near_duplicates(bank: Bank) -> list[tuple[str, str, str]]:
    found = []
    prompts = [(q.id, _normal(q.prompt)) for q in bank.questions]
    for i, (a, pa) in enumerate(prompts):
        for b, pb in prompts[i + 1 :]:
            matcher = SequenceMatcher(None, pa, pb, autojunk=False)
            if (
                matcher.real_quick_ratio() < NEAR_DUPLICATE
                or matcher.quick_ratio() < NEAR_DUPLICATE
            ):
                continue
            ratio = matcher.ratio()
            if ratio >= NEAR_DUPLICATE:
                label = "the same text" if pa == pb else f"{ratio:.0%} alike"
                found.append((label, a, b))
    return found


def _area_problems(bank: Bank, area: str) -> list[str]:
    out = []
    items = [q for q in bank.in_area(area) if q.scored]
    if len(items) < MIN_SCORED_PER_AREA:
        out.append(f"has {len(items)} scored questions; at least {MIN_SCORED_PER_AREA} are needed")
    kinds = Counter(kind(q) for q in items)
    missing = [k for k in KINDS if not kinds[k]]
    if missing:
        out.append("mixes too few kinds of question; add " + ", ".join(missing))
    if kinds["numeric"] < MIN_NUMERIC.get(area, 0):
        out.append(
            f"has {kinds['numeric']} numeric questions; at least {MIN_NUMERIC[area]} are needed"
        )
    levels = Counter(q.difficulty for q in items if q.difficulty)
    absent = [d for d in DIFFICULTIES if not levels[d]]
    if items and absent:
        out.append("has no " + " or ".join(absent) + " questions")
    for level, count in levels.items():
        if items and count / len(items) > MAX_SHARE_OF_ONE_DIFFICULTY:
            out.append(
                f"{count} of {len(items)} scored questions are {level}; spread the difficulty"
            )
    draw = bank.scheme.draw_count(area)
    if draw and items:
        overlap = repeats_on_retake(strata_sizes(items), draw) / draw
        if overlap > MAX_RETAKE_OVERLAP:
            out.append(
                f"draws {draw} of {len(items)} scored questions, so a retake repeats "
                f"{overlap:.0%} of them; grow the pool to {math.ceil(5 * draw / 3)} "
                f"or draw fewer"
            )
    positions = Counter(p for q in items if (p := key_position(q)) is not None)
    total = sum(positions.values())
    if total >= 4:
        place, count = positions.most_common(1)[0]
        if count / total > MAX_SHARE_OF_ONE_POSITION or len(positions) < 3:
            spread = ", ".join(f"{n}: {positions[n - 1]}" for n in range(1, 6) if positions[n - 1])
            out.append(
                f"the right answer sits in too few places (option {spread}); "
                "spread it across positions"
            )
    return out


def counts(bank: Bank) -> str:
    """Scored questions per area by kind and difficulty, and the unscored (disposition) items."""
    columns = [*KINDS, "numeric", *DIFFICULTIES, "scored", "unscored"]
    rows = [["area", *columns]]
    totals: Counter[str] = Counter()
    for d in bank.dimensions:
        qs = bank.in_area(d.id)
        c: Counter[str] = Counter()
        for q in qs:
            if q.scored:
                c[kind(q)] += 1
                c[q.difficulty or "none"] += 1
                c["scored"] += 1
            else:
                c["unscored"] += 1
        totals.update(c)
        rows.append([d.id, *(str(c[k]) for k in columns)])
    rows.append(["all", *(str(totals[k]) for k in columns)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )
