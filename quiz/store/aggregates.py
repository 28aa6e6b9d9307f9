"""The statistics kept as attempts finish: marks, item and form sums, option counts, and
which attempt is each taker's first (the one percentiles count).

Each function takes the connection and works inside the caller's transaction. A
``where`` is a condition on ``attempts AS a``, with its ``params``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import sqlite_utils

# A stored question version's weight. A body that is not valid JSON (a nan or an infinity,
# which json.dumps writes as NaN or Infinity, saved before the bank refused them) has
# none, so counts as unscored, as ``attempts.question_of`` rebuilds it in Python;
# json_extract alone would stop the query with "malformed JSON".
WEIGHT = "(CASE WHEN json_valid(v.body) THEN json_extract(v.body, '$.weight') END)"
# The same, as migration 14 keeps it in a column: what queries of a schema at version 14
# or later read (WEIGHT stays for the migrations before it and the running sums).
KEPT_WEIGHT = "v.weight"

# The tables the statistics are kept in, rebuilt whole by backfill_statistics.
STATISTICS_TABLES = ("item_sums", "form_item_sums", "form_area_sums", "option_counts")


def form_hash(layout: Iterable[tuple[str, float]]) -> str:
    """An attempt's form: how many scored questions of which weight it had in each area.

    Attempts drawn from the same pools have different questions but the same
    form, so their totals are comparable (what Cronbach's alpha needs).
    """
    key = sorted(f"{area}:{weight:g}" for area, weight in layout if weight and weight > 0)
    return hashlib.sha256(" ".join(key).encode()).hexdigest()[:32]


def layout_of(items: Iterable[dict[str, Any]]) -> list[tuple[str, float]]:
    """(area, weight) of each of an attempt's items (dicts with area and body)."""
    return [(i["area"], i["body"]["weight"]) for i in items]


_MARKS_OF = """
    WITH marks AS (
        SELECT a.id AS attempt_id, a.form, i.version_hash AS item, v.area,
               {weight} AS w,
               coalesce(r.score, 0) * {weight} AS x
        FROM attempts AS a
        JOIN attempt_items AS i ON i.attempt_id = a.id
        JOIN question_versions AS v ON v.hash = i.version_hash
        LEFT JOIN responses AS r ON r.attempt_id = i.attempt_id AND r.position = i.position
        WHERE a.finished_at IS NOT NULL AND a.mode = 'assessment' AND a.verdict IS NOT NULL
            AND {weight} > 0 AND ({where})
    ),
    totals AS (SELECT attempt_id, sum(x) AS t FROM marks GROUP BY attempt_id),
    area_totals AS (
        SELECT attempt_id, form, area, sum(x) AS t, sum(w) AS most
        FROM marks GROUP BY attempt_id, area
        UNION ALL
        SELECT attempt_id, form, '', sum(x), sum(w) FROM marks GROUP BY attempt_id
    )
"""

_ANSWERS_OF = """
    SELECT r.version_hash AS item, {option} AS option
    FROM attempts AS a
    JOIN responses AS r ON r.attempt_id = a.id
    JOIN question_versions AS v ON v.hash = r.version_hash {join}
    WHERE a.finished_at IS NOT NULL AND a.mode = 'assessment' AND a.verdict IS NOT NULL
        AND v.type = '{kind}' AND ({where})
"""


def elect_first(db: sqlite_utils.Database, taker: str) -> None:
    """Mark the taker's earliest finished assessment as their first, the one
    percentiles count (after their history merged, or an attempt deleted)."""
    db.execute(
        "UPDATE attempts SET first = (id IS (SELECT id FROM attempts WHERE taker = ? "
        "AND mode = 'assessment' AND verdict IS NOT NULL AND finished_at IS NOT NULL "
        "ORDER BY finished_at, id LIMIT 1)) "
        "WHERE taker = ?",
        [taker, taker],
    )


# Each statistics table's rows for the finished attempts that match ``where``, as a
# SELECT whose columns are the table's: ``aggregate`` adds (or, with sign -1, takes away)
# them to the running sums kept for all attempts; ``sums`` reads them on the fly for a
# subset (a cohort) that has no running sums. "WHERE true" lets SQLite parse the upsert
# (an INSERT … SELECT … ON CONFLICT needs a WHERE, or it reads ON as a join's).
_SELECTS = {
    "item_sums": """
        SELECT item AS version_hash, area, max(w) AS max_mark, {sign} * count(*) AS n,
               {sign} * sum(x) AS sum_x, {sign} * sum(x * x) AS sum_x2,
               {sign} * sum(t) AS sum_t, {sign} * sum(t * t) AS sum_t2,
               {sign} * sum(x * t) AS sum_xt
        FROM marks JOIN totals USING (attempt_id) WHERE true GROUP BY item, area
    """,
    "form_item_sums": """
        SELECT form, item AS version_hash, area, {sign} * count(*) AS n,
               {sign} * sum(x) AS sum_x, {sign} * sum(x * x) AS sum_x2
        FROM marks WHERE form IS NOT NULL GROUP BY form, item, area
    """,
    "form_area_sums": """
        SELECT form, area, {sign} * count(*) AS n, {sign} * sum(t) AS sum_t,
               {sign} * sum(t * t) AS sum_t2, max(most) AS max_total
        FROM area_totals WHERE form IS NOT NULL GROUP BY form, area
    """,
    "option_counts": """
        SELECT item AS version_hash, option, {sign} * count(*) AS n
        FROM ({single} UNION ALL {several}) WHERE true GROUP BY item, option
    """,
}

# How each table adds a new row to one it already has for the same key.
_UPSERTS = {
    "item_sums": """
        ON CONFLICT (version_hash) DO UPDATE SET
            n = n + excluded.n, sum_x = sum_x + excluded.sum_x,
            sum_x2 = sum_x2 + excluded.sum_x2, sum_t = sum_t + excluded.sum_t,
            sum_t2 = sum_t2 + excluded.sum_t2, sum_xt = sum_xt + excluded.sum_xt
    """,
    "form_item_sums": """
        ON CONFLICT (form, version_hash) DO UPDATE SET
            n = n + excluded.n, sum_x = sum_x + excluded.sum_x, sum_x2 = sum_x2 + excluded.sum_x2
    """,
    "form_area_sums": """
        ON CONFLICT (form, area) DO UPDATE SET
            n = n + excluded.n, sum_t = sum_t + excluded.sum_t, sum_t2 = sum_t2 + excluded.sum_t2,
            max_total = max(max_total, excluded.max_total)
    """,
    "option_counts": """
        ON CONFLICT (version_hash, option) DO UPDATE SET n = n + excluded.n
    """,
}

# The columns of each table, in the order its SELECT gives them.
_COLUMNS = {
    "item_sums": "version_hash, area, max_mark, n, sum_x, sum_x2, sum_t, sum_t2, sum_xt",
    "form_item_sums": "form, version_hash, area, n, sum_x, sum_x2",
    "form_area_sums": "form, area, n, sum_t, sum_t2, max_total",
    "option_counts": "version_hash, option, n",
}


def _select(
    table: str, where: str, params: list[Any], sign: int, weight: str = WEIGHT
) -> tuple[str, list[Any]]:
    """The SELECT of ``table``'s rows (``_SELECTS``) for the finished attempts matching
    ``where``, each count and sum times ``sign``, and its parameters."""
    if table == "option_counts":
        single = _ANSWERS_OF.format(
            option="CAST(r.answer AS INTEGER)", join="", kind="single", where=where
        )
        several = _ANSWERS_OF.format(
            option="j.value", join=", json_each(r.answer) AS j", kind="multiple", where=where
        )
        return _SELECTS[table].format(sign=sign, single=single, several=several), params * 2
    marks = _MARKS_OF.format(where=where, weight=weight)
    return marks + _SELECTS[table].format(sign=sign), params


def aggregate(db: sqlite_utils.Database, where: str, params: list[Any], sign: int) -> None:
    """Add (sign +1) or take away (-1) the marks of the finished attempts that match
    ``where`` (on attempts AS a) to or from the statistics tables."""
    for table in STATISTICS_TABLES:
        select, args = _select(table, where, params, sign)
        db.execute(f"INSERT INTO {table} ({_COLUMNS[table]}) {select} {_UPSERTS[table]}", args)
    if sign < 0:
        for table in STATISTICS_TABLES:
            db.execute(f"DELETE FROM {table} WHERE n <= 0")


def sums(
    db: sqlite_utils.Database, table: str, where: str, params: list[Any]
) -> list[dict[str, Any]]:
    """The rows ``table`` (one of STATISTICS_TABLES) would hold if it were kept for the
    finished attempts matching ``where`` alone, as dicts of its columns; computed now from
    the marks, for a subset of attempts (a cohort) too small to need running sums."""
    select, args = _select(table, where, params, +1, KEPT_WEIGHT)
    return list(db.query(select, args))


def set_marks(db: sqlite_utils.Database, where: str, params: list[Any]) -> None:
    """Each finished attempt's total mark and maximum, over its scored questions."""
    db.execute(
        f"""
        UPDATE attempts SET (marks, max_marks) = (
            SELECT coalesce(sum(coalesce(r.score, 0) * {WEIGHT}), 0),
                   coalesce(sum({WEIGHT}), 0)
            FROM attempt_items AS i
            JOIN question_versions AS v ON v.hash = i.version_hash
            LEFT JOIN responses AS r ON r.attempt_id = i.attempt_id AND r.position = i.position
            WHERE i.attempt_id = attempts.id AND {WEIGHT} > 0)
        WHERE id IN (SELECT a.id FROM attempts AS a WHERE a.finished_at IS NOT NULL AND ({where}))
        """,
        params,
    )


def backfill_statistics(db: sqlite_utils.Database) -> None:
    """Build the statistics of every finished attempt (migration 8, or after a bulk load)."""
    set_marks(db, "1 = 1", [])
    for table in STATISTICS_TABLES:
        db.execute(f"DELETE FROM {table}")
    aggregate(db, "1 = 1", [], +1)
