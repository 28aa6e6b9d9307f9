"""Calibration: item parameters estimated from finished attempts. Pure (no Flask, no SQL).

Marginal maximum likelihood with the EM algorithm of Bock & Aitkin (1981): the
abilities of the people who answered are integrated out over a grid under a standard
normal population, and each item's discrimination ``a`` and difficulty ``b`` are
fitted to the expected counts at each grid point. The floor ``c`` stays the expected
mark of a blind guess (``measurement.guessing_floor``): it is fixed by the format of
the question, and estimating it from data is notoriously unstable (de Ayala 2009,
ch. 6). Marks in [0, 1] enter as fractional responses, as in ``measurement``. Weak
priors on log a (normal, mean log 1.5, sd 0.5) and b (normal, mean 0, sd 2) keep a
thinly answered item finite (Bayes modal estimation, Mislevy 1986).

The result carries each parameter's standard error (from the expected information at
the estimate) and a fit statistic: the root mean squared difference, over the grid,
between the marks observed and the marks the fitted curve expects, weighted by how
many answers each grid point carries (RMSD; Köhler, Robitzsch & Hartig 2020).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_GRID = np.linspace(-4.0, 4.0, 41)
_POPULATION = np.exp(-0.5 * _GRID**2)
_POPULATION /= _POPULATION.sum()
PRIOR_LOG_A = (math.log(1.5), 0.5)  # mean and sd of log a
PRIOR_B = (0.0, 2.0)  # mean and sd of b


@dataclass(frozen=True)
class Calibrated:
    """An item's estimated parameters with their standard errors, the RMSD of its fit
    (0..1, in marks), and how many answers they rest on."""

    a: float
    b: float
    c: float
    se_a: float
    se_b: float
    rmsd: float
    n: int


def calibrate(
    marks: Sequence[Sequence[float | None]],
    floors: Sequence[float],
    iterations: int = 200,
    tolerance: float = 1e-4,
) -> list[Calibrated]:
    """Estimate each item's a and b from a persons × items table of marks (0..1, None
    where a person did not get the item), with each item's floor c fixed.

    Raises ValueError when the table is empty or its rows and ``floors`` disagree.
    """
    x = np.array([[np.nan if m is None else m for m in row] for row in marks], dtype=float)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] != len(floors):
        raise ValueError("marks must be a non-empty persons × items table, one floor per item")
    seen = ~np.isnan(x)
    x0 = np.where(seen, x, 0.0)
    c = np.asarray(floors, dtype=float)
    a = np.full(x.shape[1], 1.5)
    b = np.zeros(x.shape[1])
    for _ in range(iterations):
        weights = _posterior(x0, seen, a, b, c)  # persons × grid
        n = weights.T @ seen  # grid × items: expected answers at each grid point
        r = weights.T @ x0  # grid × items: expected marks
        new_a, new_b = _maximise(n, r, a, b, c)
        change = max(np.max(np.abs(new_a - a)), np.max(np.abs(new_b - b)))
        a, b = new_a, new_b
        if change < tolerance:
            break
    weights = _posterior(x0, seen, a, b, c)
    n, r = weights.T @ seen, weights.T @ x0
    se_a, se_b = _standard_errors(n, a, b, c)
    expected = _curve(a, b, c)
    observed = np.divide(r, n, out=expected.copy(), where=n > 1e-9)
    rmsd = np.sqrt(np.sum(n * (observed - expected) ** 2, axis=0) / np.maximum(n.sum(axis=0), 1e-9))
    counts = seen.sum(axis=0)
    return [
        Calibrated(
            float(a[j]),
            float(b[j]),
            float(c[j]),
            float(se_a[j]),
            float(se_b[j]),
            float(rmsd[j]),
            int(counts[j]),
        )
        for j in range(x.shape[1])
    ]


def _curve(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Expected marks, grid × items."""
    z = np.clip(a * (_GRID[:, None] - b), -35, 35)
    return c + (1 - c) / (1 + np.exp(-z))


def _posterior(x0, seen, a, b, c) -> np.ndarray:
    p = np.clip(_curve(a, b, c), 1e-9, 1 - 1e-9)  # grid × items
    log_like = x0 @ np.log(p).T + (seen * (1 - x0)) @ np.log(1 - p).T  # persons × grid
    log_like -= log_like.max(axis=1, keepdims=True)
    weights = np.exp(log_like) * _POPULATION
    return weights / weights.sum(axis=1, keepdims=True)


def _maximise(n, r, a, b, c, steps: int = 5):
    """A few Fisher-scoring steps on (log a, b) of the expected log likelihood plus the
    log priors, for every item at once."""
    log_a = np.log(a)
    for _ in range(steps):
        a = np.exp(log_a)
        grad, info = _score_and_information(n, r, a, b, c)
        # Priors: their gradients and information.
        grad[0] -= (log_a - PRIOR_LOG_A[0]) / PRIOR_LOG_A[1] ** 2
        grad[1] -= (b - PRIOR_B[0]) / PRIOR_B[1] ** 2
        info[0, 0] += 1 / PRIOR_LOG_A[1] ** 2
        info[1, 1] += 1 / PRIOR_B[1] ** 2
        det = info[0, 0] * info[1, 1] - info[0, 1] ** 2
        det = np.where(np.abs(det) < 1e-12, 1e-12, det)
        step_log_a = (info[1, 1] * grad[0] - info[0, 1] * grad[1]) / det
        step_b = (info[0, 0] * grad[1] - info[0, 1] * grad[0]) / det
        log_a = np.clip(log_a + np.clip(step_log_a, -0.5, 0.5), math.log(0.2), math.log(5.0))
        b = np.clip(b + np.clip(step_b, -1.0, 1.0), -5.0, 5.0)
    return np.exp(log_a), b


def _score_and_information(n, r, a, b, c):
    """Gradient and expected information of the expected log likelihood in (log a, b).

    With z = a(θ − b), P = c + (1 − c)σ(z): dℓ/dz = (r − nP)(1 − c)σ(1 − σ) / (P(1 − P)),
    dz/d(log a) = a(θ − b), dz/db = −a; the expected information of z is
    n((1 − c)σ(1 − σ))² / (P(1 − P)).
    """
    theta = _GRID[:, None]
    z = np.clip(a * (theta - b), -35, 35)
    s = 1 / (1 + np.exp(-z))
    p = np.clip(c + (1 - c) * s, 1e-9, 1 - 1e-9)
    slope = (1 - c) * s * (1 - s)
    dz = (r - n * p) * slope / (p * (1 - p))
    iz = n * slope**2 / (p * (1 - p))
    d_log_a, d_b = a * (theta - b), -a
    grad = np.array([np.sum(dz * d_log_a, axis=0), np.sum(dz * d_b, axis=0)])
    info = np.array(
        [
            [np.sum(iz * d_log_a**2, axis=0), np.sum(iz * d_log_a * d_b, axis=0)],
            [np.sum(iz * d_log_a * d_b, axis=0), np.sum(iz * d_b**2, axis=0)],
        ]
    )
    return grad, info


def _standard_errors(n, a, b, c):
    """Standard errors of a and b from the inverse expected information (delta method
    for a, estimated on log a)."""
    _, info = _score_and_information(n, n * 0, a, b, c)
    det = info[0, 0] * info[1, 1] - info[0, 1] ** 2
    det = np.where(det <= 1e-12, np.nan, det)
    var_log_a, var_b = info[1, 1] / det, info[0, 0] / det
    return a * np.sqrt(var_log_a), np.sqrt(var_b)
