"""Read a taker's answer from submitted form values. Pure functions.

Options are shown in an order drawn for the attempt and submitted by their
position on screen, which says nothing about which one is right; the answer
is stored by the option's index in the bank.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from .bank import Likert, Multiple, Numeric, Single
from .scoring import Answer

LIKERT_LABELS = (
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
)

_PLAIN = re.compile(r"[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d{1,2}")
_CURRENCY = "€$£¥"


class AnswerError(ValueError):
    """An answer that cannot be accepted; the message is for the taker."""


def parse_number(text: str, unit: str | None = None) -> Decimal:
    """A number as people type it: '2.5', '2,5', '1,200', '€45', '2 %', '43.2 minutes'."""
    s = text.strip().replace("\u2212", "-")
    if len(s) > 40:
        raise AnswerError("That number is too long. Enter a number such as 43.2.")
    for suffix in filter(None, (unit, "%", *_CURRENCY)):
        s = s.removesuffix(suffix).strip()
    for prefix in _CURRENCY:
        s = s.removeprefix(prefix).strip()
    s = re.sub(r"[\s_\u00a0\u202f]", "", s)
    if _DECIMAL_COMMA.fullmatch(s):
        s = s.replace(",", ".")
    if not _PLAIN.fullmatch(s):
        raise AnswerError(f"“{text.strip()[:40]}” is not a number. Enter a number such as 43.2.")
    try:
        return Decimal(s.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise AnswerError("Enter a number such as 43.2.") from None


def read_answer(question: Any, order: Sequence[int], values: Sequence[str]) -> Answer:
    """The answer in the form's values, or None when the question is left blank.

    ``order`` is the bank index of each option in the order shown; ``values``
    are all values submitted under the answer's field name.
    """
    values = [v for v in values if v.strip()]
    if not values:
        return None
    if isinstance(question, (Single, Multiple)):
        shown = []
        for value in values:
            if not value.isdigit() or int(value) >= len(order):
                raise AnswerError("That option is not one of this question's choices.")
            shown.append(order[int(value)])
        if isinstance(question, Single):
            if len(set(shown)) > 1:
                raise AnswerError("Choose only one option for this question.")
            return shown[0]
        return sorted(set(shown))
    if isinstance(question, Numeric):
        if len(values) > 1:
            raise AnswerError("Enter one number for this question.")
        return str(parse_number(values[0], question.unit))
    if isinstance(question, Likert):
        if len(values) > 1 or values[0] not in {"1", "2", "3", "4", "5"}:
            raise AnswerError("Choose one point of the scale, from 1 to 5.")
        return int(values[0])
    raise TypeError(f"unknown question type {type(question).__name__}")


def describe(question: Any, answer: Answer) -> str:
    """The answer in words, for the review."""
    if answer is None:
        return "Not answered"
    if isinstance(question, Single):
        return question.options[answer].text
    if isinstance(question, Multiple):
        return "; ".join(question.options[i].text for i in answer)
    if isinstance(question, Numeric):
        return with_unit(answer, question.unit)
    return f"{answer} — {LIKERT_LABELS[answer - 1]}"


def key(question: Any) -> str:
    """The right answer in words, for the review."""
    if isinstance(question, Single):
        if question.weighted:
            best = max(question.options, key=lambda o: o.score or 0)
            return best.text
        return next(o.text for o in question.options if o.correct)
    if isinstance(question, Multiple):
        return "; ".join(question.options[i].text for i in sorted(question.correct_indexes))
    if isinstance(question, Numeric):
        text = with_unit(f"{question.answer:g}", question.unit)
        tolerance = question.tolerance
        if not tolerance:
            return text
        if not isinstance(tolerance, str):
            tolerance = with_unit(f"{tolerance:g}", question.unit)
        return f"{text} (± {tolerance})"
    return "No right answer: this describes you"


def key_label(question: Any) -> str:
    """What the review calls :func:`key`: a judgement item's best answer, else the right one."""
    return "Best answer" if question.type == "single" and question.weighted else "Right answer"


def with_unit(value: str, unit: str | None) -> str:
    if not unit:
        return value
    return f"{value}{unit}" if unit in ("%", "‰", ":1") else f"{value} {unit}"
