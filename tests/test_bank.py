"""Loading and validating the question bank: one test per kind of problem."""

from __future__ import annotations

import logging
import os
from decimal import Decimal

import pytest

from quiz import bundled
from quiz.bank import BankError, BankSource, load, parse, question_from_body, version_hash

from .helpers import SMALL_BANK

TEXT = SMALL_BANK.read_text()


def line_of(text: str, needle: str) -> int:
    """The 1-based line where ``needle`` first appears."""
    index = text.index(needle)
    return text[:index].count("\n") + 1


def edited(old: str, new: str, text: str = TEXT) -> str:
    assert old in text, f"the bank no longer contains {old!r}"
    return text.replace(old, new, 1)


def problems(text: str) -> list[str]:
    with pytest.raises(BankError) as caught:
        parse(text, "questions.yaml")
    return [str(p) for p in caught.value.problems]


def test_bundled_bank_is_valid():
    bank = load(bundled("questions.yaml"))
    assert {d.id for d in bank.dimensions} == {"technical", "business", "analytical", "client"}
    for area in bank.dimensions:
        assert len(bank.in_area(area.id)) >= 3
    assert {q.type for q in bank.questions} == {"single", "multiple", "numeric", "likert"}


def test_summary_counts_areas_and_types():
    summary = parse(TEXT, "questions.yaml").summary()
    assert summary.startswith("questions.yaml: 16 questions (technical 4, business 4,")
    assert "single 8, multiple 3, numeric 3, likert 2" in summary


def test_missing_answer_names_file_line_and_question():
    text = edited("    answer: 43.2\n", "")
    line = line_of(text, "- id: an-uptime-999")
    assert problems(text) == [
        f"questions.yaml:{line}: question 'an-uptime-999': numeric question needs 'answer'"
    ]


def test_unknown_key_is_reported_on_its_line():
    text = edited(
        "      - text: 2.5 seconds\n        correct: true",
        "      - text: 2.5 seconds\n        corect: true",
    )
    line = line_of(text, "corect: true")
    assert problems(text) == [
        f"questions.yaml:{line}: question 'te-lcp-good': unknown key 'options[0].corect'"
    ]


def test_unknown_type():
    text = edited(
        "    type: numeric\n    difficulty: easy\n    prompt: >-\n      Last month",
        "    type: number\n    difficulty: easy\n    prompt: >-\n      Last month",
    )
    [problem] = problems(text)
    assert (
        "question 'an-conversion-rate': 'type' must be one of single, multiple, numeric" in problem
    )


def test_wrong_value_type():
    text = edited("    answer: 45\n", "    answer: forty-five\n")
    [problem] = problems(text)
    assert problem == (
        f"questions.yaml:{line_of(text, 'answer: forty-five')}: "
        "question 'an-aov': 'answer' must be a number"
    )


def test_single_needs_exactly_one_correct_option():
    text = edited("      - text: 1.0 second\n", "      - text: 1.0 second\n        correct: true\n")
    [problem] = problems(text)
    assert "question 'te-lcp-good': single question needs exactly one option" in problem
    assert problem.startswith(f"questions.yaml:{line_of(text, '    options:')}:")


def test_weighted_options_need_a_best_of_one():
    text = edited(
        "        score: 1\n      - text: Release it now",
        "        score: 0.75\n      - text: Release it now",
    )
    [problem] = problems(text)
    assert "question 'te-peak-release': the best option needs a score of 1" in problem


def test_weights_and_correct_flags_do_not_mix():
    text = edited(
        "        score: 1\n      - text: Release it now",
        "        score: 1\n        correct: true\n      - text: Release it now",
    )
    [problem] = problems(text)
    assert "use either 'score' weights or 'correct', not both" in problem


def test_every_option_or_none_has_a_score():
    text = edited(
        "        score: 0.5\n      - text: Release it to everyone",
        "      - text: Release it to everyone",
    )
    [problem] = problems(text)
    assert "give every option a 'score', or none of them" in problem


def test_multiple_needs_a_correct_and_a_wrong_option():
    no_right = TEXT
    for option in ("(CVV2/CVC2)", "(track data)", "PIN block"):
        no_right = edited(f"{option}\n        correct: true", option, no_right)
    assert "multiple question needs at least one correct option" in problems(no_right)[0]
    all_right = edited(
        "      - text: The cardholder's name\n      - text: The card number, rendered unreadable\n",
        "      - text: The cardholder's name\n        correct: true\n"
        "      - text: The card number, rendered unreadable\n        correct: true\n",
    )
    assert "multiple question needs at least one wrong option" in problems(all_right)[0]


def test_too_few_options():
    # Two options are a true/false question; one is not a question.
    text = edited("      - text: 1.0 second\n", "")
    text = edited("      - text: 4.0 seconds\n      - text: 5.0 seconds\n", "", text)
    [problem] = problems(text)
    assert "question 'te-lcp-good': 'options' needs at least 2 items" in problem


def test_duplicate_option_text():
    text = edited("      - text: 5.0 seconds\n", "      - text: 4.0 Seconds\n")
    [problem] = problems(text)
    assert problem.startswith(f"questions.yaml:{line_of(text, '- text: 4.0 Seconds')}:")
    assert "two options have the same text" in problem


def test_duplicate_question_id_points_at_the_first():
    text = edited("- id: bu-c2c-example", "- id: te-lcp-good")
    first = line_of(text, "- id: te-lcp-good")
    second = line_of(text, "- id: te-lcp-good\n    area: business")
    assert problems(text) == [
        f"questions.yaml:{second}: question 'te-lcp-good': "
        f"duplicate id (first used on line {first})"
    ]


def test_unknown_area():
    text = edited(
        "    area: business\n    type: single\n    difficulty: easy",
        "    area: marketing\n    type: single\n    difficulty: easy",
    )
    [problem] = problems(text)
    assert "question 'bu-c2c-example': unknown area 'marketing'" in problem
    assert "technical, business, analytical, client" in problem


def test_invalid_tolerance():
    text = edited("    tolerance: 0.5\n", "    tolerance: about half\n")
    [problem] = problems(text)
    assert "question 'an-aov': 'tolerance': a tolerance is a number or a percentage" in problem
    negative = edited("    tolerance: 0.5\n", "    tolerance: -1\n")
    assert "zero or more" in problems(negative)[0]


def test_percentage_tolerance_is_accepted():
    bank = parse(edited("    tolerance: 0.5\n", "    tolerance: 2%\n"))
    aov = bank.by_id["an-aov"]
    assert aov.tolerance_abs() == Decimal("0.9")


def test_missing_top_level_section():
    start = TEXT.index("verdicts:")
    end = TEXT.index("self_rating:")
    text = TEXT[:start] + TEXT[end:]
    # A missing section is reported where the file's content starts.
    assert problems(text) == [
        f"questions.yaml:{line_of(text, 'settings:')}: the file needs 'verdicts'"
    ]


def test_unknown_setting():
    text = edited("  shuffle_options: true", "  shufle_options: true")
    assert problems(text) == [
        f"questions.yaml:{line_of(text, 'shufle_options')}: unknown key 'settings.shufle_options'"
    ]


def test_last_verdict_must_catch_all():
    text = edited(
        "    summary: The role is a long way off today",
        "    min_overall: 10\n    summary: The role is a long way off today",
    )
    [problem] = problems(text)
    assert "the last verdict must have no conditions" in problem
    assert problem.startswith(f"questions.yaml:{line_of(text, '- id: not-yet')}:")


def test_verdict_area_floor_must_name_an_area():
    text = edited("    min_overall: 45\n", "    min_overall: 45\n    min_area: {design: 50}\n")
    [problem] = problems(text)
    assert "unknown area 'design'" in problem


def test_duplicate_area_verdict_and_background_ids():
    text = edited("  - id: business\n    name: Business", "  - id: technical\n    name: Business")
    assert any("duplicate area id 'technical'" in p for p in problems(text))
    text = edited("  - id: good-fit", "  - id: strong-fit")
    assert any("duplicate verdict id 'strong-fit'" in p for p in problems(text))
    text = edited("  - id: field\n", "  - id: degree\n")
    assert any("duplicate background item 'degree'" in p for p in problems(text))
    text = edited(
        "      - {id: marketing, label: Marketing}", "      - {id: business, label: Marketing}"
    )
    assert any("two choices have the same id" in p for p in problems(text))


def test_bands_must_be_in_order():
    text = edited("    adequate: 50", "    adequate: 80")
    assert "the adequate band cannot start above the strength band" in problems(text)[0]


def test_area_needs_a_weighted_question():
    text = TEXT
    for qid in ("cl-checkout-escalation", "cl-board-presentation", "cl-hiring-analyst"):
        text = edited(
            f"  - id: {qid}\n    area: client\n",
            f"  - id: {qid}\n    area: client\n    weight: 0\n",
            text,
        )
    [problem] = problems(text)
    assert "area 'client' has no question with a weight above 0" in problem


def test_yaml_syntax_error_has_its_line():
    text = edited("    difficulty: hard\n", "    difficulty: [hard\n")
    [problem] = problems(text)
    assert problem.startswith("questions.yaml:") and "not valid YAML" in problem


def test_duplicate_yaml_key():
    text = edited(
        "    difficulty: easy\n    prompt: Which of these",
        "    difficulty: easy\n    difficulty: hard\n    prompt: Which of these",
    )
    [problem] = problems(text)
    assert "not valid YAML" in problem and "duplicate" in problem.lower()


def test_not_a_mapping():
    assert problems("- just\n- a list\n") == [
        "questions.yaml:1: the file must be a mapping with 'questions' etc."
    ]


def test_every_problem_is_listed_at_once():
    text = edited("    answer: 43.2\n", "")
    text = edited("  shuffle_options: true", "  shufle_options: true", text)
    text = edited(
        "    area: business\n    type: single\n    difficulty: easy",
        "    area: marketing\n    type: single\n    difficulty: easy",
        text,
    )
    found = problems(text)
    assert len(found) == 3
    assert [int(p.split(":")[1]) for p in found] == sorted(int(p.split(":")[1]) for p in found)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(BankError, match="file not found"):
        load(tmp_path / "nope.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("settings:\n  title: caf\xe9\n".encode("latin-1"))
    with pytest.raises(BankError, match=r"latin1.yaml:2: not UTF-8 text"):
        load(bad)


def test_versions_round_trip_and_hash_by_content():
    bank = parse(TEXT)
    for question in bank.questions:
        body = question.version_body()
        assert question_from_body(body) == question
    first = bank.questions[0]
    changed = first.model_copy(update={"prompt": first.prompt + " Really?"})
    assert version_hash(first.version_body()) != version_hash(changed.version_body())
    assert version_hash(first.version_body()) == version_hash(bank.questions[0].version_body())


# --- reloading -----------------------------------------------------------------


def touch_later(path):
    """Make sure the file's stamp changes even on coarse file-system clocks."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_source_reloads_when_the_file_changes(bank_file):
    source = BankSource(bank_file, check_every=0)
    first = source.current()
    assert source.current() is first  # unchanged file: same object, no re-parse
    bank_file.write_text(edited("E-commerce manager self-assessment\n", "Renamed quiz\n"))
    touch_later(bank_file)
    assert source.current().settings.title == "Renamed quiz"


def test_source_checks_the_stamp_at_most_every_interval(bank_file):
    source = BankSource(bank_file, check_every=60)
    first = source.current(now=1000.0)
    bank_file.write_text(edited("E-commerce manager self-assessment\n", "Renamed quiz\n"))
    touch_later(bank_file)
    assert source.current(now=1010.0) is first
    assert source.current(now=1061.0).settings.title == "Renamed quiz"


def test_broken_or_deleted_file_keeps_the_last_good_bank(bank_file, caplog):
    source = BankSource(bank_file, check_every=0)
    good = source.current()
    bank_file.write_text(edited("    answer: 43.2\n", ""))
    touch_later(bank_file)
    with caplog.at_level(logging.ERROR, logger="quiz.bank"):
        assert source.current() is good
    assert "numeric question needs 'answer'" in caplog.text
    assert "keeping the last good bank" in caplog.text
    assert source.error is not None
    bank_file.unlink()
    assert source.current() is good
    bank_file.write_text(TEXT)
    assert source.current() is not good and source.error is None


def test_renamed_readiness_background_is_a_validation_error():
    text = edited("      - {id: y6-7, label: 6 to 7 years}", "      - {id: y6-to-7, label: 6 to 7}")
    line = line_of(text, "  - id: experience")
    assert problems(text) == [
        f"questions.yaml:{line + 2}: the readiness checks read the choice 'y6-7' of "
        "background item 'experience'"
    ]
    text = edited("  - id: hours\n", "  - id: evenings\n")
    assert any("the readiness checks need a background item 'hours'" in p for p in problems(text))


def test_likert_statements_and_weight_zero_questions_are_not_scored():
    bank = parse(TEXT, "questions.yaml")
    likert = next(q for q in bank.questions if q.type == "likert")
    assert likert.weight == 0 and not likert.scored
    assert all(q.scored for q in bank.questions if q.type != "likert")
    weighted = edited(
        "  - id: cl-pressure-hours\n    area: client\n    type: likert\n    difficulty: easy\n"
        "    weight: 0",
        "  - id: cl-pressure-hours\n    area: client\n    type: likert\n    difficulty: easy\n"
        "    weight: 1",
    )
    [problem] = problems(weighted)
    assert "question 'cl-pressure-hours': a Likert statement describes the taker" in problem
    single = bank.by_id["cl-checkout-escalation"]
    assert single.scored and not single.model_copy(update={"weight": 0}).scored
