"""The typed attempt: built from the store's rows, questions and schemes cached by hash."""

from __future__ import annotations

from quiz import answers, attempts, scoring
from quiz.bank import load
from quiz.draw import draw

from .helpers import SMALL_BANK

BANK = load(SMALL_BANK)


def started(store, token="t" * 32, mode="assessment"):
    store.create_attempt(token, "me", BANK.scheme_version, draw(BANK, token), mode)
    return attempts.load(store, token)


def test_an_attempt_and_its_items_come_typed_from_the_store(store):
    attempt = started(store)
    assert attempt.total == len(attempts.items(store, attempt)) == len(BANK.questions)
    assert attempt.answered == 0 and not attempt.finished and not attempt.practice
    assert attempt.scheme == BANK.scheme and attempt.verdict is None
    item = attempts.item(store, attempt, 1)
    assert item.question == BANK.questions[0] and item.answer is None and item.mark is None
    assert attempts.item(store, attempt, 0) is None
    assert attempts.item(store, attempt, attempt.total + 1) is None
    assert attempts.load(store, "x" * 32) is None


def test_questions_and_schemes_are_rebuilt_once_per_hash(store):
    attempt = started(store)
    first = attempts.items(store, attempt)[0]
    again = attempts.items(store, attempt)[0]
    assert first.question is again.question
    other = started(store, "u" * 32)
    assert other.scheme is attempt.scheme


def test_review_status_form_values_and_shown_options(store):
    attempt = started(store)
    statuses = {}
    for item in attempts.items(store, attempt):
        q = item.question
        if q.type == "likert":
            value = 4
        elif q.type == "multiple":
            value = sorted(q.correct_indexes)[:1]  # one of several right: partial credit
        elif q.type == "numeric":
            value = "-1"
        else:
            value = max(range(len(q.options)), key=q.option_score)
        store.save_answer(
            attempt.id, item.position, item.version_hash, value, scoring.score(q, value)
        )
    for item in attempts.items(store, attempt):
        statuses[item.question.type] = item.status
        order = item.option_order
        assert answers.read_answer(item.question, order, item.form_values()) == item.answer
        if item.question.has_options:
            assert [o for _, o in item.shown_options] == [item.question.options[i] for i in order]
    assert statuses == {
        "single": "right",
        "multiple": "partial",
        "numeric": "wrong",
        "likert": "unscored",
    }
    cleared = attempts.items(store, attempt)[0]
    store.clear_answer(attempt.id, cleared.position)
    assert attempts.item(store, attempt, cleared.position).status == "unanswered"


def test_a_finished_attempt_has_its_scores_and_verdict(store):
    attempt = started(store, mode="practice")
    store.finish(attempt.id, 0.5, "not-yet", {"technical": 0.5})
    done = attempts.load(store, attempt.token)
    assert done.finished and done.practice and done.areas == {"technical": 0.5}
    assert done.verdict.id == "not-yet" and done.overall == 0.5
    [listed] = attempts.of_taker(store, "me")
    assert listed.verdict.id == "not-yet" and listed.areas == {"technical": 0.5}


def _right(q):
    if q.type == "single":
        return max(range(len(q.options)), key=q.option_score)
    if q.type == "multiple":
        return sorted(q.correct_indexes)
    return f"{q.answer:g}"


def _answer_area(store, attempt, area, count):
    """Answer the first ``count`` scored questions of ``area`` rightly."""
    done = 0
    for item in attempts.items(store, attempt):
        q = item.question
        if q.area == area and q.scored and done < count:
            value = _right(q)
            mark = scoring.score(q, value)
            store.save_answer(attempt.id, item.position, item.version_hash, value, mark)
            done += 1


def test_finishing_measures_and_keeps_scores_with_intervals(store):
    attempt = started(store)
    for area in ("technical", "business", "analytical", "client"):
        _answer_area(store, attempt, area, 99)
    assert attempts.finish(store, attempt, BANK)
    done = attempts.load(store, attempt.token)
    assert done.judged and done.scores is not None
    for area, interval in done.scores.areas.items():
        assert interval.low <= done.areas[area] == interval.score <= interval.high
        asked = [i for i in attempts.items(store, done) if i.question.area == area]
        assert done.scores.answered[area] == sum(i.question.scored for i in asked)
    assert done.scores.overall.low <= done.overall <= done.scores.overall.high
    assert done.verdict_id == max(done.scores.probabilities, key=done.scores.probabilities.get)
    assert done.first  # a judged assessment counts among the percentiles
    assert not attempts.finish(store, done, BANK)  # only once


def test_too_few_answers_give_no_verdict_and_stay_out_of_statistics(store):
    attempt = started(store)
    _answer_area(store, attempt, "technical", 99)  # the other areas unanswered
    attempts.finish(store, attempt, BANK)
    done = attempts.load(store, attempt.token)
    assert done.finished and not done.judged and done.verdict is None
    assert done.verdict_text == "Not enough answers"
    assert done.scores.answered["business"] == 0
    assert not done.first and store.percentile_counts(0.5)[2] == 0
    assert store.item_sums() == [] and store.score_moments() == {}
    assert list(store.version_marks()) == []  # nor in calibration


def test_calibrated_parameters_change_the_measurement(store):
    attempt = started(store)
    for area in ("technical", "business", "analytical", "client"):
        _answer_area(store, attempt, area, 99)
    items = attempts.items(store, attempt)
    pools = {}
    provisional = attempts.measured(attempt, items, pools, {}, draws=200)
    # Every question calibrated as very hard: the same right answers now show more ability.
    hard = {i.version_hash: {"a": 1.7, "b": 3.0, "c": 0.0} for i in items if i.question.scored}
    calibrated = attempts.measured(attempt, items, pools, hard, draws=200)
    for area, measured in calibrated.areas.items():
        assert measured.estimate.theta > provisional.areas[area].estimate.theta + 0.5
