"""The time estimate (quiz.timing): worked out from the questions an attempt asks."""

from __future__ import annotations

import pytest

from quiz import timing
from quiz.bank import Seconds, kind, load

from .helpers import SMALL_BANK

SECONDS = Seconds(single=40, judgement=60, multiple=50, numeric=120, likert=10, profile=90)


@pytest.fixture(scope="module")
def bank():
    return load(SMALL_BANK)


def test_each_kind_has_its_time_and_calculations_take_longest(bank):
    kinds = {kind(q): timing.seconds_for(q, SECONDS) for q in bank.questions}
    assert kinds == {"single": 40, "judgement": 60, "multiple": 50, "numeric": 120, "likert": 10}


def test_an_attempt_is_the_sum_of_its_questions_and_the_profile(bank):
    questions = bank.questions[:3]
    expected = 90 + sum(timing.seconds_for(q, SECONDS) for q in questions)
    assert timing.attempt_seconds(questions, SECONDS) == expected


@pytest.mark.parametrize(
    "seconds, shown",
    [(10, 1), (89, 1), (91, 2), (14 * 60, 14), (15 * 60, 15), (17 * 60, 15), (18 * 60, 20)],
)
def test_minutes_round_to_fives_from_a_quarter_of_an_hour(seconds, shown):
    assert timing.minutes(seconds) == shown


def test_without_a_draw_the_estimate_is_every_question(bank):
    seconds = bank.settings.seconds
    assert timing.expected_seconds(bank) == pytest.approx(
        timing.attempt_seconds(bank.questions, seconds)
    )


def test_a_draw_counts_its_share_of_each_pool(bank):
    drawn = bank.__class__(
        scheme=bank.scheme.__class__(
            **{**bank.scheme.__dict__, "settings": bank.settings.model_copy(update={"draw": 2})}
        ),
        questions=bank.questions,
    )
    seconds = bank.settings.seconds
    expected = seconds.profile
    for d in bank.dimensions:
        pool = bank.in_area(d.id)
        scored = [timing.seconds_for(q, seconds) for q in pool if q.scored]
        expected += sum(timing.seconds_for(q, seconds) for q in pool if not q.scored)
        expected += min(2, len(scored)) * sum(scored) / len(scored)
    assert timing.expected_seconds(drawn) == pytest.approx(expected)
    # an adaptive length of n questions in all spreads its scored ones over the areas
    unscored = sum(not q.scored for q in bank.questions)
    assert timing.expected_seconds(bank, unscored + 4 * 2) == pytest.approx(expected)
