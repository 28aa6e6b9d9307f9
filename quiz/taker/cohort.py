"""A cohort's invitation: the page its link opens, and starting an attempt within it.

The link is ``/c/<token>``. Before starting, the page says in plain words who sees the
results (the cohort's instructors), what they see and for how long; the taker agrees
with one checkbox, or takes the assessment on their own instead.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from flask import Response, abort, current_app, request, session

from .. import cohorts
from ..cohorts import Cohort
from ..store import StorageUnavailable
from ..web import current_bank, render, store
from . import bp
from .attempt import begin, length_and_duration

NO_COHORT = (
    "There is no cohort at this address. Check that the invitation link was copied whole, "
    "or ask the person who sent it for a new one."
)
NO_CONSENT = (
    "To start within the cohort, tick the box to agree that its instructors see this "
    "attempt. Or take the assessment on your own instead."
)
CLOSED = (
    "This cohort no longer takes new attempts, so nothing was started. You can still take "
    "the assessment on your own."
)


def _cohort(token: str) -> Cohort:
    """The cohort of an invitation link's token; 404 when there is none."""
    row = store().cohort_by_token(token) if cohorts.TOKEN.fullmatch(token) else None
    if row is None:
        abort(404, NO_COHORT)
    return cohorts.cohort_from_row(row)


def _page(cohort: Cohort, status: int = 200, error: str | None = None) -> Response:
    now = datetime.now(UTC)
    bank = current_bank()
    # As begin() decides: adaptive only for an assessment, where both bank and cohort ask.
    adaptive_form = bool(
        bank and bank.settings.adaptive.enabled and cohort.mode == "assessment" and cohort.adaptive
    )
    in_progress = (
        [a for a in store().open_attempts(session["taker"]) if a["cohort_id"] == cohort.id]
        if session.get("taker")
        else []
    )
    return render(
        "invitation.html",
        in_progress=in_progress,
        status=status,
        cohort=cohort,
        open=cohort.is_open(now),
        status_text=cohort.status(now),
        closes=cohorts.iso(cohort.closes_at),
        bank=bank,
        **length_and_duration(bank, adaptive_form),
        agreed=request.form.get("consent") == "yes",
        error=error,
    )


@bp.get("/c/<token>")
def invitation(token: str) -> Response:
    cohort = _cohort(token)
    # The visit is counted against this browser's taker id, but a new visitor's id lives
    # in a cookie that ends with the browser session until they start (taker_id makes it
    # last): opening a link agrees to nothing.
    visitor = session.get("taker") or session.setdefault("taker", secrets.token_urlsafe(16))
    try:
        store().record_cohort_visit(cohort.id, visitor)
    except StorageUnavailable as exc:
        # The count only informs the instructor: show the invitation anyway.
        current_app.logger.warning("cannot record a cohort visit: %s", exc)
    return _page(cohort)


@bp.post("/c/<token>/start")
def start_in_cohort(token: str) -> Response:
    cohort = _cohort(token)
    if not cohort.is_open(datetime.now(UTC)):
        return _page(cohort, 409, CLOSED)
    if request.form.get("consent") != "yes":
        return _page(cohort, 422, NO_CONSENT)
    return begin(cohort.mode, cohort)
