"""Reading answers from form values, and saying them in words."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.answers import AnswerError, describe, key, parse_number, read_answer
from quiz.bank import load

from .helpers import SMALL_BANK

BANK = load(SMALL_BANK)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2", "2"),
        ("2.5", "2.5"),
        (" 2,5 ", "2.5"),
        ("1,200", "1200"),
        ("1 200", "1200"),
        ("€45", "45"),
        ("45 €", "45"),
        ("$92,000", "92000"),
        ("2%", "2"),
        ("-3", "-3"),
        ("\u22123", "-3"),
        ("43.2 minutes", "43.2"),
        ("0.30", "0.30"),
    ],
)
def test_parse_number_reads_what_people_type(text, expected):
    unit = "minutes" if "minutes" in text else None
    assert parse_number(text, unit) == Decimal(expected)


# Issue 14, point 7: every form of the rule in docs/question-bank.md (the numeric type).
@pytest.mark.parametrize(
    "text, expected",
    [
        # a comma: decimal unless it is one group of three digits after 1 to 3 digits not
        # starting with 0
        ("0,125", "0.125"),
        ("00,125", "0.125"),
        (",5", "0.5"),
        (",125", "0.125"),
        ("1,5", "1.5"),
        ("12,50", "12.50"),
        ("12,3456", "12.3456"),
        ("1234,567", "1234.567"),
        ("5,", "5"),
        ("1,200", "1200"),
        ("1,234", "1234"),  # the ambiguous form: thousands
        ("999,999", "999999"),
        # a point alone is a decimal point, even before three digits
        ("1.234", "1.234"),
        (".5", "0.5"),
        ("5.", "5"),
        # repeated separators group thousands, in either convention
        ("1,234,567", "1234567"),
        ("1.234.567", "1234567"),
        ("1,234.5", "1234.5"),
        ("1,234,567.89", "1234567.89"),
        ("1,234.", "1234"),
        ("1.234,5", "1234.5"),
        ("1.234.567,89", "1234567.89"),
        ("1.234,567", "1234.567"),
        # Indian grouping (lakh, crore)
        ("1,23,456", "123456"),
        ("12,34,567.5", "1234567.5"),
        ("1,00,00,000", "10000000"),
        # spaces, apostrophes and underscores only group; the one mark left is decimal
        ("1 234,5", "1234.5"),
        ("1 234.5", "1234.5"),
        ("1 234,567", "1234.567"),
        ("1 234 567", "1234567"),
        ("1\u00a0234,5", "1234.5"),  # no-break space
        ("1\u2009234,5", "1234.5"),  # thin space
        ("1\u202f234,5", "1234.5"),  # narrow no-break space
        ("1'234.5", "1234.5"),  # Swiss
        ("1\u2019234.5", "1234.5"),  # Swiss, typographic apostrophe
        ("1_000", "1000"),
        # signs
        ("-0,5", "-0.5"),
        ("\u22120,5", "-0.5"),  # Unicode minus
        ("+3", "3"),
        ("- 3", "-3"),
        ("-€45", "-45"),
        ("€-45", "-45"),
        ("-1.234,5 €", "-1234.5"),
    ],
)
def test_parse_number_reads_every_form_of_the_rule(text, expected):
    assert parse_number(text) == Decimal(expected)


def test_parse_number_keeps_the_digits_typed():
    assert str(parse_number("0,125")) == "0.125"
    assert str(parse_number("12,50")) == "12.50"
    assert str(parse_number("1.234.567,89")) == "1234567.89"


@pytest.mark.parametrize(
    "text", ["abc", "2..5", "1,2,3", "12e5", "NaN", "Infinity", "1" * 41, "--2"]
)
def test_parse_number_refuses_what_is_not_a_number(text):
    with pytest.raises(AnswerError):
        parse_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "1,2,3",
        "1.2.3",
        "2..5",
        "1,,234",
        "12,34,56",  # Indian grouping must end with a group of three
        "0,125,000",  # a group cannot follow a leading 0
        "1234,567,890",
        "1,234.5.6",
        "1.234,5,6",
        "1.2,3",
        "12 5",
        "1 23",
        "0.123 456",
        "1 234,567.5",  # two kinds of grouping
        "1'234 567",
        "1 234,5,6",
    ],
)
def test_parse_number_refuses_misplaced_separators(text):
    with pytest.raises(AnswerError, match="is not a number: its separators are in the wrong"):
        parse_number(text)


@pytest.mark.parametrize("text", ["1e3", "1E3", "1.5e-3", "2,5E+2", "-1e3", ".5e1"])
def test_parse_number_refuses_an_exponent_and_says_so(text):
    with pytest.raises(AnswerError, match="uses an exponent. Write the number out in full"):
        parse_number(text)


@pytest.mark.parametrize("text", [",", ".", "-", "+", "-,", "€", "e3", "1-2", "1/2", "½", "x1"])
def test_parse_number_refuses_forms_without_a_number(text):
    with pytest.raises(AnswerError, match="is not a number. Enter a number such as 43.2."):
        parse_number(text)


def _indian(whole: str) -> str:
    if len(whole) <= 3:
        return whole
    head, last = whole[:-3], whole[-3:]
    pairs = []
    while len(head) > 2:
        head, pair = head[:-2], head[-2:]
        pairs.insert(0, pair)
    return ",".join([head, *pairs, last])


def _forms(value: Decimal) -> list[str]:
    """``value`` written with thousands separators in every convention the rule reads."""
    western = f"{value:,f}"  # 1,234,567.5
    sign = "-" if western.startswith("-") else ""
    whole, _, fraction = western.lstrip("-").partition(".")
    digits = whole.replace(",", "")
    point = f".{fraction}" if fraction else ""
    comma = f",{fraction}" if fraction else ""
    return [
        western,
        sign + whole.replace(",", ".") + comma,  # 1.234.567,5
        sign + whole.replace(",", " ") + comma,  # 1 234 567,5
        sign + whole.replace(",", "\u202f") + point,  # narrow no-break space
        sign + whole.replace(",", "'") + point,  # 1'234'567.5
        sign + _indian(digits) + point,  # 12,34,567.5
        sign + digits + point,
        sign + digits + comma,
    ]


def _is_one_comma_group(form: str) -> bool:
    """The ambiguous shape: one separator, three digits after 1 to 3 digits not starting with 0."""
    return re.fullmatch(r"-?[1-9]\d{0,2}[.,]\d{3}", form) is not None


@given(
    whole=st.integers(min_value=-(10**15), max_value=10**15),
    places=st.integers(min_value=0, max_value=6),
)
def test_parse_number_reads_back_any_number_grouped_in_either_convention(whole, places):
    value = Decimal(whole).scaleb(-places)
    for form in _forms(value):
        # The ambiguous shape reads 1,234 as thousands and 1.234 as a decimal, whatever was meant.
        expected = Decimal(form.replace(",", "")) if _is_one_comma_group(form) else value
        assert parse_number(form) == expected, form
        assert parse_number(form.replace("-", "\u2212") + " €") == expected, form


def test_the_ambiguous_forms_read_as_documented():
    # A taker who means one point two three four types 1.234; one thousand two hundred and
    # thirty-four, 1,234 or 1234. 1,234 is never read as 1.234.
    assert parse_number("1,234") == Decimal("1234")
    assert parse_number("1.234") == Decimal("1.234")
    assert parse_number("0,234") == Decimal("0.234")
    assert parse_number("1,2345") == Decimal("1.2345")


def test_single_answer_maps_the_shown_position_to_the_bank_option():
    q = BANK.by_id["te-lcp-good"]
    order = [2, 0, 3, 1]  # shown first is the bank's third option
    assert read_answer(q, order, ["1"]) == 0
    assert read_answer(q, order, []) is None
    assert read_answer(q, order, [""]) is None


@pytest.mark.parametrize("values", [["4"], ["-1"], ["x"], ["0", "1"], ["99999999999999999999"]])
def test_single_refuses_unknown_or_several_options(values):
    with pytest.raises(AnswerError):
        read_answer(BANK.by_id["te-lcp-good"], [0, 1, 2, 3], values)


def test_multiple_answer_is_sorted_and_unique():
    q = BANK.by_id["te-pci-never-store"]
    assert read_answer(q, [4, 3, 2, 1, 0], ["0", "4", "0"]) == [0, 4]


def test_numeric_and_likert_answers():
    assert read_answer(BANK.by_id["an-uptime-999"], [], ["43.2 minutes"]) == "43.2"
    with pytest.raises(AnswerError, match="is not a number"):
        read_answer(BANK.by_id["an-uptime-999"], [], ["forty"])
    assert read_answer(BANK.by_id["cl-pressure-hours"], [], ["4"]) == 4
    with pytest.raises(AnswerError):
        read_answer(BANK.by_id["cl-pressure-hours"], [], ["6"])


def test_answers_and_keys_in_words():
    assert describe(BANK.by_id["te-lcp-good"], 0) == "2.5 seconds"
    assert describe(BANK.by_id["te-lcp-good"], None) == "Not answered"
    assert key(BANK.by_id["an-uptime-999"]) == "43.2 minutes (± 0.1 minutes)"
    assert key(BANK.by_id["an-conversion-rate"]) == "2%"
    assert key(BANK.by_id["te-peak-release"]).startswith("Keep it behind a feature flag")
    assert describe(BANK.by_id["cl-pressure-hours"], 4) == "4 — Agree"
