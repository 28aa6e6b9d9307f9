"""A cohort's results on its page (issue 18, point 2): counts, the verdict mix, each area's
mean with its interval, the weakest areas with the questions missed most, each member's
latest result linked to its report, and the comparison with all takers."""

from __future__ import annotations

import re
import uuid

import pytest

from quiz import attempts, cohort_report
from quiz.bank import version_hash
from quiz.draw import draw
from quiz.store import Store
from quiz.web import percent_tenth_label

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


def unanswered(app, taker: str, cohort: int) -> int:
    """A finished attempt in the cohort without a single answer (so without a verdict)."""
    bank = app.extensions["quiz.bank"].current()
    token = uuid.uuid4().hex
    body = bank.scheme.body()
    s = opened(app)
    try:
        attempt_id = s.create_attempt(
            token, taker, (version_hash(body), body), draw(bank, token), cohort_id=cohort
        )
        attempts.finish(s, attempts.load(s, token), bank)
    finally:
        s.close()
    return attempt_id


def test_an_empty_cohort_says_what_will_appear(app, teacher):
    cohort = make_cohort(app)
    page = text(teacher.get(f"/instructor/cohorts/{cohort}").data)
    assert "No member has finished the assessment yet" in page
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
    assert "Members 4 Attempts started 5 Attempts finished 4" in page
    # The group: Member 0, Member 1 and Ann's retake (her latest), not the outsider.
    group = cohort_report.latest_finished(rows)
    assert len(group) == 3 and all(cohort_report.judged(r) for r in group)
    assert "each member's latest finished attempt: 3 members." in page
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
        assert not cell.rstrip().endswith(",")
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
    first = cohort_report.first_assessments(rows)
    assert len(first) == 4  # the retaker's first (0.1), not their retake
    (overall,) = cohort_report.compare(first, [""], bins)
    assert overall.reference_n == 34
    html = teacher.get(f"/instructor/cohorts/{cohort}").data.decode()
    assert "against every taker's first (34 takers" in text(html.encode())
    row = re.search(r'<th scope="row">Overall</th>(.*?)</tr>', html, re.S)[1]
    cells = re.findall(r"<td>([^<]*)</td>", row)
    assert cells == [
        percent_tenth_label(overall.median),
        str(int(overall.percentile + 0.5)),  # rounded half up, as the report rounds ranks
        percent_tenth_label(overall.reference_median),
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
    assert "latest finished attempt: 1 member." in page


def test_a_practice_cohort_is_not_compared(app, teacher):
    cohort = make_cohort(app, mode="practice")
    seed(app, [0.7], cohort_id=cohort, mode="practice")
    page = text(teacher.get(f"/instructor/cohorts/{cohort}").data)
    assert "Practice is not compared" in page
    assert "This cohort practises" in page and "latest finished attempt: 1 member." in page


def test_a_member_who_took_it_alone_first_is_left_out_of_the_comparison(app, teacher):
    cohort = make_cohort(app)
    seed(app, [0.3 + 0.02 * n for n in range(30)], name="Everyone {n}")
    seed(app, [0.2], takers=["xavier"], name="Xavier")  # on his own first
    seed(app, [0.9], cohort_id=cohort, takers=["xavier"], name="Xavier")  # a retake
    seed(app, [0.6], cohort_id=cohort, takers=["yola"], name="Yola")
    page = text(teacher.get(f"/instructor/cohorts/{cohort}").data)
    assert "That counts 1 of the 2 members who finished the assessment here with a verdict" in page
    assert "the others had taken it on their own before" in page
    assert re.search(r"Overall \d+\.\d% \d+ \d+\.\d% [01] of 1", page)


def test_a_member_whose_latest_attempt_has_no_verdict_counts_only_among_verdicts(app, teacher):
    cohort = make_cohort(app)
    seed(app, [0.8], cohort_id=cohort, takers=["zed"], name="Zed")
    unanswered(app, "zed", cohort)  # later, without a verdict
    html = teacher.get(f"/instructor/cohorts/{cohort}").data.decode()
    page = text(html.encode())
    assert "latest finished attempt: 1 member, 1 of them without a verdict" in page
    mix = re.search(r'<table class="compact verdict-mix">.*?</table>', html, re.S)[0]
    assert "Not enough answers" in mix and "Each area" not in page
    assert re.search(r">Zed</a></th>\s*<td>Not enough answers</td>", html)


def test_the_stores_question_tallies_count_what_the_attempts_hold(app):
    cohort = make_cohort(app)
    seed(app, [0.2, 0.5, 0.9], cohort_id=cohort)
    unanswered(app, "someone", cohort)
    s = opened(app)
    try:
        ids = [r["id"] for r in s.cohort_attempts(cohort)]
        del ids[1]  # not the second: the tallies are of the attempts asked for
        tallies = s.question_tallies(ids, ["technical", "business"])
        expected = {}
        for attempt_id in ids:
            for item in s.items(attempt_id):
                body, mark = item["body"], item["score"]
                if body["area"] not in ("technical", "business") or not body.get("weight"):
                    continue
                got = expected.setdefault((body["id"], body["area"]), [0, 0, 0, 0.0])
                got[0] += 1
                got[1] += mark is None or mark < 1
                got[2] += mark is None
                got[3] += mark or 0.0
    finally:
        s.close()
    assert {(q, a): [n, m, u, pytest.approx(x)] for q, a, n, m, u, x in tallies} == expected
    assert expected  # the seeded attempts had questions of both areas
    assert sum(u for *_, u, _ in tallies) > 0  # and the last one left them unanswered
