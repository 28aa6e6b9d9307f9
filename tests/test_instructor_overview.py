"""Issue 16, point 7: instructors see more, in fewer clicks.

The dashboard's overview of recent results (attempts this week and the week before, the
verdict mix of the last 30 days, the questions the statistics flag); one attempt opened
in full from the results list, as its taker saw it, under the instructor's navigation;
and a refused save that lists every problem with its line, not only the first (the
question editor, the raw file, the settings), with and without htmx.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from quiz import attempts, report
from quiz.analysis import current_flags, item_analysis, most_flagged
from quiz.bank import BankError, check_question, parse
from quiz.cohort_report import verdict_mix
from quiz.demo import attempts as demo_attempts
from quiz.instructor.results import change_text
from quiz.scoring import percent
from quiz.stats import ItemStats
from quiz.store import Store

from .helpers import SMALL_BANK, Taker, answer_all, form_fields, log_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
def teacher(app, client):
    return log_in(app, client)


def seed(app, ages: list[float], seed: int = 1) -> list[dict]:
    """Finished demonstration attempts, the n-th started ``ages[n]`` days ago and finished
    20 minutes later; returns them as ``demo.attempts`` made them (with their verdict)."""
    bank = app.extensions["quiz.bank"].current()
    now = datetime.now(UTC)
    made = []
    for age, attempt in zip(ages, demo_attempts(bank, len(ages), seed), strict=True):
        started = now - timedelta(days=age)
        attempt["started_at"] = started.isoformat(timespec="seconds")
        attempt["finished_at"] = (started + timedelta(minutes=20)).isoformat(timespec="seconds")
        made.append(attempt)
    store = Store(app.config["DATABASE"])
    try:
        store.add_finished_attempts(bank.scheme_version, made)
    finally:
        store.close()
    return made


def text_of(html: str) -> str:
    """The words of some HTML, tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&nbsp;", " ").strip()


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by the heading with this id."""
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.index("</section>", start)]


# --- the overview -----------------------------------------------------------------------


def test_attempts_this_week_and_the_week_before(app, teacher):
    seed(app, [1, 2, 3, 8, 9, 10, 11, 12, 20, 40])
    Taker(app.test_client()).start()  # started now, not finished
    html = teacher.get("/instructor/").data.decode()
    panel = section(html, "activity-heading")
    assert '<tr><th scope="row">Started</th><td>4</td><td>5</td></tr>' in panel
    assert '<tr><th scope="row">Finished</th><td>3</td><td>5</td></tr>' in panel
    assert "Started: 1 fewer than the 7 days before (−20%)." in panel
    assert "Finished: 2 fewer than the 7 days before (−40%)." in panel
    # The figures come from indexed range counts over any window.
    store = Store(app.config["DATABASE"])
    try:
        now = datetime.now(UTC)
        ago = [(now - timedelta(days=d)).isoformat(timespec="seconds") for d in (30, 15)]
        assert store.activity(ago[0], ago[1]) == (1, 1)  # the one of 20 days ago
        assert store.activity(ago[0]) == (10, 9)
    finally:
        store.close()


def test_change_in_words():
    than = "the 7 days before"
    assert change_text(12, 10, than) == "2 more than the 7 days before (+20%)"
    assert change_text(3, 4, than) == "1 fewer than the 7 days before (−25%)"
    assert change_text(5, 5, than) == "as many as the 7 days before"
    assert change_text(1200, 0, than) == "1,200 more than the 7 days before"
    assert change_text(0, 3, than) == "3 fewer than the 7 days before (−100%)"


def test_verdict_mix_of_the_last_30_days_leaves_out_practice_and_older_attempts(app, teacher):
    made = seed(app, [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 20, 25, 29, 31, 45], seed=5)
    store = Store(app.config["DATABASE"])
    try:
        store.db.execute("UPDATE attempts SET mode = 'practice' WHERE id = 1")
    finally:
        store.close()
    recent = Counter(a["verdict"] for a in made[1:15])  # within 30 days, not the practice one
    assert len(recent) >= 2, "the seed should give a mix of verdicts"
    html = teacher.get("/instructor/").data.decode()
    panel = section(html, "mix-heading")
    assert "14 assessments finished in the last 30 days (practice left out)" in panel
    bank = app.extensions["quiz.bank"].current()
    order = [v.id for v in bank.scheme.verdicts if v.id in recent] + (
        [None] if None in recent else []
    )
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>\s*<td>(\d+)</td>.*?</tr>', panel, re.S)
    labels = {v.id: v.label for v in bank.scheme.verdicts}
    assert [(text_of(label), int(n)) for label, n in rows] == [
        (labels.get(vid, "Not enough answers"), recent[vid]) for vid in order
    ]
    for vid in order:
        share = recent[vid] / 14
        assert f"{percent(share)}%</span>" in panel
        assert f'<rect class="share-fill" width="{share * 100:.1f}" height="10"/>' in panel
        if vid:  # a verdict opens its finished attempts in the results list
            assert f'href="/instructor/results?verdict={vid}&amp;status=finished"' in panel


def test_verdict_mix_orders_rows_as_the_bank_and_keeps_retired_verdicts(app):
    bank = app.extensions["quiz.bank"].current()
    first, last = bank.scheme.verdicts[0], bank.scheme.verdicts[-1]
    mix = verdict_mix([(None, 1), ("retired", 1), (last.id, 6), (first.id, 2)], bank)
    assert mix["total"] == 10
    assert [(r["label"], r["count"], r["share"]) for r in mix["rows"]] == [
        (first.label, 2, 0.2),
        (last.label, 6, 0.6),
        ("retired", 1, 0.1),
        ("Not enough answers", 1, 0.1),
    ]
    assert verdict_mix([], None) == {"total": 0, "rows": []}


def test_the_overview_flags_the_questions_the_statistics_flag(app, teacher):
    seed(app, [1 + n % 20 for n in range(40)], seed=3)
    html = teacher.get("/instructor/").data.decode()
    panel = section(html, "flagged-heading")
    with app.test_request_context():
        from quiz import web

        items = item_analysis(web.store(), web.current_bank())["items"]
        flags = current_flags(web.store(), web.current_bank())
    expected = {
        i["q"].id: list(i["stats"].flags) for i in items if i["current"] and i["stats"].flags
    }
    assert flags == expected and expected, "the seed should flag some questions"
    count = len(expected)
    assert f"{count} question{'s' if count != 1 else ''} of the bank" in panel
    shown = re.findall(r'<a href="/instructor/questions/([a-z0-9-]+)"><code>', panel)
    assert len(shown) == min(5, count) and set(shown) <= set(expected)
    for qid in shown:  # each with the flags the statistics page gives it, word for word
        item = panel[panel.index(f"/instructor/questions/{qid}") :]
        item = item[: item.index("</ul>")]
        assert re.findall(r"<li>(.*?)</li>", item) == [
            f.replace("'", "&#39;") for f in expected[qid]
        ]
    assert 'href="/instructor/statistics"' in panel
    assert 'href="/instructor/questions?flagged=1"' in panel


def item(n: int, discrimination: float | None, flags: int) -> ItemStats:
    return ItemStats(n, 0.5, 0.4, discrimination, tuple(f"flag {i}" for i in range(flags)))


def test_the_most_telling_flags_come_first():
    items = [
        ("plain", item(100, 50.0, 0)),
        ("weak", item(100, 10.0, 1)),
        ("tentative-against", item(10, -30.0, 1)),
        ("against", item(100, -5.0, 1)),
        ("two-flags", item(100, 15.0, 2)),
        ("tentative", item(10, 5.0, 2)),
        ("flat", item(100, None, 1)),
        ("weaker", item(100, 3.0, 1)),
    ]
    count, shown = most_flagged(items, 5)
    assert count == 7
    assert [name for name, _ in shown] == [
        "against",
        "tentative-against",
        "two-flags",
        "flat",
        "weaker",
    ]


def test_an_empty_overview_says_so(app, teacher):
    html = teacher.get("/instructor/").data.decode()
    assert '<tr><th scope="row">Started</th><td>0</td><td>0</td></tr>' in html
    assert "Started: as many as the 7 days before." in html
    assert "No assessment was finished in the last 30 days." in html
    assert "No finished attempt has answered the bank's questions yet" in html
    assert "The question bank" in html and "Content checks" in html  # the bank's part stays


def test_the_overview_survives_a_missing_bank(app, teacher, bank_file):
    seed(app, [1, 2])
    teacher.get("/instructor/")
    bank_file.unlink()
    html = teacher.get("/instructor/").data.decode()
    assert "is missing" in html and "2 assessments finished in the last 30 days" in html


# --- one attempt in full --------------------------------------------------------------


def headings(html: str) -> list[str]:
    """The text of every h1–h4 of the report (from its <article> on)."""
    html = html[html.index("<article") :]
    return [text_of(h) for h in re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", html, re.S)]


def finished(app, **complete) -> Taker:
    taker = Taker(app.test_client())
    taker.start()
    answer_all(app, taker)
    taker.finish()
    return taker


def attempt_id(app, token: str) -> int:
    store = Store(app.config["DATABASE"])
    try:
        return store.attempt(token)["id"]
    finally:
        store.close()


def test_an_attempt_opens_in_full_from_the_results_list(app, teacher):
    taker = finished(app)
    number = attempt_id(app, taker.token)
    listing = teacher.get("/instructor/results?status=finished&sort=overall").data.decode()
    link = f"/instructor/attempts/{number}?status=finished&amp;sort=overall"
    assert f'<a href="{link}"><span class="visually-hidden">Attempt </span>{number}</a>' in listing

    page = teacher.get(link.replace("&amp;", "&"))
    assert page.status_code == 200
    html = page.data.decode()
    seen = taker.result()
    # The taker's report: the same verdict, scores with intervals and review.
    assert headings(html) == headings(seen)
    store = Store(app.config["DATABASE"])
    try:
        attempt = attempts.load(store, taker.token)
        context = report.build(attempt, attempts.items(store, attempt))
    finally:
        store.close()
    words = text_of(html)
    assert context["headline"].title in words
    assert f"Overall score: {percent(attempt.overall)}%" in words
    interval = context["overall_interval"]
    assert f"90% interval {percent(interval.low)}% to {percent(interval.high)}%" in words
    for area in context["areas"]:
        assert f"{area['dimension'].name} {percent(area['score'])}%" in words
    # ... under the instructor's navigation, with the way back to the same list.
    assert 'aria-label="Instructor"' in html
    assert (
        '<a href="/instructor/results?status=finished&amp;sort=overall">Back to results</a>' in html
    )
    assert f"<title>Attempt {number}: {context['headline'].title} — instructor</title>" in html
    # No taker-only action: nothing that leads to the taker's own pages.
    assert 'href="/me' not in html and "/delete" not in html and "/recover" not in html
    assert 'href="/a/' not in html and taker.token not in html
    assert "/me" in seen  # the taker's own page has them


def test_the_review_filter_stays_on_the_instructor_page_with_htmx(app, teacher):
    taker = finished(app)
    number = attempt_id(app, taker.token)
    html = teacher.get(f"/instructor/attempts/{number}?page=2").data.decode()
    assert f'href="/instructor/attempts/{number}?page=2&amp;show=missed"' in html
    fragment = teacher.get(
        f"/instructor/attempts/{number}?page=2&show=missed", headers={**HTMX, "HX-Target": "review"}
    )
    body = fragment.data.decode()
    assert fragment.status_code == 200 and body.lstrip().startswith('<div id="review"')
    assert f'href="/instructor/attempts/{number}?page=2"' in body and "/a/" not in body
    block = teacher.get(f"/instructor/attempts/{number}", headers=HTMX).data.decode()
    assert block.startswith("<title>Attempt ") and "<html" not in block
    assert 'aria-label="Instructor"' in block and "Back to results" in block


def test_an_unfinished_attempt_shows_its_progress(app, teacher):
    taker = Taker(app.test_client())
    taker.start()
    taker.post(1, answer=None)
    number = attempt_id(app, taker.token)
    html = teacher.get(f"/instructor/attempts/{number}").data.decode()
    words = text_of(html)
    assert f"Attempt {number}" in words and "In progress:" in words
    assert "Its report appears here once the taker finishes it." in words
    assert 'href="/instructor/results">Back to results</a>' in html


def test_an_unknown_attempt_is_a_404(teacher):
    for path in ("/instructor/attempts/424242", "/instructor/attempts/0"):
        response = teacher.get(path)
        assert response.status_code == 404
        assert "There is no attempt" in response.data.decode()
    assert teacher.get("/instructor/attempts/1x").status_code == 404
    assert teacher.get(f"/instructor/attempts/{10**30}").status_code == 404


def test_an_attempt_needs_the_login(app, client):
    taker = finished(app)
    number = attempt_id(app, taker.token)
    response = client.get(f"/instructor/attempts/{number}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/instructor/login?next=")


def test_the_instructor_header_has_no_my_results_link(app, teacher):
    finished(app)
    for path in (
        "/instructor/",
        "/instructor/results",
        "/instructor/attempts/1",
        "/instructor/questions",
        "/instructor/statistics",
        "/instructor/settings",
    ):
        html = teacher.get(path).data.decode()
        header = html[html.index('<header class="site-header"') : html.index("</header>")]
        assert "My results" not in header and 'href="/me' not in header, path
    page = teacher.get("/").data.decode()  # the taker's pages keep it
    assert "My results" in page[page.index('<header class="site-header"') : page.index("</header>")]


# --- a refused save lists every problem, each with its line ---------------------------


NO_RIGHT = (
    "single question needs exactly one option with 'correct: true' (or a 'score' on every option)"
)


def line_of(text: str, marker: str, after: str = "", nth: int = 1) -> int:
    """The line number of the ``nth`` ``marker`` in ``text`` after the first ``after``."""
    at = text.index(after) if after else 0
    for _ in range(nth):
        at = text.index(marker, at) + 1
    return text[:at].count("\n") + 1


def three_problems(text: str) -> tuple[str, list[str]]:
    """The small bank with three problems, and each as the refusal words it with its line:
    a blank prompt, a question whose options have no right answer (a rule across fields,
    which used to wait until the blank prompt was fixed) and an unknown area."""
    broken = text.replace(
        "      Google assesses Core Web Vitals at the 75th percentile of page loads.\n"
        "      Up to what **Largest Contentful Paint** (LCP) is a product page rated *good*?\n",
        "      \n",
    )
    broken = broken.replace(
        "      - text: 2.5 seconds\n        correct: true\n", "      - text: 2.5 seconds\n"
    )
    broken = broken.replace(
        "  - id: cl-hiring-analyst\n    area: client\n",
        "  - id: cl-hiring-analyst\n    area: clients\n",
    )
    lcp = "question 'te-lcp-good'"
    expected = [
        f"questions.yaml:{line_of(broken, 'prompt: >-', 'id: te-lcp-good')}: {lcp}: "
        "'prompt' must not be empty",
        f"questions.yaml:{line_of(broken, 'options:', 'id: te-lcp-good')}: {lcp}: {NO_RIGHT}",
        f"questions.yaml:{line_of(broken, 'area: clients')}: question 'cl-hiring-analyst': "
        "unknown area 'clients' (areas: technical, business, analytical, client)",
    ]
    return broken, expected


def listed(html: str) -> list[str]:
    """The problems a refused save lists, as text."""
    box = html[html.index('id="save-problems"') :]
    box = box[: box.index("</div>")]
    return [text_of(p).replace("&#39;", "'") for p in re.findall(r"<li>(.*?)</li>", box, re.S)]


def test_the_bank_reports_every_problem_at_once(bank_file):
    broken, expected = three_problems(bank_file.read_text())
    with pytest.raises(BankError) as raised:
        parse(broken)
    assert [str(p) for p in raised.value.problems] == expected


def test_scheme_rules_run_beside_a_broken_section():
    text = SMALL_BANK.read_text()
    broken = text.replace(
        "    strength: 75\n    adequate: 50\n", "    strength: 40\n    adequate: 60\n"
    )
    broken = broken.replace("  shuffle_questions: false\n", "  shuffle_questions: maybe\n")
    broken = broken.replace("  - id: good-fit\n", "  - id: strong-fit\n")
    with pytest.raises(BankError) as raised:
        parse(broken)
    messages = [(p.line, p.message) for p in raised.value.problems]
    assert messages == [
        (
            line_of(broken, "shuffle_questions"),
            "'settings.shuffle_questions' must be true or false",
        ),
        (line_of(broken, "bands:"), "the adequate band cannot start above the strength band"),
        (line_of(broken, "id: strong-fit", nth=2), "duplicate verdict id 'strong-fit'"),
    ]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_refused_raw_save_lists_every_problem_with_its_line(app, teacher, bank_file, headers):
    text = bank_file.read_text()
    broken, expected = three_problems(text)
    fields = form_fields(teacher.get("/instructor/raw").data, 'action="/instructor/raw"')
    refused = teacher.post("/instructor/raw", data={**fields, "text": broken}, headers=headers)
    assert refused.status_code == 422
    assert listed(refused.data.decode()) == expected
    assert bank_file.read_text() == text
    live = teacher.post("/instructor/raw/validate", data={**fields, "text": broken}).data.decode()
    assert [
        text_of(p).replace("&#39;", "'") for p in re.findall(r"<li>(.*?)</li>", live)
    ] == expected


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_refused_question_save_lists_every_problem_with_its_line(
    app, teacher, bank_file, headers
):
    text = bank_file.read_text()
    page = teacher.get("/instructor/questions/te-lcp-good").data.decode()
    form = MultiDict(form_fields(page, "question-form"))
    form.update({"id": "te-lcp-good", "area": "technical", "difficulty": "easy", "weight": "1"})
    form["prompt"] = ""  # blank
    form["explanation"] = "Google's web.dev sets LCP good at 2.5 s or less."
    for option in ("2.5 seconds", "1.0 second", "1.0 second"):  # a repeat, and none right
        form.add("option_text", option)
    refused = teacher.post("/instructor/questions/te-lcp-good", data=form, headers=headers)
    assert refused.status_code == 422
    html = refused.data.decode()
    problems = listed(html)
    assert [re.sub(r"^questions.yaml:\d+: ", "", p) for p in problems] == [
        "question 'te-lcp-good': 'prompt' must not be empty",
        f"question 'te-lcp-good': {NO_RIGHT}",
        "question 'te-lcp-good': two options have the same text",
    ]
    lines = [int(re.match(r"questions.yaml:(\d+):", p).group(1)) for p in problems]
    assert lines == sorted(lines) and lines[0] >= line_of(text, "id: te-lcp-good")
    assert html.count('name="option_text" value="1.0 second"') == 2  # what was typed stays
    assert bank_file.read_text() == text
    # The live check while typing finds the same three.
    live = check_question(
        {
            "id": "te-lcp-good",
            "area": "technical",
            "type": "single",
            "prompt": "",
            "explanation": "Why.",
            "options": [{"text": "A"}, {"text": "B"}, {"text": "b"}],
        },
        ["technical"],
    )
    assert [field for field, _ in live] == ["prompt", "options", "options"]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_refused_settings_save_lists_every_problem_and_keeps_what_was_typed(
    app, teacher, bank_file, headers
):
    text = bank_file.read_text()
    fields = form_fields(teacher.get("/instructor/settings").data, "general")
    refused = teacher.post(
        "/instructor/settings/general",
        data={**fields, "title": "", "strength": "40", "adequate": "60", "draw": "x"},
        headers=headers,
    )
    assert refused.status_code == 422
    html = refused.data.decode()
    problems = listed(html)
    assert len(problems) == 3
    assert (
        problems[0]
        == f"questions.yaml:{line_of(text, 'title:')}: 'settings.title' must not be empty"
    )
    assert problems[1] == (
        f"questions.yaml:{line_of(text, 'bands:')}: the adequate band cannot start above the "
        "strength band"
    )
    # The file has no draw: its line is where the refused edit put it, after the bands.
    assert re.fullmatch(r"questions.yaml:\d+: 'settings.draw' must be a whole number", problems[2])
    # The form shows what was typed, not the values of the file.
    assert re.search(r'<input[^>]*name="strength"[^>]*value="40"', html)
    assert re.search(r'<input[^>]*name="draw"[^>]*value="x"', html)
    assert bank_file.read_text() == text

    fields = form_fields(teacher.get("/instructor/settings").data, "verdicts")
    rows = int(fields["rows"])
    data = {**fields, **{f"id-{i}": "" for i in range(rows)}}
    data.update({"id-0": "only", "label-0": "Only", "min_overall-0": "fifty", "summary-0": "One."})
    data.update({"id-1": "other", "label-1": "Other", "min_overall-1": "20", "summary-1": "Two."})
    refused = teacher.post("/instructor/settings/verdicts", data=data, headers=headers)
    assert refused.status_code == 422
    problems = listed(refused.data.decode())
    assert len(problems) == 2
    assert "'verdicts[0].min_overall' must be a number" in problems[0]
    assert "the last verdict must have no conditions" in problems[1]
    assert 'value="fifty"' in refused.data.decode()
