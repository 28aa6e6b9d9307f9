"""Logging instructors in and out: the one public page of the instructor's side.

``accounts`` checks the password and the rate limit, ``sessions`` keeps the
login; accounts are made with ``quiz create-instructor`` (there is no sign-up page).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import Blueprint, Response, flash, redirect, request, url_for

from .. import accounts, sessions
from ..web import current_instructor, render, store

bp = Blueprint("auth", __name__, url_prefix="/instructor")


def _safe_next(target: str | None) -> str:
    """Only a path inside the instructor area: never another site, and nothing that
    would break the Location header (a line break, any other control character)."""
    if (
        target
        and len(target) <= 2000
        and target.startswith("/instructor")
        and "//" not in target
        and "\\" not in target
        and not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in target)
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("instructor.dashboard")


def _given_next(target: str | None) -> str:
    """The ``next`` a login form carries on: a safe one, or none."""
    return _safe_next(target) if target else ""


@bp.get("/login")
def login() -> Response:
    if current_instructor():
        return redirect(_safe_next(request.args.get("next")))
    return render("login.html", next=_given_next(request.args.get("next")), username="")


@bp.post("/login")
def do_login() -> Response:
    username = request.form.get("username", "").strip()[:100]
    password = request.form.get("password", "")[:1000]
    result = accounts.log_in(store(), username, password, request.remote_addr or "unknown")
    if result.outcome != "ok":
        limited = result.outcome == "limited"
        page = render(
            "login.html",
            status=429 if limited else 401,
            next=_given_next(request.form.get("next")),
            username=username,
            error="Too many failed logins. Wait a minute, then try again."
            if limited
            else "That username and password do not match.",
        )
        if limited:
            page.headers["Retry-After"] = str(int(accounts.WINDOW))
        return page
    sessions.begin(username)
    return redirect(_safe_next(request.form.get("next")), code=303)


@bp.post("/logout")
def logout() -> Response:
    sessions.end()
    flash("You are logged out.")
    return redirect(url_for("auth.login"), code=303)
