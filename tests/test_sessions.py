"""Instructor sessions end when they should, even for a copied cookie (issue 15, point 1).

Each test copies the logged-in session cookie into a second client (as someone who
stole or kept it would) and checks what that copy can still open.
"""

from __future__ import annotations

import time

from click.testing import CliRunner

from quiz.cli import main
from quiz.store import Store

from .helpers import csrf_token, log_in


def _copy(app, client):
    """A second client carrying the same session cookie."""
    copy = app.test_client()
    cookie = client.get_cookie("session")
    copy.set_cookie("session", cookie.value)
    return copy


def _opens_dashboard(client) -> bool:
    return client.get("/instructor/").status_code == 200


def _log_out(client) -> None:
    token = csrf_token(client.get("/instructor/").data)
    assert client.post("/instructor/logout", data={"csrf_token": token}).status_code == 303


def test_logging_out_ends_that_session_and_its_copies_only(app, client):
    log_in(app, client)
    copy = _copy(app, client)
    other_device = log_in(app, app.test_client())
    assert _opens_dashboard(copy)
    _log_out(client)
    refused = copy.get("/instructor/")
    assert refused.status_code == 302 and "/instructor/login" in refused.location
    page = copy.get(refused.location).data.decode()
    assert "That session was logged out. Log in again." in page
    assert _opens_dashboard(other_device)  # logging out here does not log out elsewhere


def test_a_password_change_ends_every_session(app, client, monkeypatch, tmp_path):
    log_in(app, client)
    copy = _copy(app, client)
    token = csrf_token(client.get("/instructor/raw").data)
    monkeypatch.setenv("QUIZ_DATABASE", app.config["DATABASE"])
    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path))
    changed = CliRunner().invoke(main, ["set-password", "ann"], input="a brand new password\n")
    assert changed.exit_code == 0, changed.output
    # A form sent on an ended session is refused with a sentence that keeps the work.
    refused = client.post("/instructor/raw", data={"csrf_token": token, "text": "x: 1"})
    assert refused.status_code == 401
    assert (
        "The password of this account was changed, which ends every session. Nothing was "
        "saved. Log in again in another tab"
    ) in refused.data.decode()
    for session in (client, copy):
        assert not _opens_dashboard(session)
    assert _opens_dashboard(log_in(app, app.test_client(), password="a brand new password"))


def test_removing_the_account_ends_its_sessions(app, client, monkeypatch, tmp_path):
    log_in(app, client)
    monkeypatch.setenv("QUIZ_DATABASE", app.config["DATABASE"])
    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path))
    assert CliRunner().invoke(main, ["remove-instructor", "ann"]).exit_code == 0
    refused = client.get("/instructor/", follow_redirects=True).data.decode()
    assert "That instructor account no longer exists." in refused


def test_an_idle_session_ends_and_a_used_one_lasts(app, client, monkeypatch):
    app.config["INSTRUCTOR_IDLE_MINUTES"] = 30
    log_in(app, client)
    start = time.time()
    monkeypatch.setattr(time, "time", lambda: start + 25 * 60)
    assert _opens_dashboard(client)  # used within the idle time: the clock starts again
    monkeypatch.setattr(time, "time", lambda: start + 50 * 60)
    assert _opens_dashboard(client)
    copy = _copy(app, client)
    monkeypatch.setattr(time, "time", lambda: start + 81 * 60)
    page = copy.get("/instructor/", follow_redirects=True).data.decode()
    assert "Your session ended after 30 minutes without activity. Log in again." in page


def test_a_session_ends_after_its_longest_life_however_busy(app, client, monkeypatch):
    app.config["INSTRUCTOR_SESSION_HOURS"] = 2
    log_in(app, client)
    start = time.time()
    for minutes in range(0, 120, 20):
        monkeypatch.setattr(time, "time", lambda m=minutes: start + m * 60)
        assert _opens_dashboard(client)
    monkeypatch.setattr(time, "time", lambda: start + 121 * 60)
    page = client.get("/instructor/", follow_redirects=True).data.decode()
    assert "Sessions last at most 2 hours. Log in again." in page


def test_a_cookie_from_before_these_rules_logs_in_no_one(app, client):
    """Sessions signed before this change carried only the name: they open nothing."""
    log_in(app, client)
    with client.session_transaction() as session:
        session.clear()
        session["instructor"] = "ann"
    assert not _opens_dashboard(client)


def test_ended_sessions_are_forgotten_once_they_would_have_expired(app, client):
    log_in(app, client)
    _log_out(client)
    store = Store(app.config["DATABASE"])
    try:
        (until,) = store.db.execute("SELECT until FROM ended_sessions").fetchone()
        hours = app.config["INSTRUCTOR_SESSION_HOURS"]
        assert abs(until - (time.time() + hours * 3600)) < 60
        store.end_session("another", time.time() + 60)
        store.db.execute("UPDATE ended_sessions SET until = 0 WHERE id != 'another'")
        store.end_session("a third", time.time() + 60)
        ids = {row[0] for row in store.db.execute("SELECT id FROM ended_sessions")}
        assert ids == {"another", "a third"}
    finally:
        store.close()
