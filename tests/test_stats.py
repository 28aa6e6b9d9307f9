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
    variance,
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


# --- statistics at the edges: no spread, and spread small next to the values ---------
# A spread within rounding noise of the sums counts as none (docs/statistics.md, "How
# the moments are computed"): SD exactly 0 and no skewness (a dash on the page).


def power_sums(values):
    """n and the plain sums of x, x², x³, as a naive one-pass computation keeps them."""
    return (
        len(values),
        sum(values),
        sum(v * v for v in values),
        sum(v**3 for v in values),
    )


def test_thirty_identical_scores_of_two_thirds_have_no_spread_and_no_skewness():
    # Issue 14, point 8: the skewness came out as about -237 million (the plain sums
    # left an SD of 1.4e-8, which passed a fixed 1e-12 guard).
    scores = [2 / 3] * 30
    assert describe(scores) == (pytest.approx(2 / 3), 0.0, None)
    assert describe_sums(*power_sums(scores)) == (pytest.approx(2 / 3), 0.0, None)
    result = summary(power_sums(scores))
    assert (result.sd, result.skewness, result.alpha, result.sem) == (0.0, None, None, None)


@pytest.mark.parametrize("value", [0.1, 1 / 3, 2 / 3, 0.7, 0.0, 1.0, 1e6 + 1 / 3, -5 / 3, 1e-9 / 3])
@pytest.mark.parametrize("n", [3, 7, 30, 1000])
def test_constant_values_have_no_spread_at_any_scale(value, n):
    values = [value] * n
    for mean, sd, skew in (describe(values), describe_sums(*power_sums(values))):
        assert mean == pytest.approx(value, rel=1e-12) and sd == 0.0 and skew is None


def test_a_large_offset_keeps_its_small_spread():
    # 1e6 + 0, 1/3, 2/3, ten times each: mean 1e6 + 1/3, deviations -1/3, 0, 1/3, so the
    # sum of squared deviations is 20/9, SD = sqrt(20/9 / 29) = 0.27682, skewness 0.
    # The plain-sums formula sum x² - (sum x)²/n loses this to rounding (SD 0.2764 here).
    values = [1e6 + k / 3 for k in (0, 1, 2)] * 10
    mean, sd, skew = describe(values)
    assert mean == pytest.approx(1e6 + 1 / 3, abs=1e-9)
    assert sd == pytest.approx(math.sqrt(20 / 9 / 29), rel=1e-9)
    assert sd == pytest.approx(0.276818266, rel=1e-8)
    assert skew == pytest.approx(0.0, abs=1e-6)
    # The same through sums taken about a shift near the mean (what the store hands over).
    shift = 1e6 + 1 / 3
    deviations = [v - shift for v in values]
    shifted = describe_sums(*power_sums(deviations), shift)
    assert shifted == pytest.approx((mean, sd, 0.0), abs=1e-6)
    # A skewed spread on the offset keeps its skewness: 1, 2, 3, 10 gives 1.7636.
    assert describe([1e6 + v for v in (1, 2, 3, 10)])[2] == pytest.approx(1.7636, abs=1e-4)


def test_a_real_spread_far_smaller_than_the_values_is_kept_by_two_passes():
    # Spread 1e-6 on values of 1e3 (relative 1e-9): the plain sums cannot see it, two
    # passes can, and the guard must not take it for rounding noise.
    values = [1e3 + k * 1e-6 for k in (0, 1, 2)] * 10
    mean, sd, skew = describe(values)
    assert sd == pytest.approx(1e-6 * math.sqrt(20 / 29), rel=1e-6)
    assert skew == pytest.approx(0.0, abs=1e-6)


def test_shifted_sums_give_the_same_moments_as_plain_ones():
    values = [1, 2, 3, 10]
    for shift in (0.0, 4.0, -7.5, 100.0):
        deviations = [v - shift for v in values]
        assert describe_sums(*power_sums(deviations), shift) == pytest.approx(describe(values))


def heavy_constant_item(n=30, weight=5000.0):
    """An item every attempt scored 2/3 of its heavy weight, among totals that vary."""
    mark = 2 / 3 * weight
    xs = [mark] * n
    ts = [k % 4 + mark for k in range(n)]
    return ItemSums(
        n=n,
        max_mark=weight,
        sum_x=sum(xs),
        sum_x2=sum(x * x for x in xs),
        sum_t=sum(ts),
        sum_t2=sum(t * t for t in ts),
        sum_xt=sum(x * t for x, t in zip(xs, ts, strict=True)),
    )


@pytest.mark.parametrize("weight", [1.0, 2.0, 10.0, 5000.0])
def test_a_constant_item_has_no_spread_and_no_discrimination_at_any_weight(weight):
    # With weight 5000 the plain sums left an SD of 4.5e-5 and a discrimination of 0.008
    # made of rounding noise ("does not discriminate: discrimination 0").
    result = item_stats(heavy_constant_item(weight=weight))
    assert result.facility == pytest.approx(2 / 3)
    assert result.sd == 0.0 and result.discrimination is None
    assert result.flags == (
        "little spread: SD 0.00 of the maximum mark, below 0.33",
        "does not discriminate: every attempt scored it the same",
    )


def test_a_constant_item_changes_neither_the_others_discrimination_nor_alpha():
    # The worked example plus q4, which every attempt scored 2/3: each total grows by
    # 2/3, which moves no variance or covariance. q1..q3 keep DI 52.2, 70.7, 52.2; q4
    # has SD 0 and no DI; alpha = 4/3 * (1 - (0.25 + 1/3 + 0.25 + 0) / (5/3)) = 2/3 and
    # SEM = sqrt(5/3) * sqrt(1/3) = 0.745 marks, of a maximum of 4.
    marks = [row + [2 / 3] for row in MARKS]
    first, second, third, constant = (item_stats(sums(i, marks)) for i in range(4))
    assert first.discrimination == pytest.approx(52.22, abs=0.01)
    assert second.discrimination == pytest.approx(70.71, abs=0.01)
    assert third.discrimination == pytest.approx(52.22, abs=0.01)
    assert constant.sd == 0.0 and constant.discrimination is None
    assert constant.flags[-1] == "does not discriminate: every attempt scored it the same"
    totals = [sum(row) for row in marks]
    variances = [variance(4, sum(xs), sum(x * x for x in xs)) for xs in zip(*marks, strict=True)]
    assert variances[3] == 0.0 and variances[:3] == pytest.approx([0.25, 1 / 3, 0.25])
    form = Form(4, sum(totals), sum(t * t for t in totals), variances, 4)
    scores = [t / 4 for t in totals]
    result = summary(power_sums(scores), form)
    assert result.alpha == pytest.approx(2 / 3)
    assert result.sem == pytest.approx(math.sqrt(5 / 3) * math.sqrt(1 / 3) / 4)
    assert result.skewness == pytest.approx(0.0, abs=1e-9)


def test_no_spread_in_the_totals_leaves_alpha_undefined():
    # Every attempt scored every question 2/3: no item varies and neither do the totals.
    marks = [[2 / 3] * 3 for _ in range(30)]
    totals = [sum(row) for row in marks]
    variances = [variance(30, sum(xs), sum(x * x for x in xs)) for xs in zip(*marks, strict=True)]
    assert variances == [0.0, 0.0, 0.0]
    form = Form(30, sum(totals), sum(t * t for t in totals), variances, 3)
    result = summary(power_sums([t / 3 for t in totals]), form)
    assert (result.sd, result.skewness, result.alpha, result.sem) == (0.0, None, None, None)
