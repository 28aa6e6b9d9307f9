"""Instructor sessions that end: Flask-Login's manager, checked against the account.

The session cookie holds the account's name, its session version when the
instructor logged in and an id of this session; every request checks them
against the account (:func:`_load_instructor`), so that a copied cookie stops
working after logging out (that session), a password change or the account's
removal (every session), ``INSTRUCTOR_IDLE_MINUTES`` after the last request and
``INSTRUCTOR_SESSION_HOURS`` after logging in. docs/reliability.md, "Sessions".
"""

from __future__ import annotations

import secrets
import time

from flask import Flask, current_app, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from . import accounts
from .web import store

login_manager = LoginManager()
# Flask-Login's session protection would mark a session stale when the address or
# browser string changes, which phones and proxies do all the time; sessions here end
# by the account's rules instead.
login_manager.session_protection = None
# A session's last request is written back to its cookie at most this often (seconds):
# refreshing it on every request would re-sign the cookie on every response.
SEEN_EVERY = 60.0
# What a login adds to the session (Flask-Login's keys and ours).
LOGIN_KEYS = ("_user_id", "_fresh", "_id", "instructor_started", "instructor_seen")

ENDED = {
    "removed": "That instructor account no longer exists.",
    "logged out": "That session was logged out.",
    "password changed": "The password of this account was changed, which ends every session.",
    "idle": "Your session ended after {idle} minutes without activity.",
    "expired": "Sessions last at most {hours} hours.",
}


class Instructor(UserMixin):
    """A logged-in instructor: ``username``, the account's session ``version`` when
    they logged in, and ``session_id``, which logging out ends."""

    def __init__(self, username: str, version: int, session_id: str):
        self.username, self.version, self.session_id = username, version, session_id

    def get_id(self) -> str:
        return f"{self.version}:{self.session_id}:{self.username}"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


def _limits() -> tuple[float, float]:
    """(longest pause, longest session), in seconds."""
    config = current_app.config
    idle = float(config["INSTRUCTOR_IDLE_MINUTES"]) * 60
    return idle, float(config["INSTRUCTOR_SESSION_HOURS"]) * 3600


@login_manager.user_loader
def _load_instructor(user_id: str) -> Instructor | None:
    """The instructor of a session whose account still lets it in, or None (the login
    dropped from the session, the reason kept for :func:`ended_message`)."""
    try:
        version, session_id, username = user_id.split(":", 2)
        started, seen = float(session["instructor_started"]), float(session["instructor_seen"])
        state = store().session_state(username, session_id)
        now = time.time()
        reason = accounts.session_end(state, int(version), started, seen, now, *_limits())
    except (KeyError, ValueError, TypeError):
        reason = "logged out"  # a session from before these rules, or not one of ours
    if reason:
        # The reason is kept until a page says it; the form's CSRF token stays, so that
        # the page that says it can be the answer to that form.
        for key in LOGIN_KEYS:
            session.pop(key, None)
        session["login_ended"] = reason
        return None
    if now - seen >= SEEN_EVERY:
        session["instructor_seen"] = now
    return Instructor(username, int(version), session_id)


def ended_message() -> str | None:
    """Why this session no longer logs in, in a sentence, once; None if it never did."""
    reason = session.pop("login_ended", None)
    if reason not in ENDED:
        return None
    idle, lifetime = _limits()
    return ENDED[reason].format(idle=round(idle / 60), hours=round(lifetime / 3600))


def keep_only_taker() -> None:
    """A new session: nothing from before carries a login, but the taker keeps their history."""
    taker = session.get("taker")
    session.clear()
    if taker:
        session["taker"] = taker


def begin(username: str) -> None:
    """Log ``username`` in on a new session (after the password was checked)."""
    state = store().session_state(username)
    keep_only_taker()
    session["instructor_started"] = session["instructor_seen"] = time.time()
    session.permanent = True
    login_user(Instructor(username, state[0] if state else 0, secrets.token_urlsafe(16)))


def end() -> None:
    """Log out: this session is refused from now on, even from a copy of its cookie."""
    if current_user.is_authenticated:
        _, lifetime = _limits()
        until = float(session["instructor_started"]) + lifetime
        store().end_session(current_user.session_id, until)
    logout_user()
    keep_only_taker()
