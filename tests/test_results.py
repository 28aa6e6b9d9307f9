"""Results and item statistics for instructors, on attempts seeded into a real database."""

from __future__ import annotations

import csv
import io
import math
import random
import re
import uuid

import pytest

from quiz import attempts, scoring
from quiz.bank import load, question_from_body, version_hash
from quiz.draw import draw
from quiz.store import Store

from .helpers import Taker, analysis, log_in, times


def seed(
    app,
    abilities,
    finish=True,
    start="2026-11-0",
    name="Taker {n}",
    cohort_id=None,
    takers=None,
    mode="assessment",
):
    """Finished attempts whose takers get each question right with the given probability
    (a new taker each, or the ones named in ``takers``), in a cohort if ``cohort_id``."""
    bank = app.extensions["quiz.bank"].current()
    store = Store(app.config["DATABASE"])
    body = bank.scheme.body()
    rng = random.Random(7)
    try:
        for n, ability in enumerate(abilities):
            token = uuid.uuid4().hex
            items = draw(bank, token)
            taker = takers[n] if takers else f"taker{n}-{token[:8]}"  # a new taker each time
            attempt_id = store.create_attempt(
                token,
                taker,
                (version_hash(body), body),
                items,
                started_at=f"{start}{n % 9 + 1}T10:00:00+00:00",
                cohort_id=cohort_id,
                mode=mode,
            )
            store.save_profile(attempt_id, name.format(n=n), {})
            marks = []
            for position, item in enumerate(items, start=1):
                q = question_from_body(item["body"])
                right = rng.random() < ability
                if q.type == "single":
                    best = max(range(len(q.options)), key=q.option_score)
                    worst = min(range(len(q.options)), key=q.option_score)
                    answer = best if right else worst
                elif q.type == "multiple":
                    answer = (
                        sorted(q.correct_indexes)
                        if right
                        else [i for i in range(len(q.options)) if i not in q.correct_indexes]
                    )
                elif q.type == "numeric":
                    answer = f"{q.answer:g}" if right else "-1"
                else:
                    answer = 4
                mark = scoring.score(q, answer)
                store.save_answer(attempt_id, position, item["hash"], answer, mark)
                marks.append((q, mark))
            if finish:
                attempts.finish(store, attempts.load(store, token), bank)
    finally:
        store.close()


@pytest.fixture
def teacher(app, client):
    return log_in(app, client)


def test_results_list_filters_sorts_and_pages(app, teacher):
    seed(app, [0.1 * i for i in range(11)] * 5)  # 55 finished attempts
    seed(app, [0.5], finish=False, start="2026-10-0")
    html = teacher.get("/instructor/results").data.decode()
    assert "56 attempts match; 55 finished." in html
    table = html[html.index('<table class="results">') :]
    assert "Page 1 of 2" in html and table.count('<tr><th scope="row">') == 50
    assert '<svg class="chart"' in html and "Distribution of overall scores" in html
    second = teacher.get("/instructor/results?page=2").data.decode()
    assert second[second.index('<table class="results">') :].count('<tr><th scope="row">') == 6
    running = teacher.get("/instructor/results?status=in-progress").data.decode()
    assert "1 attempt matches; 0 finished." in running
    strong = teacher.get("/instructor/results?verdict=strong-fit&status=finished").data.decode()
    count = int(re.search(r"(\d+) attempts? match", strong).group(1))
    assert 0 < count < 55 and "Not yet a fit</td>" not in strong
    ranked = teacher.get("/instructor/results?sort=overall&order=desc&status=finished").data
    table = ranked.decode().split('<table class="results">')[1]
    rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", table, re.S)
    scores = [int(re.findall(r"<td>(\d+)%</td>", row)[0]) for row in rows]
    assert len(scores) == 50 and scores == sorted(scores, reverse=True)
    dated = teacher.get("/instructor/results?since=2026-11-03&until=2026-11-03").data.decode()
    assert re.search(r"(\d+) attempts? match", dated).group(1) == str(
        sum(1 for n in range(55) if n % 9 + 1 == 3)
    )


def without_bom(body: bytes) -> str:
    """The text of a CSV download, after checking it starts with one UTF-8 byte-order mark."""
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8")
    assert text.count("\ufeff") == 1
    return text.removeprefix("\ufeff")


@pytest.mark.full_bank
def test_csv_exports_stream_every_matching_row(app, teacher):
    seed(app, [0.2, 0.9])
    response = teacher.get("/instructor/results/attempts.csv")
    assert response.is_streamed and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(without_bom(response.get_data()))))
    assert rows[0][:6] == ["attempt", "name", "started", "finished", "verdict", "overall"]
    assert len(rows) == 3 and rows[1][1] == "Taker 0"
    assert rows[0][-2:] == ["mode", "cohort"] and rows[1][-2:] == ["assessment", ""]
    responses = teacher.get("/instructor/results/responses.csv")
    lines = list(csv.reader(io.StringIO(without_bom(responses.get_data()))))
    assert lines[0] == [
        "attempt",
        "position",
        "question",
        "version",
        "type",
        "area",
        "answer",
        "mark",
        "answered_at",
    ]
    assert len(lines) == 1 + 2 * 56


def brute_force(app):
    """Facility and discrimination per question version, straight from every mark."""
    store = Store(app.config["DATABASE"])
    try:
        rows = store.db.execute(
            "SELECT i.attempt_id, i.version_hash, json_extract(v.body, '$.weight'), "
            "coalesce(r.score, 0) FROM attempt_items i JOIN question_versions v "
            "ON v.hash = i.version_hash LEFT JOIN responses r ON r.attempt_id = i.attempt_id "
            "AND r.position = i.position JOIN attempts a ON a.id = i.attempt_id "
            "WHERE a.finished_at IS NOT NULL"
        ).fetchall()
    finally:
        store.close()
    marks: dict[int, dict[str, float]] = {}
    for attempt, item, weight, score in rows:
        if weight > 0:
            marks.setdefault(attempt, {})[item] = score * weight
    totals = {a: sum(m.values()) for a, m in marks.items()}
    out = {}
    for item in {i for m in marks.values() for i in m}:
        had = [a for a, m in marks.items() if item in m]  # attempts that drew the question
        xs = [marks[a][item] for a in had]
        rs = [totals[a] - marks[a][item] for a in had]
        n = len(xs)
        mx, mr = sum(xs) / n, sum(rs) / n
        var_x = sum((x - mx) ** 2 for x in xs) / (n - 1) if n > 1 else None
        var_r = sum((r - mr) ** 2 for r in rs) / (n - 1) if n > 1 else None
        cov = (
            sum((x - mx) * (r - mr) for x, r in zip(xs, rs, strict=True)) / (n - 1) if n > 1 else 0
        )
        di = 100 * cov / math.sqrt(var_x * var_r) if var_x and var_r else None
        out[item] = (mx, di, n, var_x)
    return out, totals


def pooled_alpha(items, totals):
    """Cronbach's alpha with each question's variance weighted by the share of
    attempts that drew it (docs/statistics.md), straight from the marks."""
    n = len(totals)
    p = sum(count for _, _, count, _ in items.values()) / n
    known = [(count / n, var) for _, _, count, var in items.values() if var is not None]
    expected = p * sum(w * v for w, v in known) / sum(w for w, _ in known)
    mean = sum(totals.values()) / n
    var_t = sum((t - mean) ** 2 for t in totals.values()) / (n - 1)
    return p / (p - 1) * (1 - expected / var_t)


@pytest.mark.full_bank
def test_item_analysis_matches_a_brute_force_computation(app):
    seed(app, [0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 0.5, 0.65])
    with app.test_request_context():
        result = analysis()
    expected, totals = brute_force(app)
    assert result["attempts"] == 8 and result["form_attempts"] == 8  # draws share one form
    # Each attempt drew 12 of 24 per area: more versions than any attempt had, none unscored.
    assert len(result["items"]) == len(expected) > 48
    for item in result["items"]:
        facility, di, n, _ = expected[item["version"]]
        assert item["stats"].n == n
        assert item["stats"].facility == pytest.approx(facility)
        if di is None:
            assert item["stats"].discrimination is None
        else:
            assert item["stats"].discrimination == pytest.approx(di)
        assert item["current"] and item["stats"].tentative
    test = result["test"]
    assert test.n == 8 and 0 < test.mean < 1 and test.items == 48
    assert test.alpha == pytest.approx(pooled_alpha(expected, totals))
    assert [name for name, _ in result["areas"]] == [
        "Technical",
        "Business",
        "Analytical",
        "Client-facing",
    ]
    assert all(s.items == 12 for _, s in result["areas"])


@pytest.mark.full_bank
def test_statistics_page_shows_figures_and_option_counts(app, teacher):
    seed(app, [0.2, 0.5, 0.8, 0.95])
    html = teacher.get("/instructor/statistics").data.decode()
    assert "Over 4 finished attempts" in html
    assert "Whole test" in html and "Client-facing" in html
    versions = len(brute_force(app)[0])
    scored = sum(q.scored for q in load(app.config["QUESTIONS"]).questions)
    assert 48 < versions <= scored and html.count("<td><code>") == versions and "current" in html
    assert "Options chosen" in html and "(right)" in html and "nobody chose it" in html
    assert "(tentative)" in html
    # Moodle's random guess score: a keyed question of four options gives a guess a quarter
    assert "Random guess</th>" in html and "<td>0.25</td>" in html


def test_flags_filter_the_question_list(app, teacher):
    seed(app, [0.0, 0.0, 0.0])  # everybody wrong on everything: every question too hard
    html = teacher.get("/instructor/questions?flagged=1").data.decode()
    assert "too hard: facility 0%" in html
    store = Store(app.config["DATABASE"])
    try:
        drawn = {
            row[0]
            for row in store.db.execute(
                "SELECT DISTINCT v.question_id FROM attempt_items AS i JOIN question_versions "
                "AS v ON v.hash = i.version_hash WHERE json_extract(v.body, '$.weight') > 0"
            )
        }
    finally:
        store.close()
    listed = set(re.findall(r'/instructor/questions/([a-z0-9-]+)">', html))
    assert listed == drawn  # the questions no attempt drew have no figures to flag


def test_statistics_follow_deletions(app, client):
    seed(app, [0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.4])
    store = Store(app.config["DATABASE"])
    try:
        first = store.db.execute("SELECT id, taker FROM attempts ORDER BY id LIMIT 2").fetchall()
        store.delete_attempt(first[0][0])
        store.delete_taker(first[1][1])
    finally:
        store.close()
    with app.test_request_context():
        result = analysis()
    expected, _ = brute_force(app)
    assert result["attempts"] == 5
    for item in result["items"]:
        facility, di, _, _ = expected[item["version"]]
        assert item["stats"].facility == pytest.approx(facility)
        if di is not None:
            assert item["stats"].discrimination == pytest.approx(di)


def test_rebuilding_the_sums_gives_what_finishing_kept(app):
    seed(app, [0.3, 0.6, 0.9, 0.5])
    tables = ("item_sums", "form_item_sums", "form_area_sums", "option_counts")
    store = Store(app.config["DATABASE"])
    try:
        before = {t: sorted(store.db.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}
        Store.backfill_statistics(store.db)
        after = {t: sorted(store.db.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}
    finally:
        store.close()
    for table in tables:
        assert len(before[table]) == len(after[table]) > 0
        for old, new in zip(before[table], after[table], strict=True):
            text = [v for v in old if isinstance(v, str)]
            numbers = [v for v in old if not isinstance(v, str)]
            assert text == [v for v in new if isinstance(v, str)]
            assert numbers == pytest.approx([v for v in new if not isinstance(v, str)])


def test_where_takers_stand_for_takers_and_instructors(app, client):
    seed(app, [0.2 + 0.02 * n for n in range(28)])  # with this taker, 29: not enough yet
    taker = Taker(client)
    html = taker.complete(app)
    assert "Once 30 people have finished the assessment" in html and "So far 29 have." in html
    seed(app, [0.5])  # the 30th
    html = taker.result()
    store = Store(app.config["DATABASE"])
    try:
        overall = [r[0] for r in store.db.execute("SELECT overall FROM attempts WHERE first = 1")]
    finally:
        store.close()
    mine = max(overall)  # this taker got everything right
    assert len(overall) == 30 and sorted(overall)[-2] < mine
    below = sum(score < mine for score in overall)
    expected = round(100 * (below + 0.5) / 30)  # alone at the top: 29.5 / 30 = 98.3
    assert expected == 98
    assert "the 30 people who have finished" in html
    assert (
        f'<th scope="row" data-label="">Overall</th><td data-label="Percentile">{expected}</td>'
        in html
    )
    # Nobody else scored 100%.
    assert '<td data-label="In words">higher than 29 of them</td>' in html
    teacher = log_in(app, client)
    page = teacher.get("/instructor/results").data.decode()
    ranked = sorted(overall)
    assert "Where takers stand" in page and "(30 takers; retakes" in page
    median = f"{round(100 * ranked[int(0.5 * 30)])}%"
    row = re.search(
        r'<th scope="row">Overall</th>(.*?)</tr>', page.split("Where takers stand")[1], re.S
    )
    assert re.findall(r"<td>([^<]+)</td>", row.group(1))[2] == median


NAME = "Zoë Ångström-Łukasiewicz 李雷"  # what a legacy code page would mangle


@pytest.mark.full_bank
def test_csv_exports_send_the_bom_once_however_many_chunks(app, teacher):
    seed(app, [0.3, 0.6, 0.9] * 4, name=NAME + " {n}")  # 12 × 56 answers: two chunks or more
    for path, width in [("attempts.csv", None), ("responses.csv", 9)]:
        response = teacher.get(f"/instructor/results/{path}")
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        chunks = [c for c in response.iter_encoded() if c]
        assert chunks[0].startswith(b"\xef\xbb\xbf")
        assert not any(b"\xef\xbb\xbf" in c for c in chunks[1:])
        rows = list(csv.reader(io.StringIO(without_bom(b"".join(chunks)), newline="")))
        assert rows[0][0] == "attempt"
        assert all(len(row) == len(rows[0]) for row in rows)
        if width:
            assert len(chunks) >= 2 and len(rows) == 1 + 12 * 56 and len(rows[0]) == width
        else:
            assert [row[1] for row in rows[1:]] == [f"{NAME} {n}" for n in range(12)]


def test_times_on_the_instructor_pages_name_utc_and_keep_the_instant(app, teacher):
    seed(app, [0.5], start="2026-11-0")  # started 2026-11-01T10:00:00+00:00
    seed(app, [0.5], finish=False, start="2026-10-0")
    results = times(teacher.get("/instructor/results").data.decode())
    assert len(results) == 3  # two started, one finished; the unfinished one shows "—"
    assert ("2026-11-01T10:00:00Z", "1 Nov 2026, 10:00 UTC") in results
    assert ("2026-10-01T10:00:00Z", "1 Oct 2026, 10:00 UTC") in results
    assert len(times(teacher.get("/instructor/").data.decode())) == 1  # the last change
    assert len(times(teacher.get("/instructor/revisions").data.decode())) >= 1
    assert len(times(teacher.get("/instructor/revisions/1").data.decode())) == 1
    bank = app.extensions["quiz.bank"].current()
    scored = next(q for q in bank.questions if q.scored)
    store = Store(app.config["DATABASE"])
    try:
        store.replace_item_parameters(
            [
                {
                    "version_hash": bank.versions[scored.id][0],
                    **{"a": 1.0, "b": 0.0, "c": 0.2, "se_a": 0.1, "se_b": 0.1},
                    **{"rmsd": 0.01, "n": 300},
                }
            ]
        )
    finally:
        store.close()
    assert len(times(teacher.get("/instructor/statistics").data.decode())) == 1


def test_the_statistics_page_renders_as_an_htmx_fragment_too(app, teacher):
    seed(app, [0.2, 0.5, 0.8])
    response = teacher.get("/instructor/statistics", headers={"HX-Request": "true"})
    html = response.data.decode()
    assert response.status_code == 200 and "Item parameters" in html and "<td>0.25</td>" in html
