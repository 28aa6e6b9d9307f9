"""Results for instructors: every attempt, the score distribution, CSV exports, item analysis."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request

from . import charts, stats
from .auth import login_required
from .bank import question_from_body
from .report import MIN_FOR_PERCENTILES, scores_at
from .store import Store
from .web import current_bank, render, store

bp = Blueprint("results", __name__, url_prefix="/instructor")
bp.before_request(login_required(lambda: None))

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


def _csv_stream(
    header: list[str], rows: Callable[[Store], Iterable[list[Any]]], name: str
) -> Response:
    """CSV written row by row as the client reads it: memory stays flat however many rows.

    The rows come from a connection of the stream's own, which lives as long as the
    stream does (the request's connection closes when the view returns).
    """
    path = current_app.config["DATABASE"]

    def generate() -> Iterator[str]:
        db = Store(path)
        try:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(header)
            for n, row in enumerate(rows(db), start=1):
                writer.writerow(row)
                if n % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()
        finally:
            db.close()

    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    response = Response(generate(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


def _cell(value: Any) -> Any:
    """Keep spreadsheets from running a display name as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


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
                _cell(name or ""),
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
    return _csv_stream(header, rows, "attempts")


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

    return _csv_stream(header, rows, "responses")


# --- item analysis ------------------------------------------------------------------


def analysis() -> dict[str, Any]:
    """Item statistics per question version and summaries for the test and each area.

    Everything comes from the sums the store keeps as attempts finish, so the cost
    does not grow with the number of attempts.
    """
    db = store()
    sums = db.item_sums()
    bodies = db.versions([row["version_hash"] for row in sums])
    bank = current_bank()
    current = {bank.versions[q.id][0]: q.id for q in bank.questions} if bank else {}
    options = _option_counts(db.option_counts())

    items = []
    for row in sums:
        q = question_from_body(bodies[row["version_hash"]])
        result = stats.item_stats(
            stats.ItemSums(
                row["n"],
                row["max_mark"],
                row["sum_x"],
                row["sum_x2"],
                row["sum_t"],
                row["sum_t2"],
                row["sum_xt"],
            )
        )
        items.append(
            {
                "version": row["version_hash"],
                "q": q,
                "area": row["area"],
                "stats": result,
                "current": row["version_hash"] in current,
                "options": _option_rows(q, options.get(row["version_hash"], Counter()), result.n),
            }
        )
    order = {qid: i for i, qid in enumerate(current.values())}
    items.sort(key=lambda i: (not i["current"], order.get(i["q"].id, 0), i["q"].id))

    moments = db.score_moments()
    form = db.largest_form()
    totals, form_items = db.form_sums(form[0]) if form else ([], [])

    def summarise(area: str) -> stats.Summary | None:
        if area not in moments:
            return None
        form_data = None
        for scope, n, sum_t, sum_t2, max_total in totals:
            if scope == area and max_total:
                kept = [
                    (n_i, s, sq) for item_area, n_i, s, sq in form_items if area in ("", item_area)
                ]
                form_data = stats.Form(
                    n,
                    sum_t,
                    sum_t2,
                    [stats.variance(n_i, s, sq) for n_i, s, sq in kept],
                    max_total,
                    [n_i for n_i, _, _ in kept],
                )
        return stats.summary(moments[area], form_data)

    areas = [(d.id, d.name) for d in bank.dimensions] if bank else []
    return {
        "items": items,
        "test": summarise(""),
        "areas": [(name, summarise(area)) for area, name in areas],
        "attempts": moments[""][0] if "" in moments else 0,
        "form_attempts": form[1] if form else 0,
    }


def _option_counts(rows: Iterable[tuple[str, int, int]]) -> dict[str, Counter[int]]:
    """How often each option (by its index in the bank) was chosen, per version."""
    counts: dict[str, Counter[int]] = defaultdict(Counter)
    for version, option, count in rows:
        counts[version][option] += count
    return counts


def _option_rows(q: Any, counts: Counter[int], n: int) -> list[dict[str, Any]]:
    if not q.has_options:
        return []
    rows = []
    for i, option in enumerate(q.options):
        right = q.option_score(i) >= 1 if q.type == "single" else i in q.correct_indexes
        rows.append(
            {
                "text": option.text,
                "count": counts[i],
                "share": counts[i] / n if n else 0,
                "right": right,
                "score": option.score,
            }
        )
    return rows


def current_flags() -> dict[str, list[str]]:
    """Flags of the current version of each question, by question id."""
    return {
        i["q"].id: list(i["stats"].flags)
        for i in analysis()["items"]
        if i["current"] and i["stats"].flags
    }


@bp.get("/statistics")
def statistics() -> Response:
    return render("statistics.html", **analysis(), few=stats.FEW_ATTEMPTS)
