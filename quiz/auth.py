"""Instructor accounts: password hashing, login with rate limiting, and the login guard.

Accounts are made from the command line only (``quiz create-instructor``);
there is no sign-up page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from .web import render, store

bp = Blueprint("auth", __name__, url_prefix="/instructor")

MAX_FAILURES = 5  # per username and per address
WINDOW = 60.0  # seconds
MIN_PASSWORD = 10
# Checked for unknown usernames, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password", method="scrypt")


def hash_password(password: str) -> str:
    """A scrypt hash with a random salt (Werkzeug's format)."""
    return generate_password_hash(password, method="scrypt")


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"A password needs at least {MIN_PASSWORD} characters."
    return None


def current_instructor() -> str | None:
    return session.get("instructor")


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anyone who is not logged in to the login page (htmx and scripts get a 401)."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if current_instructor() is None:
            if request.method != "GET" or request.headers.get("HX-Request"):
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return guarded


def _safe_next(target: str | None) -> str:
    """Only a path inside the instructor area: never another site."""
    if target and target.startswith("/instructor") and "//" not in target and "\\" not in target:
        return target
    return url_for("instructor.dashboard")


@bp.get("/login")
def login() -> Response:
    if current_instructor():
        return redirect(_safe_next(request.args.get("next")))
    return render("login.html", next=request.args.get("next", ""), username="")


@bp.post("/login")
def do_login() -> Response:
    username = request.form.get("username", "").strip()[:100]
    password = request.form.get("password", "")[:1000]
    address = request.remote_addr or "unknown"
    now = time.time()
    by_name, by_address = store().login_failures_since(username, address, now - WINDOW)
    if by_name >= MAX_FAILURES or by_address >= MAX_FAILURES:
        return render(
            "login.html",
            status=429,
            next=request.form.get("next", ""),
            username=username,
            error="Too many failed logins. Wait a minute, then try again.",
        )
    stored = store().password_hash(username)
    if not check_password_hash(stored or _DUMMY_HASH, password) or stored is None:
        store().record_login_failure(username, address, now)
        return render(
            "login.html",
            status=401,
            next=request.form.get("next", ""),
            username=username,
            error="That username and password do not match.",
        )
    store().clear_login_failures(username)
    taker = session.get("taker")
    session.clear()  # a new session at login: nothing from before carries the login
    if taker:
        session["taker"] = taker
    session["instructor"] = username
    session.permanent = True
    return redirect(_safe_next(request.form.get("next")), code=303)


@bp.post("/logout")
def logout() -> Response:
    taker = session.get("taker")
    session.clear()
    if taker:
        session["taker"] = taker
    flash("You are logged out.")
    return redirect(url_for("auth.login"), code=303)
