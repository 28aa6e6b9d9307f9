"""The app factory: settings, the secret key, security headers and the pinned htmx."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from quiz import HTMX_CDN, HTMX_VERSION, create_app

from .conftest import UNLIMITED_STARTS
from .helpers import Taker


def test_settings_come_from_quiz_environment_variables(tmp_path, monkeypatch, bank_file):
    monkeypatch.setenv("QUIZ_DATABASE", str(tmp_path / "env.db"))
    monkeypatch.setenv("QUIZ_QUESTIONS", str(bank_file))
    monkeypatch.setenv("QUIZ_SECRET_KEY", "1234567890" * 4)
    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app()
    assert app.config["DATABASE"] == str(tmp_path / "env.db")
    assert app.config["QUESTIONS"] == str(bank_file)
    # a string even though it looks like JSON
    assert app.config["SECRET_KEY"] == "1234567890" * 4
    assert (tmp_path / "env.db").exists()
    assert not (tmp_path / "inst" / "secret_key").exists()


def test_defaults_live_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path / "inst"))
    for name in ("QUIZ_DATABASE", "QUIZ_QUESTIONS", "QUIZ_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    app = create_app()
    assert app.config["DATABASE"] == str(tmp_path / "inst" / "quiz.db")
    key_file = tmp_path / "inst" / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(app.config["SECRET_KEY"]) == 64
    # The key is made once and kept: a second app (another worker, a restart) reads it.
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_security_headers_on_every_response(client):
    for path in ("/", "/healthz", "/static/style.css", "/no-such-page"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert f"script-src 'self' {HTMX_CDN};" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_pages_have_no_inline_script_or_style(client):
    html = client.get("/").data.decode()
    assert "style=" not in html and "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []


def test_htmx_comes_from_the_pinned_cdn_url_with_its_integrity(client):
    html = client.get("/").data.decode()
    tag = re.search(r'<script src="([^"]+)" integrity="([^"]+)" crossorigin="anonymous"', html)
    assert tag.group(1) == HTMX_CDN and f"@{HTMX_VERSION}/" in HTMX_CDN
    assert '"includeIndicatorStyles": false' in html


def test_integrity_hash_matches_the_npm_release(client, htmx_file):
    html = client.get("/").data.decode()
    integrity = re.search(r'integrity="(sha384-[^"]+)"', html).group(1)
    digest = base64.b64encode(hashlib.sha384(htmx_file.read_bytes()).digest()).decode()
    assert integrity == f"sha384-{digest}"


def test_a_local_htmx_copy_is_served_instead_of_the_cdn(tmp_path, bank_file, htmx_file):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "q.db"),
            "SECRET_KEY": "k",
            "QUESTIONS": str(bank_file),
            "HTMX_FILE": str(htmx_file),
        }
    )
    client = app.test_client()
    html = client.get("/").data.decode()
    assert 'src="/vendor/htmx.min.js"' in html
    assert "script-src 'self';" in client.get("/").headers["Content-Security-Policy"]
    served = client.get("/vendor/htmx.min.js")
    assert served.status_code == 200 and served.data == htmx_file.read_bytes()


def test_healthz_is_trivial(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.data == b"ok\n"


# --- the session cookie and the CSRF token ------------------------------------------


def session_cookies(response) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]


def taker_signed_days_ago(app, monkeypatch, days: float) -> Taker:
    """A taker whose session cookie was last signed ``days`` ago (the clock is
    itsdangerous's: cookies and CSRF tokens alike)."""
    now = time.time()
    with monkeypatch.context() as past:
        past.setattr("itsdangerous.timed.time.time", lambda: now - days * 86400)
        taker = Taker(app.test_client())
        taker.start()
    return taker


def test_an_unchanged_session_cookie_is_not_sent_again_within_a_day(app, monkeypatch):
    taker = taker_signed_days_ago(app, monkeypatch, 0.5)
    answered = taker.post(1, "1")
    assert answered.status_code == 303
    assert session_cookies(answered) == []
    assert session_cookies(taker.client.get(taker.base + "/q/2")) == []


def test_a_session_cookie_signed_over_a_day_ago_is_renewed_for_another_year(app, monkeypatch):
    taker = taker_signed_days_ago(app, monkeypatch, 2)
    renewed = session_cookies(taker.client.get(taker.base + "/q/1"))
    assert len(renewed) == 1
    expires = re.search(r"Expires=([^;]+)", renewed[0]).group(1)
    left = parsedate_to_datetime(expires) - datetime.now(UTC)
    assert timedelta(days=364) < left <= timedelta(days=365)  # a year from today
    assert session_cookies(taker.client.get(taker.base + "/q/2")) == []  # renewed once
    assert taker.post(2, "1").status_code == 303  # the same session: its CSRF token works


def hidden_csrf(body: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


def test_a_page_answering_a_checked_form_carries_the_token_it_was_sent(taker):
    taker.start()
    response = taker.client.post(
        f"{taker.base}/q/1",
        headers={"HX-Request": "true", "X-CSRFToken": taker.csrf},
        data={"csrf_token": taker.csrf, "nav": "next", "answer": "1"},
    )
    assert response.status_code == 200
    assert hidden_csrf(response.data.decode()) == taker.csrf
    # A GET signs one afresh, which works as well as the one it replaces.
    fresh = hidden_csrf(taker.page(2))
    assert taker.post(2, "1", csrf_token=fresh).status_code == 303


def test_with_a_time_limit_on_tokens_a_page_gets_a_newly_signed_one(
    tmp_path, bank_file, monkeypatch
):
    app = create_app(
        {
            "DATABASE": str(tmp_path / "q.db"),
            "QUESTIONS": str(bank_file),
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_TIME_LIMIT": 3600,
            **UNLIMITED_STARTS,
        }
    )
    taker = taker_signed_days_ago(app, monkeypatch, 1 / 48)  # half an hour ago: still valid
    body = taker.client.post(
        f"{taker.base}/q/1",
        headers={"HX-Request": "true"},
        data={"csrf_token": taker.csrf, "nav": "next", "answer": "1"},
    ).text
    assert hidden_csrf(body) != taker.csrf  # the half-hour-old signature is not handed on


def test_only_the_forms_own_token_is_handed_back(app):
    """flask-wtf may have checked a prefixed field's token while a header carried
    something else: the page gets a token signed afresh, never the header's text."""
    taker = Taker(app.test_client())
    taker.start()
    body = taker.client.post(
        f"{taker.base}/q/1",
        headers={"HX-Request": "true", "X-CSRFToken": 'ATTACKER", "HX-Evil": "1'},
        data={"x-csrf_token": taker.csrf, "nav": "next", "answer": "1"},
    ).text
    assert "ATTACKER" not in body and "HX-Evil" not in body
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", hidden_csrf(body))
