"""Scoring one answer, areas, the overall score and the verdict."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.bank import Likert, Multiple, Numeric, Option, Single, load
from quiz.scoring import area_scores, band, overall_score, result, score, verdict

from .helpers import SMALL_BANK

BANK = load(SMALL_BANK)
SCHEME = BANK.scheme


def single(**kw):
    options = kw.pop(
        "options", (Option(text="a", correct=True), Option(text="b"), Option(text="c"))
    )
    return Single(
        id="q", area="technical", prompt="?", explanation="!", type="single", options=options, **kw
    )


def test_single_scores_the_correct_option():
    q = single()
    assert [score(q, i) for i in range(3)] == [1.0, 0.0, 0.0]
    assert score(q, None) == 0.0


def test_single_with_weights_scores_the_chosen_weight():
    q = single(
        options=(
            Option(text="best", score=1),
            Option(text="ok", score=0.5),
            Option(text="poor", score=0),
        )
    )
    assert [score(q, i) for i in range(3)] == [1.0, 0.5, 0.0]


def multiple(correct=(0, 1), n=5):
    return Multiple(
        id="m",
        area="technical",
        prompt="?",
        explanation="!",
        type="multiple",
        options=tuple(Option(text=str(i), correct=i in correct) for i in range(n)),
    )


@pytest.mark.parametrize(
    "chosen, expected",
    [
        ([0, 1], 1.0),  # all right
        ([0], 0.5),  # half the right ones
        ([0, 2], 0.5 - 1 / 3),  # half the right ones, a third of the wrong ones
        ([0, 1, 2], 1 - 1 / 3),  # all right plus one of three wrong
        ([2, 3], 0.0),  # never below zero
        ([0, 1, 2, 3, 4], 0.0),  # ticking everything earns nothing
        ([], 0.0),
    ],
)
def test_multiple_gives_partial_credit(chosen, expected):
    assert score(multiple(), chosen) == pytest.approx(expected)


@pytest.mark.parametrize("right", [1, 2, 3, 4])
def test_ticking_every_option_earns_nothing_whatever_the_number_right(right):
    assert score(multiple(correct=range(right), n=5), list(range(5))) == 0.0
    assert score(multiple(correct=range(right), n=5), list(range(right))) == 1.0


def numeric(answer=43.2, tolerance=0.1):
    return Numeric(
        id="n",
        area="analytical",
        prompt="?",
        explanation="!",
        type="numeric",
        answer=answer,
        tolerance=tolerance,
        unit="minutes",
    )


@pytest.mark.parametrize(
    "given, expected",
    [
        ("43.2", 1.0),
        ("43.1", 1.0),
        ("43.3", 1.0),
        ("43.0", 0.0),
        ("43.31", 0.0),
        ("-43.2", 0.0),
    ],
)
def test_numeric_scores_inside_the_tolerance(given, expected):
    assert score(numeric(), given) == expected


def test_numeric_tolerance_edges_are_exact_not_floating_point():
    # 1.95 and 2.05 are exactly 0.05 from 2: binary floats would reject one of them.
    q = numeric(answer=2, tolerance=0.05)
    assert score(q, "1.95") == 1.0 and score(q, "2.05") == 1.0
    assert score(q, "1.949") == 0.0


def test_numeric_percentage_tolerance():
    q = numeric(answer=92000, tolerance="5%")
    assert score(q, "96600") == 1.0 and score(q, "96601") == 0.0


def test_likert_maps_the_scale_and_reverses():
    q = Likert(id="l", area="client", prompt="I…", explanation="!", type="likert")
    r = q.model_copy(update={"reverse": True})
    assert [score(q, v) for v in range(1, 6)] == [0, 0.25, 0.5, 0.75, 1]
    assert [score(r, v) for v in range(1, 6)] == [1, 0.75, 0.5, 0.25, 0]


@given(st.data())
def test_scores_stay_between_zero_and_one(data):
    for q in BANK.questions:
        if q.type == "single":
            answer = data.draw(st.one_of(st.none(), st.integers(0, len(q.options) - 1)))
        elif q.type == "multiple":
            answer = data.draw(st.lists(st.integers(0, len(q.options) - 1), unique=True))
        elif q.type == "numeric":
            answer = str(data.draw(st.decimals(allow_nan=False, allow_infinity=False, places=3)))
        else:
            answer = data.draw(st.integers(1, 5))
        assert 0.0 <= score(q, answer) <= 1.0


@given(st.data())
def test_option_order_never_changes_a_score(data):
    """Shuffling the options (and the answer with them) keeps every score."""
    for q in BANK.questions:
        if not q.has_options:
            continue
        n = len(q.options)
        perm = data.draw(st.permutations(range(n)))
        shuffled = q.model_copy(update={"options": tuple(q.options[i] for i in perm)})
        where = {old: new for new, old in enumerate(perm)}
        if q.type == "single":
            chosen = data.draw(st.integers(0, n - 1))
            assert score(q, chosen) == score(shuffled, where[chosen])
        else:
            chosen = data.draw(st.lists(st.integers(0, n - 1), unique=True))
            assert score(q, chosen) == score(shuffled, sorted(where[i] for i in chosen))


def _marks(fraction_by_area):
    return [(q, fraction_by_area[q.area]) for q in BANK.questions]


def test_area_score_is_the_weighted_mean_and_skips_weightless_questions():
    technical = [q for q in BANK.questions if q.area == "technical"]
    marks = [(q, 1.0) for q in technical[:2]] + [(q, 0.0) for q in technical[2:]]
    assert area_scores(SCHEME, marks) == {"technical": 0.5}
    client = [q for q in BANK.questions if q.area == "client"]
    likert = next(q for q in client if q.type == "likert")
    assert likert.weight == 0
    with_likert = [(q, 1.0 if q is not likert else 0.0) for q in client]
    assert area_scores(SCHEME, with_likert) == {"client": 1.0}


@given(st.fixed_dictionaries({d.id: st.floats(0, 1) for d in SCHEME.dimensions}))
def test_overall_is_within_the_area_scores(fractions):
    areas = area_scores(SCHEME, _marks(fractions))
    overall = overall_score(SCHEME, areas)
    assert min(areas.values()) - 1e-9 <= overall <= max(areas.values()) + 1e-9


def test_area_weights_weigh_the_overall_score():
    heavy = SCHEME.dimensions[0].model_copy(update={"weight": 3.0})
    scheme = type(SCHEME)(
        SCHEME.settings,
        (heavy, *SCHEME.dimensions[1:]),
        SCHEME.verdicts,
        SCHEME.self_rating,
        SCHEME.background,
    )
    areas = {"technical": 1.0, "business": 0.0, "analytical": 0.0, "client": 0.0}
    assert overall_score(scheme, areas) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "overall, floor, expected",
    [
        (0.80, 0.60, "strong-fit"),
        (0.80, 0.59, "good-fit"),  # overall is there, one area is not
        (0.75, 0.75, "strong-fit"),  # thresholds are inclusive
        (0.60, 0.45, "good-fit"),
        (0.60, 0.40, "developing"),
        (0.45, 0.00, "developing"),
        (0.44, 0.44, "not-yet"),
    ],
)
def test_first_matching_verdict_wins(overall, floor, expected):
    areas = {"technical": overall, "business": floor, "analytical": overall, "client": overall}
    assert verdict(SCHEME, overall, areas).id == expected


def test_inclusive_thresholds_survive_floating_point():
    areas = {d.id: 0.75 for d in SCHEME.dimensions}
    assert verdict(SCHEME, 0.1 + 0.65 - 1e-16, areas).id == "strong-fit"


def test_result_puts_it_together():
    outcome = result(
        SCHEME, _marks({"technical": 1, "business": 1, "analytical": 0.5, "client": 1})
    )
    assert outcome.areas["analytical"] == 0.5
    assert outcome.overall == pytest.approx(0.875)
    assert outcome.verdict.id == "good-fit"  # analytical 50% is above the good-fit floor of 45%


@pytest.mark.parametrize(
    "fraction, expected",
    [
        (0.75, "strength"),
        (0.749, "strength"),  # shown as 75%, so it is compared as 75%
        (0.7449, "adequate"),
        (0.5, "adequate"),
        (0.4949, "gap"),
        (0, "gap"),
    ],
)
def test_bands(fraction, expected):
    assert band(SCHEME.settings, fraction) == expected
