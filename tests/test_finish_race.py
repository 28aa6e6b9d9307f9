"""Finishing never loses an acknowledged answer (issue 15, point 3).

An answer saved at the same moment as Finish is either part of the finished score or
refused with 409, never acknowledged ("Answer saved.") and left out; the stored marks
and the overall score always agree. Two real threads, each with its own connection to
the same SQLite file (the app's store is per thread), race an answer against Finish.
"""

from __future__ import annotations

import random
import threading
import time

from quiz import attempts, measurement, scoring
from quiz.store import Store

from .helpers import Taker, csrf_token, right_values

RACES = 48


def _right(q):
    """A right answer in the question's own terms (bank option indexes, a decimal)."""
    if q.type == "single":
        return max(range(len(q.options)), key=q.option_score)
    if q.type == "multiple":
        return sorted(q.correct_indexes)
    if q.type == "numeric":
        return f"{q.answer:g}"
    return 5 if not q.reverse else 1


def _race(app, answerer: Taker, finisher_client, finisher_csrf, rng, check):
    token = answerer.start()
    store = Store(app.config["DATABASE"])
    try:
        attempt = attempts.load(store, token)
        items = attempts.items(store, attempt)
        raced = [i for i in items if i.question.scored][-1]
        for item in items:  # every other question answered right beforehand
            if item.position != raced.position:
                value = _right(item.question)
                store.save_answer(
                    attempt.id,
                    item.position,
                    item.version_hash,
                    value,
                    scoring.score(item.question, value),
                )
        raced_row = store.items(attempt.id, raced.position)[0]
    finally:
        store.close()

    start = threading.Barrier(2)
    out: dict[str, object] = {}
    # Finish takes some tens of milliseconds to measure: the answer is sent from 30 ms
    # before it to 60 ms after it, so that every ordering and overlap happens.
    delay = rng.uniform(-0.03, 0.06)

    def answer() -> None:
        start.wait()
        time.sleep(max(delay, 0))
        out["answer"] = answerer.client.post(
            f"/a/{token}/q/{raced.position}",
            data={"csrf_token": answerer.csrf, "nav": "save", "answer": right_values(raced_row)},
            headers={"HX-Request": "true"},
        )

    def finish() -> None:
        start.wait()
        time.sleep(max(-delay, 0))
        out["finish"] = finisher_client.post(
            f"/a/{token}/finish", data={"csrf_token": finisher_csrf}
        )

    threads = [threading.Thread(target=answer), threading.Thread(target=finish)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert out["finish"].status_code == 303, out["finish"].data
    return check(token, raced.position, out["answer"])


def test_an_answer_racing_finish_is_scored_or_refused_never_lost(app, client):
    bank = app.extensions["quiz.bank"].current()
    pools = measurement.pools(bank, {})
    figures = {"races": 0, "acknowledged": 0, "in scores": 0, "refused": 0, "lost": 0}

    def check(token, position, response):
        store = Store(app.config["DATABASE"])
        try:
            attempt = attempts.load(store, token)
            assert attempt.finished
            stored = attempts.items(store, attempt)
            row = store.attempt(token)
            # The stored marks and the overall score agree: both come from the same answers.
            weights = [(i.question.weight, i.mark or 0.0) for i in stored if i.question.scored]
            assert row["marks"] == sum(w * m for w, m in weights)
            again = attempts.measured(attempt, stored, pools, {})
            recomputable = (
                again.overall == attempt.overall and again.summary() == row["measurement"]
            )
            answer = next(i for i in stored if i.position == position).answer
        finally:
            store.close()
        figures["races"] += 1
        if response.status_code == 200 and b"Answer saved." in response.data:
            figures["acknowledged"] += 1
            assert answer is not None, "an acknowledged answer is not stored"
            if recomputable:
                figures["in scores"] += 1
            else:
                figures["lost"] += 1
        else:
            assert response.status_code == 409, (response.status_code, response.data)
            figures["refused"] += 1
            assert answer is None, "a refused answer was stored"
            assert recomputable

    answerer = Taker(client)
    finisher = app.test_client()
    finisher_csrf = csrf_token(finisher.get("/").data)
    rng = random.Random(15)
    for _ in range(RACES):
        _race(app, answerer, finisher, finisher_csrf, rng, check)
    print("finish race:", figures)
    assert figures["races"] == RACES
    assert figures["lost"] == 0, f"acknowledged answers left out of the score: {figures}"
    assert figures["acknowledged"] == figures["in scores"]
    assert figures["acknowledged"] + figures["refused"] == RACES
    # Both outcomes happened, so the race was really run.
    assert figures["acknowledged"] and figures["refused"]
