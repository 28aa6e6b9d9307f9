"""Results for instructors: every attempt, the score distribution, CSV exports, item analysis,
item parameters and their calibration."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Response, current_app, flash, redirect, request, url_for

from .. import charts, stats
from ..analysis import calibrate_versions, item_analysis
from ..measurement import provisional
from ..report import MIN_FOR_PERCENTILES, scores_at
from ..store import Store
from ..web import csv_cell, csv_stream, current_bank, dated, render, store
from . import bp

PAGE = 50
BINS = 10


def _filters() -> dict[str, str]:
    args = request.args
    return {
        "status": args.get("status") if args.get("status") in ("finished", "in-progress") else "",
        "verdict": args.get("verdict", "")[:64],
        "since": _date(args.get("since", "")),
        "until": _date(args.get("until", "")),
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
    filters = _filters()
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
        sort=sort,
        descending=descending,
        verdicts=dict(_verdicts()),
        areas=[(d.id, d.name) for d in bank.dimensions] if bank else [],
        histogram=charts.histogram(counts, labels) if finished else None,
        bins=list(zip(labels, counts, strict=True)),
        finished=finished,
        query={k: v for k, v in request.args.items() if k != "page"},
    )


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
    filters = _filters()
    areas = [d.id for d in current_bank().dimensions]
    verdicts = dict(_verdicts())

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
    ]
    return csv_stream(header, rows, dated("attempts", "csv"))


@bp.get("/results/responses.csv")
def responses_csv() -> Response:
    filters = _filters()
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

    return csv_stream(header, rows, dated("responses", "csv"))


@bp.get("/statistics")
def statistics() -> Response:
    bank = current_bank()
    analysis = item_analysis(store(), bank)
    return render(
        "statistics.html",
        **analysis,
        few=stats.FEW_ATTEMPTS,
        parameters=_parameters(bank, analysis["items"]),
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
