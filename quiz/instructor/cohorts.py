"""Cohorts for instructors: the list with a form for a new one, and each cohort's page
with its invitation link and QR code, renaming, closing and reopening, and deleting.

Every route loads the cohort through ``Store.cohort(id, owner)``: another instructor's
cohort answers 404, as one that does not exist would; an administrator (owner None)
sees and changes all of them.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import segno
from flask import Response, abort, flash, request, url_for
from markupsafe import Markup

from .. import charts, cohort_report
from ..analysis import current_item_stats
from ..bank import Bank
from ..cohort_report import NO_VERDICT
from ..cohorts import (
    MODES,
    Cohort,
    CohortError,
    cohort_from_row,
    iso,
    new_token,
    read_closing_date,
    read_description,
    read_name,
)
from ..measurement import Scores
from ..report import MIN_FOR_PERCENTILES, undecided_between
from ..scoring import band, percent
from ..web import current_bank, current_instructor, go, is_htmx, render, store
from . import bp

QR_LABEL = "QR code of the invitation link"
MISSING = "There is no cohort here: it may have been deleted, or it belongs to another instructor."


def cohort_owner() -> str | None:
    """Whose cohorts this instructor may see: their own, or (None) all for an administrator."""
    username = current_instructor()
    return None if store().is_admin(username) else username


def _load(cohort_id: int) -> Cohort:
    row = store().cohort(cohort_id, cohort_owner())
    if row is None:
        abort(404, MISSING)
    return cohort_from_row(row)


def invitation_url(cohort: Cohort) -> str:
    """The invitation link in full (scheme and host), for people to open or scan."""
    return url_for("taker.invitation", token=cohort.token, _external=True)


def qr_svg(url: str) -> Markup:
    """``url`` as a QR code in inline SVG (4 px a module, error correction M), labelled for
    screen readers. segno writes no style attribute or element, so the CSP (style-src
    'self') has nothing to block; the colours are presentation attributes."""
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", scale=4, xmldecl=False, svgns=True, title=QR_LABEL, svgclass="qr"
    )
    svg = out.getvalue().decode()
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{QR_LABEL}" ', 1))


def _adaptive_on() -> bool:
    """Whether the bank's adaptive mode is on, without which an adaptive cohort's attempts
    get the fixed form (``taker.attempt.begin``)."""
    bank = current_bank()
    return bool(bank and bank.settings.adaptive.enabled)


def _now() -> datetime:
    return datetime.now(UTC)


def _done(url: str, message: str, page: Response | None = None) -> Response:
    """Where an action leads: htmx gets the next page with the message in it and its URL
    to show; others a 303 to it with the message flashed."""
    if page is None or not is_htmx():
        flash(message)
    return go(url, page)


def _refused(page: Response) -> Response:
    """A form sent back with a sentence: htmx must not show the POST's address."""
    page.headers["HX-Push-Url"] = "false"
    return page


# --- the list and a new cohort ----------------------------------------------------------


def _list_page(form: dict[str, str] | None = None, error: str = "", **context: Any) -> Response:
    owner = cohort_owner()
    return render(
        "cohorts.html",
        status=422 if error else 200,
        cohorts=[cohort_from_row(row) for row in store().cohorts(owner)],
        admin=owner is None,
        now=_now(),
        form=form or {"mode": "assessment"},
        adaptive_on=_adaptive_on(),
        error=error,
        modes=MODES,
        **context,
    )


@bp.get("/cohorts")
def cohorts() -> Response:
    return _list_page()


@bp.post("/cohorts")
def create_cohort() -> Response:
    form = {
        "name": request.form.get("name", ""),
        "description": request.form.get("description", ""),
        "closes": request.form.get("closes", ""),
        "mode": request.form.get("mode", ""),
        "adaptive": "1" if request.form.get("adaptive") else "",
    }
    try:
        name = read_name(form["name"])
        description = read_description(form["description"])
        closes_at = read_closing_date(form["closes"], _now().date())
        if form["mode"] not in MODES:
            raise CohortError("Choose whether the cohort takes the assessment or practises.")
    except CohortError as error:
        return _refused(_list_page(form, str(error)))
    cohort_id = store().create_cohort(
        current_instructor(),
        name,
        new_token(),
        description=description,
        mode=form["mode"],
        # Adaptive applies to the assessment only: practice is never adaptive.
        adaptive=bool(form["adaptive"]) and form["mode"] == "assessment",
        closes_at=iso(closes_at),
    )
    message = f"Created the cohort “{name}”. Send its invitation link or show its QR code."
    return _done(
        url_for("instructor.cohort", cohort_id=cohort_id),
        message,
        _cohort_page(_load(cohort_id), notice=message) if is_htmx() else None,
    )


# --- one cohort --------------------------------------------------------------------------


GROUP_INTERVAL = "90% interval of the group's mean, given each member's measurement error"


def cohort_results(cohort: Cohort) -> dict[str, Any]:
    """What the cohort's page shows of its results (``quiz.cohort_report`` says which
    attempts count for what): ``members`` (Member, with its latest attempt's verdict text
    and overall interval), ``finished`` (members with a finished attempt), ``judged`` (how
    many of their latest finished attempts have a verdict), ``mix`` (verdict_mix of those
    latest finished attempts), ``settled`` (how many of their verdicts are settled),
    ``areas`` (AreaMean with the area's name, the band of its mean and (how many, band)
    of the members' scores), ``chart``, ``weakest`` (area name, [(MissedQuestion,
    question, facility among all takers or None)]), ``comparison`` (Comparison with its
    scope's name; [] while ``reference_n`` is below ``needed``)."""
    db, bank = store(), current_bank()
    rows = db.cohort_attempts(cohort.id)
    latest = cohort_report.latest_finished(rows)
    group = [row for row in latest if cohort_report.judged(row)]
    dimensions = list(bank.dimensions) if bank else []
    names = {d.id: d.name for d in dimensions}
    means = cohort_report.area_means(group, [d.id for d in dimensions])
    settings = bank.scheme.settings if bank else None
    areas = [
        {
            "mean": m,
            "name": names[m.area],
            "band": band(settings, m.mean),
            "bands": _by_band([band(settings, score) for score in m.scores]),
        }
        for m in means
    ]
    chart = (
        charts.area_bars(
            [
                charts.Bar(
                    a["name"],
                    percent(a["mean"].mean),
                    a["band"],
                    None,
                    percent(a["mean"].low),
                    percent(a["mean"].high),
                )
                for a in areas
            ],
            [("adequate", settings.bands.adequate), ("strength", settings.bands.strength)],
            chart_id="cohort-areas",
            interval_key=GROUP_INTERVAL,
        )
        if areas
        else None
    )
    weakest = cohort_report.weakest(means)
    missed = cohort_report.most_missed(
        db.question_tallies([r["id"] for r in group], [m.area for m in weakest]),
        min_asked=min(2, len(group)),
    )
    questions = bank.by_id if bank else {}
    facility = {q.id: s.facility for q, s in current_item_stats(db, bank)}
    counts = Counter(row["verdict"] if cohort_report.judged(row) else None for row in latest)
    first = cohort_report.first_assessments(rows)
    scopes = ["", *names]
    bins = {scope: db.first_score_bins(scope or None) for scope in scopes}
    reference_n = sum(n for _, n in bins[""])
    comparison = (
        cohort_report.compare(first, scopes, bins) if reference_n >= MIN_FOR_PERCENTILES else []
    )
    # Members who finished an assessment with a verdict here: those the comparison could count.
    assessed = {
        row["taker"] for row in rows if row["mode"] == "assessment" and cohort_report.judged(row)
    }
    return {
        "members": [_member(m, bank) for m in cohort_report.members(rows)],
        "mix": cohort_report.verdict_mix(list(counts.items()), bank),
        "settled": cohort_report.settled_count(group),
        "finished": len(latest),
        "judged": len(group),
        "areas": areas,
        "chart": chart,
        "weakest": [
            (
                names[m.area],
                [
                    (q, questions.get(q.question), facility.get(q.question))
                    for q in missed.get(m.area, [])
                ],
            )
            for m in weakest
        ],
        "comparison": [(names.get(c.scope, "Overall"), c) for c in comparison],
        "reference_n": reference_n,
        "compared": len(first),
        "assessed": len(assessed),
        "needed": MIN_FOR_PERCENTILES,
    }


def _by_band(bands: list[str]) -> list[tuple[int, str]]:
    """(how many, band) of the bands that occur, strongest first."""
    return [(bands.count(b), b) for b in ("strength", "adequate", "gap") if b in bands]


def _member(member: cohort_report.Member, bank: Bank | None) -> dict[str, Any]:
    """A row of the members' table: the member, the attempt it shows (``Member.shown``),
    its verdict in words and overall score with its interval (0..1). An unsettled verdict
    says which verdicts the answers leave open, as the taker's report does (against the
    current bank's verdicts, when they still hold the one given)."""
    latest = member.shown
    scores = Scores.from_summary(latest["measurement"]) if latest["measurement"] else None
    scheme = bank.scheme if bank else None
    labels = {v.id: v.label for v in scheme.verdicts} if scheme else {}
    verdict = ""
    if latest["finished_at"]:
        verdict = labels.get(latest["verdict"], latest["verdict"]) or NO_VERDICT
        if latest["verdict"] and scores and not scores.settled:
            known = scheme and set(scores.probabilities) <= set(labels)
            verdict = (
                f"Undecided: {undecided_between(scores, scheme)} (most likely {verdict})"
                if known
                else f"{verdict} (undecided)"
            )
    return {
        "member": member,
        "attempt": latest,
        "verdict": verdict,
        "overall": scores.overall if scores else None,
    }


def _cohort_page(
    cohort: Cohort, form: dict[str, str] | None = None, error: str = "", **context: Any
) -> Response:
    url = invitation_url(cohort)
    return render(
        "cohort.html",
        status=422 if error else 200,
        cohort=cohort,
        **cohort_results(cohort),
        adaptive_on=_adaptive_on(),
        status_text=cohort.status(_now()),
        invitation=url,
        qr=qr_svg(url),
        form=form
        or {
            "name": cohort.name,
            "description": cohort.description,
            "closes": cohort.closes_at.date().isoformat() if cohort.closes_at else "",
        },
        error=error,
        **context,
    )


@bp.get("/cohorts/<int:cohort_id>")
def cohort(cohort_id: int) -> Response:
    return _cohort_page(_load(cohort_id))


@bp.post("/cohorts/<int:cohort_id>/edit")
def edit_cohort(cohort_id: int) -> Response:
    """Rename a cohort, change its description or closing date."""
    cohort = _load(cohort_id)
    form = {
        "name": request.form.get("name", ""),
        "description": request.form.get("description", ""),
        "closes": request.form.get("closes", "").strip(),
    }
    kept = cohort.closes_at.date().isoformat() if cohort.closes_at else ""
    try:
        name = read_name(form["name"])
        description = read_description(form["description"])
        # A closing date left as it was stays, even when it is past.
        closes_at = (
            cohort.closes_at
            if form["closes"] == kept
            else read_closing_date(form["closes"], _now().date())
        )
    except CohortError as error:
        return _refused(_cohort_page(cohort, form, str(error)))
    store().update_cohort(
        cohort_id, cohort_owner(), name=name, description=description, closes_at=iso(closes_at)
    )
    message = f"Saved the cohort “{name}”."
    return _after(cohort_id, message)


def _after(cohort_id: int, message: str) -> Response:
    url = url_for("instructor.cohort", cohort_id=cohort_id)
    return _done(
        url, message, _cohort_page(_load(cohort_id), notice=message) if is_htmx() else None
    )


@bp.post("/cohorts/<int:cohort_id>/close")
def close_cohort(cohort_id: int) -> Response:
    cohort = _load(cohort_id)
    store().update_cohort(cohort_id, cohort_owner(), closed_at=iso(_now()))
    return _after(cohort_id, f"Closed “{cohort.name}”: its link takes no one until you reopen it.")


@bp.post("/cohorts/<int:cohort_id>/reopen")
def reopen_cohort(cohort_id: int) -> Response:
    cohort = _load(cohort_id)
    store().update_cohort(cohort_id, cohort_owner(), closed_at=None)
    past = cohort.closes_at is not None and cohort.closes_at <= _now()
    message = f"Reopened “{cohort.name}”." + (
        " Its closing date is past, though: set a later one for the link to take people."
        if past
        else ""
    )
    return _after(cohort_id, message)


@bp.get("/cohorts/<int:cohort_id>/delete")
def confirm_delete_cohort(cohort_id: int) -> Response:
    """The step before deleting, which says what deleting does (no JavaScript needed)."""
    return render("cohort.html", cohort=_load(cohort_id), confirm_delete=True)


@bp.post("/cohorts/<int:cohort_id>/delete")
def delete_cohort(cohort_id: int) -> Response:
    cohort = _load(cohort_id)
    store().delete_cohort(cohort_id, cohort_owner())
    message = (
        f"Deleted the cohort “{cohort.name}”. Its {cohort.started} "
        f"{'attempt stays' if cohort.started == 1 else 'attempts stay'} with their takers."
    )
    return _done(
        url_for("instructor.cohorts"), message, _list_page(notice=message) if is_htmx() else None
    )
