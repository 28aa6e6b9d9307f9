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
from .bank import question_from_body, version_hash
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
    scores = [] if filters["status"] == "in-progress" else store().overall_scores(filters)
    counts = [0] * BINS
    for score in scores:
        counts[min(int(score * BINS), BINS - 1)] += 1
    labels = [f"{i * 100 // BINS}–{(i + 1) * 100 // BINS}%" for i in range(BINS)]
    bank = current_bank()
    return render(
        "results.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        filters=filters,
        sort=sort,
        descending=descending,
        verdicts=dict(_verdicts()),
        areas=[(d.id, d.name) for d in bank.dimensions] if bank else [],
        histogram=charts.histogram(counts, labels) if scores else None,
        bins=list(zip(labels, counts, strict=True)),
        finished=len(scores),
        query={k: v for k, v in request.args.items() if k != "page"},
    )


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
    """Item statistics per question version and summaries for the test and each area."""
    db = store()
    sums = db.item_sums()
    bodies = db.versions([row["item"] for row in sums])
    bank = current_bank()
    current = {version_hash(q.version_body()): q.id for q in bank.questions} if bank else {}
    options = _option_counts(db.option_counts())

    items = []
    for row in sums:
        body = bodies[row["item"]]
        q = question_from_body(body)
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
                "version": row["item"],
                "q": q,
                "area": row["area"],
                "stats": result,
                "current": row["item"] in current,
                "options": _option_rows(q, options.get(row["item"], Counter()), result.n),
            }
        )
    order = {qid: i for i, qid in enumerate(current.values())}
    items.sort(key=lambda i: (not i["current"], order.get(i["q"].id, 0), i["q"].id))

    # Totals of every finished attempt, for the test and per area.
    marks: dict[int, dict[str, tuple[float, float]]] = defaultdict(dict)
    for attempt_id, area, got, most in db.attempt_area_marks():
        marks[attempt_id][area] = (got, most)
    form = db.largest_form()
    form_marks: dict[int, dict[str, tuple[float, float]]] = defaultdict(dict)
    form_items: list[tuple[str, str, int, float, float]] = []
    if form:
        for attempt_id, area, got, most in db.attempt_area_marks(form[0]):
            form_marks[attempt_id][area] = (got, most)
        form_items = db.form_item_marks(form[0])

    def summarise(area: str | None) -> stats.Summary | None:
        scores = []
        for per_area in marks.values():
            parts = [v for a, v in per_area.items() if area is None or a == area]
            most = sum(m for _, m in parts)
            if most > 0:
                scores.append(sum(g for g, _ in parts) / most)
        if not scores:
            return None
        totals, max_total = [], 0.0
        for per_area in form_marks.values():
            parts = [v for a, v in per_area.items() if area is None or a == area]
            totals.append(sum(g for g, _ in parts))
            max_total = max(max_total, sum(m for _, m in parts))
        variances = [
            max(0.0, (sq - s * s / n) / (n - 1))
            for _, item_area, n, s, sq in form_items
            if (area is None or item_area == area) and n >= 2
        ]
        form_data = stats.Form(totals, variances, max_total) if totals and max_total else None
        return stats.summary(scores, form_data)

    areas = [(d.id, d.name) for d in bank.dimensions] if bank else []
    return {
        "items": items,
        "test": summarise(None),
        "areas": [(name, summarise(area)) for area, name in areas],
        "attempts": len(marks),
        "form_attempts": form[1] if form else 0,
    }


def _option_counts(rows: Iterable[tuple[str, str, int]]) -> dict[str, Counter[int]]:
    """How often each option (by its index in the bank) was chosen, per version."""
    counts: dict[str, Counter[int]] = defaultdict(Counter)
    for version, answer, count in rows:
        chosen = json.loads(answer)
        for index in chosen if isinstance(chosen, list) else [chosen]:
            counts[version][index] += count
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
