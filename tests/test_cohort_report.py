"""quiz/cohort_report.py: which attempts count, the group's means with their interval,
the questions missed most, and the comparison with all takers."""

from __future__ import annotations

import math
import random

import pytest

from quiz import cohort_report
from quiz.report import percentile_rank


def attempt(
    id_, taker, finished=None, verdict="ready", mode="assessment", areas=None, overall=0.5, first=0
):
    areas = areas or {"tech": (0.5, 0.4, 0.6)}
    measurement = {
        "overall": [overall, overall - 0.1, overall + 0.1],
        "areas": {
            a: {"score": s, "low": lo, "high": hi, "theta": 0.0, "se": 0.3, "answered": 5}
            for a, (s, lo, hi) in areas.items()
        },
        "probabilities": {verdict or "ready": 0.9},
        "verdict": verdict,
        "confidence": 0.9,
    }
    return {
        "id": id_,
        "taker": taker,
        "display_name": taker.title(),
        "mode": mode,
        "started_at": "2026-11-01T10:00:00+00:00",
        "finished_at": finished,
        "verdict": verdict if finished else None,
        "overall": overall if finished else None,
        "measurement": measurement if finished else {},
        "first": first,
    }


def test_the_group_counts_each_members_latest_finished_attempt_and_compares_first_ones():
    rows = [
        attempt(1, "ann", "2026-11-02T10:00:00+00:00", overall=0.4, first=1),
        attempt(2, "bob", "2026-11-03T10:00:00+00:00"),  # bob's first was outside the cohort
        attempt(3, "ann", "2026-11-04T10:00:00+00:00", overall=0.7),  # ann's retake
        attempt(4, "ann", None),  # and a third, in progress
        attempt(5, "cy", "2026-11-05T10:00:00+00:00", verdict=None),  # too few answers
        attempt(6, "dee", None),
        # Started before 8, finished after it: the one that finished last counts.
        attempt(7, "eve", "2026-11-09T10:00:00+00:00", overall=0.2),
        attempt(8, "eve", "2026-11-08T10:00:00+00:00", overall=0.9, first=1),
    ]
    latest = cohort_report.latest_finished(rows)
    assert sorted(r["id"] for r in latest) == [2, 3, 5, 7]
    assert sorted(r["id"] for r in latest if cohort_report.judged(r)) == [2, 3, 7]
    assert sorted(r["id"] for r in cohort_report.first_assessments(rows)) == [1, 8]
    members = cohort_report.members(rows)
    assert [(m.taker, m.attempts, m.shown["id"], m.in_progress) for m in members] == [
        ("ann", 3, 3, 1),  # her latest finished, with one more in progress
        ("bob", 1, 2, 0),
        ("cy", 1, 5, 0),
        ("dee", 1, 6, 1),  # nothing finished: the one in progress
        ("eve", 2, 7, 0),  # the same attempt the figures count
    ]


def test_practice_is_never_compared():
    rows = [attempt(1, "ann", "2026-11-02T10:00:00+00:00", mode="practice", first=1)]
    assert cohort_report.latest_finished(rows) == rows
    assert cohort_report.first_assessments(rows) == []


def test_an_areas_mean_has_the_interval_of_a_mean_of_independent_errors():
    z = cohort_report.Z
    rows = [
        attempt(1, "a", "x", areas={"tech": (0.30, 0.30 - 0.1 * z, 0.30 + 0.1 * z)}),
        attempt(2, "b", "x", areas={"tech": (0.50, 0.50 - 0.2 * z, 0.50 + 0.2 * z)}),
        attempt(
            3, "c", "x", areas={"tech": (0.85, 0.85 - 0.2 * z, 0.85 + 0.2 * z), "biz": (1, 1, 1)}
        ),
    ]
    tech, biz = cohort_report.area_means(rows, ["tech", "biz", "gone"])
    se = math.sqrt(0.1**2 + 0.2**2 + 0.2**2) / 3  # posterior SDs 0.1, 0.2, 0.2
    assert tech.n == 3 and tech.mean == pytest.approx(0.55)
    assert tech.low == pytest.approx(0.55 - z * se) and tech.high == pytest.approx(0.55 + z * se)
    assert tech.scores == (0.30, 0.50, 0.85)
    assert (biz.n, biz.mean, biz.low, biz.high) == (1, 1, 1, 1)  # clipped to 0..1
    assert z == pytest.approx(1.6449, abs=1e-4)  # the 90% interval's z
    assert [m.area for m in cohort_report.weakest([biz, tech], 1)] == ["tech"]


def test_the_questions_missed_most_come_first_per_area():
    tallies = [  # question, area, had it, missed it, left it unanswered, sum of marks
        ("q-easy", "tech", 2, 0, 0, 2.0),
        ("q-hard", "tech", 2, 2, 1, 0.0),
        ("q-half", "tech", 2, 1, 0, 1.5),
        ("q-one", "tech", 1, 1, 0, 0.0),  # as low as q-hard, but fewer had it
        ("q-fine", "biz", 3, 0, 0, 3.0),
    ]
    missed = cohort_report.most_missed(tallies, shown=2)
    assert missed["biz"] == []  # nobody missed its question
    hard, one = missed["tech"]
    assert (hard.question, hard.asked, hard.missed, hard.unanswered, hard.facility) == (
        "q-hard",
        2,
        2,
        1,
        0.0,
    )
    assert one.question == "q-one"
    assert [q.question for q in cohort_report.most_missed(tallies)["tech"]] == [
        "q-hard",
        "q-one",
        "q-half",  # q-easy: nobody missed it
    ]
    # Only questions at least two members had: q-one (one member) drops out.
    assert [q.question for q in cohort_report.most_missed(tallies, min_asked=2)["tech"]] == [
        "q-hard",
        "q-half",
    ]


def test_the_reference_ranks_as_the_store_does(store):
    """The comparison ranks scores in Python the way Store.percentile_counts does in SQL,
    ties to a tenth of a percent, rounding half away from zero as SQLite's round()."""
    rng = random.Random(3)
    scores = [rng.choice([0.1235, 0.5, 0.5005, 0.9994, 0.25]) for _ in range(40)]
    scores += [rng.random() for _ in range(40)]
    with store.transaction():
        for score in scores:
            bin_ = store.db.execute("SELECT CAST(round(? * 1000) AS INTEGER)", [score]).fetchone()[
                0
            ]
            store.db.execute(
                "INSERT INTO first_score_bins (scope, bin, n) VALUES ('', ?, 1) "
                "ON CONFLICT (scope, bin) DO UPDATE SET n = n + 1",
                [bin_],
            )
    reference = cohort_report.Reference(store.first_score_bins())
    for score in [*scores, 0.0, 1.0, 0.0005, 0.4995]:
        assert reference.counts_of(score) == store.percentile_counts(score)


def test_the_comparison_takes_medians_and_the_middle_members_rank():
    reference = [(0.2, 10), (0.5, 10), (0.8, 10)]  # 30 first attempts, median 0.5
    rows = [
        attempt(1, "a", "x", overall=0.2, areas={"tech": (0.9, 0.8, 1.0)}),
        attempt(2, "b", "x", overall=0.8),
        attempt(3, "c", "x", overall=0.8),
    ]
    overall, tech = cohort_report.compare(
        rows, ["", "tech", "biz"], {"": reference, "tech": reference}
    )
    assert (overall.n, overall.median, overall.reference_n, overall.reference_median) == (
        3,
        0.8,
        30,
        0.5,
    )
    assert overall.percentile == percentile_rank(20, 10, 30)  # the middle member's, ties half
    assert overall.above == 2
    assert (tech.n, tech.median, tech.above) == (3, 0.5, 1)  # b and c keep the default 0.5
    assert cohort_report.compare(rows, ["biz"], {"": reference}) == []  # no reference


def test_above_the_median_is_judged_to_a_tenth_of_a_percent_as_the_median_is_binned():
    """All takers' median comes from 0.1% bins: a member at 41.49% is in the 41.5% bin,
    level with a median of 41.5%, not above it (the exact median may be 41.48%)."""
    reference = [(0.414, 10), (0.415, 1), (0.416, 10)]  # median: the 41.5% bin
    rows = [attempt(1, "a", "x", overall=0.4149), attempt(2, "b", "x", overall=0.4156)]
    (overall,) = cohort_report.compare(rows, [""], {"": reference})
    assert overall.reference_median == 0.415 and overall.above == 1  # b only
