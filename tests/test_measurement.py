"""The measurement model: item curves, EAP estimates, domain scores, verdict probabilities."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz import bundled, measurement
from quiz.bank import Multiple, Option, Single, load
from quiz.draw import draw
from quiz.measurement import ItemParameters, area_score, estimate, measure
from quiz.scoring import score

BANK = load(bundled("questions.yaml"))
POOLS = {
    d.id: [measurement.provisional(q) for q in BANK.in_area(d.id) if q.scored]
    for d in BANK.dimensions
}


def test_the_three_parameter_curve_at_known_points():
    item = ItemParameters(a=1.7, b=0.0, c=0.25)
    assert item.expected_mark(0.0) == pytest.approx(0.625)
    assert item.mastery(0.0) == pytest.approx(0.5)
    assert item.expected_mark(-40) == pytest.approx(0.25)
    assert ItemParameters(1.0, 1.0, 0.0).mastery(2.0) == pytest.approx(1 / (1 + math.exp(-1)))


def test_the_guessing_floor_is_the_expected_mark_of_a_blind_guess():
    keyed = Single(
        id="x",
        area="a",
        type="single",
        prompt="?",
        explanation="!",
        options=[Option(text=t, correct=t == "A") for t in "ABCD"],
    )
    assert measurement.guessing_floor(keyed) == pytest.approx(0.25)
    weighted = keyed.model_copy(
        update={
            "options": tuple(
                Option(text=t, score=s) for t, s in zip("ABCD", (1, 0.5, 0, 0), strict=True)
            )
        }
    )
    assert measurement.guessing_floor(weighted) == pytest.approx(0.375)
    # Two right of three: the non-empty picks {R1} {R2} {W} {R1,R2} {R1,W} {R2,W} {all}
    # earn 1/2, 1/2, 0, 1, 0, 0, 0 under max(0, right / 2 - wrong / 1): 2 / 7.
    several = Multiple(
        id="y",
        area="a",
        type="multiple",
        prompt="?",
        explanation="!",
        options=[
            Option(text="R1", correct=True),
            Option(text="R2", correct=True),
            Option(text="W"),
        ],
    )
    assert measurement.guessing_floor(several) == pytest.approx(2 / 7)


def test_eap_of_one_right_answer_matches_a_fine_numerical_integral():
    item = ItemParameters(a=1.0, b=0.0, c=0.0)
    fit = estimate([(item, 1.0)])
    step, xs = 0.001, [-5 + 0.001 * i for i in range(10001)]
    density = [math.exp(-0.5 * (x / measurement.PRIOR_SD) ** 2) / (1 + math.exp(-x)) for x in xs]
    total = sum(density) * step
    mean = sum(x * d for x, d in zip(xs, density, strict=True)) * step / total
    sd = math.sqrt(
        sum((x - mean) ** 2 * d for x, d in zip(xs, density, strict=True)) * step / total
    )
    assert fit.theta == pytest.approx(mean, abs=0.01)
    assert fit.se == pytest.approx(sd, abs=0.01)


def test_no_answers_give_the_prior_and_extremes_stay_finite():
    prior = estimate([])
    assert prior.theta == pytest.approx(0.0, abs=1e-9)
    assert prior.se == pytest.approx(measurement.PRIOR_SD, abs=0.05)
    items = POOLS["technical"][:12]
    best = estimate([(i, 1.0) for i in items])
    worst = estimate([(i, 0.0) for i in items])
    assert -5 < worst.theta < -1 < 1 < best.theta < 5
    assert 0 < worst.se < measurement.PRIOR_SD and 0 < best.se < measurement.PRIOR_SD


item_parameters = st.builds(
    ItemParameters,
    a=st.floats(0.3, 3.0),
    b=st.floats(-3.0, 3.0),
    c=st.floats(0.0, 0.5),
)
marks = st.floats(0.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(item_parameters, marks), min_size=1, max_size=12), st.data())
def test_a_better_mark_never_lowers_the_estimate_and_scores_stay_in_bounds(responses, data):
    index = data.draw(st.integers(0, len(responses) - 1))
    better = list(responses)
    params, mark = better[index]
    better[index] = (params, data.draw(st.floats(mark, 1.0)))
    before, after = estimate(responses), estimate(better)
    assert after.theta >= before.theta - 1e-9
    pool = [p for p, _ in responses]
    low, high = area_score(before, pool), area_score(after, pool)
    assert high.score >= low.score - 1e-9
    for s in (low, high):
        assert 0.0 <= s.low <= s.score <= s.high <= 1.0


def guess(q, rng):
    if q.type == "single":
        return rng.randrange(len(q.options))
    if q.type == "multiple":
        return sorted(rng.sample(range(len(q.options)), rng.randint(1, len(q.options))))
    return "123456"  # a number nobody expects


def test_a_blind_guessers_expected_area_score_is_below_15_percent():
    rng = random.Random(3)
    totals = {d.id: [] for d in BANK.dimensions}
    for n in range(60):
        responses = {}
        for item in draw(BANK, f"guesser-{n}"):
            q = BANK.by_id[item["question_id"]]
            if q.scored:
                mark = score(q, guess(q, rng))
                responses.setdefault(q.area, []).append((measurement.provisional(q), mark, True))
        result = measure(BANK.scheme, responses, POOLS, draws=200)
        for area, s in result.areas.items():
            totals[area].append(s.score)
    for area, scores in totals.items():
        assert sum(scores) / len(scores) < 0.15, area


def test_the_verdict_is_the_most_probable_rule_and_too_few_answers_give_none():
    strong = {area: [(p, 1.0, True) for p in pool[:12]] for area, pool in POOLS.items()}
    result = measure(BANK.scheme, strong, POOLS, draws=500)
    assert sum(result.probabilities.values()) == pytest.approx(1.0)
    assert result.verdict.id == max(result.probabilities, key=result.probabilities.get)
    assert result.verdict.id == "strong-fit" and result.settled
    assert all(s.score > 0.75 for s in result.areas.values())
    assert result.overall_low <= result.overall <= result.overall_high
    few = {area: [(p, 1.0, n < 5) for n, p in enumerate(pool[:12])] for area, pool in POOLS.items()}
    unjudged = measure(BANK.scheme, few, POOLS, draws=200)
    assert unjudged.verdict is None and unjudged.confidence == 0.0 and not unjudged.settled


def test_without_correlation_an_area_learns_nothing_from_the_others():
    item = ItemParameters(1.7, 0.0, 0.25)
    mine = [(item, 1.0, True), (item, 0.0, True)]
    alone = measurement.posterior({"a": mine}, ["a"], correlation=0.0).estimates["a"]
    for others in ([(item, 1.0, True)] * 6, [(item, 0.0, True)] * 6):
        joint = measurement.posterior({"a": mine, "b": others}, ["a", "b"], correlation=0.0)
        assert joint.estimates["a"].theta == pytest.approx(alone.theta, abs=1e-9)
        assert joint.estimates["a"].se == pytest.approx(alone.se, abs=1e-9)


def test_correlated_areas_borrow_strength_from_each_other():
    item = ItemParameters(1.7, 0.0, 0.0)
    strong = [(item, 1.0, True)] * 8
    joint = measurement.posterior({"a": strong, "b": strong, "c": []}, ["a", "b", "c"])
    # An area without answers is estimated from the others, with more doubt.
    assert joint.estimates["c"].theta > 0.5
    assert joint.estimates["c"].se > joint.estimates["a"].se
    alone = measurement.posterior({"a": strong}, ["a"])
    assert joint.estimates["a"].theta > alone.estimates["a"].theta  # b agrees with a
    assert joint.estimates["c"].answered == 0 and joint.estimates["a"].answered == 8


def test_the_correlated_prior_does_not_hide_one_guessed_area():
    """Right everywhere but one area, guessed blindly: the gap still decides the verdict."""
    rng = random.Random(5)
    for weak in ("technical", "client"):
        for n in range(15):
            responses = {}
            for item in draw(BANK, f"gap-{weak}-{n}"):
                q = BANK.by_id[item["question_id"]]
                if q.scored:
                    mark = score(q, guess(q, rng)) if q.area == weak else 1.0
                    responses.setdefault(q.area, []).append(
                        (measurement.provisional(q), mark, True)
                    )
            result = measure(BANK.scheme, responses, POOLS, draws=300, seed=n)
            assert result.verdict.id not in ("strong-fit", "good-fit"), (weak, n)
            assert result.areas[weak].score < 0.45  # below the floor of "good fit"
