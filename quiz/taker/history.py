"""My results: this browser's attempts, their trend, a recovery link, downloads and deletion.

The browser is known by the anonymous taker id in its long-lived signed
session cookie. The recovery link carries a separate unguessable token that
brings the same history to another device; making a new link retires the old.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, flash, redirect, session, url_for

from .. import answers, attempts, charts, scoring
from ..attempts import Attempt
from ..measurement import Interval, shown_probability
from ..store import StorageUnavailable
from ..web import csv_cell, csv_text, dated, download, render, store

bp = Blueprint("history", __name__, url_prefix="/me")


def _attempts() -> list[Attempt]:
    """This browser's attempts, oldest first."""
    taker = session.get("taker")
    if not taker:
        return []
    rows = attempts.of_taker(store(), taker)
    today = datetime.now(UTC).date().isoformat()
    if session.get("seen") != today:  # retention counts from the last visit; one write a day
        try:
            store().touch_taker(taker)
            session["seen"] = today
        except StorageUnavailable:
            pass  # read-only storage: show the results anyway, record the visit later
    return rows


def _areas(rows: list[Attempt]) -> list[tuple[str, str]]:
    """(id, name) of the areas, as the newest attempt names them."""
    if not rows:
        return []
    return [(d.id, d.name) for d in rows[-1].scheme.dimensions]


@bp.get("/")
def index() -> Response:
    rows = _attempts()
    finished = [r for r in rows if r.finished and not r.practice]
    areas = _areas(rows)
    trend = None
    if len(finished) >= 2:
        series = [
            charts.Series("Overall", [scoring.percent(r.overall) for r in finished], "line-overall")
        ]
        for n, (area, name) in enumerate(areas, start=1):
            series.append(
                charts.Series(
                    name,
                    [scoring.percent(r.areas.get(area, 0)) for r in finished],
                    f"line-area-{n}",
                )
            )
        trend = charts.trend([f"#{i}" for i in range(1, len(finished) + 1)], series)
    link = None
    if rows:
        try:
            token = store().recovery_token(session["taker"], secrets.token_urlsafe(24))
            link = url_for("history.recover", token=token, _external=True)
        except StorageUnavailable:
            pass  # read-only storage: a link made before shows, a new one cannot be made now
    in_cohort = store().taker_cohorts(session["taker"]) if rows else {}
    return render(
        "me.html",
        attempts=list(reversed(rows)),
        # {attempt id: {"id", "name"}} of the attempts in a cohort, and the cohorts once each
        in_cohort=in_cohort,
        cohorts=sorted({c["id"]: c for c in in_cohort.values()}.values(), key=lambda c: c["name"]),
        finished=finished,
        areas=areas,
        trend=trend,
        link=link,
    )


@bp.post("/link")
def new_link() -> Response:
    if session.get("taker"):
        store().replace_recovery_token(session["taker"], secrets.token_urlsafe(24))
        flash("Here is your new private link. The old one no longer works.")
    return redirect(url_for("history.index") + "#link", code=303)


def _recovered(token: str) -> str:
    taker = store().taker_by_recovery(token) if len(token) < 100 else None
    if taker is None:
        abort(
            404,
            "This recovery link does not work. It may have been replaced by a newer "
            "one, or the results were deleted.",
        )
    return taker


@bp.get("/recover/<token>")
def recover(token: str) -> Response:
    owner = _recovered(token)
    count = len(store().taker_attempts(owner))
    current = session.get("taker")
    # What "Show my results here" would move into the link's history.
    mine = len(store().taker_attempts(current)) if current and current != owner else 0
    return render("recover.html", token=token, count=count, mine=mine)


@bp.post("/recover/<token>")
def adopt(token: str) -> Response:
    target = _recovered(token)
    current = session.get("taker")
    if current and current != target:
        store().merge_takers(current, target)  # this browser's own attempts join the history
    session["taker"] = target
    session.permanent = True
    flash("Your results are now available in this browser.")
    return redirect(url_for("history.index"), code=303)


@bp.post("/cohort/<int:cohort_id>/leave")
def leave_cohort(cohort_id: int) -> Response:
    taker = session.get("taker")
    left = store().leave_cohort(taker, cohort_id) if taker else 0
    if left:
        flash(
            f"You left the cohort: your {left} attempt{'s' if left != 1 else ''} "
            "left its results. They stay yours, here on My results."
        )
    else:
        flash("None of your attempts is in that cohort, so nothing changed.")
    return redirect(url_for("history.index"), code=303)


@bp.get("/delete")
def confirm_delete_all() -> Response:
    return render("delete.html", what="all", count=len(_attempts()))


@bp.post("/delete")
def delete_all() -> Response:
    taker = session.get("taker")
    deleted = store().delete_taker(taker) if taker else 0
    session.clear()
    flash(f"Deleted all your data: {deleted} attempt{'s' if deleted != 1 else ''}.")
    return redirect(url_for("taker.index"), code=303)


# --- downloads -----------------------------------------------------------------


@bp.get("/results.csv")
def results_csv() -> Response:
    """This browser's attempts as UTF-8 CSV with a byte-order mark (see ``web.CSV_BOM``)."""
    rows = _attempts()
    areas = _areas(rows)
    header = [
        "attempt",
        "name",
        "started",
        "finished",
        "status",
        "verdict",
        "overall %",
        *(f"{name} %" for _, name in areas),
        "answered",
        "questions",
        "mode",
    ]
    table = [
        [
            n,
            csv_cell(row.display_name or ""),
            row.started_at,
            row.finished_at or "",
            "finished" if row.finished else "in progress",
            row.verdict_text,
            scoring.percent(row.overall) if row.finished else "",
            *(scoring.percent(row.areas[a]) if a in row.areas else "" for a, _ in areas),
            row.answered,
            row.total,
            row.mode,
        ]
        for n, row in enumerate(rows, start=1)
    ]
    return download(csv_text(header, table), "text/csv", dated("my-results", "csv"))


def _interval(interval: Interval) -> list[float]:
    return [round(interval.low, 4), round(interval.high, 4)]


@bp.get("/results.json")
def results_json() -> Response:
    rows = _attempts()
    exported = []
    for row in rows:
        items = [
            {
                "question": item.question.id,
                "area": item.question.area,
                "prompt": item.question.prompt,
                "answer": answers.describe(item.question, item.answer),
                # Marks would give the key away before the attempt is finished.
                "mark": item.mark if row.finished else None,
            }
            for item in attempts.items(store(), row)
        ]
        exported.append(
            {
                "started": row.started_at,
                "finished": row.finished_at,
                "name": row.display_name,
                "mode": row.mode,
                "verdict": row.verdict.label if row.verdict else None,
                "verdict_id": row.verdict_id,
                # The probability (0..1) that the taker's true scores earn the verdict.
                "confidence": shown_probability(row.scores.confidence) if row.scores else None,
                "overall": row.overall,
                "overall_interval": _interval(row.scores.overall) if row.scores else None,
                "areas": dict(row.areas),
                "area_intervals": (
                    {a: _interval(i) for a, i in row.scores.areas.items()} if row.scores else None
                ),
                "self_rating": dict(row.self_rating),
                "background": dict(row.background),
                "questions": items,
            }
        )
    body = json.dumps(
        {"exported": datetime.now(UTC).isoformat(timespec="seconds"), "attempts": exported},
        indent=2,
        ensure_ascii=False,
    )
    return download(body, "application/json", dated("my-results", "json"))
