"""Cookies, keys and headers (issue 15, point 8): the Secure flag over HTTPS, a secret key
long enough, a script source pinned to htmx's file, no Server-Timing unless asked for,
and page titles escaped once after htmx navigation."""

from __future__ import annotations

import pytest

from quiz import HTMX_CDN, SecretKeyTooShort, create_app

from .helpers import Taker, csrf_token

HX = {"HX-Request": "true"}


def make_app(tmp_path, bank_file, **config):
    return create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "h.db"),
            "QUESTIONS": str(bank_file),
            "SECRET_KEY": "k" * 32,
            "BANK_CHECK_SECONDS": 0,
            **config,
        }
    )


def session_cookie(response) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))


# --- the session cookie --------------------------------------------------------------


def test_the_session_cookie_is_secure_over_https(client):
    response = client.get("/", base_url="https://quiz.example")
    cookie = session_cookie(response)
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_behind_a_proxy_x_forwarded_proto_makes_it_secure(client):
    """What gunicorn does with X-Forwarded-Proto from a proxy on 127.0.0.1."""
    response = client.get("/", environ_overrides={"wsgi.url_scheme": "https"})
    assert "; Secure" in session_cookie(response)


def test_plain_http_has_no_secure_flag_unless_the_setting_asks(tmp_path, bank_file, client):
    assert "; Secure" not in session_cookie(client.get("/"))
    app = make_app(tmp_path, bank_file, SESSION_COOKIE_SECURE=True)
    assert "; Secure" in session_cookie(app.test_client().get("/"))


def test_forms_work_over_https_without_a_referer(client):
    """Pages send no Referer (Referrer-Policy: no-referrer), so flask-wtf's HTTPS
    referrer check would refuse every form."""
    html = client.get("/", base_url="https://quiz.example").data
    response = client.post(
        "/start", data={"csrf_token": csrf_token(html)}, base_url="https://quiz.example"
    )
    assert response.status_code == 303


# --- the secret key --------------------------------------------------------------------


@pytest.mark.parametrize("key", ["short", "x" * 31, "é" * 15])
def test_a_short_quiz_secret_key_is_refused(tmp_path, monkeypatch, bank_file, key):
    monkeypatch.setenv("QUIZ_SECRET_KEY", key)
    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("QUIZ_DATABASE", str(tmp_path / "k.db"))
    monkeypatch.setenv("QUIZ_QUESTIONS", str(bank_file))
    with pytest.raises(SecretKeyTooShort, match="must be at least 32"):
        create_app()


def test_a_secret_key_of_32_bytes_is_accepted(tmp_path, monkeypatch, bank_file):
    monkeypatch.setenv("QUIZ_SECRET_KEY", "é" * 16)  # 32 bytes in UTF-8
    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("QUIZ_DATABASE", str(tmp_path / "k.db"))
    monkeypatch.setenv("QUIZ_QUESTIONS", str(bank_file))
    assert create_app().config["SECRET_KEY"] == "é" * 16


# --- headers ----------------------------------------------------------------------------


def test_the_script_source_is_htmx_s_pinned_file_not_its_cdn_host(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    sources = csp.split("script-src ", 1)[1].split(";", 1)[0].split()
    assert sources == ["'self'", HTMX_CDN]
    assert HTMX_CDN.endswith("/dist/htmx.min.js")


def test_no_server_timing_unless_a_setting_asks_for_it(tmp_path, bank_file, client):
    for path in ("/", "/healthz", "/no-such-page"):
        assert "Server-Timing" not in client.get(path).headers
    app = make_app(tmp_path, bank_file, SERVER_TIMING=True)
    assert app.test_client().get("/").headers["Server-Timing"].startswith("app;dur=")


# --- titles ------------------------------------------------------------------------------


def test_a_title_with_an_ampersand_is_escaped_once_after_htmx_navigation(tmp_path, bank_file):
    text = bank_file.read_text()
    assert "title:" in text
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.lstrip().startswith("title:"):
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = f'{indent}title: "Sales & <Service>"\n'
            break
    bank_file.write_text("".join(lines))
    app = make_app(tmp_path, bank_file)
    taker = Taker(app.test_client())
    taker.start()
    whole = taker.client.get(f"{taker.base}/q/1").data.decode()
    block = taker.client.get(f"{taker.base}/q/1", headers=HX).data.decode()
    assert "Sales &amp; &lt;Service&gt;</title>" in whole
    assert block.startswith("<title>")
    title = block[: block.index("</title>")]
    assert "Sales &amp; &lt;Service&gt;" in title and "&amp;amp;" not in title
