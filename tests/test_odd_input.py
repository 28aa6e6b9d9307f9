"""Odd input never gets a 500 (issue 15, point 5): Unicode digits, numbers beyond SQLite,
line breaks in next=, YAML built to exhaust the parser, chunked bodies over the limit,
imports too big to finish within a worker's timeout. Each is a 4xx with a sentence."""

from __future__ import annotations

import base64
import io
import re
import time

import pytest

from quiz.answers import AnswerError, read_answer, whole_number
from quiz.bank import question_from_body
from quiz.instructor import bank_editor

from .helpers import csrf_token, form_fields, items, log_in


def sentence(response) -> str:
    """The error page's message."""
    html = response.data.decode()
    found = re.search(r'<p class="[^"]*error[^"]*"[^>]*>(.*?)</p>', html, re.S) or re.search(
        r"<p>(.*?)</p>", html[html.find("<main") :], re.S
    )
    return found.group(1) if found else html


@pytest.fixture
def teacher(app):
    return log_in(app, app.test_client())


def raw_fields(teacher) -> dict[str, str]:
    return form_fields(teacher.get("/instructor/raw").data, 'action="/instructor/raw"')


# --- numbers: one ASCII-digit reader -----------------------------------------------


@pytest.mark.parametrize("text", ["²", "③", "٣", "1²", "-1", "+1", "1.0", "", " ", "9" * 5000])
def test_whole_number_reads_ascii_digits_only(text):
    assert whole_number(text) is None


def test_whole_number_stops_at_sqlites_largest_integer():
    assert whole_number("9223372036854775807") == 2**63 - 1
    assert whole_number("9223372036854775808") is None
    assert whole_number("3", maximum=2) is None and whole_number("2", maximum=2) == 2


@pytest.mark.parametrize("value", ["²", "③", "٣"])
def test_a_unicode_digit_is_no_choice(app, taker, value):
    """int() reads "٣" as 3 and str.isdigit() admits "²", which int() then refuses."""
    item = next(i for i in items(app, taker.token) if i["body"]["type"] == "single")
    response = taker.post(item["position"], [value])
    assert response.status_code == 400
    assert "is not one of this question" in response.data.decode()
    q = question_from_body(item["body"])
    with pytest.raises(AnswerError):
        read_answer(q, item["option_order"], [value])


@pytest.mark.parametrize("n", [2**63, 2**64, 10**30, 10**200])
def test_a_question_number_beyond_sqlite_is_404_whatever_the_method(taker, n):
    for response in (taker.client.get(f"{taker.base}/q/{n}"), taker.post(n, ["0"])):
        assert response.status_code == 404
        assert "There is no page at this address" in response.data.decode()


def test_a_unicode_digit_in_a_url_is_no_question_number(taker):
    assert taker.client.get(f"{taker.base}/q/٣").status_code == 404


@pytest.mark.parametrize("n", [2**63, 10**30])
def test_a_revision_id_beyond_sqlite_is_404(teacher, n):
    assert teacher.get(f"/instructor/revisions/{n}").status_code == 404
    token = csrf_token(teacher.get("/instructor/revisions").data)
    response = teacher.post(f"/instructor/revisions/{n}/restore", data={"csrf_token": token})
    assert response.status_code == 404


def test_a_row_count_in_unicode_digits_is_400(teacher):
    html = teacher.get("/instructor/settings").data
    fields = form_fields(html, 'action="/instructor/settings/verdicts"')
    response = teacher.post("/instructor/settings/verdicts", data={**fields, "rows": "²"})
    assert response.status_code == 400
    assert "number of rows is not a number" in response.data.decode()


# --- next= ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/instructor/%0d%0aSet-Cookie:x=1",
        "/instructor/\nx",
        "/instructor/\x00",
        "/instructor/\u2028",
    ],
)
def test_a_next_with_a_line_break_or_control_character_goes_to_the_dashboard(app, target):
    teacher = log_in(app, app.test_client())
    response = teacher.get(
        "/instructor/login", query_string={"next": target.replace("%0d%0a", "\r\n")}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/instructor/"

    fresh = app.test_client()
    page = fresh.get("/instructor/login", query_string={"next": target})
    assert page.status_code == 200
    token = csrf_token(page.data)
    response = fresh.post(
        "/instructor/login",
        data={
            "csrf_token": token,
            "username": "ann",
            "password": "correct horse battery",
            "next": target.replace("%0d%0a", "\r\n"),
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/instructor/"


def test_a_plain_next_inside_the_instructor_area_still_works(app):
    teacher = log_in(app, app.test_client())
    response = teacher.get("/instructor/login?next=/instructor/questions?q=a%20b")
    assert response.headers["Location"] == "/instructor/questions?q=a%20b"


# --- raw YAML -------------------------------------------------------------------------


HOSTILE = {
    "nested on one line": ("- " * 3000, "nested more than 20 levels deep on one line"),
    "a 5,000-digit integer": ("title: " + "9" * 5000 + "\n", "more than 1,000 digits"),
    "too many items": ("x:\n" + "- 1\n" * 50_000, "too big to check here"),
    "too many flow items": ("x: [" + "1," * 50_000 + "1]\n", "too big to check here"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_raw_yaml_is_refused_up_front_with_a_sentence(app, teacher, bank_file, name):
    text, message = HOSTILE[name]
    before = bank_file.read_text()
    fields = raw_fields(teacher)
    started = time.perf_counter()
    checked = teacher.post("/instructor/raw/validate", data={**fields, "text": text})
    saved = teacher.post("/instructor/raw", data={**fields, "text": text})
    assert time.perf_counter() - started < 2
    for response in (checked, saved):
        assert response.status_code == 422
        assert message in response.data.decode()
    assert bank_file.read_text() == before


def test_a_python_tag_is_refused_as_an_invalid_bank(app, teacher, bank_file):
    text = "junk: !!python/object/apply:os.system ['true']\n" + bank_file.read_text()
    fields = raw_fields(teacher)
    checked = teacher.post("/instructor/raw/validate", data={**fields, "text": text})
    assert checked.status_code == 200 and "unknown key" in checked.data.decode()
    saved = teacher.post("/instructor/raw", data={**fields, "text": text})
    assert saved.status_code == 422


def test_the_bundled_bank_is_well_inside_the_raw_editors_limits(app):
    from quiz import bundled

    text = bundled("questions.yaml").read_text()
    with app.test_request_context():
        assert bank_editor.yaml_too_costly(text) is None
    assert text.count("\n") + text.count(",") * 6 < bank_editor.MAX_YAML_ITEMS


# --- bodies -----------------------------------------------------------------------------


def chunked_post(client, path, body: bytes):
    """A body sent with Transfer-Encoding: chunked, as a WSGI server that de-chunks
    (gunicorn, werkzeug's) hands it over: wsgi.input_terminated, no Content-Length."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_body_over_the_limit_is_413_not_cut(app, client):
    token = csrf_token(client.get("/").data)
    body = f"csrf_token={token}&mode=".encode() + b"p" * 100_000
    response = chunked_post(client, "/start", body)
    assert response.status_code == 413
    assert "too large" in response.data.decode()


def test_a_chunked_body_within_the_limit_is_read_whole(app, client):
    token = csrf_token(client.get("/").data)
    response = chunked_post(client, "/start", f"csrf_token={token}&mode=practice".encode())
    assert response.status_code == 303


# --- imports ----------------------------------------------------------------------------


def gift(n: int) -> bytes:
    return "".join(
        f"::Q{i}:: What is {i} plus one? {{={i + 1} ~{i + 2} ~{i + 3}}}\n\n" for i in range(n)
    ).encode()


def test_an_import_too_big_to_save_in_time_is_refused_before_reading(app, teacher, bank_file):
    before = bank_file.read_text()
    page = teacher.get("/instructor/import").data.decode()
    fields = form_fields(page, 'action="/instructor/import"')
    area = re.search(r'<option value="([a-z]+)"', page).group(1)
    started = time.perf_counter()
    response = teacher.post(
        "/instructor/import",
        data={**fields, "area": area, "file": (io.BytesIO(gift(20_000)), "big.gift")},
        content_type="multipart/form-data",
    )
    assert time.perf_counter() - started < 2
    assert response.status_code == 400
    assert "adds up to 500 at a time" in response.data.decode()

    confirm = teacher.post(
        "/instructor/import/confirm",
        data={
            "csrf_token": fields["csrf_token"],
            "base": fields.get("base", ""),
            "area": area,
            "payload": base64.b64encode(gift(20_000)).decode(),
        },
    )
    assert confirm.status_code == 413
    assert "adds up to 500 at a time" in confirm.data.decode()
    assert bank_file.read_text() == before


def test_an_import_within_the_limit_is_previewed(app, teacher):
    page = teacher.get("/instructor/import").data.decode()
    fields = form_fields(page, 'action="/instructor/import"')
    area = re.search(r'<option value="([a-z]+)"', page).group(1)
    response = teacher.post(
        "/instructor/import",
        data={**fields, "area": area, "file": (io.BytesIO(gift(20)), "small.gift")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
