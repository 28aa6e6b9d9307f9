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

from . import cues
from .bank import DIFFICULTIES, Bank, Problem, kind
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
# Answer cues (quiz.cues), judged over the whole bank and only with enough items to tell
# a habit from chance.
MIN_ITEMS_FOR_CUES = 8
MAX_STRATEGY_ADVANTAGE = 10  # percentage points a length strategy may beat blind guessing by
MAX_RANK_EXCESS = 0.20  # share above chance of the key's commonest length rank
MAX_JUSTIFICATION_GAP = (
    0.05  # between the shares of keys and of distractors that explain themselves
)
MAX_MODAL_RIGHT_COUNT = 0.5  # of multiple-response questions sharing one number of right options
MAX_SAME_OPENING = 1 / 3  # of best judgement options opening with one verb family or word
# A question that names a law or a regulator needs a jurisdiction (EU, UK, US or general).
LAW = re.compile(
    r"\b(GDPR|CCPA|CPRA|FTC|PSD2|DAC7|IOSS|OSS|ePrivacy|directive|regulation \(EU\)|"
    r"law|laws|lawful|unlawful|legal|legally|illegal|act|statutory|tribunal)\b",
    re.I,
)
CATCH_ALL = re.compile(
    r"\b(all|none|both|neither)\s+of\s+(the\s+)?(above|these|those|options|answers|choices)\b", re.I
)


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
    for line_key, message, question in _cue_problems(bank) + _blueprint_problems(bank):
        add(line_key, message, question)
    if bank.settings.minutes is not None:
        add(
            "settings",
            "settings.minutes is no longer read: the time estimate is worked out from the "
            "questions (settings.seconds); remove it",
        )
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
    if q.scored and q.jurisdiction is None:
        texts = [q.prompt, *(o.text for o in q.options)] if q.has_options else [q.prompt]
        law = next((m.group(0) for t in texts if (m := LAW.search(t))), None)
        if law:
            out.append(
                f"mentions '{law}': say which law it assumes with 'jurisdiction' "
                "(EU, UK, US or general)"
            )
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


Found = tuple[str, str, str | None]  # (line key, message, question id)


def _cue_problems(bank: Bank) -> list[Found]:
    """What a test-wise guesser could exploit, bank-wide (quiz.cues): length strategies
    against chance, the key's length rank, justification words, right-option counts and
    the openings of best judgement options."""
    scored = [q for q in bank.questions if q.scored]
    out: list[Found] = []
    for s in cues.length_strategies(scored):
        if s.items < MIN_ITEMS_FOR_CUES:
            continue
        if s.advantage > MAX_STRATEGY_ADVANTAGE:
            name = "longest" if s.longest >= s.second_longest else "second-longest"
            out.append(
                (
                    "questions",
                    f"{s.kind} items: always picking the {name} option scores "
                    f"{max(s.longest, s.second_longest):.0f}% against {s.chance:.0f}% by "
                    f"chance; vary which option is longest",
                    None,
                )
            )
        out += _rank_problems(scored, s.kind)
    out += _justification_problems(scored)
    counts = cues.right_option_counts(scored)
    total = sum(counts.values())
    if total >= MIN_ITEMS_FOR_CUES:
        modal, n = counts.most_common(1)[0]
        if n / total > MAX_MODAL_RIGHT_COUNT:
            out.append(
                (
                    "questions",
                    f"{n} of {total} multiple-response questions have {modal} right options; "
                    "vary the number right from 1 to 4",
                    None,
                )
            )
    out += _opening_problems(scored)
    return out


def _rank_problems(scored: list[Any], kind_name: str) -> list[Found]:
    items = [q for q in scored if kind(q) == kind_name]
    ranks = Counter(cues.key_length_rank(q) for q in items)
    rank, n = ranks.most_common(1)[0]
    chance = sum(1 / len(q.options) for q in items if rank < len(q.options)) / len(items)
    if n / len(items) - chance <= MAX_RANK_EXCESS:
        return []
    where = ["longest", "second-longest", "third-longest"]
    label = where[rank] if rank < len(where) else f"number {rank + 1} by length"
    out: list[Found] = [
        (
            "questions",
            f"{kind_name} items: the key is the {label} option in {n} of {len(items)} "
            f"({n / len(items):.0%}, {chance:.0%} by chance); the questions follow",
            None,
        )
    ]
    out += [
        (q.id, f"the key is the {label} option", q.id)
        for q in items
        if cues.key_length_rank(q) == rank
    ]
    return out


def _justification_problems(scored: list[Any]) -> list[Found]:
    found = cues.justifications(scored)
    if found.key_total + found.distractor_total < MIN_ITEMS_FOR_CUES:
        return []
    gap = found.distractor_share - found.key_share
    if abs(gap) <= MAX_JUSTIFICATION_GAP:
        return []
    side = "distractors" if gap > 0 else "keys"
    out: list[Found] = [
        (
            "questions",
            f"options that explain themselves ('because …', 'since …'): {found.key_share:.0%} "
            f"of keys against {found.distractor_share:.0%} of distractors, so they mark "
            f"the {side}; use them in both alike or in neither",
            None,
        )
    ]
    for q in scored:
        if not q.has_options:
            continue
        keyed = cues.keys_of(q)
        for i, option in enumerate(q.options):
            if (i in keyed) == (side == "keys") and cues.JUSTIFICATION.search(option.text):
                out.append((q.id, f"option {i + 1} explains itself: '{option.text}'", q.id))
    return out


def _opening_problems(scored: list[Any]) -> list[Found]:
    judgement = [q for q in scored if kind(q) == "judgement"]
    if len(judgement) < MIN_ITEMS_FOR_CUES:
        return []
    best = [
        (q, q.options[i].text.strip())
        for q in judgement
        for i, m in enumerate(cues.marks(q))
        if m == 1
    ]
    openings = cues.investigate_first(judgement)
    words = Counter(_first_word(text) for _, text in best)
    word, n_word = words.most_common(1)[0]
    out: list[Found] = []
    if openings.best / len(best) > MAX_SAME_OPENING:
        out.append(
            (
                "questions",
                f"{openings.best} of {len(best)} best judgement options start by finding out "
                f"first (Analyse, Check, Ask, Review …), against {openings.others} of "
                f"{openings.others_total} other options; write scenarios where acting at "
                "once is best",
                None,
            )
        )
        out += [
            (q.id, f"the best option starts by finding out first: '{text}'", q.id)
            for q, text in best
            if cues.INVESTIGATE_FIRST.match(text)
        ]
    elif n_word / len(best) > MAX_SAME_OPENING:
        out.append(
            (
                "questions",
                f"{n_word} of {len(best)} best judgement options start with '{word}'; "
                "vary how the best options begin",
                None,
            )
        )
    return out


def _first_word(text: str) -> str:
    return re.sub(r"[^a-z-]", "", text.split()[0].lower()) if text.split() else ""


def _blueprint_problems(bank: Bank) -> list[Found]:
    """With a blueprint, every topic is sampled by a scored question and every scored
    question names its topics."""
    if not bank.blueprint:
        return []
    scored = [q for q in bank.questions if q.scored]
    sampled = Counter(t for q in scored for t in q.topics)
    out: list[Found] = [
        (
            f"topic:{t.id}",
            f"topic '{t.id}' ({t.duty}: {t.name}) has no scored question",
            None,
        )
        for t in bank.blueprint
        if not sampled[t.id]
    ]
    out += [(q.id, "names no blueprint topic: add 'topics'", q.id) for q in scored if not q.topics]
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
