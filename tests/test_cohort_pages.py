"""The instructor's cohort pages (issue 18): the list and a new cohort, a cohort's page
with its invitation link and QR code, renaming, closing, reopening, deleting, and
ownership: another instructor gets 404 on every route and changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from quiz.bank import load
from quiz.draw import draw
from quiz.store import Store

from .helpers import SMALL_BANK, csrf_token, log_in

BANK = load(SMALL_BANK)
TOMORROW = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()


@pytest.fixture
def teacher(app, client):
    return log_in(app, client)


def opened(app) -> Store:
    return Store(app.config["DATABASE"])


def make_cohort(app, owner="ann", name="Spring intake", token="t" * 32) -> int:
    s = opened(app)
    try:
        return s.create_cohort(owner, name, token, description="Week one")
    finally:
        s.close()


def row(app, cohort_id):
    s = opened(app)
    try:
        return s.cohort(cohort_id, None)
    finally:
        s.close()


def form(client, url="/instructor/cohorts", **fields):
    token = csrf_token(client.get("/instructor/cohorts").data)
    return client.post(url, data={"csrf_token": token, **fields})


def test_create_a_cohort_and_see_it_listed_and_its_page(app, teacher):
    response = form(
        teacher,
        name="  Spring   2027 intake ",
        description="The May bootcamp",
        closes=TOMORROW,
        mode="assessment",
        adaptive="1",
    )
    assert response.status_code == 303
    url = response.headers["Location"]
    cohort_id = int(re.fullmatch(r"/instructor/cohorts/(\d+)", url).group(1))
    page = teacher.get(url).data.decode()
    assert "Created the cohort “Spring 2027 intake”" in page
    assert "Spring 2027 intake" in page and "The May bootcamp" in page
    stored = row(app, cohort_id)
    assert (stored["owner"], stored["mode"], stored["adaptive"]) == ("ann", "assessment", 1)
    assert stored["closes_at"].startswith(TOMORROW + "T23:59:59")
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", stored["token"])
    listing = teacher.get("/instructor/cohorts").data.decode()
    assert f'href="/instructor/cohorts/{cohort_id}"' in listing
    assert "<td>open</td>" in listing


def test_a_practice_cohort_is_never_adaptive(app, teacher):
    response = form(teacher, name="Practice group", mode="practice", adaptive="1")
    cohort_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert (row(app, cohort_id)["mode"], row(app, cohort_id)["adaptive"]) == ("practice", 0)


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"name": "   "}, "Give the cohort a name"),
        ({"name": "x" * 121}, "at most 120 characters"),
        ({"name": "Ok", "closes": "31/03/2027"}, "Give the closing date as a day"),
        ({"name": "Ok", "closes": "2000-01-01"}, "is already past"),
        ({"name": "Ok", "mode": "exam"}, "Choose whether the cohort takes"),
        ({"name": "Ok", "description": "d" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_input_shows_the_form_again_with_what_was_typed(app, teacher, fields, sentence):
    data = {"mode": "assessment", "description": "Kept text", **fields}
    response = form(teacher, **data)
    page = response.data.decode()
    assert response.status_code == 422
    assert sentence in page
    assert 'role="alert"' in page
    if "description" not in fields:
        assert "Kept text</textarea>" in page
    if fields.get("closes"):
        assert f'value="{fields["closes"]}"' in page
    s = opened(app)
    try:
        assert s.cohorts(None) == []
    finally:
        s.close()


def test_the_page_has_the_invitation_link_and_its_qr_code(app, teacher):
    cohort_id = make_cohort(app)
    page = teacher.get(f"/instructor/cohorts/{cohort_id}").data.decode()
    link = re.search(r'<input id="invitation-link" type="text" readonly value="([^"]+)"', page)
    assert link.group(1) == "http://localhost/c/" + "t" * 32
    svg = re.search(r"<svg [^>]*>.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and 'aria-label="QR code of the invitation link"' in svg
    assert "<title>QR code of the invitation link</title>" in svg
    assert "style" not in svg and "script" not in svg  # the CSP allows neither inline
    assert "Link opened" in page and "Attempts started" in page and "Attempts finished" in page


def test_the_qr_code_encodes_the_invitation_link(app):
    from quiz.instructor.cohorts import qr_svg

    url = "http://localhost/c/" + "t" * 32
    other = "http://localhost/c/" + "u" * 32
    assert qr_svg(url) == qr_svg(url) and qr_svg(url) != qr_svg(other)


def test_rename_describe_and_change_the_closing_date(app, teacher):
    cohort_id = make_cohort(app)
    url = f"/instructor/cohorts/{cohort_id}"
    response = form(teacher, f"{url}/edit", name="Autumn", description="New text", closes="")
    assert response.status_code == 303 and response.headers["Location"] == url
    assert "Saved the cohort “Autumn”." in teacher.get(url).data.decode()
    stored = row(app, cohort_id)
    assert (stored["name"], stored["description"], stored["closes_at"]) == (
        "Autumn",
        "New text",
        None,
    )
    bad = form(teacher, f"{url}/edit", name="", description="Typed")
    assert bad.status_code == 422 and "Give the cohort a name" in bad.data.decode()
    assert "Typed</textarea>" in bad.data.decode()
    assert row(app, cohort_id)["name"] == "Autumn"


def test_a_past_closing_date_left_as_it_was_is_kept(app, teacher):
    cohort_id = make_cohort(app)
    s = opened(app)
    s.update_cohort(cohort_id, None, closes_at="2020-01-01T23:59:59+00:00")
    s.close()
    url = f"/instructor/cohorts/{cohort_id}"
    assert "past its closing date" in teacher.get(url).data.decode()
    response = form(teacher, f"{url}/edit", name="Renamed", closes="2020-01-01")
    assert response.status_code == 303
    assert row(app, cohort_id)["closes_at"] == "2020-01-01T23:59:59+00:00"


def test_close_and_reopen(app, teacher):
    cohort_id = make_cohort(app)
    url = f"/instructor/cohorts/{cohort_id}"
    closed = form(teacher, f"{url}/close")
    assert closed.status_code == 303 and closed.headers["Location"] == url
    assert row(app, cohort_id)["closed_at"] is not None
    page = teacher.get(url).data.decode()
    assert "Closed “Spring intake”" in page and "Reopen the cohort" in page
    assert "<td>closed</td>" in teacher.get("/instructor/cohorts").data.decode()
    reopened = form(teacher, f"{url}/reopen")
    assert reopened.status_code == 303
    assert row(app, cohort_id)["closed_at"] is None
    assert "Reopened “Spring intake”." in teacher.get(url).data.decode()


def test_delete_asks_first_and_unlinks_the_attempts_without_deleting_them(app, teacher):
    cohort_id = make_cohort(app)
    s = opened(app)
    attempt = s.create_attempt(
        "a" * 32, "someone", BANK.scheme_version, draw(BANK, "a" * 32), cohort_id=cohort_id
    )
    s.close()
    url = f"/instructor/cohorts/{cohort_id}"
    confirm = teacher.get(f"{url}/delete").data.decode()
    assert "Delete the cohort “Spring intake”?" in confirm
    assert "unlinks the attempts, never deletes them" in confirm
    assert row(app, cohort_id) is not None  # asking deletes nothing
    done = form(teacher, f"{url}/delete")
    assert done.status_code == 303 and done.headers["Location"] == "/instructor/cohorts"
    assert "Deleted the cohort “Spring intake”. Its 1 attempt stays" in teacher.get(
        "/instructor/cohorts"
    ).data.decode().replace("\n", " ")
    assert row(app, cohort_id) is None
    s = opened(app)
    try:
        kept = s.db.execute("SELECT taker, cohort_id FROM attempts WHERE id = ?", [attempt])
        assert tuple(kept.fetchone()) == ("someone", None)
    finally:
        s.close()
    assert teacher.get(url).status_code == 404


def routes(cohort_id):
    base = f"/instructor/cohorts/{cohort_id}"
    return [
        ("get", base, {}),
        ("get", f"{base}/delete", {}),
        ("post", f"{base}/edit", {"name": "Taken over", "description": "", "closes": ""}),
        ("post", f"{base}/close", {}),
        ("post", f"{base}/reopen", {}),
        ("post", f"{base}/delete", {}),
    ]


def test_another_instructor_gets_404_on_every_route_and_changes_nothing(app, client):
    cohort_id = make_cohort(app, owner="ann")
    before = row(app, cohort_id)
    log_in(app, client, "bob")
    token = csrf_token(client.get("/instructor/cohorts").data)
    listing = client.get("/instructor/cohorts").data.decode()
    assert "Spring intake" not in listing
    for method, url, data in routes(cohort_id):
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 404, (method, url)
        assert "There is no cohort here" in response.data.decode()
        assert row(app, cohort_id) == before
    # A cohort that does not exist looks the same.
    assert client.get("/instructor/cohorts/999").status_code == 404


def test_an_administrator_sees_and_changes_every_cohort(app, client):
    cohort_id = make_cohort(app, owner="ann")
    log_in(app, client, "root")
    s = opened(app)
    s.set_admin("root", True)
    s.close()
    listing = client.get("/instructor/cohorts").data.decode()
    assert "Spring intake" in listing and "<td>ann</td>" in listing and "Owner" in listing
    url = f"/instructor/cohorts/{cohort_id}"
    assert client.get(url).status_code == 200
    assert client.get(f"{url}/delete").status_code == 200
    token = csrf_token(client.get(url).data)
    edit = client.post(f"{url}/edit", data={"csrf_token": token, "name": "Renamed"})
    assert edit.status_code == 303 and row(app, cohort_id)["name"] == "Renamed"
    assert client.post(f"{url}/close", data={"csrf_token": token}).status_code == 303
    assert row(app, cohort_id)["closed_at"] is not None
    assert client.post(f"{url}/reopen", data={"csrf_token": token}).status_code == 303
    assert row(app, cohort_id)["owner"] == "ann"  # still ann's
    assert client.post(f"{url}/delete", data={"csrf_token": token}).status_code == 303
    assert row(app, cohort_id) is None


def test_htmx_gets_the_next_page_and_its_address(app, teacher):
    token = csrf_token(teacher.get("/instructor/cohorts").data)
    headers = {"HX-Request": "true"}
    made = teacher.post(
        "/instructor/cohorts",
        data={"csrf_token": token, "name": "Via htmx", "mode": "assessment"},
        headers=headers,
    )
    assert made.status_code == 200
    assert re.fullmatch(r"/instructor/cohorts/\d+", made.headers["HX-Push-Url"])
    body = made.data.decode()
    assert body.startswith("<title>") and "<html" not in body
    assert "Created the cohort “Via htmx”" in body
    refused = teacher.post(
        "/instructor/cohorts", data={"csrf_token": token, "name": ""}, headers=headers
    )
    assert refused.status_code == 422 and refused.headers["HX-Push-Url"] == "false"


def test_logged_out_people_are_sent_to_log_in(client):
    assert client.get("/instructor/cohorts").status_code == 302
    assert client.post("/instructor/cohorts", data={}).status_code in (400, 401)


def test_the_navigation_links_to_cohorts(teacher):
    page = teacher.get("/instructor/cohorts").data.decode()
    assert '<a href="/instructor/cohorts" aria-current="page">Cohorts</a>' in page
