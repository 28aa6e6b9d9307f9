"""The instructor's side under ``/instructor``: login, the bank editor, results and statistics.

``bp`` is the logged-in side: ``bank_editor`` and ``results`` add their routes
to it, and the login guard is set here once for all of them. ``login`` is the
one public page, a blueprint of its own (``auth``).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for

from ..sessions import ended_message
from ..web import current_instructor

bp = Blueprint("instructor", __name__, url_prefix="/instructor")


@bp.before_request
def _require_login():
    """Send anyone who is not logged in to the login page, saying why a session that
    was logged in has ended (htmx and scripts get a 401 with that sentence)."""
    if current_instructor() is not None:
        return None
    ended = ended_message()
    if request.method != "GET" or request.headers.get("HX-Request"):
        if ended:
            abort(
                401,
                f"{ended} Nothing was saved. Log in again in another tab, then come back "
                "here and send it again: going back keeps what you typed.",
            )
        abort(401)
    if ended:
        flash(f"{ended} Log in again.")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


from . import bank_editor, cohorts, results  # noqa: E402  (they add their routes to bp)

__all__ = ["bank_editor", "bp", "cohorts", "results"]
