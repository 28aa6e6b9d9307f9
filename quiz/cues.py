"""Answer cues: what a test-wise guesser earns from the look of the options alone.

A bank leaks its keys when the right option is usually the longest (or, after
writers learn that, the second-longest), when only the keys explain themselves
("…, because …"), when the best judgement option always starts "Ask" or
"Check", or when multiple-response questions nearly always have the same number
of right options. Each function here measures one such cue over a list of
questions; ``quiz validate --strict`` (``quiz.lint``) turns them into warnings.
Pure: works on loaded questions.

Sources: Haladyna, Downing and Rodriguez (2002), "A review of multiple-choice
item-writing guidelines", Applied Measurement in Education 15(3) — options of
similar length, no grammatical or length cues; Millman, Bishop and Ebel (1965)
on test-wiseness (choosing the longest or most qualified option).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .bank import kind

# Words that make an option explain itself. In keys alone they point at the key.
JUSTIFICATION = re.compile(
    r"\b(because|since|so that|in order to|which means|as this|as it|to avoid|"
    r"otherwise|given that|due to)\b",
    re.I,
)
# Openings of "find out first" options: if the best judgement option nearly always
# starts this way, "pick the cautious one" beats judgement.
INVESTIGATE_FIRST = re.compile(
    r"^(analy[sz]e|check|ask|listen|review|investigate|look|find out|gather|confirm|"
    r"watch|observe|survey|"
    r"clarify|understand|explore|assess|research|examine|dig|audit|verify|study)\b",
    re.I,
)


def marks(question: Any) -> list[float]:
    """Each option's mark when picked alone, 0..1 (single and judgement items)."""
    return [question.option_score(i) for i in range(len(question.options))]


def keys_of(question: Any) -> set[int]:
    """Indexes of the keys: the right options of a multiple-response question, the
    right (or best) option of a single-answer or judgement one."""
    if question.type == "multiple":
        return set(question.correct_indexes)
    scores = marks(question)
    return {i for i, m in enumerate(scores) if m == max(scores)}


def length_rank_score(question: Any, rank: int) -> float:
    """The expected mark of always picking the option whose length (in characters)
    ranks ``rank`` (0 = longest, 1 = second-longest); options of equal length share
    the rank, so the mark is their mean. Single and judgement items only."""
    lengths = [len(o.text.strip()) for o in question.options]
    ordered = sorted(lengths, reverse=True)
    target = ordered[min(rank, len(ordered) - 1)]
    picked = [m for m, n in zip(marks(question), lengths, strict=True) if n == target]
    return sum(picked) / len(picked)


def key_length_rank(question: Any) -> int:
    """The rank of the key's (best option's) length among the options: 0 = longest.
    Ties count the key as the lower rank, so a key as long as another is not 'the
    longest'."""
    scores = marks(question)
    key = max(range(len(scores)), key=scores.__getitem__)
    length = len(question.options[key].text.strip())
    return sum(1 for o in question.options if len(o.text.strip()) > length)


@dataclass(frozen=True)
class Strategy:
    """Expected percent scored by a strategy against blind guessing, over some items."""

    kind: str
    items: int
    longest: float  # percent, always picking the longest option
    second_longest: float  # percent, always picking the second-longest
    chance: float  # percent, one option at random

    @property
    def advantage(self) -> float:
        """How far the better length strategy beats chance, in percentage points."""
        return max(self.longest, self.second_longest) - self.chance


def length_strategies(questions: Sequence[Any]) -> list[Strategy]:
    """Per kind ('single', 'judgement'), what the length strategies earn (percent)."""
    out = []
    for name in ("single", "judgement"):
        items = [q for q in questions if q.scored and kind(q) == name]
        if not items:
            continue
        n = len(items)
        out.append(
            Strategy(
                name,
                n,
                100 * sum(length_rank_score(q, 0) for q in items) / n,
                100 * sum(length_rank_score(q, 1) for q in items) / n,
                100 * sum(sum(marks(q)) / len(q.options) for q in items) / n,
            )
        )
    return out


def key_rank_counts(questions: Sequence[Any], name: str) -> Counter[int]:
    """How many keys of one kind ('single' or 'judgement') rank 0 (longest), 1, 2… by length."""
    return Counter(key_length_rank(q) for q in questions if q.scored and kind(q) == name)


@dataclass(frozen=True)
class Justifications:
    """How often keys and distractors carry a justification ("because …")."""

    keys: int
    key_total: int
    distractors: int
    distractor_total: int

    @property
    def key_share(self) -> float:
        return self.keys / self.key_total if self.key_total else 0.0

    @property
    def distractor_share(self) -> float:
        return self.distractors / self.distractor_total if self.distractor_total else 0.0


def justifications(questions: Sequence[Any]) -> Justifications:
    """Justification words in keys (correct or best options) and in the other options
    of scored single, judgement and multiple-response questions."""
    keys = key_total = wrong = wrong_total = 0
    for q in questions:
        if not (q.scored and q.has_options):
            continue
        keyed = keys_of(q)
        for i, option in enumerate(q.options):
            hit = bool(JUSTIFICATION.search(option.text))
            if i in keyed:
                keys, key_total = keys + hit, key_total + 1
            else:
                wrong, wrong_total = wrong + hit, wrong_total + 1
    return Justifications(keys, key_total, wrong, wrong_total)


def right_option_counts(questions: Sequence[Any]) -> Counter[int]:
    """How many multiple-response questions have 1, 2, 3… right options."""
    return Counter(len(q.correct_indexes) for q in questions if q.scored and q.type == "multiple")


@dataclass(frozen=True)
class Openings:
    """How often judgement options start with a find-out-first verb (INVESTIGATE_FIRST)."""

    best: int
    best_total: int
    others: int
    others_total: int


def investigate_first(questions: Sequence[Any]) -> Openings:
    """Find-out-first openings among best judgement options and the other options."""
    best = best_total = others = others_total = 0
    for q in questions:
        if not (q.scored and kind(q) == "judgement"):
            continue
        for option, mark in zip(q.options, marks(q), strict=True):
            hit = bool(INVESTIGATE_FIRST.match(option.text.strip()))
            if mark == 1:
                best, best_total = best + hit, best_total + 1
            else:
                others, others_total = others + hit, others_total + 1
    return Openings(best, best_total, others, others_total)


def report(questions: Sequence[Any]) -> str:
    """The cue figures as a few lines of text, for ``quiz cues`` and writers."""
    lines = []
    for s in length_strategies(questions):
        lines.append(
            f"{s.kind} ({s.items} items): always longest {s.longest:.0f}%, always "
            f"second-longest {s.second_longest:.0f}%, chance {s.chance:.0f}%"
        )
        ranks = key_rank_counts(questions, s.kind)
        lines.append(
            "  key's length rank (1 = longest): "
            + ", ".join(f"{r + 1}: {ranks[r]}" for r in sorted(ranks))
        )
    j = justifications(questions)
    lines.append(
        f"justification words: keys {j.keys}/{j.key_total} ({j.key_share:.0%}), "
        f"distractors {j.distractors}/{j.distractor_total} ({j.distractor_share:.0%})"
    )
    counts = right_option_counts(questions)
    if counts:
        lines.append(
            "multiple-response, right options: "
            + ", ".join(f"{k} right: {counts[k]}" for k in sorted(counts))
        )
    o = investigate_first(questions)
    if o.best_total:
        lines.append(
            f"judgement options opening with a find-out-first verb: best {o.best}/"
            f"{o.best_total}, others {o.others}/{o.others_total}"
        )
    return "\n".join(lines)
