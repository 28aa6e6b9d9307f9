"""My results, the report's extras, recovery links, downloads, deletion, privacy and retention."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from quiz import create_app
from quiz.store import Store

from .helpers import Taker, answer_all, csrf_token, items, right_values, times, wrong_values


def finished_attempt(app, client, values=right_values, profile=None) -> Taker:
    taker = Taker(client)
    taker.start()
    if profile:
        client.post(f"{taker.base}/about", data={"csrf_token": taker.csrf, **profile})
    answer_all(app, taker, values)
    taker.finish()
    return taker


def rows(app, table: str, where: str = "", params=()) -> int:
    store = Store(app.config["DATABASE"])
    try:
        sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
        return store.db.execute(sql, list(params)).fetchone()[0]
    finally:
        store.close()


# --- the report --------------------------------------------------------------------


def test_report_has_reason_chart_table_readiness_salary_and_calibration(app, client):
    taker = finished_attempt(
        app,
        client,
        wrong_values,
        profile={
            "rate-technical": "5",
            "rate-analytical": "1",
            "bg-degree": "bachelor",
            "bg-field": "marketing",
            "bg-experience": "y4-5",
            "bg-roles": "forecaster",
            "bg-hours": "sometimes",
        },
    )
    html = client.get(f"{taker.base}/result").data.decode()
    assert 'data-verdict="not-yet"' in html
    assert re.search(r"Your overall score is \d+% and (your lowest|every) area", html)
    assert 'class="area-chart"' in html and html.count('class="area-track"') == 4
    assert html.count("<tr>") >= 5 and "Your self-rating" in html
    assert "5 of 5 · Expert" in html
    assert "blind spot" in html
    assert re.search(r"You rated yourself Expert \(5 of 5\) and scored \d+%", html)
    assert "Readiness for the role" in html
    assert "You hold a degree in one of the fields employers ask for" in html
    assert "one to three years away" in html and "You have worked in forecasting" in html
    assert "about $92,000 a year on average, generally between $61,000 and $113,000" in " ".join(
        html.split()
    )
    for area in ("Technical", "Business", "Analytical", "Client-facing"):
        assert f"<h3>{area}: gap</h3>" in html


def test_review_can_be_narrowed_to_the_missed_questions(app, client):
    taker = Taker(client)
    taker.start()
    all_items = items(app, taker.token)
    taker.post(1, right_values(all_items[0]))
    taker.post(2, wrong_values(all_items[1]))
    taker.finish()
    full = client.get(f"{taker.base}/result").data.decode()
    scored = [i for i in all_items if i["body"].get("weight", 1)]
    assert full.count('class="review-item') == len(all_items)
    missed = client.get(f"{taker.base}/result?show=missed").data.decode()
    assert missed.count('class="review-item') == len(scored) - 1  # all but the right one
    assert "review-right" not in missed and "review-unscored" not in missed
    assert f"Only the ones I missed ({len(scored) - 1})" in missed
    fragment = client.get(
        f"{taker.base}/result?show=missed", headers={"HX-Request": "true", "HX-Target": "review"}
    ).data.decode()
    assert fragment.lstrip().startswith('<div id="review">') and "<h1" not in fragment


# --- my results ----------------------------------------------------------------------


def test_my_results_lists_this_browsers_attempts_only(app, client):
    mine = finished_attempt(app, client)
    stranger = app.test_client()
    theirs = finished_attempt(app, stranger, wrong_values)
    html = client.get("/me/").data.decode()
    assert mine.token in html and theirs.token not in html
    assert re.search(r"Strong fit( \(undecided\))? · <strong>\d+%</strong>", html)
    assert "Finish a second attempt to see how your scores change" in html
    assert "<polyline" not in html
    assert theirs.token in stranger.get("/me/").data.decode()
    assert "This browser has no attempts yet" in app.test_client().get("/me/").data.decode()


def test_trend_appears_once_two_attempts_are_finished(app, client):
    finished_attempt(app, client, wrong_values)
    in_progress = Taker(client)
    in_progress.start()
    html = client.get("/me/").data.decode()
    assert "<polyline" not in html and f'href="{in_progress.base}"' in html  # resume link
    finished_attempt(app, client)
    html = client.get("/me/").data.decode()
    assert html.count('<polyline class="line') == 5  # overall and four areas
    assert re.search(r"Overall: \d+%, [6-9]\d%", html)


def test_recovery_link_brings_the_history_to_another_browser(app, client):
    first = finished_attempt(app, client)
    link = re.search(
        r'value="(http://localhost/me/recover/[^"]+)"', client.get("/me/").data.decode()
    ).group(1)
    path = link.removeprefix("http://localhost")
    other = app.test_client()
    own = finished_attempt(app, other, wrong_values)  # the other browser's own attempt
    page = other.get(path)
    assert page.status_code == 200 and "This private link holds 1 attempt." in page.data.decode()
    assert other.post(path, data={"csrf_token": csrf_token(page.data)}).status_code == 303
    html = other.get("/me/").data.decode()
    assert first.token in html and own.token in html  # histories joined
    assert own.token in client.get("/me/").data.decode()  # and the first browser sees both


def test_a_new_link_retires_the_old_one(app, client):
    finished_attempt(app, client)
    html = client.get("/me/").data.decode()
    old = re.search(r"/me/recover/([^\"]+)\"", html).group(1)
    client.post("/me/link", data={"csrf_token": csrf_token(html)})
    new_html = client.get("/me/").data.decode()
    new = re.search(r"/me/recover/([^\"]+)\"", new_html).group(1)
    assert new != old and "The old one no longer works" in new_html
    assert app.test_client().get(f"/me/recover/{old}").status_code == 404
    assert app.test_client().get(f"/me/recover/{new}").status_code == 200


def test_deleting_an_attempt_removes_its_rows(app, client):
    keep = finished_attempt(app, client)
    gone = finished_attempt(app, client, wrong_values)
    attempt_id = Store(app.config["DATABASE"]).attempt(gone.token)["id"]
    confirm = client.get(f"{gone.base}/delete")
    assert confirm.status_code == 200 and "Delete this attempt?" in confirm.data.decode()
    response = client.post(f"{gone.base}/delete", data={"csrf_token": gone.csrf})
    assert response.status_code == 303 and response.headers["Location"] == "/me/"
    for table in ("attempts", "attempt_items", "responses", "attempt_scores"):
        column = "id" if table == "attempts" else "attempt_id"
        assert rows(app, table, f"{column} = ?", [attempt_id]) == 0
    assert client.get(f"{gone.base}/result").status_code == 404
    assert client.get(f"{keep.base}/result").status_code == 200


def test_deleting_all_my_data(app, client):
    finished_attempt(app, client)
    finished_attempt(app, client)
    other = finished_attempt(app, app.test_client())
    page = client.get("/me/delete")
    assert "This deletes 2 attempts" in page.data.decode()
    response = client.post("/me/delete", data={"csrf_token": csrf_token(page.data)})
    assert response.status_code == 303
    assert "Deleted all your data: 2 attempts." in client.get("/").data.decode()
    assert rows(app, "attempts") == 1 and rows(app, "takers") == 1
    assert rows(app, "responses") == len(items(app, other.token))
    assert "This browser has no attempts yet" in client.get("/me/").data.decode()


def test_downloads_as_csv_and_json(app, client):
    finished_attempt(app, client, profile={"display_name": "=HYPERLINK(1)"})
    running = Taker(client)
    running.start()
    running.post(1, right_values(items(app, running.token)[0]))
    response = client.get("/me/results.csv")
    assert response.mimetype == "text/csv"
    assert 'attachment; filename="my-results-' in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0][:7] == [
        "attempt",
        "name",
        "started",
        "finished",
        "status",
        "verdict",
        "overall %",
    ]
    assert table[1][1] == "'=HYPERLINK(1)"  # never a live formula
    assert table[1][4] == "finished" and table[1][5].startswith("Strong fit")
    assert int(table[1][6]) > 60
    assert table[2][4] == "in progress" and table[2][6] == ""
    data = json.loads(client.get("/me/results.json").data)
    first, second = data["attempts"]
    assert first["verdict"] == "Strong fit" and first["verdict_id"] == "strong-fit"
    assert 0 < first["confidence"] <= 1
    low, high = first["overall_interval"]
    assert low <= first["overall"] <= high
    assert set(first["area_intervals"]) == set(first["areas"])
    assert len(first["questions"]) == len(items(app, running.token))
    assert all(q["mark"] is not None for q in first["questions"])
    assert second["finished"] is None and all(q["mark"] is None for q in second["questions"])


NAME = "Zoë Ångström-Łukasiewicz 李雷"  # what a legacy code page would mangle


def without_bom(body: bytes) -> str:
    """The text of a CSV download, after checking it starts with one UTF-8 byte-order mark."""
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8")
    assert text.count("\ufeff") == 1
    return text.removeprefix("\ufeff")


def test_csv_download_is_utf8_with_one_bom_and_keeps_non_ascii_names(app, client):
    finished_attempt(app, client, profile={"display_name": NAME})
    response = client.get("/me/results.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    table = list(csv.reader(io.StringIO(without_bom(response.data), newline="")))
    assert table[0][0] == "attempt"  # the mark is not glued to the first heading
    assert table[1][1] == NAME
    assert all(len(row) == len(table[0]) for row in table)


def test_times_on_the_history_pages_name_utc_and_keep_the_instant(app, client):
    taker = finished_attempt(app, client)
    store = Store(app.config["DATABASE"])
    try:
        finished_at = store.db.execute(
            "SELECT finished_at FROM attempts WHERE token = ?", [taker.token]
        ).fetchone()[0]
    finally:
        store.close()
    running = Taker(client)
    running.start()
    me = times(client.get("/me/").data.decode())
    assert len(me) == 2
    utc = finished_at.removesuffix("+00:00") + "Z"
    assert me[1][0] == utc
    assert utc in dict(times(client.get(f"{taker.base}/result").data.decode()))
    # "Continue": started when; "Your last result": finished when.
    landing = times(client.get("/").data.decode())
    assert len(landing) == 2 and utc in dict(landing)
    assert len(times(client.get(f"{taker.base}/delete").data.decode())) == 2
    assert 'src="/static/local-time.js"' in client.get("/me/").data.decode()


def test_time_filter_converts_to_utc_and_leaves_other_text_alone(app):
    with app.app_context():
        when = app.jinja_env.filters["when"]
        assert str(when("2026-11-29T22:40:05+01:00")) == (
            '<time datetime="2026-11-29T21:40:05Z" data-local>'
            "29&nbsp;Nov&nbsp;2026, 21:40&nbsp;UTC</time>"
        )
        assert 'datetime="2026-03-01T09:05:00Z"' in str(when("2026-03-01T09:05:00"))
        assert when(None) == "—" and when("") == "—"
        assert when("not a time") == "not a time"


# --- privacy ---------------------------------------------------------------------------


def test_every_route_with_taker_data_needs_its_token(app, client):
    """Walk the URL map: each route that shows or changes a taker's data needs a secret."""
    owner = finished_attempt(app, client)
    link = re.search(r"/me/recover/[^\"]+", client.get("/me/").data.decode()).group(0)
    stranger = app.test_client()
    stranger_csrf = csrf_token(stranger.get("/").data)
    checked = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if "token" in rule.arguments:
                path = rule.rule.replace("<token>", "A" * 32).replace("<int:n>", "1")
                response = stranger.open(path, method=method, data={"csrf_token": stranger_csrf})
                assert response.status_code == 404, (method, rule.rule)
                checked.add(rule.endpoint)
    # Without a token, a stranger's My results and downloads are empty.
    assert owner.token not in stranger.get("/me/").data.decode()
    assert owner.token not in stranger.get("/me/results.csv").data.decode()
    assert json.loads(stranger.get("/me/results.json").data)["attempts"] == []
    assert checked >= {
        "taker.resume",
        "taker.about",
        "taker.save_about",
        "taker.question",
        "taker.answer",
        "taker.finish",
        "taker.finish_now",
        "taker.result",
        "taker.confirm_delete",
        "taker.delete",
        "history.recover",
        "history.adopt",
    }
    assert stranger.get(link.replace(link[-5:], "xxxxx")).status_code == 404


def test_landing_page_says_what_is_stored_and_for_how_long(client):
    html = client.get("/").data.decode()
    assert "We keep your results for <strong>2 years after your last visit</strong>" in html


# --- retention -------------------------------------------------------------------------


def test_takers_not_seen_for_the_retention_period_are_deleted(app, client, bank_file):
    taker = finished_attempt(app, client)
    create_app(
        {
            "TESTING": True,
            "DATABASE": app.config["DATABASE"],
            "QUESTIONS": str(bank_file),
            "SECRET_KEY": "test-secret",
            "RETENTION_DAYS": -1,  # the cut-off is tomorrow: the taker seen today is stale
        }
    )
    assert rows(app, "attempts") == 0 and rows(app, "responses") == 0
    assert client.get(f"{taker.base}/result").status_code == 404


@pytest.mark.parametrize("days, text", [(365, "1 year"), (90, "90 days")])
def test_retention_is_configurable(tmp_path, bank_file, days, text):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "r.db"),
            "SECRET_KEY": "k",
            "QUESTIONS": str(bank_file),
            "RETENTION_DAYS": days,
        }
    )
    assert f"{text} after your last visit" in app.test_client().get("/").data.decode()
