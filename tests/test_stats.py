"""Item analysis against values worked out by hand (docs/statistics.md shows the working)."""

from __future__ import annotations

import math

import pytest

from quiz.stats import (
    Form,
    ItemSums,
    cronbach_alpha,
    describe,
    describe_sums,
    item_stats,
    summary,
)

# Four attempts, three questions marked 0 or 1:
#   A: 1 1 1 (total 3)   B: 1 1 0 (2)   C: 1 0 0 (1)   D: 0 0 0 (0)
MARKS = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]]
TOTALS = [sum(row) for row in MARKS]


def sums(item: int, marks=MARKS) -> ItemSums:
    xs = [row[item] for row in marks]
    ts = [sum(row) for row in marks]
    return ItemSums(
        n=len(xs),
        max_mark=1,
        sum_x=sum(xs),
        sum_x2=sum(x * x for x in xs),
        sum_t=sum(ts),
        sum_t2=sum(t * t for t in ts),
        sum_xt=sum(x * t for x, t in zip(xs, ts, strict=True)),
    )


def test_facility_sd_and_discrimination_by_hand():
    first, second, third = (item_stats(sums(i)) for i in range(3))
    assert first.facility == 0.75 and second.facility == 0.5 and third.facility == 0.25
    assert first.sd == pytest.approx(0.5)  # Var = 0.75 / 3
    assert second.sd == pytest.approx(math.sqrt(1 / 3))  # Var = 1 / 3
    # Item 1: Cov(x, R) = 0.25, Var(x) = 0.25, Var(R) = 2.75 / 3.
    assert first.discrimination == pytest.approx(100 * 0.25 / math.sqrt(0.25 * 2.75 / 3))
    assert first.discrimination == pytest.approx(52.22, abs=0.01)
    # Item 2: Cov = 1/3, Var(x) = 1/3, Var(R) = 2/3, so DI = 100 / sqrt(2).
    assert second.discrimination == pytest.approx(70.71, abs=0.01)
    assert third.discrimination == pytest.approx(52.22, abs=0.01)
    assert first.flags == second.flags == third.flags == ()


def test_an_item_everyone_gets_right_is_too_easy_and_does_not_discriminate():
    marks = [row + [1] for row in MARKS]
    result = item_stats(sums(3, marks))
    assert result.facility == 1.0 and result.sd == 0 and result.discrimination is None
    assert result.flags == (
        "too easy: facility 100%, above 95%",
        "does not discriminate: every attempt scored it the same",
    )


def test_an_item_that_works_against_the_test():
    # Only the weakest attempt gets it right.
    marks = [row + [x] for row, x in zip(MARKS, [0, 0, 0, 1], strict=True)]
    result = item_stats(sums(3, marks))
    assert result.discrimination < 0
    assert result.flags == (f"works against the test: discrimination {result.discrimination:.0f}",)
    # x = 0 0 0 1 against R = 3 2 1 0: Cov = -0.5, Var(x) = 0.25, Var(R) = 5/3.
    assert result.discrimination == pytest.approx(-100 * 0.5 / math.sqrt(0.25 * 5 / 3))
    assert result.discrimination == pytest.approx(-77.46, abs=0.01)


def test_hard_and_weak_items_are_flagged():
    hard = item_stats(ItemSums(n=10, max_mark=1, sum_x=1, sum_x2=1, sum_t=50, sum_t2=300, sum_xt=9))
    assert hard.facility == pytest.approx(0.1)
    assert hard.flags[0] == "too hard: facility 10%, below 20%"
    assert hard.tentative  # fewer than 30 attempts


def test_weights_scale_the_facility():
    result = item_stats(ItemSums(n=2, max_mark=2, sum_x=2, sum_x2=4, sum_t=3, sum_t2=5, sum_xt=4))
    assert result.facility == 0.5


def test_summary_of_the_totals_by_hand():
    mean, sd, skew = describe([t / 3 for t in TOTALS])
    assert mean == pytest.approx(0.5)
    assert sd == pytest.approx(math.sqrt(5 / 3) / 3)
    assert skew == pytest.approx(0.0)
    # Deviations -3 -2 -1 6, s = sqrt(50/3): 4/(3*2) * 180 / s**3 = 1.7636 (a spreadsheet's SKEW).
    assert describe([1, 2, 3, 10])[2] == pytest.approx(1.7636, abs=1e-4)
    assert describe_sums(4, 16, 114, 1036) == pytest.approx(describe([1, 2, 3, 10]))


def test_cronbach_alpha_and_sem_by_hand():
    variances = [0.25, 1 / 3, 0.25]  # of each item over the four attempts
    assert cronbach_alpha(variances, 5 / 3) == pytest.approx(0.75)  # 3/2 * (1 - 0.8333 / 1.6667)
    scores = [t / 3 for t in TOTALS]
    moments = (4, sum(scores), sum(f * f for f in scores), sum(f**3 for f in scores))
    result = summary(moments, Form(4, sum(TOTALS), sum(t * t for t in TOTALS), variances, 3))
    assert result.alpha == pytest.approx(0.75)
    assert result.sem == pytest.approx(math.sqrt(5 / 3) * 0.5 / 3)  # SD * sqrt(1 - alpha), of 3
    assert (result.items, result.alpha_n, result.n) == (3, 4, 4)


def test_alpha_over_attempts_that_drew_from_a_pool_by_hand():
    # docs/statistics.md: four attempts, each drew two of three questions.
    # q1 (A, B, D): 1, 1, 0; q2 (A, C, D): 1, 0, 0; q3 (B, C): 1, 0. T = 2, 2, 0, 0.
    variances, counts = [1 / 3, 1 / 3, 0.5], [3, 3, 2]
    form = Form(4, 4.0, 8.0, variances, 2.0, counts)
    assert form.shares == [0.75, 0.75, 0.5]
    assert cronbach_alpha(variances, 4 / 3, form.shares) == pytest.approx(0.875)
    result = summary((4, 2.0, 2.0, 2.0), form)
    assert result.alpha == pytest.approx(0.875) and result.items == 2
    # With every question in every attempt the shares are all 1: Cronbach's own formula.
    assert cronbach_alpha(variances, 2.0, [1, 1, 1]) == cronbach_alpha(variances, 2.0)
    # A question drawn once has no variance yet; the others stand in for it.
    assert cronbach_alpha([1 / 3, 1 / 3, None], 4 / 3, [1, 1, 0.25]) == pytest.approx(
        2.25 / 1.25 * (1 - 2.25 * (1 / 3) / (4 / 3))
    )


def test_alpha_needs_two_items_and_some_spread():
    assert cronbach_alpha([0.25], 1.0) is None
    assert cronbach_alpha([0.25, 0.25], 0.0) is None
    assert summary((1, 0.5, 0.25, 0.125)).sd is None
