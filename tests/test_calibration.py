"""Calibration recovers known item parameters from generated responses."""

from __future__ import annotations

import math
import random

import pytest

from quiz.calibration import calibrate


def generated(takers: int, items: list[tuple[float, float, float]], per_taker: int, seed: int):
    """Marks of ``takers`` with N(0, 1) abilities, each given ``per_taker`` random items,
    answering right with the three-parameter probability."""
    rng = random.Random(seed)
    table = []
    for _ in range(takers):
        theta = rng.gauss(0, 1)
        given = set(rng.sample(range(len(items)), per_taker))
        row = []
        for j, (a, b, c) in enumerate(items):
            if j not in given:
                row.append(None)
                continue
            p = c + (1 - c) / (1 + math.exp(-a * (theta - b)))
            row.append(1.0 if rng.random() < p else 0.0)
        table.append(row)
    return table


def test_2000_takers_recover_the_difficulties_within_an_rmse_of_025():
    rng = random.Random(11)
    items = [
        (rng.uniform(1.0, 2.4), rng.gauss(0, 1), rng.choice([0.0, 0.2, 0.25, 1 / 3]))
        for _ in range(24)
    ]
    table = generated(2000, items, per_taker=12, seed=5)
    fitted = calibrate(table, [c for _, _, c in items])
    errors_b = [f.b - b for f, (_, b, _) in zip(fitted, items, strict=True)]
    rmse_b = math.sqrt(sum(e * e for e in errors_b) / len(errors_b))
    assert rmse_b <= 0.25
    errors_a = [math.log(f.a / a) for f, (a, _, _) in zip(fitted, items, strict=True)]
    assert math.sqrt(sum(e * e for e in errors_a) / len(errors_a)) <= 0.25
    # Standard errors say how far off an estimate may be: few errors exceed three of them.
    outside = [e for f, e in zip(fitted, errors_b, strict=True) if abs(e) > 3 * f.se_b]
    assert len(outside) <= 2
    for f in fitted:
        assert 0 < f.se_b < 1.0 and 0 < f.se_a < 2.0 and f.rmsd < 0.05
        assert 800 <= f.n <= 1200  # each item went to about half of the takers


def test_fractional_marks_and_a_thin_item_stay_finite():
    table = [[1.0, 0.5, None], [0.0, 0.25, 1.0], [1.0, 1.0, None], [0.5, 0.0, None]]
    fitted = calibrate(table, [0.25, 0.0, 0.0])
    for f in fitted:
        assert math.isfinite(f.a) and math.isfinite(f.b) and f.a > 0
    assert fitted[2].n == 1


def test_a_table_that_does_not_fit_its_floors_is_refused():
    with pytest.raises(ValueError):
        calibrate([[1.0, 0.0]], [0.25])
    with pytest.raises(ValueError):
        calibrate([], [])
