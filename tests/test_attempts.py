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
