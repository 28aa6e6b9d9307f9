"""The statistics page's item parameters and its calibration button, on a real database."""

from __future__ import annotations

import re

import pytest

from quiz.demo import attempts
from quiz.measurement import provisional
from quiz.store import Store

from .helpers import csrf_token, log_in

CALIBRATE = "/instructor/statistics/calibrate"


@pytest.fixture
def teacher(app, client):
    return log_in(app, client)


def seed(app, count: int = 80) -> None:
    """Finished demonstration attempts, whose takers answer by a known difficulty."""
    bank = app.extensions["quiz.bank"].current()
    store = Store(app.config["DATABASE"])
    try:
        store.add_finished_attempts(bank.scheme_version, attempts(bank, count, seed=3))
    finally:
        store.close()


def judged(app) -> int:
    """Finished assessments with a verdict: the ones calibration reads."""
    store = Store(app.config["DATABASE"])
    try:
        return store.score_moments()[""][0]
    finally:
        store.close()


def fitted(app) -> dict:
    store = Store(app.config["DATABASE"])
    try:
        return store.item_parameters()
    finally:
        store.close()


def parameter_rows(html: str) -> dict[str, list[str]]:
    """The cells of the item parameters table, by question id."""
    table = html[html.index('id="parameters-caption"') :]
    table = table[: table.index("</table>")]
    rows = {}
    for row in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", table, re.S):
        qid = re.search(r">([a-z0-9-]+)</a>", row).group(1)
        rows[qid] = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row)]
    return rows


def calibrate(client):
    token = csrf_token(client.get("/instructor/statistics").data)
    return client.post(CALIBRATE, data={"csrf_token": token})


def test_the_page_shows_provisional_parameters_before_calibration(app, teacher):
    html = teacher.get("/instructor/statistics").data.decode()
    assert "No finished attempts yet" in html
    assert "QUIZ_CALIBRATION_MIN_RESPONSES" in html and "at least 200 answers" in html
    assert 'role="region" aria-labelledby="parameters-caption"' in html
    assert '<th scope="col">b (difficulty)</th>' in html
    assert f'action="{CALIBRATE}"' in html and "Calibrate item parameters</button>" in html
    bank = app.extensions["quiz.bank"].current()
    rows = parameter_rows(html)
    assert list(rows) == [q.id for q in bank.questions if q.scored]  # Likert items are left out
    for qid, (area, source, a, b, c, se_a, se_b, rmsd, n) in rows.items():
        q = bank.by_id[qid]
        guess = provisional(q)
        assert area == bank.scheme.dimension(q.area).name and source == "provisional"
        assert (a, b, c) == (f"{guess.a:.2f}", f"{guess.b:.2f}", f"{guess.c:.2f}")
        assert (se_a, se_b, rmsd, n) == ("—", "—", "—", "0")


def test_calibrating_without_finished_assessments_changes_nothing(app, teacher):
    seed(app, 30)
    app.config["CALIBRATION_MIN_RESPONSES"] = 1
    assert calibrate(teacher).status_code == 303
    before = fitted(app)
    assert before
    store = Store(app.config["DATABASE"])
    try:  # every taker asks for their data to be deleted; the parameters stay
        for n in range(30):
            store.delete_taker(f"demo-taker-3-{n}")
    finally:
        store.close()
    response = calibrate(teacher)
    assert response.status_code == 303
    assert response.headers["Location"] == "/instructor/statistics"
    html = teacher.get("/instructor/statistics").data.decode()
    assert "There are no finished assessments yet, so nothing was calibrated" in html
    assert fitted(app) == before
    assert {row[1][:10] for row in parameter_rows(html).values()} == {"calibrated"}


def test_calibrating_needs_a_csrf_token(app, teacher):
    seed(app, 40)
    response = teacher.post(CALIBRATE, data={})
    assert response.status_code == 400
    assert "did not come from this site, so nothing was saved" in response.data.decode()
    assert fitted(app) == {}


def test_calibrating_needs_an_instructor(app, client):
    seed(app, 40)
    token = csrf_token(client.get("/").data)
    assert client.post(CALIBRATE, data={"csrf_token": token}).status_code == 401
    page = client.get("/instructor/statistics")
    assert page.status_code == 302 and page.headers["Location"].startswith("/instructor/login")
    assert fitted(app) == {}


def test_calibration_keeps_the_versions_with_enough_answers(app, teacher):
    seed(app, 80)
    scored = [q for q in app.extensions["quiz.bank"].current().questions if q.scored]
    n = judged(app)  # a few demonstration takers skip too much to be judged
    assert 20 < n < 80

    app.config["CALIBRATION_MIN_RESPONSES"] = n + 1  # one more than any version has
    response = calibrate(teacher)
    assert response.status_code == 303
    html = teacher.get(response.headers["Location"]).data.decode()
    assert (
        f"Calibrated 0 question versions from {n} finished assessments; {len(scored)} with "
        f"fewer than {n + 1} answers keep their provisional parameters." in html
    )
    assert fitted(app) == {}
    rows = parameter_rows(html)
    assert {row[1] for row in rows.values()} == {"provisional"}
    assert {row[8] for row in rows.values()} == {str(n)}  # the answers gathered so far

    app.config["CALIBRATION_MIN_RESPONSES"] = n
    html = teacher.get(calibrate(teacher).headers["Location"]).data.decode()
    assert (
        f"Calibrated {len(scored)} question versions from {n} finished assessments; "
        f"every one had at least {n} answers." in html
    )
    stored = fitted(app)
    rows = parameter_rows(html)
    bank = app.extensions["quiz.bank"].current()
    for q in scored:
        area, source, a, b, c, se_a, se_b, rmsd, count = rows[q.id]
        p = stored[bank.versions[q.id][0]]
        # the time of the calibration, in UTC (the page's <time> text; its markup keeps the instant)
        assert re.fullmatch(r"calibrated \d{1,2}&nbsp;\w{3}&nbsp;\d{4}, \d\d:\d\d&nbsp;UTC", source)
        assert (a, b, c, count) == (f"{p['a']:.2f}", f"{p['b']:.2f}", f"{p['c']:.2f}", str(n))
        assert (se_a, se_b, rmsd) == (f"{p['se_a']:.2f}", f"{p['se_b']:.2f}", f"{p['rmsd']:.3f}")
        assert float(se_b) > 0 and 0 <= float(rmsd) < 1
    # The demonstration's takers find hard questions harder than easy ones.
    by_label = {
        label: [stored[bank.versions[q.id][0]]["b"] for q in scored if q.difficulty == label]
        for label in ("easy", "hard")
    }
    assert min(by_label["hard"]) > max(by_label["easy"])
