"""The results list, its CSV exports and the item statistics narrowed to one cohort
(issue 18, point 2): exactly that cohort's attempts, the same figures as a database
holding only them, and 404 for a cohort the instructor may not see."""

from __future__ import annotations

import csv
import dataclasses
import html as markup
import io
import random
import re
import uuid

import pytest

from quiz import attempts, scoring
from quiz.analysis import item_analysis
from quiz.bank import question_from_body, version_hash
from quiz.draw import draw
from quiz.store import Store

from .helpers import log_in

MISSING = "There is no cohort here"
ROUTES = (
    "/instructor/results",
    "/instructor/results/attempts.csv",
    "/instructor/results/responses.csv",
    "/instructor/statistics",
)


def opened(app) -> Store:
    return Store(app.config["DATABASE"])


def seed(app, abilities, name, cohort_id=None, mode="assessment", finish=True, rng_seed=7):
    """Attempts (one new taker each) that get each question right with the given
    probability, started in cohort ``cohort_id`` (or outside any); their ids."""
    bank = app.extensions["quiz.bank"].current()
    store = opened(app)
    body = bank.scheme.body()
    rng = random.Random(rng_seed)
    ids = []
    try:
        for n, ability in enumerate(abilities):
            token = uuid.uuid4().hex
            items = draw(bank, token)
            attempt_id = store.create_attempt(
                token,
                f"taker-{token[:12]}",
                (version_hash(body), body),
                items,
                mode=mode,
                started_at=f"2026-11-0{n % 9 + 1}T10:00:00+00:00",
                cohort_id=cohort_id,
            )
            store.save_profile(attempt_id, f"{name} {n}", {})
            for position, item in enumerate(items, start=1):
                q = question_from_body(item["body"])
                right = rng.random() < ability
                if q.type == "single":
                    pick = max if right else min
                    answer = pick(range(len(q.options)), key=q.option_score)
                elif q.type == "multiple":
                    answer = [i for i in range(len(q.options)) if (i in q.correct_indexes) == right]
                elif q.type == "numeric":
                    answer = f"{q.answer:g}" if right else "-1"
                else:
                    answer = rng.randint(1, 5)
                store.save_answer(
                    attempt_id, position, item["hash"], answer, scoring.score(q, answer)
                )
            if finish:
                attempts.finish(store, attempts.load(store, token), bank)
            ids.append(attempt_id)
    finally:
        store.close()
    return ids


@pytest.fixture
def world(app):
    """Two cohorts of ann's, one of bob's, and attempts in each and outside any."""
    store = opened(app)
    try:
        spring = store.create_cohort("ann", "Spring intake", "s" * 32)
        # A name a spreadsheet would run as a formula, unless the export escapes it.
        autumn = store.create_cohort("ann", "=Autumn", "a" * 32)
        bobs = store.create_cohort("bob", "Bob's team", "b" * 32)
        gone = store.create_cohort("ann", "Gone", "g" * 32)
        store.delete_cohort(gone, "ann")
    finally:
        store.close()
    ids = {
        "spring": seed(app, [0.2, 0.4, 0.6, 0.8, 0.9, 0.5], "Spring", spring, rng_seed=1)
        + seed(app, [0.7], "Spring practice", spring, mode="practice", rng_seed=2)
        + seed(app, [0.5], "Spring running", spring, finish=False, rng_seed=3),
        "autumn": seed(app, [0.3, 0.6, 0.95], "Autumn", autumn, rng_seed=4),
        "bobs": seed(app, [0.1, 0.9], "Bob", bobs, rng_seed=5),
        "outside": seed(app, [0.15, 0.35, 0.55, 0.75, 0.85], "Outside", rng_seed=6),
    }
    return {"spring": spring, "autumn": autumn, "bobs": bobs, "gone": gone, "ids": ids}


@pytest.fixture
def teacher(app, client):
    return log_in(app, client)


def listed(html: str) -> list[int]:
    """The attempt ids in the results table."""
    table = html[html.index('<table class="results">') :]
    return [
        int(i) for i in re.findall(r'<span class="visually-hidden">Attempt </span>(\d+)', table)
    ]


def text_of(html: str) -> str:
    return markup.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)))


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def test_the_results_list_holds_only_the_cohorts_attempts(app, teacher, world):
    spring = world["spring"]
    html = teacher.get(f"/instructor/results?cohort={spring}").data.decode()
    assert sorted(listed(html)) == sorted(world["ids"]["spring"])
    assert "8 attempts match; 7 finished." in html  # the practice attempt is listed too
    assert "Attempts in the cohort “Spring intake”" in text_of(html)
    assert f'href="/instructor/cohorts/{spring}">Spring intake</a>' in html
    # The select offers ann's cohorts, this one chosen; not bob's, nor the deleted one.
    select = html[
        html.index('<select id="cohort"') : html.index("</select>", html.index('id="cohort"'))
    ]
    assert '<option value="">All takers</option>' in select
    assert f'<option value="{spring}" selected>Spring intake</option>' in select
    assert f'<option value="{world["autumn"]}">=Autumn</option>' in select
    assert "Bob" not in select and "Gone" not in select
    # The downloads carry the filters, the cohort with them.
    assert f"/instructor/results/attempts.csv?cohort={spring}" in html
    assert f"/instructor/results/responses.csv?cohort={spring}" in html
    # Other filters still apply within the cohort.
    finished = teacher.get(f"/instructor/results?cohort={spring}&status=in-progress").data.decode()
    assert listed(finished) == [world["ids"]["spring"][-1]]
    everyone = teacher.get("/instructor/results?cohort=").data.decode()
    assert "18 attempts match" in everyone and "Attempts in the cohort" not in everyone


def test_the_csv_exports_hold_only_the_cohorts_attempts(app, teacher, world):
    spring, autumn = world["spring"], world["autumn"]
    response = teacher.get(f"/instructor/results/attempts.csv?cohort={spring}")
    assert f'filename="attempts-cohort-{spring}-' in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0][-1] == "cohort" and all(len(r) == len(rows[0]) for r in rows)
    assert sorted(int(r[0]) for r in rows[1:]) == sorted(world["ids"]["spring"])
    assert {r[-1] for r in rows[1:]} == {"Spring intake"}
    # Without a cohort: every attempt, each with its cohort's name (escaped like a name).
    rows = csv_rows(teacher.get("/instructor/results/attempts.csv"))
    cohort_of = {int(r[0]): r[-1] for r in rows[1:]}
    assert len(cohort_of) == 18
    assert {cohort_of[i] for i in world["ids"]["autumn"]} == {"'=Autumn"}
    assert {cohort_of[i] for i in world["ids"]["outside"]} == {""}
    # Bob's cohort is his: its name is not ann's to read (its attempts are, as all are).
    assert {cohort_of[i] for i in world["ids"]["bobs"]} == {""}

    response = teacher.get(f"/instructor/results/responses.csv?cohort={autumn}&status=finished")
    assert f'filename="responses-cohort-{autumn}-' in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert {int(r[0]) for r in rows[1:]} == set(world["ids"]["autumn"])
    store = opened(app)
    try:
        answers = store.db.execute(
            "SELECT count(*) FROM responses WHERE attempt_id IN (SELECT id FROM attempts "
            "WHERE cohort_id = ?)",
            [autumn],
        ).fetchone()[0]
    finally:
        store.close()
    assert len(rows) == 1 + answers


def comparable(analysis: dict) -> dict:
    """An item analysis as plain values, items by version, for comparing two of them."""

    def plain(value):
        return None if value is None else dataclasses.asdict(value)

    return {
        "attempts": analysis["attempts"],
        "form_attempts": analysis["form_attempts"],
        "test": plain(analysis["test"]),
        "areas": [(name, plain(s)) for name, s in analysis["areas"]],
        "items": {
            i["version"]: (
                plain(i["stats"]),
                i["current"],
                i["random_guess"],
                [(o["count"], o["share"]) for o in i["options"]],
            )
            for i in analysis["items"]
        },
    }


def assert_close(got, expected, where="") -> None:
    """``got`` equals ``expected``, numbers to 1e-9, whatever the nesting."""
    if isinstance(expected, dict):
        assert got.keys() == expected.keys(), where
        for key in expected:
            assert_close(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list | tuple):
        assert len(got) == len(expected), where
        for n, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert_close(a, b, f"{where}[{n}]")
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), where
    else:
        assert got == expected, where


@pytest.mark.parametrize("which", ["spring", "autumn"])
def test_a_cohorts_item_analysis_is_that_of_a_database_holding_only_its_attempts(
    app, world, tmp_path, which
):
    cohort = world[which]
    bank = app.extensions["quiz.bank"].current()
    store = opened(app)
    copy_path = tmp_path / "only-the-cohort.db"
    try:
        store.backup(copy_path)
        narrowed = item_analysis(store, bank, cohort=cohort)
        everyone = item_analysis(store, bank)
    finally:
        store.close()
    copy = Store(copy_path)
    try:
        copy.db.execute("PRAGMA foreign_keys = ON")
        copy.db.execute("DELETE FROM attempts WHERE cohort_id IS NOT ?", [cohort])
        Store.backfill_statistics(copy.db)
        alone = item_analysis(copy, bank)
    finally:
        copy.close()
    finished = 6 if which == "spring" else 3  # practice and unfinished attempts left out
    assert narrowed["attempts"] == alone["attempts"] == finished
    assert everyone["attempts"] == 16
    assert narrowed["items"] and narrowed["test"] is not None
    assert_close(comparable(narrowed), comparable(alone))


def test_a_cohort_with_no_finished_assessments_has_no_figures(app, teacher, world):
    store = opened(app)
    try:
        empty = store.create_cohort("ann", "Not yet started", "e" * 32)
        bank = app.extensions["quiz.bank"].current()
        result = item_analysis(store, bank, cohort=empty)
    finally:
        store.close()
    assert result["attempts"] == 0 and result["items"] == [] and result["test"] is None
    html = teacher.get(f"/instructor/statistics?cohort={empty}").data.decode()
    assert "No one in this cohort has finished the assessment yet." in html
    assert "0 finished assessments" in text_of(html)


def test_the_statistics_page_for_a_cohort(app, teacher, world):
    spring = world["spring"]
    html = teacher.get(f"/instructor/statistics?cohort={spring}").data.decode()
    words = text_of(html)
    assert "These figures rest on the cohort “Spring intake”: 6 finished assessments." in words
    assert "Over 6 finished attempts" in html
    assert f'<option value="{spring}" selected>Spring intake</option>' in html
    # Item parameters belong to all takers: neither shown nor calibrated from here.
    assert "Item parameters are estimated from all takers" in words
    assert "Calibrate item parameters" not in html and "parameters-caption" not in html
    everyone = teacher.get("/instructor/statistics").data.decode()
    assert "Over 16 finished attempts" in everyone and "Calibrate item parameters" in everyone
    assert "These figures rest on the cohort" not in everyone
    fragment = teacher.get(
        f"/instructor/statistics?cohort={spring}", headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200 and "Over 6 finished attempts" in fragment.data.decode()


@pytest.mark.parametrize("route", ROUTES)
def test_a_cohort_the_instructor_may_not_see_answers_404(app, teacher, world, route):
    for value in [world["bobs"], world["gone"], "abc", " 1", "-1", "1.0", "9" * 30, "٣"]:
        response = teacher.get(route, query_string={"cohort": value})
        assert response.status_code == 404, (route, value)
        assert MISSING in response.data.decode(), (route, value)


@pytest.mark.parametrize("route", ROUTES)
def test_an_administrator_may_filter_by_any_cohort(app, client, world, route):
    log_in(app, client, "root")
    store = opened(app)
    try:
        store.set_admin("root", True)
    finally:
        store.close()
    response = client.get(route, query_string={"cohort": world["bobs"]})
    assert response.status_code == 200
    if route == "/instructor/results":
        html = response.data.decode()
        assert sorted(listed(html)) == sorted(world["ids"]["bobs"])
        assert "Bob&#39;s team (bob)</option>" in html and "Spring intake (ann)</option>" in html
    elif route.endswith("attempts.csv"):
        assert sorted(int(r[0]) for r in csv_rows(response)[1:]) == sorted(world["ids"]["bobs"])
    assert client.get(route, query_string={"cohort": world["gone"]}).status_code == 404


def test_the_attempt_page_leads_back_to_the_cohorts_list(app, teacher, world):
    spring = world["spring"]
    html = teacher.get(f"/instructor/results?cohort={spring}&sort=overall").data.decode()
    link = re.search(r'href="(/instructor/attempts/\d+\?[^"]+)"', html).group(1)
    assert f"cohort={spring}" in link
    page = teacher.get(markup.unescape(link)).data.decode()
    back = re.search(r'<a href="([^"]+)">Back to results</a>', page).group(1)
    assert back.startswith("/instructor/results?") and f"cohort={spring}" in back
    assert sorted(listed(teacher.get(markup.unescape(back)).data.decode())) == sorted(
        world["ids"]["spring"]
    )


def test_the_attempt_page_drops_a_cohort_the_instructor_may_not_see(app, teacher, world):
    """Every instructor reads every attempt, but the way back names only a cohort of theirs:
    another's (or junk) would lead to a 404."""
    attempt = world["ids"]["bobs"][0]
    for value in (world["bobs"], "junk", world["gone"]):
        page = teacher.get(f"/instructor/attempts/{attempt}?cohort={value}&sort=overall")
        assert page.status_code == 200
        back = re.search(r'<a href="([^"]+)">Back to results</a>', page.data.decode()).group(1)
        assert "cohort=" not in back and "sort=overall" in markup.unescape(back)
