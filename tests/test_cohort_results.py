"""A cohort's results on its page (issue 18, point 2): counts, the verdict mix, each area's
mean with its interval, the weakest areas with the questions missed most, each member's
latest result linked to its report, and the comparison with all takers."""

from __future__ import annotations

import re

import pytest

from quiz import cohort_report
from quiz.store import Store

from .helpers import log_in
from .test_results import seed


@pytest.fixture
def teacher(app, client):
    return log_in(app, client)


def opened(app) -> Store:
    return Store(app.config["DATABASE"])


def make_cohort(app, mode="assessment", owner="ann") -> int:
    s = opened(app)
    try:
        return s.create_cohort(owner, "Spring intake", "s" * 32, mode=mode)
    finally:
        s.close()


def text(html: bytes) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.decode()).split())


def test_an_empty_cohort_says_what_will_appear(app, teacher):
    cohort = make_cohort(app)
    page = text(teacher.get(f"/instructor/cohorts/{cohort}").data)
    assert "No member has finished the assessment with a verdict yet" in page
    assert "No one has started through the invitation link yet" in page


def test_the_cohorts_page_shows_its_members_results(app, teacher):
    cohort = make_cohort(app)
    seed(app, [0.9, 0.5], cohort_id=cohort, name="Member {n}")
    seed(app, [0.2, 0.95], cohort_id=cohort, name="Ann", takers=["ann-t", "ann-t"])  # a retake
    seed(app, [0.1], name="Outsider")  # not in the cohort
    seed(app, [0.6], cohort_id=cohort, finish=False, name="Late")  # in progress
    s = opened(app)
    try:
        rows = s.cohort_attempts(cohort)
    finally:
        s.close()
    assert len(rows) == 5
    html = teacher.get(f"/instructor/cohorts/{cohort}").data
    page = text(html)
    assert "Started 5" in page and "Finished 4" in page and "Members 4" in page
    # The group: Member 0, Member 1 and Ann's retake (her latest), not the outsider.
    group = cohort_report.latest_judged(rows)
    assert len(group) == 3
    assert "each member's latest finished attempt with a verdict: 3 members" in page
    mix = re.search(r'<table class="compact verdict-mix">.*?</table>', html.decode(), re.S)[0]
    counts = [int(n) for n in re.findall(r"<td>(\d+)</td>", mix)]
    assert sum(counts) == 3
    # Each area's mean, as the pure module computes it over the same attempts.
    bank = app.extensions["quiz.bank"].current()
    means = cohort_report.area_means(group, [d.id for d in bank.dimensions])
    for m in means:
        name = bank.scheme.dimension(m.area).name
        row = re.search(rf"<th scope=\"row\">{re.escape(name)}</th><td>(\d+)%", html.decode())
        assert row and int(row[1]) == round(m.mean * 100 + 1e-9), name
    assert "Lowest areas and the questions missed most" in page
    assert "missed by" in page
    # Members by band add up to the members measured in each area.
    cells = re.findall(r"<td>((?:<span class=\"nowrap\">.*?</span>,? ?)+)</td>", html.decode())
    assert len(cells) == len(means)
    for cell in cells:
        assert sum(int(n) for n in re.findall(r'nowrap">(\d+) ', cell)) == 3
    # Every member once, each linked to their latest attempt.
    members = re.findall(r'href="/instructor/attempts/(\d+)">([^<]+)</a></th>', html.decode())
    assert [name for _, name in members] == ["Ann", "Late", "Member 0", "Member 1"]
    latest_ann = max(r["id"] for r in rows if r["taker"] == "ann-t")
    assert dict((n, int(i)) for i, n in members)["Ann"] == latest_ann
    assert re.search(r"in progress: \d+ of \d+ answered", page)
    report = teacher.get(f"/instructor/attempts/{latest_ann}")
    assert report.status_code == 200
    # Too few takers overall to compare with.
    assert "Not yet: comparisons need the first finished assessments of at least 30" in page


def test_the_cohort_is_compared_with_all_takers_first_attempts(app, teacher):
    cohort = make_cohort(app)
    seed(app, [0.3 + 0.02 * n for n in range(30)], name="Everyone {n}")
    seed(app, [0.95, 0.9, 0.85], cohort_id=cohort, name="Strong {n}")
    seed(app, [0.1], cohort_id=cohort, takers=["strong-retaker"], name="Strong retaker")
    seed(app, [0.99], cohort_id=cohort, takers=["strong-retaker"], name="Strong retaker")
    s = opened(app)
    try:
        rows = s.cohort_attempts(cohort)
        bins = {"": s.first_score_bins()}
    finally:
        s.close()
    first = cohort_report.first_judged_assessments(rows)
    assert len(first) == 4  # the retaker's first (0.1), not their retake
    (overall,) = cohort_report.compare(first, [""], bins)
    assert overall.reference_n == 34
    html = teacher.get(f"/instructor/cohorts/{cohort}").data.decode()
    assert "against every taker's first (34 takers" in text(html.encode())
    row = re.search(r'<th scope="row">Overall</th>(.*?)</tr>', html, re.S)[1]
    cells = re.findall(r"<td>([^<]*)</td>", row)
    assert cells == [
        f"{round(overall.median * 100 + 1e-9)}%",
        str(int(overall.percentile + 0.5)),  # rounded half up, as the report rounds ranks
        f"{round(overall.reference_median * 100 + 1e-9)}%",
        f"{overall.above} of 4",
    ]


def test_members_who_leave_or_delete_their_data_are_gone_from_the_page(app, teacher):
    cohort = make_cohort(app)
    seed(app, [0.9], cohort_id=cohort, takers=["leaver"], name="Leaver")
    seed(app, [0.5], cohort_id=cohort, takers=["stayer"], name="Stayer")
    s = opened(app)
    try:
        s.leave_cohort("leaver", cohort)
    finally:
        s.close()
    page = text(teacher.get(f"/instructor/cohorts/{cohort}").data)
    assert "Stayer" in page and "Leaver" not in page
    assert "latest finished attempt with a verdict: 1 member." in page


def test_a_practice_cohort_is_not_compared(app, teacher):
    cohort = make_cohort(app, mode="practice")
    seed(app, [0.7], cohort_id=cohort, mode="practice")
    page = text(teacher.get(f"/instructor/cohorts/{cohort}").data)
    assert "Practice is not compared" in page
    assert (
        "This cohort practises" in page
        and "latest finished attempt with a verdict: 1 member." in page
    )
