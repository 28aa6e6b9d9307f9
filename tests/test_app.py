"""The app factory: settings, the secret key, security headers and the pinned htmx."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat

from quiz import HTMX_CDN, HTMX_VERSION, create_app


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
