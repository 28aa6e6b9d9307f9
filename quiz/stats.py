"""Item analysis by classical test theory, as Moodle's quiz statistics compute it. Pure.

Everything is computed from sums, so the database can aggregate in SQL and
hand over a handful of numbers per question instead of every mark. With s
attempts, x a question's mark, T the attempt's total and R = T - x the rest
of the test (variances and covariances divide by s - 1):

- facility F = mean(x) / max mark
- SD of x
- discrimination DI = 100 * Cov(x, R) / sqrt(Var(x) * Var(R))
- for a test or an area: mean, SD, skewness of the totals, Cronbach's alpha
  = p/(p-1) * (1 - sum Var(x_i) / Var(T)), and SEM = SD * sqrt(1 - alpha).

docs/statistics.md gives the formulas and the thresholds of the flags.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

TOO_HARD = 0.20
TOO_EASY = 0.95
MIN_DISCRIMINATION = 20.0
LOW_SPREAD = 1 / 3  # of the max mark
FEW_ATTEMPTS = 30


@dataclass(frozen=True)
class ItemSums:
    """Sums over the finished attempts that contain one question version."""

    n: int
    max_mark: float
    sum_x: float
    sum_x2: float
    sum_t: float
    sum_t2: float
    sum_xt: float


@dataclass(frozen=True)
class ItemStats:
    n: int
    facility: float
    sd: float | None
    discrimination: float | None
    flags: tuple[str, ...]

    @property
    def tentative(self) -> bool:
        return self.n < FEW_ATTEMPTS


# The guard against rounding noise (docs/statistics.md, "How the moments are computed").
# Summing n terms in floating point may be off by about n * EPS times the sum of their
# magnitudes (Higham, Accuracy and Stability of Numerical Algorithms, 2002, section 4.2),
# so a sum of squared deviations computed from sums of squares S2 is known only to within
# about n * EPS * S2 (Chan, Golub & LeVeque 1983). A spread below NOISE times that bound
# is indistinguishable from none and counts as exactly 0: a RELATIVE guard, that scales
# with the values (30 scores of 2/3 must not get an SD of 1e-8, nor 30 of 1e6 + 1/3 one
# of 0.02), unlike a fixed threshold such as 1e-12.
EPS = sys.float_info.epsilon
NOISE = 4.0


def _noise(n: int, squares: float) -> float:
    """How far rounding may move a sum of squared deviations worked out from n values whose
    squares (about the shift the sums were taken about) add up to ``squares``."""
    return NOISE * n * EPS * abs(squares)


def _spread(n: int, total: float, squares: float) -> float:
    """The sum of squared deviations from the mean, from n, the sum and the sum of squares
    (about any shift); 0 when it is within rounding noise of the sums (``_noise``)."""
    m2 = squares - total * total / n
    return 0.0 if m2 <= _noise(n, squares) else m2


def _variance(n: int, total: float, squares: float) -> float:
    """Sample variance from sums, exactly 0 when no spread shows above rounding noise."""
    return _spread(n, total, squares) / (n - 1)


def item_stats(s: ItemSums) -> ItemStats:
    if s.n == 0 or s.max_mark <= 0:
        raise ValueError("an item needs attempts and a positive maximum mark")
    facility = s.sum_x / s.n / s.max_mark
    sd = discrimination = None
    if s.n >= 2:
        # Sums of squared deviations and of cross products, each 0 when rounding noise is
        # all there is. R = T - x has the sums of squares sum_t2 - 2 sum_xt + sum_x2, each
        # part carrying its own rounding error: the noise of R's spread is bounded by theirs.
        m_x = _spread(s.n, s.sum_x, s.sum_x2)
        m_t = _spread(s.n, s.sum_t, s.sum_t2)
        c_xt = s.sum_xt - s.sum_x * s.sum_t / s.n
        c_xr = c_xt - m_x  # co-deviation of x and T - x
        m_r = m_t + m_x - 2 * c_xt
        if m_r <= _noise(s.n, s.sum_t2 + s.sum_x2 + 2 * abs(s.sum_xt)):
            m_r = 0.0
        sd = math.sqrt(m_x / (s.n - 1))
        if m_x > 0 and m_r > 0:
            discrimination = max(-100.0, min(100.0, 100 * c_xr / math.sqrt(m_x * m_r)))
    return ItemStats(s.n, facility, sd, discrimination, _flags(s, facility, sd, discrimination))


def _flags(
    s: ItemSums, facility: float, sd: float | None, discrimination: float | None
) -> tuple[str, ...]:
    flags = []
    if facility < TOO_HARD:
        flags.append(f"too hard: facility {facility:.0%}, below {TOO_HARD:.0%}")
    elif facility > TOO_EASY:
        flags.append(f"too easy: facility {facility:.0%}, above {TOO_EASY:.0%}")
    elif sd is not None and sd < LOW_SPREAD * s.max_mark:
        flags.append(
            f"little spread: SD {sd / s.max_mark:.2f} of the maximum mark, below {LOW_SPREAD:.2f}"
        )
    if discrimination is not None:
        if discrimination < 0:
            flags.append(f"works against the test: discrimination {discrimination:.0f}")
        elif discrimination < MIN_DISCRIMINATION:
            flags.append(
                f"does not discriminate: discrimination {discrimination:.0f}, "
                f"below {MIN_DISCRIMINATION:.0f}"
            )
    elif s.n >= 2:
        flags.append("does not discriminate: every attempt scored it the same")
    return tuple(flags)


@dataclass(frozen=True)
class Summary:
    """The spread of attempt totals and their reliability; mean, SD and SEM as fractions."""

    n: int
    mean: float
    sd: float | None
    skewness: float | None
    alpha: float | None
    sem: float | None  # standard error of measurement, same scale as the mean
    items: int  # p, the number of questions alpha rests on
    alpha_n: int  # the attempts alpha rests on


def describe_sums(
    n: int, s1: float, s2: float, s3: float, shift: float = 0.0
) -> tuple[float, float | None, float | None]:
    """Mean, sample SD and sample skewness from n and the sums of d, d² and d³, where
    d = x - ``shift`` (plain sums of x, x², x³ with the default shift 0).

    Exact in exact arithmetic for any shift; in floating point the error grows with
    the sum of squares about the shift (Chan, Golub & LeVeque 1983), so a shift near
    the mean (what ``describe`` and the store's ``score_moments`` use) keeps it at the
    rounding of the deviations themselves. A spread within rounding noise of the sums
    (``_noise``) is none: SD 0 and no skewness (None, a dash on the page). A third
    moment within the rounding noise of the sums is 0: the values are symmetric as far
    as can be told.
    """
    if n == 0:
        raise ValueError("no values")
    mean = shift + s1 / n
    if n < 2:
        return mean, None, None
    m2 = _spread(n, s1, s2)  # sum of squared deviations from the mean
    sd = math.sqrt(m2 / (n - 1))
    if n < 3 or m2 == 0:
        return mean, sd, None
    d = s1 / n  # the mean's distance from the shift
    m3 = s3 - 3 * d * s2 + 2 * n * d**3  # sum of cubed deviations from the mean
    # |sum d³| <= (sum d²)^1.5, so its rounding is within n * EPS * s2^1.5 (times NOISE).
    if abs(m3) <= _noise(n, abs(s2) ** 1.5):
        m3 = 0.0
    return mean, sd, n / ((n - 1) * (n - 2)) * m3 / sd**3


def describe(values: Sequence[float]) -> tuple[float, float | None, float | None]:
    """Mean, sample SD and sample skewness (as Moodle and spreadsheets compute it).

    Two passes: the mean first (``math.fsum``, correctly rounded), then the sums of the
    deviations from it, so that a large common offset costs no precision.
    """
    if not values:
        raise ValueError("no values")
    shift = math.fsum(values) / len(values)
    deviations = [v - shift for v in values]
    return describe_sums(
        len(values),
        math.fsum(deviations),
        math.fsum(d * d for d in deviations),
        math.fsum(d**3 for d in deviations),
        shift,
    )


def cronbach_alpha(
    item_variances: Sequence[float | None],
    total_variance: float,
    shares: Sequence[float] | None = None,
) -> float | None:
    """alpha = p/(p-1) * (1 - sum of item variances / variance of the totals).

    When attempts draw from pools, each had only some of the questions: then each
    question's variance counts with ``shares``, the fraction of the attempts that
    had it, and p is the mean number of questions per attempt. A question drawn
    only once has no variance yet; the others stand in for it. With every question
    in every attempt (all shares 1) this is Cronbach's formula as it stands.
    """
    weights = [1.0] * len(item_variances) if shares is None else shares
    p = sum(weights)
    known = [(w, v) for w, v in zip(weights, item_variances, strict=True) if v is not None]
    if p <= 1 or total_variance <= 0 or not known:
        return None
    expected = p * sum(w * v for w, v in known) / sum(w for w, _ in known)
    return p / (p - 1) * (1 - expected / total_variance)


def variance(n: int, total: float, squares: float) -> float | None:
    """Sample variance from n, the sum and the sum of squares."""
    return _variance(n, total, squares) if n >= 2 else None


@dataclass(frozen=True)
class Form:
    """The attempts of one form (the same number of questions of each weight per
    area, so comparable totals): what Cronbach's alpha needs."""

    n: int
    sum_t: float  # of those attempts' raw totals
    sum_t2: float
    # of each question's marks, over the attempts that had it
    item_variances: Sequence[float | None]
    max_total: float
    item_counts: Sequence[int] | None = None  # how many of the attempts had each question

    @property
    def shares(self) -> list[float]:
        if self.item_counts is None:
            return [1.0] * len(self.item_variances)
        return [count / self.n for count in self.item_counts]


def summary(moments: tuple[float, ...], form: Form | None = None) -> Summary:
    """Mean, SD and skewness of the scores (each attempt's total as a fraction of its
    maximum, given as n and the sums of d, d², d³ with d = score - shift, and the shift:
    ``describe_sums``'s arguments, as the store's ``score_moments`` returns them; with no
    shift, plain sums of the scores); alpha and the SEM (as a fraction) over ``form``."""
    mean, sd, skew = describe_sums(*moments)
    alpha = sem = None
    if form is not None and form.n >= 2 and form.item_variances:
        total_variance = _variance(form.n, form.sum_t, form.sum_t2)
        alpha = cronbach_alpha(form.item_variances, total_variance, form.shares)
        if alpha is not None:
            sem = math.sqrt(total_variance) * math.sqrt(max(0.0, 1 - alpha)) / form.max_total
    return Summary(
        n=int(moments[0]),
        mean=mean,
        sd=sd,
        skewness=skew,
        alpha=alpha,
        sem=sem,
        items=round(sum(form.shares)) if form else 0,
        alpha_n=form.n if form else 0,
    )
