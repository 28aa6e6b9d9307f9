"""The adaptive mode: information, selection with exposure control, the stopping rule,
and adaptive attempts through the app."""

from __future__ import annotations

import math
import random
import re

import pytest

from quiz import adaptive, attempts, bundled, measurement, scoring
from quiz.bank import load
from quiz.measurement import ItemParameters
from quiz.store import Store

BANK = load(bundled("questions.yaml"))
ON = BANK.settings.adaptive  # min and max per area; next_question ignores "enabled"


def test_information_worked_by_hand():
    # 2PL (c = 0): a² P (1 - P); at θ = b, P = 1/2: 1.7² / 4.
    assert adaptive.information(ItemParameters(1.7, 0.0, 0.0), 0.0) == pytest.approx(0.7225)
    # 3PL at θ = b with c = 0.25: P = 0.625, a² (P - c)² (1 - P) / ((1 - c)² P).
    expected = 1.7**2 * 0.375**2 * 0.375 / (0.75**2 * 0.625)
    assert adaptive.information(ItemParameters(1.7, 0.0, 0.25), 0.0) == pytest.approx(expected)
    assert expected == pytest.approx(0.4335)
    # A guessing floor costs information, most of it below the item's difficulty.
    low, high = ItemParameters(1.7, 0.0, 0.25), ItemParameters(1.7, 0.0, 0.0)
    assert adaptive.information(low, -1) / adaptive.information(high, -1) < 0.4


def simulate(theta_of, seen=None, seed="t", bank=BANK):
    """Questions an adaptive attempt asks a taker who answers right with probability
    theta_of(question) (a mark of 0 or 1)."""
    rng = random.Random(seed)
    asked = []
    while (
        q := adaptive.next_question(
            bank, asked, measurement.provisional, seen or {}, f"{seed}{len(asked)}"
        )
    ) is not None:
        mark = float(rng.random() < theta_of(q))
        asked.append(adaptive.Asked(q, measurement.provisional(q), mark, True))
    return asked


def per_area(asked):
    counts = {}
    for a in asked:
        counts[a.question.area] = counts.get(a.question.area, 0) + 1
    return counts


def test_a_clear_result_stops_at_the_minimum_in_every_area():
    asked = simulate(lambda q: 0.0)  # every answer wrong: "not yet", beyond doubt
    assert per_area(asked) == {d.id: ON.min_per_area for d in BANK.dimensions}
    assert len({a.question.id for a in asked}) == len(asked)  # never the same question twice


def test_a_borderline_taker_is_asked_more_but_never_beyond_the_maximum():
    # Right about two times in three: near the "good fit" cuts.
    lengths = [len(simulate(lambda q: 0.66, seed=f"b{n}")) for n in range(8)]
    assert max(lengths) > 4 * ON.min_per_area
    for n in range(8):
        counts = per_area(simulate(lambda q: 0.66, seed=f"b{n}"))
        assert all(ON.min_per_area <= c <= ON.max_per_area for c in counts.values())


def test_areas_take_turns_until_their_minimum():
    asked = simulate(lambda q: 0.5)
    first = [a.question.area for a in asked[: 4 * 2]]
    assert first[:4] == [d.id for d in BANK.dimensions] and first[4:8] == first[:4]


def test_strong_takers_get_harder_questions_than_weak_ones():
    def mean_b(asked):
        late = [a.params.b for a in asked[8:]]
        return sum(late) / len(late)

    strong = [mean_b(simulate(lambda q: 0.97, seed=f"s{n}")) for n in range(6)]
    weak = [mean_b(simulate(lambda q: 0.1, seed=f"w{n}")) for n in range(6)]
    assert sum(strong) / 6 > sum(weak) / 6 + 0.5


def test_exposure_control_spreads_the_questions_strong_takers_see():
    firsts = {
        simulate(lambda q: 1.0, seed=f"e{n}")[12].question.id for n in range(30)
    }  # the 13th question, chosen from an estimate that all-right takers share
    assert len(firsts) >= 3


def test_unseen_questions_come_before_those_of_an_earlier_attempt():
    first = simulate(lambda q: 0.5, seed="r")
    seen = {a.question.id: 1 for a in first}
    second = simulate(lambda q: 0.5, seen=seen, seed="r2")
    pool = {d.id: sum(q.scored for q in BANK.in_area(d.id)) for d in BANK.dimensions}
    for area, count in per_area(second).items():
        fresh = pool[area] - per_area(first)[area]
        repeated = [a for a in second if a.question.area == area and a.question.id in seen]
        assert len(repeated) == max(0, count - fresh)


def test_choose_draws_among_the_most_informative_of_the_type_most_needed():
    pool = [q for q in BANK.in_area("technical") if q.scored]
    singles = [q for q in pool if q.type == "single"]
    info = {q.id: adaptive.information(measurement.provisional(q), 1.0) for q in singles}
    # questions of equal information tie: any of them may be among the few best
    threshold = sorted(info.values(), reverse=True)[adaptive.RANDOMESQUE - 1]
    best = {qid for qid, value in info.items() if value >= threshold - 1e-12}
    from collections import Counter

    picks = {
        adaptive.choose(
            pool,
            measurement.provisional,
            1.0,
            Counter({"multiple": 3, "numeric": 2}),  # single-answer questions are behind
            Counter(q.type for q in pool),
            {},
            random.Random(n),
        ).id
        for n in range(40)
    }
    assert picks <= best and len(picks) > 1


def test_length_range_says_usual_only_once_it_knows():
    low, high, usual = adaptive.length_range(BANK, [])
    unscored = sum(not q.scored for q in BANK.questions)
    assert (low, high, usual) == (
        unscored + 4 * BANK.settings.adaptive.min_per_area,
        unscored + 4 * BANK.settings.adaptive.max_per_area,
        False,
    )
    lengths = list(range(30, 60))  # 30 finished attempts
    assert adaptive.length_range(BANK, lengths) == (33, 56, True)


# --- through the app ----------------------------------------------------------------


def right(q):
    if q.type == "single":
        return max(range(len(q.options)), key=q.option_score)
    if q.type == "multiple":
        return sorted(q.correct_indexes)
    if q.type == "numeric":
        return f"{q.answer:g}"
    return 3


def form_values(item, value):
    if item.question.has_options:
        chosen = value if isinstance(value, list) else [value]
        return [str(item.option_order.index(i)) for i in chosen]
    return [str(value)]


@pytest.mark.adaptive
def test_an_adaptive_attempt_grows_until_its_answers_settle_it(app, client):
    app.config["WTF_CSRF_ENABLED"] = False  # forms posted directly; CSRF has its own tests
    client.get("/")
    assert "They are chosen as you answer" in client.get("/").data.decode()
    token = re.search(r"/a/([^/]+)/", client.post("/start").headers["Location"]).group(1)
    store = Store(app.config["DATABASE"])
    try:
        attempt = attempts.load(store, token)
        assert attempt.adaptive
        unscored = sum(not q.scored for q in BANK.questions)
        assert attempt.total == unscored + 1  # the statements, then one scored question
        page = client.get(f"/a/{token}/q/{attempt.total}").data.decode()
        assert re.search(r"Question \d+ · Technical · between \d+ and \d+ in all", page)
        n = 1
        while True:
            item = attempts.item(store, attempts.load(store, token), n)
            value = right(item.question) if item.question.scored else 3
            if item.question.scored and n % 2:
                value = None  # every other scored question skipped: wrong for the measurement
            data = {"nav": "next", "answer": form_values(item, value) if value is not None else []}
            response = client.post(f"/a/{token}/q/{n}", data=data)
            assert response.status_code == 303
            if response.headers["Location"].endswith("/finish"):
                break
            assert response.headers["Location"].endswith(f"/q/{n + 1}")
            n += 1
        attempt = attempts.load(store, token)
        assert attempt.total == n
        settings = BANK.settings.adaptive
        assert unscored + 4 * settings.min_per_area <= n <= unscored + 4 * settings.max_per_area
        # Back, and a changed answer: the questions already asked stay as they are.
        last_scored = max(i.position for i in attempts.items(store, attempt) if i.question.scored)
        back = client.post(f"/a/{token}/q/{last_scored}", data={"nav": "back"})
        assert back.status_code == 303 and attempts.load(store, token).total == n
        assert client.post(f"/a/{token}/finish").status_code == 303
        done = attempts.load(store, token)
        assert done.finished and done.scores is not None
        html = client.get(f"/a/{token}/result").data.decode()
        assert "Adaptive ·" in html and "data-confidence=" in html
        # Practice keeps the fixed form.
        practice = client.post("/start", data={"mode": "practice"}).headers["Location"]
        practice_token = re.search(r"/a/([^/]+)/", practice).group(1)
        assert not attempts.load(store, practice_token).adaptive
    finally:
        store.close()


@pytest.mark.adaptive
def test_a_question_is_added_once_even_when_two_tabs_press_next(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    client.get("/")
    token = re.search(r"/a/([^/]+)/", client.post("/start").headers["Location"]).group(1)
    store = Store(app.config["DATABASE"])
    try:
        attempt = attempts.load(store, token)
        item = attempts.item(store, attempt, attempt.total)
        extra = {**{"hash": item.version_hash, "question_id": item.question.id}}
        assert not store.append_item(attempt.id, attempt.total, extra)  # taken already
        assert not store.append_item(attempt.id, attempt.total + 2, extra)  # leaves a gap
        data = {"nav": "next", "answer": form_values(item, right(item.question))}
        client.post(f"/a/{token}/q/{attempt.total}", data=data)
        client.post(f"/a/{token}/q/{attempt.total}", data=data)  # the second tab
        assert attempts.load(store, token).total == attempt.total + 1
    finally:
        store.close()


def test_measurement_of_an_adaptive_attempt_matches_its_marks():
    asked = simulate(lambda q: 0.8, seed="m")
    responses = {}
    for a in asked:
        responses.setdefault(a.question.area, []).append((a.params, a.mark, True))
    result = measurement.measure(BANK.scheme, responses, measurement.pools(BANK, {}), 500)
    assert result.verdict is not None
    for s in result.areas.values():
        assert s.low <= s.score <= s.high
        assert not math.isnan(s.estimate.theta)
    assert scoring.percent(result.overall) > 50
