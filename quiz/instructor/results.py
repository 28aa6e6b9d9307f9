"""Results for instructors: every attempt, the score distribution, CSV exports, item analysis,
item parameters and their calibration. The list, the exports and the item analysis may be
narrowed to one cohort (``?cohort=ID``) the instructor may see."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, url_for

from .. import attempts as attempts_service
from .. import charts, cohort_report, report, stats
from ..analysis import calibrate_versions, current_item_stats, item_analysis, most_flagged
from ..bank import Bank
from ..measurement import provisional
from ..report import MIN_FOR_PERCENTILES, scores_at
from ..store import Store
from ..web import (
    csv_cell,
    csv_stream,
    current_bank,
    dated,
    is_htmx,
    render,
    render_fragment,
    store,
)
from . import bp
from .cohorts import MISSING, cohort_owner

PAGE = 50
BINS = 10


def _cohort() -> dict[str, Any] | None:
    """The cohort the query's ``cohort`` (its id) names, or None when it is absent or ''
    (all takers). 404 for anything else that names no cohort this instructor may see
    (another instructor's, a deleted one, junk): never all attempts instead, or an export
    labelled as a cohort's would hold everyone's."""
    text = request.args.get("cohort", "")
    if not text:
        return None
    found = _visible_cohort(text)
    if found is None:
        abort(404, MISSING)
    return found


def _visible_cohort(text: str) -> dict[str, Any] | None:
    """The cohort whose id is ``text``, if this instructor may see it; else None."""
    # Digits only, and few enough for SQLite's 64-bit integers.
    if not re.fullmatch(r"[0-9]{1,18}", text):
        return None
    return store().cohort(int(text), cohort_owner())


def _cohorts() -> list[tuple[int, str]]:
    """(id, text of its option) of each cohort this instructor may see, for a filter's
    select: an administrator sees every cohort, with its owner's name."""
    owner = cohort_owner()
    return [
        (row["id"], row["name"] if owner is not None else f"{row['name']} ({row['owner']})")
        for row in store().cohorts(owner)
    ]


def _filters(cohort: dict[str, Any] | None = None) -> dict[str, str]:
    """The results filters of the query; ``cohort`` the one ``_cohort`` checked."""
    args = request.args
    return {
        "status": args.get("status") if args.get("status") in ("finished", "in-progress") else "",
        "verdict": args.get("verdict", "")[:64],
        "since": _date(args.get("since", "")),
        "until": _date(args.get("until", "")),
        "cohort": str(cohort["id"]) if cohort else "",
    }


def _date(text: str) -> str:
    """A YYYY-MM-DD date from a form, or '' (the filter is then left out)."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date().isoformat()
    except ValueError:
        return ""


def _verdicts() -> list[tuple[str, str]]:
    bank = current_bank()
    return [(v.id, v.label) for v in bank.scheme.verdicts] if bank else []


@bp.get("/results")
def attempts() -> Response:
    cohort = _cohort()
    filters = _filters(cohort)
    sort = request.args.get("sort", "started")
    sort = sort if sort in Store.SORTS else "started"
    descending = request.args.get("order", "desc") != "asc"
    page = max(1, min(_int(request.args.get("page"), 1), 1_000_000))
    total, rows = store().results_page(filters, sort, descending, PAGE, (page - 1) * PAGE)
    counts = [0] * BINS
    if filters["status"] != "in-progress":
        for bin_, count in store().score_bins(filters, BINS):
            counts[bin_] = count
    finished = sum(counts)
    labels = [f"{i * 100 // BINS}–{(i + 1) * 100 // BINS}%" for i in range(BINS)]
    bank = current_bank()
    return render(
        "results.html",
        standing=_standing(bank),
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        filters=filters,
        cohort=cohort,
        cohorts=_cohorts(),
        sort=sort,
        descending=descending,
        verdicts=dict(_verdicts()),
        areas=[(d.id, d.name) for d in bank.dimensions] if bank else [],
        histogram=charts.histogram(counts, labels) if finished else None,
        bins=list(zip(labels, counts, strict=True)),
        finished=finished,
        query={k: v for k, v in request.args.items() if k != "page"},
        # What an attempt's link carries, for its way back to this very page of the list.
        listing=_listing(),
    )


# --- one attempt in full -----------------------------------------------------------------

# The results list's own query (filters, order, page), carried to an attempt and back.
LIST_KEYS = ("status", "verdict", "since", "until", "cohort", "sort", "order", "page")


def _listing() -> dict[str, str]:
    """The results list's query of this request (``LIST_KEYS`` only, each value cut short;
    a cohort only if this instructor may see it, so that the way back never leads to a 404)."""
    listing = {key: request.args[key][:64] for key in LIST_KEYS if request.args.get(key)}
    if "cohort" in listing and _visible_cohort(listing["cohort"]) is None:
        del listing["cohort"]
    return listing


@bp.get("/attempts/<int:attempt_id>")
def attempt_report(attempt_id: int) -> Response:
    """One attempt in full: a finished one's report as its taker saw it (``result.html``
    with ``instructor_view``: the instructor's navigation, no taker-only actions), an
    unfinished one's progress. 404 for an id that names no attempt (never made, or
    deleted by its taker or by retention)."""
    token = store().attempt_token(attempt_id)
    attempt = attempts_service.load(store(), token) if token else None
    if attempt is None:
        abort(
            404,
            f"There is no attempt {attempt_id}: its taker or the retention period "
            "may have deleted it.",
        )
    listing = _listing()
    back_url = url_for("instructor.attempts", **listing)
    if not attempt.finished:
        return render("attempt_report.html", attempt=attempt, back_url=back_url)

    def report_url(**args: str) -> str:
        """This page's address with ``args`` (the review filter), keeping the way back."""
        return url_for("instructor.attempt_report", attempt_id=attempt_id, **listing, **args)

    # What quiz/taker/result.py builds for the taker, so that the page is the one they saw.
    context = report.build(
        attempt,
        attempts_service.items(store(), attempt),
        show=request.args.get("show", "all"),
        percentile_counts=store().percentile_counts,
        expand=request.args.get("expand") == "1",
    )
    context |= {"instructor_view": True, "back_url": back_url, "report_url": report_url}
    if is_htmx() and request.headers.get("HX-Target") == "review":
        return render_fragment("result.html", "review", **context)
    return render("result.html", **context)


# --- the dashboard's overview -------------------------------------------------------------

WEEK_DAYS = 7
MIX_DAYS = 30
FLAGGED_SHOWN = 5


def overview(bank: Bank | None, now: datetime | None = None) -> dict[str, Any]:
    """What the dashboard shows of recent results.

    ``activity``: per row (label "Started" or "Finished"), the attempts of the last
    WEEK_DAYS days, of the WEEK_DAYS before, and the change as text. ``mix``: the
    verdicts of the assessments finished in the last MIX_DAYS days (``total``, and
    ``rows`` of label, verdict id ('' for none), count and share 0..1, in the bank's
    order of verdicts). ``flagged``: how many current questions the statistics flag
    (``count``), the FLAGGED_SHOWN most telling (``shown``: question, area name, stats)
    and whether any question has statistics yet (``any_stats``). Every count is an
    indexed query, or reads the per-version sums: fast however many attempts there are.
    """
    now = now or datetime.now(UTC)

    def days_ago(days: int) -> str:
        return (now - timedelta(days=days)).isoformat(timespec="seconds")

    db = store()
    recent = db.activity(days_ago(WEEK_DAYS))
    before = db.activity(days_ago(2 * WEEK_DAYS), days_ago(WEEK_DAYS))
    than = f"the {WEEK_DAYS} days before"
    activity = [
        {"label": label, "recent": n, "before": m, "change": change_text(n, m, than)}
        for label, n, m in zip(("Started", "Finished"), recent, before, strict=True)
    ]
    items = current_item_stats(db, bank)
    count, shown = most_flagged(items, FLAGGED_SHOWN)
    areas = {d.id: d.name for d in bank.dimensions} if bank else {}
    return {
        "activity": activity,
        "week_days": WEEK_DAYS,
        "mix": cohort_report.verdict_mix(db.verdict_counts(days_ago(MIX_DAYS)), bank),
        "mix_days": MIX_DAYS,
        "flagged": {
            "count": count,
            "shown": [(q, areas.get(q.area, q.area), s) for q, s in shown],
            "any_stats": bool(items),
        },
    }


def change_text(recent: int, before: int, than: str) -> str:
    """How ``recent`` compares with ``before`` (named by ``than``), in words: "12 more
    than the 7 days before (+8%)", "3 fewer … (−20%)", "as many as …", or without the
    percentage when there were none before."""
    if recent == before:
        return f"as many as {than}"
    word = "more" if recent > before else "fewer"
    text = f"{abs(recent - before):,} {word} than {than}"
    if before:
        ratio = round(abs(recent - before) / before * 100)
        text += f" ({'+' if recent > before else '−'}{ratio}%)"
    return text


# --- where takers stand ---------------------------------------------------------------------

PERCENTILES = (10, 25, 50, 75, 90)


def _standing(bank: Any) -> dict[str, Any]:
    """The scores at a few percentiles of first finished assessments, overall and per area."""
    fractions = [p / 100 for p in PERCENTILES]
    n, overall = scores_at(store().first_score_bins(), fractions)
    rows = [("Overall", overall)]
    if bank and n >= MIN_FOR_PERCENTILES:
        rows += [
            (d.name, scores_at(store().first_score_bins(d.id), fractions)[1])
            for d in bank.dimensions
        ]
    return {"n": n, "needed": MIN_FOR_PERCENTILES, "points": PERCENTILES, "rows": rows}


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


@bp.get("/results/attempts.csv")
def attempts_csv() -> Response:
    cohort = _cohort()
    filters = _filters(cohort)
    areas = [d.id for d in current_bank().dimensions]
    verdicts = dict(_verdicts())
    names = {row["id"]: row["name"] for row in store().cohorts(cohort_owner())}

    def rows(db: Store) -> Iterator[list[Any]]:
        for (
            attempt_id,
            name,
            started,
            finished,
            verdict,
            overall,
            scores,
            answered,
            total,
            mode,
            cohort_id,
        ) in db.iter_attempt_rows(filters):
            scores = json.loads(scores) if scores else {}
            yield [
                attempt_id,
                csv_cell(name or ""),
                started,
                finished or "",
                verdicts.get(verdict, verdict or ""),
                "" if overall is None else round(overall, 4),
                *("" if a not in scores else round(scores[a], 4) for a in areas),
                answered,
                total,
                mode,
                # Only the cohorts this instructor may see are named: another's is private.
                csv_cell(names.get(cohort_id, "")),
            ]

    header = [
        "attempt",
        "name",
        "started",
        "finished",
        "verdict",
        "overall",
        *areas,
        "answered",
        "questions",
        "mode",
        "cohort",
    ]
    return csv_stream(header, rows, dated(_download_name("attempts", cohort), "csv"))


def _download_name(name: str, cohort: dict[str, Any] | None) -> str:
    """A download's name, saying which cohort it holds (by id: names may hold anything)."""
    return f"{name}-cohort-{cohort['id']}" if cohort else name


@bp.get("/results/responses.csv")
def responses_csv() -> Response:
    cohort = _cohort()
    filters = _filters(cohort)
    header = [
        "attempt",
        "position",
        "question",
        "version",
        "type",
        "area",
        "answer",
        "mark",
        "answered_at",
    ]

    def rows(db: Store) -> Iterator[list[Any]]:
        for row in db.iter_response_rows(filters):
            yield [*row[:7], round(row[7], 4), row[8]]

    return csv_stream(header, rows, dated(_download_name("responses", cohort), "csv"))


@bp.get("/statistics")
def statistics() -> Response:
    """The item analysis of every finished assessment, or of one cohort's (``?cohort=ID``).
    Item parameters are estimated from all takers, so they show only without a cohort."""
    bank = current_bank()
    cohort = _cohort()
    analysis = item_analysis(store(), bank, cohort=cohort["id"] if cohort else None)
    return render(
        "statistics.html",
        **analysis,
        few=stats.FEW_ATTEMPTS,
        cohort=cohort,
        cohorts=_cohorts(),
        parameters=[] if cohort else _parameters(bank, analysis["items"]),
        min_responses=_min_responses(),
    )


def _min_responses() -> int:
    return int(current_app.config["CALIBRATION_MIN_RESPONSES"])


def _parameters(bank: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The item parameters of each scored question of the current bank, in bank order:
    calibrated where its current version has them, provisional otherwise.

    Parameters belong to a version, so an edited question is provisional again until
    the next calibration. ``n`` is the answers they rest on, or for provisional ones
    the answers gathered so far.
    """
    if bank is None:
        return []
    fitted = store().item_parameters()
    answers = {i["version"]: i["stats"].n for i in items if i["current"]}
    rows = []
    for q in bank.questions:
        if not q.scored:
            continue
        version = bank.versions[q.id][0]
        row = {"q": q, "area": bank.scheme.dimension(q.area).name, "version": version}
        calibrated = fitted.get(version)
        if calibrated:
            row |= {k: calibrated[k] for k in ("a", "b", "c", "se_a", "se_b", "rmsd", "n")}
            row |= {"source": "calibrated", "calibrated_at": calibrated["calibrated_at"]}
        else:
            guess = provisional(q)
            row |= {"a": guess.a, "b": guess.b, "c": guess.c, "se_a": None, "se_b": None}
            row |= {"rmsd": None, "n": answers.get(version, 0), "source": "provisional"}
        rows.append(row)
    return rows


@bp.post("/statistics/calibrate")
def calibrate() -> Response:
    """Estimate item parameters from every finished assessment, as `quiz calibrate` does."""
    db = store()
    finished = db.score_moments().get("", (0,))[0]
    needed = _min_responses()
    if not finished:
        # Calibrating nothing would also clear earlier parameters: leave them alone.
        flash(
            "There are no finished assessments yet, so nothing was calibrated: "
            "every question keeps its provisional parameters."
        )
    else:
        rows = calibrate_versions(db, needed)
        kept = sum(row["kept"] for row in rows)
        thin = len(rows) - kept
        message = (
            f"Calibrated {kept} question version{_s(kept)} from {finished} finished "
            f"assessment{_s(finished)}"
        )
        if thin:
            message += (
                f"; {thin} with fewer than {needed} answers keep{'s' if thin == 1 else ''} "
                f"{'its' if thin == 1 else 'their'} provisional parameters."
            )
        else:
            message += f"; every one had at least {needed} answers."
        flash(message)
    return redirect(url_for("instructor.statistics"), code=303)  # the flash shows at the top


def _s(count: int) -> str:
    return "" if count == 1 else "s"
