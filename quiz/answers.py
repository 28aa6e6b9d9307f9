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

_CURRENCY = "€$£¥"
_ALLOWED = re.compile(r"[\d.,' _]+")
_EXPONENT = re.compile(r"(\d+[.,]?\d*|[.,]\d+)[eE][+-]?\d+")
_ONE_THOUSANDS_GROUP = re.compile(r"[1-9]\d{0,2},\d{3}")
_DIGITS = re.compile(r"\d*")


# SQLite's integers are signed 64-bit: a larger number is no row, not an overflow.
SQLITE_MAX_INT = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def whole_number(text: str | None, maximum: int = SQLITE_MAX_INT) -> int | None:
    """A whole number written in ASCII digits, from 0 to ``maximum``; None for anything else.

    Python's ``int`` also reads "٣" and other Unicode digits, and ``str.isdigit`` admits
    "²" and "③", which ``int`` then refuses: every number taken from a URL or a form
    goes through here instead.
    """
    if text is None or not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= maximum else None


class AnswerError(ValueError):
    """An answer that cannot be accepted; the message is for the taker."""


def parse_number(text: str, unit: str | None = None) -> Decimal:
    """A number as people type it: '2.5', '2,5', '1,200', '1.234,5', '€45', '43.2 minutes'.

    The rule, form by form, is in docs/question-bank.md (the ``numeric`` type).
    """
    shown = text.strip()[:40]
    s = text.strip().replace("\u2212", "-")
    if len(s) > 40:
        raise AnswerError("That number is too long. Enter a number such as 43.2.")
    for suffix in filter(None, (unit, "%", *_CURRENCY)):
        s = s.removesuffix(suffix).strip()
    for prefix in _CURRENCY:
        s = s.removeprefix(prefix).strip()
    sign = ""
    if s[:1] in ("+", "-"):
        sign, s = s[0], s[1:].strip()
        for prefix in _CURRENCY:
            s = s.removeprefix(prefix).strip()
    # Any space (no-break, thin, narrow no-break...) and either apostrophe only ever group digits.
    body = re.sub(r"\s", " ", s).replace("\u2019", "'")
    if _EXPONENT.fullmatch(body):
        raise AnswerError(
            f"“{shown}” uses an exponent. Write the number out in full, such as 1200 for 1.2e3."
        )
    if not _ALLOWED.fullmatch(body) or not re.search(r"\d", body):
        raise AnswerError(f"“{shown}” is not a number. Enter a number such as 43.2.")
    parts = _split(body)
    if parts is None:
        raise AnswerError(
            f"“{shown}” is not a number: its separators are in the wrong places. "
            "Group digits in threes, as in 1,234,567.5, or leave the groups out."
        )
    whole, fraction = parts
    try:
        return Decimal(f"{sign}{whole or '0'}.{fraction}" if fraction else f"{sign}{whole}")
    except InvalidOperation:  # pragma: no cover - _split admits only digits
        raise AnswerError("Enter a number such as 43.2.") from None


def _split(body: str) -> tuple[str, str] | None:
    """The digits before and after the decimal mark, or None when the separators are misplaced.

    ``body`` holds digits, '.', ',', and spaces, apostrophes and underscores
    (each space already a plain space).
    """
    group_only = set(body) & {" ", "'", "_"}
    marks = [c for c in body if c in ".,"]
    point: str | None
    group: str | None
    if group_only:
        # 1 234,5  1'234.5: the space or apostrophe groups; a single mark is the decimal one.
        if len(group_only) > 1 or len(marks) > 1:
            return None
        group, point = group_only.pop(), (marks[0] if marks else None)
    elif not marks:
        group, point = None, None
    elif len(set(marks)) == 2:
        # 1,234.5  1.234,5: the last mark is the decimal one and appears once.
        point = marks[-1]
        if marks.count(point) > 1:
            return None
        group = "," if point == "." else "."
    elif len(marks) > 1:
        # 1,234,567  1.234.567: a repeated mark can only group.
        group, point = marks[0], None
    elif marks[0] == ".":
        group, point = None, "."
    elif _ONE_THOUSANDS_GROUP.fullmatch(body):
        # 1,234: one comma, three digits after 1 to 3 digits not starting with 0.
        group, point = ",", None
    else:
        # 0,125  ,5  1,5  12,50  12,3456  1234,567: a decimal comma.
        group, point = None, ","
    whole, _, fraction = body.partition(point) if point else (body, "", "")
    if group:
        g = re.escape(group)
        western = rf"[1-9]\d{{0,2}}({g}\d{{3}})+"
        indian = r"[1-9]\d?(,\d\d)+,\d{3}"  # 1,23,456 (lakh and crore)
        if not (re.fullmatch(western, whole) or (group == "," and re.fullmatch(indian, whole))):
            return None
        whole = whole.replace(group, "")
    if not (_DIGITS.fullmatch(whole) and _DIGITS.fullmatch(fraction)) or not whole + fraction:
        return None
    return whole, fraction


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
            position = whole_number(value.strip(), len(order) - 1)
            if position is None:
                raise AnswerError("That option is not one of this question's choices.")
            shown.append(order[position])
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
        return " or ".join(_number_key(a, question.unit) for a in question.right_answers)
    return "No right answer: this describes you"


def plain_number(value: float) -> str:
    """A number as the bank holds it, in full: 12345678901.5, not 1.23457e+10."""
    exact = Decimal(repr(value))
    if exact == exact.to_integral_value():
        return str(int(exact))
    return format(exact.normalize(), "f")


def _number_key(answer: Any, unit: str | None) -> str:
    text = with_unit(plain_number(answer.answer), unit)
    tolerance = answer.tolerance
    if not tolerance:
        return text
    if not isinstance(tolerance, str):
        tolerance = with_unit(plain_number(tolerance), unit)
    return f"{text} (± {tolerance})"


def key_label(question: Any) -> str:
    """What the review calls :func:`key`: a judgement item's best answer, else the right one."""
    return "Best answer" if question.type == "single" and question.weighted else "Right answer"


def with_unit(value: str, unit: str | None) -> str:
    if not unit:
        return value
    return f"{value}{unit}" if unit in ("%", "‰", ":1") else f"{value} {unit}"
