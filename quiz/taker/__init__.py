"""The taker's side: taking an attempt, its result, and My results.

``bp`` serves the landing page and everything under ``/a/<token>``
(``attempt`` and ``result`` add their routes to it); ``history`` is the
blueprint of My results under ``/me``. Every route answers plain browsers
(whole pages, forms that post and redirect with 303) and htmx (the page's
``content`` block, the URL pushed).
"""

from __future__ import annotations

import re
import secrets

from flask import Blueprint, abort, session

from .. import attempts
from ..attempts import Attempt
from ..web import store

bp = Blueprint("taker", __name__)

TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
NO_ATTEMPT = "There is no attempt at this address. Check that the link was copied whole."
FINISHED = (
    "This attempt is finished, so its answers can no longer change. "
    "Your result is on the result page."
)


def load_attempt(token: str) -> Attempt:
    """The attempt of a URL's token; 404 when there is none."""
    attempt = attempts.load(store(), token) if TOKEN.fullmatch(token) else None
    if attempt is None:
        abort(404, NO_ATTEMPT)
    return attempt


def refuse_if_finished(attempt: Attempt) -> None:
    """A finished attempt's answers and profile can no longer change: 409."""
    if attempt.finished:
        abort(409, FINISHED)


def taker_id() -> str:
    """This browser's anonymous taker id, kept in the long-lived signed session cookie."""
    if "taker" not in session:
        session["taker"] = secrets.token_urlsafe(16)
    session.permanent = True
    return session["taker"]


def last_result() -> Attempt | None:
    """This browser's newest finished attempt, for the landing page: the newest
    assessment, or the newest practice attempt when there is no assessment; None for a
    browser without a finished attempt."""
    taker = session.get("taker")
    if not taker:
        return None
    finished = [a for a in attempts.of_taker(store(), taker) if a.finished]
    assessments = [a for a in finished if not a.practice]
    return (assessments or finished or [None])[-1]


from . import attempt, cohort, result  # noqa: E402  (they add their routes to bp)

__all__ = ["attempt", "bp", "cohort", "result"]
