"""Reading answers from form values, and saying them in words."""

from __future__ import annotations

from decimal import Decimal

import pytest

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


@pytest.mark.parametrize(
    "text", ["abc", "2..5", "1,2,3", "12e5", "NaN", "Infinity", "1" * 41, "--2"]
)
def test_parse_number_refuses_what_is_not_a_number(text):
    with pytest.raises(AnswerError):
        parse_number(text)


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
