"""The store: the connection and every query of the app.

One file, WAL mode, foreign keys on, a busy timeout. Connections run in
autocommit mode: each statement is its own short transaction, and work that
spans statements runs inside :meth:`Store.transaction`. Every public method
raises :class:`StorageUnavailable` when the storage cannot take a write now.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from . import aggregates
from .backup import online_backup, private_file
from .errors import StorageUnavailable, StoreError, translated, translated_methods
from .schema import SCHEMA_VERSION, run_migration

BUSY_TIMEOUT_MS = 5000

# What Store.finish_measured asks of the caller: given the attempt's item rows, its
# (overall, verdict, area scores, measurement).
Measure = Callable[
    [list[dict[str, Any]]], tuple[float, str | None, dict[str, float], dict[str, Any] | None]
]


# What lists of attempts show with each one, computed per row of ``attempts``.
_TOTAL = "(SELECT count(*) FROM attempt_items WHERE attempt_id = attempts.id) AS total"
_ANSWERED = "(SELECT count(*) FROM responses WHERE attempt_id = attempts.id) AS answered"
_AREAS = (
    "(SELECT json_group_object(area, score) FROM attempt_scores "
    "WHERE attempt_id = attempts.id) AS areas"
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    """A row of attempts with the JSON it has of profile, areas and measurement decoded
    ({} where empty)."""
    for column in ("profile", "areas", "measurement"):
        if column in row:
            row[column] = json.loads(row[column]) if row[column] else {}
    return row


def _create_private(path: str) -> None:
    """Create the database file, if there is none yet, readable by its owner only
    (0600): SQLite gives its -wal and -shm files the mode of the database file. An
    existing file keeps its mode; a file that cannot be created is left to SQLite to
    report."""
    if path == ":memory:" or path.startswith("file:"):
        return
    # OSError: it exists already, or its folder cannot be written (SQLite then says so).
    with contextlib.suppress(OSError):
        private_file(path)


def cannot_write(path: str) -> bool:
    """True when ``path`` is an existing database file that this process cannot write:
    the file, or its folder (where SQLite keeps the -wal and -shm files), is read-only,
    as on a read-only mount."""
    if path == ":memory:" or path.startswith("file:") or not os.path.isfile(path):
        return False
    folder = os.path.dirname(os.path.abspath(path))
    return not (os.access(path, os.W_OK) and os.access(folder, os.W_OK))


def _read_only_uri(path: str) -> tuple[str, bool]:
    """The URI that opens ``path`` read-only, and whether it is immutable.

    With no -wal or -shm file beside it (a clean stop), nothing but the file itself
    holds the data and nobody can change it while the storage is read-only: SQLite's
    ``immutable=1`` reads it without the -shm file it could not create. With journals
    left by a server that did not stop cleanly, ``mode=ro`` reads the file and its WAL
    (SQLite does this without writing as long as the -shm file exists).
    """
    absolute = os.path.abspath(path)
    immutable = not any(os.path.exists(absolute + suffix) for suffix in ("-wal", "-shm"))
    uri = f"file:{urllib.parse.quote(absolute)}?mode=ro"
    return (uri + "&immutable=1", True) if immutable else (uri, False)


# What storage that cannot write (read-only, full) could not keep, kept in this process
# instead: logins not yet cleared by a success, (username, address, time), so that the
# rate limit still holds (accounts.log_in); and the ids of sessions ended by logging out.
_unsaved_logins: list[tuple[str, str, float]] = []
_unsaved_ended: set[str] = set()
_unsaved_lock = threading.Lock()


@translated_methods
class Store:
    """One connection to the database file at ``path``.

    An existing file on storage this process cannot write (:func:`cannot_write`) is
    opened read-only (``read_only``), immutable when no journals are beside it
    (``immutable``): reads work and every write raises :class:`StorageUnavailable`.
    Raises :class:`StorageUnavailable` when a new file cannot be made because its
    folder is read-only.
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.read_only = cannot_write(self.path)
        self.immutable = False
        target, uri = self.path, False
        if self.read_only:
            (target, self.immutable), uri = _read_only_uri(self.path), True
        else:
            _create_private(self.path)
        try:
            conn = sqlite3.connect(
                target,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
                uri=uri,
            )
        except sqlite3.OperationalError as exc:
            # SQLite says only that it cannot open the file: a new file in a folder
            # that cannot be written (a read-only mount) is read-only storage.
            folder = Path(self.path).parent
            if folder.is_dir() and not os.access(folder, os.W_OK):
                raise StorageUnavailable("readonly") from exc
            raise
        conn.execute("PRAGMA foreign_keys = ON")
        # Deleted answers are overwritten on disk, not merely unlinked.
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Each commit is on disk before it returns, even across a power cut: an answer
        # acknowledged is an answer kept (docs/reliability.md). WAL's default, NORMAL,
        # may lose the last commits when the machine (not the process) goes down.
        conn.execute("PRAGMA synchronous = FULL")
        self.db = sqlite_utils.Database(conn)

    def close(self) -> None:
        self.db.conn.close()

    # Translated under @contextmanager: BEGIN and COMMIT run as the block is entered and
    # left, after the call (all the class decorator wraps) has returned.
    @contextmanager
    @translated
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT: takes the write lock up front, so it never deadlocks."""
        if self.read_only:  # SQLite would begin it and refuse only the first write
            raise StorageUnavailable("readonly")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            # SQLite may have rolled back already (a full disk, say): keep the first error.
            if self.db.conn.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def rollback_if_open(self) -> bool:
        """Roll back a transaction that a failed request left open. False when the
        connection is broken (closed, say): drop it and open a new one; True otherwise."""
        try:
            if self.db.conn.in_transaction:
                self.db.execute("ROLLBACK")
        except sqlite3.Error:
            return False
        return True

    def _one(self, sql: str, params: list[Any] | None = None) -> dict[str, Any] | None:
        """The first row of a query, or None."""
        rows = list(self.db.query(sql, params))
        return rows[0] if rows else None

    # --- schema ------------------------------------------------------------

    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self, target: int = SCHEMA_VERSION) -> int:
        """Bring the schema up to ``target``; safe to run from several processes at once.

        Raises StoreError if the file has a newer schema than this app. On read-only
        storage nothing is migrated: a schema at ``target`` serves as it is, an older one
        raises StoreError saying so.
        """
        if self.read_only:
            return self._check_read_only_schema(target)
        self.db.execute("PRAGMA journal_mode = WAL")
        with self.transaction():
            version = self.schema_version()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this app "
                    f"({SCHEMA_VERSION}); upgrade the app"
                )
            for number in range(version, target):
                run_migration(self.db, number)
        return self.schema_version()

    def _check_read_only_schema(self, target: int) -> int:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this app "
                f"({SCHEMA_VERSION}); upgrade the app"
            )
        if version < target:
            raise StoreError(
                f"{self.path} is on read-only storage and has schema version {version}, "
                f"older than this app needs ({target}); start the app once with the "
                "database on writable storage to upgrade it, then serve it read-only"
            )
        return version

    # --- question versions and schemes -------------------------------------

    def _keep_scheme(self, scheme: tuple[str, dict[str, Any]], stamp: str) -> None:
        scheme_hash, scheme_body = scheme
        self.db.execute(
            "INSERT OR IGNORE INTO schemes (hash, body, created_at) VALUES (?, ?, ?)",
            [scheme_hash, _dumps(scheme_body), stamp],
        )

    def _keep_versions(self, versions: list[dict[str, Any]]) -> None:
        for v in versions:
            self.db.execute(
                "INSERT OR IGNORE INTO question_versions "
                "(hash, question_id, type, area, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [v["hash"], v["question_id"], v["type"], v["area"], _dumps(v["body"]), now()],
            )

    # --- attempts ----------------------------------------------------------

    def _add_items(self, attempt_id: int, items: list[dict[str, Any]]) -> None:
        """The attempt's question list: position n holds the n-th item, options in its order."""
        self.db.conn.executemany(
            "INSERT INTO attempt_items (attempt_id, position, version_hash, option_order) "
            "VALUES (?, ?, ?, ?)",
            [
                (
                    attempt_id,
                    n,
                    item["hash"],
                    _dumps(item["order"]) if item["order"] is not None else None,
                )
                for n, item in enumerate(items, start=1)
            ],
        )

    def _add_scores(self, attempt_id: int, areas: dict[str, float]) -> None:
        self.db.conn.executemany(
            "INSERT INTO attempt_scores (attempt_id, area, score) VALUES (?, ?, ?)",
            [(attempt_id, area, value) for area, value in areas.items()],
        )

    def create_attempt(
        self,
        token: str,
        taker: str,
        scheme: tuple[str, dict[str, Any]],
        items: list[dict[str, Any]],
        mode: str = "assessment",
        started_at: str | None = None,
        adaptive: bool = False,
        cohort_id: int | None = None,
    ) -> int:
        """A new attempt with its question list, keeping the versions it uses.

        ``items`` are dicts with hash, question_id, type, area, body and order (an
        adaptive attempt starts with a few and grows, ``append_item``).
        ``started_at`` (an ISO time) is now unless the attempt began elsewhere earlier.
        ``cohort_id``: started through a cohort's invitation, the taker having agreed
        (now) that the cohort's instructors see it.
        """
        stamp = now()
        with self.transaction():
            self._keep_scheme(scheme, stamp)
            self._keep_versions(items)
            attempt_id = self.db.execute(
                "INSERT INTO attempts (token, taker, scheme_hash, started_at, updated_at, form, "
                "mode, adaptive, cohort_id, cohort_consent_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    token,
                    taker,
                    scheme[0],
                    started_at or stamp,
                    stamp,
                    # Adaptive attempts share no form: reliability by form leaves them out.
                    None if adaptive else aggregates.form_hash(aggregates.layout_of(items)),
                    mode,
                    adaptive,
                    cohort_id,
                    stamp if cohort_id is not None else None,
                ],
            ).lastrowid
            self._seen(taker, stamp)
            self._add_items(attempt_id, items)
        return attempt_id

    def add_finished_attempts(
        self,
        scheme: tuple[str, dict[str, Any]],
        attempts: Iterable[dict[str, Any]],
        batch: int = 500,
    ) -> int:
        """Load many finished attempts at once (demonstrations, measurements at scale),
        then rebuild the statistics. Returns how many were added.

        Each attempt is a dict with token, taker, profile, items (as for create_attempt),
        answers as (position, version hash, answer, mark), areas, overall, verdict (None:
        not judged), started_at, finished_at and optionally measurement.
        """
        count, kept = 0, set()
        pending: list[dict[str, Any]] = []

        def flush() -> None:
            with self.transaction():
                self._keep_scheme(scheme, now())
                for attempt in pending:
                    new = [i for i in attempt["items"] if i["hash"] not in kept]
                    self._keep_versions(new)
                    kept.update(i["hash"] for i in new)
                    attempt_id = self.db.execute(
                        "INSERT INTO attempts (token, taker, scheme_hash, display_name, profile, "
                        "position, started_at, updated_at, finished_at, overall, verdict, form, "
                        "measurement, first) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            attempt["token"],
                            attempt["taker"],
                            scheme[0],
                            _dumps(attempt["profile"]),
                            len(attempt["items"]),
                            attempt["started_at"],
                            attempt["finished_at"],
                            attempt["finished_at"],
                            attempt["overall"],
                            attempt["verdict"],
                            aggregates.form_hash(aggregates.layout_of(attempt["items"])),
                            _dumps(attempt["measurement"]) if attempt.get("measurement") else None,
                            attempt["verdict"] is not None,
                        ],
                    ).lastrowid
                    self._add_items(attempt_id, attempt["items"])
                    self.db.conn.executemany(
                        "INSERT INTO responses (attempt_id, position, version_hash, answer, "
                        "score, answered_at) VALUES (?, ?, ?, ?, ?, ?)",
                        [
                            (
                                attempt_id,
                                position,
                                digest,
                                _dumps(answer),
                                mark,
                                attempt["finished_at"],
                            )
                            for position, digest, answer, mark in attempt["answers"]
                        ],
                    )
                    self._add_scores(attempt_id, attempt["areas"])
                    self.db.execute(
                        "INSERT OR IGNORE INTO takers (key, created_at, seen_at) VALUES (?, ?, ?)",
                        [attempt["taker"], attempt["started_at"], attempt["finished_at"]],
                    )
            pending.clear()

        for attempt in attempts:
            pending.append(attempt)
            count += 1
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
        with self.transaction():
            aggregates.backfill_statistics(self.db)
        return count

    def append_item(self, attempt_id: int, position: int, item: dict[str, Any]) -> bool:
        """Add ``item`` (as for create_attempt) at ``position`` of an adaptive attempt in
        progress; False (and no change) if the attempt is finished or already has a
        question there (another tab got there first)."""
        with self.transaction():
            open_ = self.db.execute(
                "SELECT 1 FROM attempts WHERE id = ? AND finished_at IS NULL AND "
                "(SELECT count(*) FROM attempt_items WHERE attempt_id = attempts.id) = ?",
                [attempt_id, position - 1],
            ).fetchone()
            if not open_:
                return False
            self._keep_versions([item])
            self.db.execute(
                "INSERT INTO attempt_items (attempt_id, position, version_hash, option_order) "
                "VALUES (?, ?, ?, ?)",
                [
                    attempt_id,
                    position,
                    item["hash"],
                    _dumps(item["order"]) if item["order"] is not None else None,
                ],
            )
            self.db.execute("UPDATE attempts SET updated_at = ? WHERE id = ?", [now(), attempt_id])
        return True

    def adaptive_lengths(self, limit: int = 500) -> list[int]:
        """How many questions the most recent finished adaptive attempts asked."""
        return [
            row[0]
            for row in self.db.execute(
                f"SELECT {_TOTAL.removesuffix(' AS total')} FROM attempts "
                "WHERE adaptive = 1 AND finished_at IS NOT NULL ORDER BY id DESC LIMIT ?",
                [limit],
            )
        ]

    def attempt(self, token: str) -> dict[str, Any] | None:
        """An attempt by its token, with its number of questions and of answers (its
        scheme is ``scheme_body(row["scheme_hash"])``: most readers have it already)."""
        row = self._one(
            f"SELECT attempts.*, {_TOTAL}, {_ANSWERED} FROM attempts WHERE token = ?", [token]
        )
        return _decoded(row) if row else None

    def items(self, attempt_id: int, position: int | None = None) -> list[dict[str, Any]]:
        """The attempt's questions in order (or just one), each with its response if any."""
        where = "WHERE i.attempt_id = ?" + (" AND i.position = ?" if position is not None else "")
        params = [attempt_id] if position is None else [attempt_id, position]
        rows = []
        for row in self.db.query(
            "SELECT i.position, i.version_hash, i.option_order, i.flagged, v.body, "
            "r.answer, r.score, r.answered_at "
            "FROM attempt_items AS i "
            "JOIN question_versions AS v ON v.hash = i.version_hash "
            "LEFT JOIN responses AS r ON r.attempt_id = i.attempt_id AND r.position = i.position "
            f"{where} ORDER BY i.position",
            params,
        ):
            row["body"] = json.loads(row["body"])
            row["option_order"] = json.loads(row["option_order"]) if row["option_order"] else None
            row["answer"] = json.loads(row["answer"]) if row["answer"] is not None else None
            rows.append(row)
        return rows

    def save_answer(
        self,
        attempt_id: int,
        position: int,
        version_hash: str,
        answer: Any,
        score: float,
        move_to: int | None = None,
    ) -> bool:
        """Record (or replace) an answer; False if the attempt is already finished.

        ``move_to`` also records the screen the taker goes to next, in the same
        transaction: one commit (one fsync) per answer.
        """
        stamp = now()
        with self.transaction():
            saved = self._upsert_response(attempt_id, position, version_hash, answer, score, stamp)
            if saved and move_to is not None:
                self._move(attempt_id, move_to)
        return saved

    def _upsert_response(
        self,
        attempt_id: int,
        position: int,
        version_hash: str,
        answer: Any,
        score: float,
        stamp: str,
    ) -> bool:
        cursor = self.db.execute(
            """
            INSERT INTO responses
                (attempt_id, position, version_hash, answer, score, answered_at)
            SELECT ?, ?, ?, ?, ?, ?
            WHERE EXISTS (SELECT 1 FROM attempts WHERE id = ? AND finished_at IS NULL)
            ON CONFLICT (attempt_id, position) DO UPDATE SET
                answer = excluded.answer, score = excluded.score, answered_at = excluded.answered_at
            """,
            [attempt_id, position, version_hash, _dumps(answer), score, stamp, attempt_id],
        )
        return cursor.rowcount > 0

    def clear_answer(self, attempt_id: int, position: int, move_to: int | None = None) -> bool:
        """Forget an answer the taker took back; False if the attempt is finished."""
        with self.transaction():
            is_open = self.db.execute(
                "SELECT 1 FROM attempts WHERE id = ? AND finished_at IS NULL", [attempt_id]
            ).fetchone()
            if is_open:
                self.db.execute(
                    "DELETE FROM responses WHERE attempt_id = ? AND position = ?",
                    [attempt_id, position],
                )
                if move_to is not None:
                    self._move(attempt_id, move_to)
        return bool(is_open)

    def set_flag(self, attempt_id: int, position: int, flagged: bool) -> bool:
        """Flag the attempt's question at ``position`` for review, or take the flag off;
        False (and no change) if the attempt is finished or has no question there."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE attempt_items SET flagged = ? WHERE attempt_id = ? AND position = ? "
                "AND EXISTS (SELECT 1 FROM attempts WHERE id = ? AND finished_at IS NULL)",
                [int(flagged), attempt_id, position, attempt_id],
            )
            if cursor.rowcount:
                # A flag is activity: retention counts from the last one.
                self.db.execute(
                    "UPDATE attempts SET updated_at = ? WHERE id = ?", [now(), attempt_id]
                )
        return cursor.rowcount > 0

    def item_states(self, attempt_id: int) -> list[dict[str, Any]]:
        """What the question navigator shows of each of the attempt's questions, in order:
        position, area, answered and flagged (0 or 1). Reads no question bodies."""
        return list(
            self.db.query(
                "SELECT i.position, v.area, r.position IS NOT NULL AS answered, i.flagged "
                "FROM attempt_items AS i "
                "JOIN question_versions AS v ON v.hash = i.version_hash "
                "LEFT JOIN responses AS r "
                "ON r.attempt_id = i.attempt_id AND r.position = i.position "
                "WHERE i.attempt_id = ? ORDER BY i.position",
                [attempt_id],
            )
        )

    def item_marks(self, attempt_id: int) -> list[tuple[int, int, int]]:
        """What the navigator marks on each of the attempt's questions, in order:
        (position, answered, flagged), 0 or 1 each. ``item_states`` without the area,
        which needs no question version."""
        return self.db.execute(
            "SELECT i.position, r.position IS NOT NULL, i.flagged FROM attempt_items AS i "
            "LEFT JOIN responses AS r ON r.attempt_id = i.attempt_id AND r.position = i.position "
            "WHERE i.attempt_id = ? ORDER BY i.position",
            [attempt_id],
        ).fetchall()

    def _move(self, attempt_id: int, position: int) -> None:
        self.db.execute("UPDATE attempts SET position = ? WHERE id = ?", [position, attempt_id])

    def set_position(self, attempt_id: int, position: int) -> None:
        """Remember the screen the taker is on, so that a resume lands there."""
        self.db.execute(
            "UPDATE attempts SET position = ?, updated_at = ? "
            "WHERE id = ? AND position != ? AND finished_at IS NULL",
            [position, now(), attempt_id, position],
        )

    def save_profile(
        self, attempt_id: int, display_name: str | None, profile: dict[str, Any]
    ) -> bool:
        cursor = self.db.execute(
            "UPDATE attempts SET display_name = ?, profile = ?, updated_at = ? "
            "WHERE id = ? AND finished_at IS NULL",
            [display_name, _dumps(profile), now(), attempt_id],
        )
        return cursor.rowcount > 0

    def finish(
        self,
        attempt_id: int,
        overall: float,
        verdict: str | None,
        areas: dict[str, float],
        measurement: dict[str, Any] | None = None,
    ) -> bool:
        """Close the attempt with these scores (0..1), verdict (None: too few answers to
        judge, which keeps it out of percentiles and statistics) and measurement; False
        (and no change) if it was already closed. The scores are taken as given: to
        score the answers the attempt has when it closes, use :meth:`finish_measured`."""
        return self.finish_measured(
            attempt_id, lambda _rows: (overall, verdict, areas, measurement)
        )

    def finish_measured(self, attempt_id: int, measure: Measure) -> bool:
        """Close the attempt with the scores that ``measure`` gives for its items (the
        rows of :meth:`items`): (overall, verdict, areas, measurement) as for
        :meth:`finish`. False (and no change) if it was already closed.

        The items are read, measured and the attempt closed in one write transaction,
        so an answer saved at the same moment is either among the items measured or
        refused (``save_answer`` checks the attempt is open in its own write
        transaction): never acknowledged and left out of the score.
        """
        with self.transaction():
            is_open = self.db.execute(
                "SELECT 1 FROM attempts WHERE id = ? AND finished_at IS NULL", [attempt_id]
            ).fetchone()
            if not is_open:
                return False
            overall, verdict, areas, measurement = measure(self.items(attempt_id))
            stamp = now()
            self.db.execute(
                "UPDATE attempts SET finished_at = ?, updated_at = ?, overall = ?, verdict = ?, "
                "measurement = ? WHERE id = ?",
                [
                    stamp,
                    stamp,
                    overall,
                    verdict,
                    _dumps(measurement) if measurement is not None else None,
                    attempt_id,
                ],
            )
            self._add_scores(attempt_id, areas)
            self.db.execute(
                "UPDATE attempts SET first = 1 WHERE id = ? AND mode = 'assessment' "
                "AND verdict IS NOT NULL AND NOT EXISTS (SELECT 1 FROM attempts AS other "
                "WHERE other.taker = attempts.taker AND other.first = 1)",
                [attempt_id],
            )
            aggregates.set_marks(self.db, "a.id = ?", [attempt_id])
            aggregates.aggregate(self.db, "a.id = ?", [attempt_id], +1)
        return True

    def seen_questions(self, taker: str) -> dict[str, int]:
        """The questions a taker has had, each with its most recent attempt's id."""
        return {
            row[0]: row[1]
            for row in self.db.execute(
                "SELECT v.question_id, max(a.id) FROM attempts AS a "
                "JOIN attempt_items AS i ON i.attempt_id = a.id "
                "JOIN question_versions AS v ON v.hash = i.version_hash "
                "WHERE a.taker = ? GROUP BY v.question_id",
                [taker],
            )
        }

    def percentile_counts(self, score: float, area: str | None = None) -> tuple[int, int, int]:
        """Among first finished assessments: (how many scored below, how many the same, all).

        Scores are compared to a tenth of a percent (the bins of ``first_score_bins``).
        """
        return tuple(
            self.db.execute(
                "SELECT coalesce(sum(n) FILTER (WHERE bin < b.at), 0), "
                "coalesce(sum(n) FILTER (WHERE bin = b.at), 0), coalesce(sum(n), 0) "
                "FROM first_score_bins, (SELECT CAST(round(? * 1000) AS INTEGER) AS at) AS b "
                "WHERE scope = ?",
                [score, area or ""],
            ).fetchone()
        )

    def first_score_bins(self, area: str | None = None) -> list[tuple[float, int]]:
        """(score, how many first finished assessments have it), lowest score first."""
        return [
            (bin_ / 1000, n)
            for bin_, n in self.db.execute(
                "SELECT bin, n FROM first_score_bins WHERE scope = ? AND n > 0 ORDER BY bin",
                [area or ""],
            )
        ]

    # Tests rebuild the statistics to compare them with what finishing kept.
    backfill_statistics = staticmethod(aggregates.backfill_statistics)

    def area_scores(self, attempt_id: int) -> dict[str, float]:
        return {
            row["area"]: row["score"]
            for row in self.db.query(
                "SELECT area, score FROM attempt_scores WHERE attempt_id = ?", [attempt_id]
            )
        }

    def open_attempts(self, taker: str) -> list[dict[str, Any]]:
        """The taker's attempts in progress, newest first."""
        return list(
            self.db.query(
                f"SELECT token, position, started_at, updated_at, cohort_id, {_TOTAL}, "
                f"{_ANSWERED} FROM attempts WHERE taker = ? AND finished_at IS NULL "
                "ORDER BY id DESC",
                [taker],
            )
        )

    # --- a taker's history ---------------------------------------------------

    def taker_attempts(self, taker: str) -> list[dict[str, Any]]:
        """All of a taker's attempts, oldest first, with their area scores and profile."""
        return [
            _decoded(row)
            for row in self.db.query(
                "SELECT id, token, display_name, profile, position, started_at, updated_at, "
                f"finished_at, overall, verdict, measurement, adaptive, scheme_hash, mode, "
                f"{_TOTAL}, {_ANSWERED}, {_AREAS} FROM attempts WHERE taker = ? ORDER BY id",
                [taker],
            )
        ]

    def scheme_body(self, scheme_hash: str) -> dict[str, Any]:
        row = self.db.execute("SELECT body FROM schemes WHERE hash = ?", [scheme_hash]).fetchone()
        return json.loads(row[0])

    def touch_taker(self, taker: str) -> None:
        """Record a visit: retention counts from the last one."""
        self._seen(taker, now())

    def _seen(self, taker: str, stamp: str) -> None:
        self.db.execute(
            "INSERT INTO takers (key, created_at, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET seen_at = excluded.seen_at",
            [taker, stamp, stamp],
        )

    def recovery_token(self, taker: str, new: str) -> str:
        """The taker's recovery token, set to ``new`` if they have none yet (only then
        does it write, so a taker who has one sees it on read-only storage)."""
        row = self.db.execute("SELECT recovery FROM takers WHERE key = ?", [taker]).fetchone()
        if row and row[0]:
            return row[0]
        self.touch_taker(taker)
        self.db.execute(
            "UPDATE takers SET recovery = ? WHERE key = ? AND recovery IS NULL", [new, taker]
        )
        return self.db.execute("SELECT recovery FROM takers WHERE key = ?", [taker]).fetchone()[0]

    def replace_recovery_token(self, taker: str, new: str) -> None:
        """A new link; the old one stops working."""
        self.touch_taker(taker)
        self.db.execute("UPDATE takers SET recovery = ? WHERE key = ?", [new, taker])

    def taker_by_recovery(self, token: str) -> str | None:
        row = self.db.execute("SELECT key FROM takers WHERE recovery = ?", [token]).fetchone()
        return row[0] if row else None

    def merge_takers(self, source: str, target: str) -> None:
        """Move ``source``'s attempts to ``target`` (a device joining its history)."""
        if source == target:
            return
        with self.transaction():
            self.db.execute("UPDATE attempts SET taker = ? WHERE taker = ?", [target, source])
            self.db.execute(
                "UPDATE OR IGNORE cohort_visits SET taker = ? WHERE taker = ?", [target, source]
            )
            self.db.execute("DELETE FROM cohort_visits WHERE taker = ?", [source])
            self.db.execute("DELETE FROM takers WHERE key = ?", [source])
            aggregates.elect_first(self.db, target)

    def delete_attempt(self, attempt_id: int) -> None:
        """Delete an attempt with its questions, answers and scores (and its statistics)."""
        with self.transaction():
            aggregates.aggregate(self.db, "a.id = ?", [attempt_id], -1)
            row = self.db.execute(
                "DELETE FROM attempts WHERE id = ? RETURNING taker", [attempt_id]
            ).fetchone()
            if row:
                aggregates.elect_first(self.db, row[0])

    def delete_taker(self, taker: str) -> int:
        """Delete everything kept about a taker; returns the number of attempts deleted."""
        with self.transaction():
            aggregates.aggregate(self.db, "a.taker = ?", [taker], -1)
            deleted = self.db.execute("DELETE FROM attempts WHERE taker = ?", [taker]).rowcount
            self.db.execute("DELETE FROM cohort_visits WHERE taker = ?", [taker])
            self.db.execute("DELETE FROM takers WHERE key = ?", [taker])
        return deleted

    def purge(self, before: str) -> int:
        """Delete the data of takers not seen since ``before`` (an ISO time); returns how many."""
        stale = "a.taker IN (SELECT key FROM takers WHERE seen_at < ?)"
        with self.transaction():
            count = self.db.execute(
                "SELECT count(*) FROM takers WHERE seen_at < ?", [before]
            ).fetchone()[0]
            if count:
                aggregates.aggregate(self.db, stale, [before], -1)
                self.db.execute(
                    f"DELETE FROM attempts WHERE id IN "
                    f"(SELECT a.id FROM attempts AS a WHERE {stale})",
                    [before],
                )
                self.db.execute("DELETE FROM takers WHERE seen_at < ?", [before])
            # Most visitors never start, so are not takers whose data the lines above
            # delete: their visits go once as old as the retention allows.
            self.db.execute(
                "DELETE FROM cohort_visits WHERE at < ? AND taker NOT IN (SELECT key FROM takers)",
                [before],
            )
        return count

    def purge_empty(self, before: str) -> int:
        """Delete unfinished attempts without a single answer, unchanged since ``before``
        (an ISO time), and takers left with nothing; returns how many attempts. Starting
        costs a few kilobytes, so abandoned starts go long before retention would."""
        with self.transaction():
            count = self.db.execute(
                "DELETE FROM attempts WHERE finished_at IS NULL AND updated_at < ? "
                "AND NOT EXISTS (SELECT 1 FROM responses AS r WHERE r.attempt_id = attempts.id)",
                [before],
            ).rowcount
            self.db.execute(
                "DELETE FROM takers WHERE seen_at < ? AND recovery IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM attempts AS a WHERE a.taker = takers.key)",
                [before],
            )
            self.db.execute("DELETE FROM rate_events WHERE at < ?", [time.time() - 3600])
        return count

    # --- cohorts -----------------------------------------------------------------

    def create_cohort(
        self,
        owner: str,
        name: str,
        token: str,
        description: str = "",
        mode: str = "assessment",
        adaptive: bool = False,
        closes_at: str | None = None,
    ) -> int:
        """A new cohort of instructor ``owner``, invited by the link with ``token``;
        ``closes_at`` an ISO time (UTC) after which the link takes no one, or None.
        Returns its id."""
        stamp = now()
        with self.transaction():
            return self.db.execute(
                "INSERT INTO cohorts (token, name, description, owner, mode, adaptive, "
                "closes_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [token, name, description, owner, mode, int(adaptive), closes_at, stamp, stamp],
            ).lastrowid

    _COHORT_COUNTS = (
        "(SELECT count(*) FROM cohort_visits AS v WHERE v.cohort_id = c.id) AS visits, "
        "(SELECT count(*) FROM attempts AS a WHERE a.cohort_id = c.id) AS started, "
        "(SELECT count(*) FROM attempts AS a WHERE a.cohort_id = c.id "
        "AND a.finished_at IS NOT NULL) AS finished"
    )

    def cohorts(self, owner: str | None) -> list[dict[str, Any]]:
        """The cohorts of instructor ``owner`` (None: every cohort, for an administrator),
        newest first, each with its counts: visits (browsers that opened the link),
        started and finished attempts."""
        where, params = ("AND c.owner = ?", [owner]) if owner is not None else ("", [])
        return list(
            self.db.query(
                f"SELECT c.*, {self._COHORT_COUNTS} FROM cohorts AS c "
                f"WHERE c.deleted_at IS NULL {where} "
                "ORDER BY c.created_at DESC, c.id DESC",
                params,
            )
        )

    def cohort(self, cohort_id: int, owner: str | None) -> dict[str, Any] | None:
        """One cohort with its counts, if ``owner`` owns it (None: any owner); else None,
        so that another instructor's cohort looks like one that does not exist."""
        where = "c.id = ? AND c.deleted_at IS NULL" + (
            " AND c.owner = ?" if owner is not None else ""
        )
        params = [cohort_id] + ([owner] if owner is not None else [])
        return self._one(
            f"SELECT c.*, {self._COHORT_COUNTS} FROM cohorts AS c WHERE {where}", params
        )

    def cohort_by_token(self, token: str) -> dict[str, Any] | None:
        """The cohort an invitation link names, or None."""
        return self._one("SELECT * FROM cohorts WHERE token = ? AND deleted_at IS NULL", [token])

    def update_cohort(self, cohort_id: int, owner: str | None, **changes: Any) -> bool:
        """Change a cohort's name, description, closes_at or closed_at (None reopens);
        False (and no change) if ``owner`` does not own it. Raises ValueError for any
        other field."""
        allowed = {"name", "description", "closes_at", "closed_at"}
        if not changes or set(changes) - allowed:
            raise ValueError(f"a cohort's changeable fields are {sorted(allowed)}")
        sets = ", ".join(f"{field} = ?" for field in changes)
        where = "id = ? AND deleted_at IS NULL" + (" AND owner = ?" if owner is not None else "")
        params = [*changes.values(), now(), cohort_id] + ([owner] if owner is not None else [])
        with self.transaction():
            return bool(
                self.db.execute(
                    f"UPDATE cohorts SET {sets}, updated_at = ? WHERE {where}", params
                ).rowcount
            )

    def delete_cohort(self, cohort_id: int, owner: str | None) -> bool:
        """Delete a cohort and its visits; its attempts stay their takers', no longer in
        any cohort. False if ``owner`` does not own it."""
        where = "id = ?" + (" AND owner = ?" if owner is not None else "")
        with self.transaction():
            return bool(
                self._retire_cohorts(where, [cohort_id, *([owner] if owner is not None else [])])
            )

    def _retire_cohorts(self, where: str, params: list[Any]) -> int:
        """Delete the cohorts matching ``where``: their attempts leave them, their visits
        go, and each leaves only its id, owner and times (``deleted_at``), so that its id
        is never given to a new cohort: an old link, bookmark or export's name never
        names another. Returns how many; in the caller's transaction."""
        live = f"({where}) AND deleted_at IS NULL"
        self.db.execute(
            "UPDATE attempts SET cohort_id = NULL, cohort_consent_at = NULL "
            f"WHERE cohort_id IN (SELECT id FROM cohorts WHERE {live})",
            params,
        )
        self.db.execute(
            f"DELETE FROM cohort_visits WHERE cohort_id IN (SELECT id FROM cohorts WHERE {live})",
            params,
        )
        stamp = now()
        return self.db.execute(
            "UPDATE cohorts SET name = '', description = '', token = 'deleted-' || id, "
            f"closed_at = coalesce(closed_at, ?), deleted_at = ?, updated_at = ? WHERE {live}",
            [stamp, stamp, stamp, *params],
        ).rowcount

    def record_cohort_visit(self, cohort_id: int, taker: str) -> None:
        """A browser opened the cohort's invitation link (counted once per browser)."""
        with self.transaction():
            self.db.execute(
                "INSERT OR IGNORE INTO cohort_visits (cohort_id, taker, at) VALUES (?, ?, ?)",
                [cohort_id, taker, now()],
            )

    def leave_cohort(self, taker: str, cohort_id: int) -> int:
        """Take the taker's attempts out of a cohort (they stay the taker's); returns how
        many left it."""
        with self.transaction():
            return self.db.execute(
                "UPDATE attempts SET cohort_id = NULL, cohort_consent_at = NULL "
                "WHERE taker = ? AND cohort_id = ?",
                [taker, cohort_id],
            ).rowcount

    def taker_cohorts(self, taker: str) -> dict[int, dict[str, Any]]:
        """The cohorts the taker's attempts belong to, by attempt id: {attempt id:
        {"id", "name"}}."""
        return {
            row["attempt_id"]: {"id": row["id"], "name": row["name"]}
            for row in self.db.query(
                "SELECT a.id AS attempt_id, c.id, c.name FROM attempts AS a "
                "JOIN cohorts AS c ON c.id = a.cohort_id WHERE a.taker = ?",
                [taker],
            )
        }

    def cohort_attempts(self, cohort_id: int) -> list[dict[str, Any]]:
        """Every attempt in the cohort, oldest first: id, taker, display_name, mode,
        started_at, finished_at, verdict, overall (0..1), measurement (decoded, {} until
        finished), first (1 if it is its taker's first finished assessment, the one
        percentiles count), total and answered (questions)."""
        return [
            _decoded(row)
            for row in self.db.query(
                "SELECT id, taker, display_name, mode, started_at, finished_at, verdict, "
                f"overall, measurement, first, {_TOTAL}, {_ANSWERED} FROM attempts "
                "WHERE cohort_id = ? ORDER BY id",
                [cohort_id],
            )
        ]

    def question_tallies(
        self, attempt_ids: list[int], areas: list[str]
    ) -> list[tuple[str, str, int, int, int, float]]:
        """How the given attempts did on each scored question of ``areas`` (the weight
        decides, as in the statistics): (question id, area, how many had it, did not earn
        its full mark, left it unanswered, sum of marks 0..1, unanswered as 0)."""
        if not attempt_ids or not areas:
            return []
        return self.db.execute(
            "SELECT v.question_id, v.area, count(*), "
            "count(*) FILTER (WHERE coalesce(r.score, 0) < 1), "
            "count(*) FILTER (WHERE r.score IS NULL), coalesce(sum(r.score), 0) "
            "FROM attempt_items AS i "
            "JOIN question_versions AS v ON v.hash = i.version_hash "
            "LEFT JOIN responses AS r "
            "ON r.attempt_id = i.attempt_id AND r.position = i.position "
            "WHERE i.attempt_id IN (SELECT value FROM json_each(?)) "
            f"AND v.area IN (SELECT value FROM json_each(?)) AND {aggregates.KEPT_WEIGHT} > 0 "
            "GROUP BY v.question_id, v.area",
            [json.dumps(attempt_ids), json.dumps(areas)],
        ).fetchall()

    # --- instructors -----------------------------------------------------------

    def set_instructor(self, username: str, password_hash: str) -> bool:
        """Create an instructor or change their password, which ends every session of the
        account (its session version moves on); True if the account is new."""
        stamp = now()
        with self.transaction():
            exists = self.db.execute(
                "SELECT 1 FROM instructors WHERE username = ?", [username]
            ).fetchone()
            self.db.execute(
                "INSERT INTO instructors (username, password_hash, created_at, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET "
                "password_hash = excluded.password_hash, updated_at = excluded.updated_at, "
                "session_version = session_version + 1",
                [username, password_hash, stamp, stamp],
            )
        return exists is None

    def set_admin(self, username: str, admin: bool) -> bool:
        """Make an instructor an administrator (who sees every cohort), or not; False if
        there is no such account."""
        with self.transaction():
            return bool(
                self.db.execute(
                    "UPDATE instructors SET is_admin = ? WHERE username = ?",
                    [int(admin), username],
                ).rowcount
            )

    def is_admin(self, username: str) -> bool:
        row = self.db.execute(
            "SELECT is_admin FROM instructors WHERE username = ?", [username]
        ).fetchone()
        return bool(row and row[0])

    def password_hash(self, username: str) -> str | None:
        row = self.db.execute(
            "SELECT password_hash FROM instructors WHERE username = ?", [username]
        ).fetchone()
        return row[0] if row else None

    def remove_instructor(self, username: str) -> int | None:
        """Delete an account (its sessions end with it) and its cohorts, whose attempts stay
        their takers', no longer in any cohort: the people who agreed to share with the
        cohort's instructor share with no one else, and an account made later under the
        same name inherits nothing. Returns how many cohorts went; None if there was no
        account."""
        with self.transaction():
            if not self.db.execute(
                "DELETE FROM instructors WHERE username = ?", [username]
            ).rowcount:
                return None
            return self._retire_cohorts("owner = ?", [username])

    def session_state(
        self, username: str, session_id: str | None = None
    ) -> tuple[int, bool] | None:
        """An instructor session as the store knows it: (the account's session version,
        whether this session was ended by logging out), or None without the account."""
        row = self.db.execute(
            "SELECT session_version, EXISTS (SELECT 1 FROM ended_sessions WHERE id = ?) "
            "FROM instructors WHERE username = ?",
            [session_id, username],
        ).fetchone()
        if row is None:
            return None
        with _unsaved_lock:
            ended = bool(row[1]) or session_id in _unsaved_ended
        return row[0], ended

    def end_session(self, session_id: str, until: float) -> None:
        """Refuse a session from now until ``until`` (epoch seconds), when it would have
        expired anyway; storage that cannot take it keeps it in this process's memory."""
        try:
            with self.transaction():
                self.db.execute(
                    "INSERT OR REPLACE INTO ended_sessions (id, until) VALUES (?, ?)",
                    [session_id, until],
                )
                self.db.execute("DELETE FROM ended_sessions WHERE until < ?", [time.time()])
            return
        except StorageUnavailable as exc:
            if exc.kind not in ("readonly", "full"):
                raise
        with _unsaved_lock:
            _unsaved_ended.add(session_id)

    def count_login(self, username: str, address: str, at: float, since: float) -> tuple[int, int]:
        """Record a login before its password is checked, so that parallel guesses all
        count, then count the logins since ``since`` that no success has cleared,
        this one included: (for this username from this address, from this address).

        Storage that cannot take it (read-only, full) keeps it in this process's memory,
        so that the limit holds all the same.
        """
        try:
            with self.transaction():
                self.db.execute(
                    "INSERT INTO login_failures (username, address, at) VALUES (?, ?, ?)",
                    [username, address, at],
                )
                self.db.execute("DELETE FROM login_failures WHERE at < ?", [at - 3600])
                pair, by_address = self.db.execute(
                    "SELECT count(*) FILTER (WHERE username = ?), count(*) FROM login_failures "
                    "WHERE address = ? AND at >= ?",
                    [username, address, since],
                ).fetchone()
        except StorageUnavailable as exc:
            if exc.kind not in ("readonly", "full"):
                raise
            pair = by_address = 0
            with _unsaved_lock:
                _unsaved_logins[:] = [f for f in _unsaved_logins if f[2] >= at - 3600]
                _unsaved_logins.append((username, address, at))
        with _unsaved_lock:
            recent = [f for f in _unsaved_logins if f[2] >= since and f[1] == address]
        # Both stores hold logins only when the database could not take this one.
        return pair + sum(1 for f in recent if f[0] == username), by_address + len(recent)

    def clear_logins(self, username: str, address: str) -> None:
        """Forget the logins of a username from an address (a success); on storage that
        cannot write, only those kept in memory, so that logging in needs no write."""
        with _unsaved_lock:
            _unsaved_logins[:] = [f for f in _unsaved_logins if f[:2] != (username, address)]
        try:
            with self.transaction():
                self.db.execute(
                    "DELETE FROM login_failures WHERE username = ? AND address = ?",
                    [username, address],
                )
        except StorageUnavailable as exc:
            if exc.kind not in ("readonly", "full"):
                raise

    def count_events(self, buckets: list[str], at: float, since: float) -> list[int]:
        """Record an event in each bucket (a rate limit's key), then count each bucket's
        events since ``since`` (epoch seconds), this one included, in one transaction so
        that every worker sees the same counts. Events older than an hour are dropped."""
        with self.transaction():
            self.db.conn.executemany(
                "INSERT INTO rate_events (bucket, at) VALUES (?, ?)", [(b, at) for b in buckets]
            )
            self.db.execute("DELETE FROM rate_events WHERE at < ?", [at - 3600])
            return [
                self.db.execute(
                    "SELECT count(*) FROM rate_events WHERE bucket = ? AND at >= ?",
                    [bucket, since],
                ).fetchone()[0]
                for bucket in buckets
            ]

    # --- revisions of the bank -----------------------------------------------------

    def add_revision(self, sha: str, author: str, message: str, text: str) -> int:
        return self.db.execute(
            "INSERT INTO revisions (sha, author, message, created_at, text) VALUES (?, ?, ?, ?, ?)",
            [sha, author, message, now(), text],
        ).lastrowid

    def latest_revision(self) -> dict[str, Any] | None:
        return self._one("SELECT * FROM revisions ORDER BY id DESC LIMIT 1")

    def revision(self, revision_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM revisions WHERE id = ?", [revision_id])

    def revision_by_sha(self, sha: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM revisions WHERE sha = ? ORDER BY id DESC LIMIT 1", [sha])

    def revisions(self) -> list[dict[str, Any]]:
        """Every revision, newest first, without the file texts."""
        return list(
            self.db.query(
                "SELECT id, sha, author, message, created_at, length(text) AS size "
                "FROM revisions ORDER BY id DESC"
            )
        )

    def previous_revision(self, revision_id: int) -> dict[str, Any] | None:
        return self._one(
            "SELECT * FROM revisions WHERE id < ? ORDER BY id DESC LIMIT 1", [revision_id]
        )

    # --- results for instructors -------------------------------------------------------

    @staticmethod
    def _attempt_filter(filters: dict[str, Any]) -> tuple[str, list[Any]]:
        """WHERE clause of the results filters: status, verdict, a date range (started),
        a cohort (its id, as an int or a string of digits: the caller has checked that the
        instructor may see it)."""
        where, params = [], []
        if filters.get("status") == "finished":
            where.append("finished_at IS NOT NULL")
        elif filters.get("status") == "in-progress":
            where.append("finished_at IS NULL")
        if filters.get("verdict"):
            where.append("verdict = ?")
            params.append(filters["verdict"])
        if filters.get("since"):
            where.append("started_at >= ?")
            params.append(filters["since"])
        if filters.get("until"):
            where.append("started_at < date(?, '+1 day')")
            params.append(filters["until"])
        if filters.get("cohort"):
            where.append("cohort_id = ?")
            params.append(int(filters["cohort"]))
        return ("WHERE " + " AND ".join(where)) if where else "", params

    SORTS = {
        "started": "started_at",
        "finished": "finished_at",
        "overall": "overall",
        "verdict": "verdict",
        "name": "display_name",
    }

    def results_page(
        self, filters: dict[str, Any], sort: str, descending: bool, limit: int, offset: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """One page of attempts (and how many match), with area scores."""
        where, params = self._attempt_filter(filters)
        total = self.db.execute(f"SELECT count(*) FROM attempts {where}", params).fetchone()[0]
        column = self.SORTS.get(sort, "started_at")
        order = f"{column} {'DESC' if descending else 'ASC'} NULLS LAST, id"
        # The page's ids first, from the index alone; the counts and scores then only
        # for the rows shown (a deep page would otherwise compute them for every row skipped).
        rows = [
            _decoded(row)
            for row in self.db.query(
                "SELECT id, display_name, started_at, finished_at, overall, verdict, mode, "
                f"{_TOTAL}, {_ANSWERED}, {_AREAS} "
                f"FROM attempts WHERE id IN (SELECT id FROM attempts {where} "
                f"ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {order}",
                [*params, limit, offset],
            )
        ]
        return total, rows

    def score_bins(self, filters: dict[str, Any], bins: int) -> list[tuple[int, int]]:
        """(bin, count) of the overall scores of the matching finished attempts."""
        where, params = self._attempt_filter({**filters, "status": "finished"})
        return self.db.execute(
            f"SELECT min(CAST(overall * {bins} AS INTEGER), {bins - 1}) AS bin, count(*) "
            f"FROM attempts {where} GROUP BY bin",
            params,
        ).fetchall()

    def iter_attempt_rows(self, filters: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
        """Every matching attempt with its area scores and last its cohort's id (None
        outside any), one at a time (for streaming)."""
        where, params = self._attempt_filter(filters)
        yield from self.db.execute(
            "SELECT id, display_name, started_at, finished_at, verdict, overall, "
            f"{_AREAS}, {_ANSWERED}, {_TOTAL}, mode, cohort_id FROM attempts {where} ORDER BY id",
            params,
        )

    def iter_response_rows(self, filters: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
        """Every response of the matching attempts, one at a time (for streaming)."""
        where, params = self._attempt_filter(filters)
        yield from self.db.execute(
            "SELECT r.attempt_id, r.position, v.question_id, r.version_hash, v.type, v.area, "
            "r.answer, r.score, r.answered_at "
            "FROM responses AS r JOIN question_versions AS v ON v.hash = r.version_hash "
            f"WHERE r.attempt_id IN (SELECT id FROM attempts {where}) "
            "ORDER BY r.attempt_id, r.position",
            params,
        )

    def attempt_token(self, attempt_id: int) -> str | None:
        """The token of the attempt with this id (what loads it in full), or None."""
        row = self.db.execute("SELECT token FROM attempts WHERE id = ?", [attempt_id]).fetchone()
        return row[0] if row else None

    def activity(self, since: str, until: str | None = None) -> tuple[int, int]:
        """(attempts started, attempts finished) at or after ``since`` and before ``until``
        (ISO 8601 UTC stamps, as stored; None: up to now): two range counts on the
        indexes attempts_started_at and attempts_finished_at, read from the index alone."""
        counts = []
        for column in ("started_at", "finished_at"):
            below = f" AND {column} < ?" if until else ""
            counts.append(
                self.db.execute(
                    f"SELECT count(*) FROM attempts WHERE {column} >= ?{below}",
                    [since, until] if until else [since],
                ).fetchone()[0]
            )
        return counts[0], counts[1]

    def verdict_counts(self, since: str) -> list[tuple[str | None, int]]:
        """(verdict id, how many) of the assessments finished at or after ``since``; None
        counts those finished without a verdict (too few answers). Practice is left out,
        as in the statistics: its taker saw each explanation on the way.

        The range is read from attempts_finished_at. "+verdict" keeps SQLite from walking
        the whole attempts_verdict index in verdict order instead (without ANALYZE it
        prefers the index that gives the grouping): with 100,000 attempts over six months,
        59 ms instead of 297 (bench/scale.py's data).
        """
        return self.db.execute(
            "SELECT verdict, count(*) FROM attempts "
            "WHERE finished_at >= ? AND mode = 'assessment' GROUP BY +verdict",
            [since],
        ).fetchall()

    # --- item analysis ------------------------------------------------------------------

    # A cohort's statistics: its finished assessments only. The running sums are kept for
    # all attempts; a cohort's are computed when asked, with the same SQL (aggregates.sums),
    # from its few attempts (the index attempts_cohort finds them).
    _IN_COHORT = "a.cohort_id = ?"

    def item_sums(self, cohort: int | None = None) -> list[dict[str, Any]]:
        """Per question version: the sums that stats.item_stats needs (kept on finish),
        over every finished assessment or those of cohort ``cohort`` (its id)."""
        if cohort is not None:
            return aggregates.sums(self.db, "item_sums", self._IN_COHORT, [cohort])
        return list(self.db.query("SELECT * FROM item_sums WHERE n > 0"))

    def option_counts(self, cohort: int | None = None) -> list[tuple[str, int, int]]:
        """(version, option index in the bank, times chosen) over finished attempts (of
        cohort ``cohort`` only, when given)."""
        if cohort is not None:
            return [
                (row["version_hash"], row["option"], row["n"])
                for row in aggregates.sums(self.db, "option_counts", self._IN_COHORT, [cohort])
            ]
        return self.db.execute(
            "SELECT version_hash, option, n FROM option_counts WHERE n > 0"
        ).fetchall()

    def score_moments(
        self, cohort: int | None = None
    ) -> dict[str, tuple[int, float, float, float, float]]:
        """(n, sum of d, of d², of d³, shift) of the finished attempts' scores as fractions,
        d being a score less the shift (the scores' mean): of the whole test under '' and
        of each area under its id; ``stats.describe_sums`` takes them as they are.

        Two passes, the mean first and then the deviations from it, rather than sums of
        the scores' powers, which lose the spread to rounding when it is small next to the
        scores (Chan, Golub & LeVeque 1983; docs/statistics.md). Unlike the per-question
        sums these are read afresh each time, so they need no running totals. ``cohort``:
        of that cohort's finished assessments only."""
        cohort_only, params = (
            (" AND attempts.cohort_id = ?", [cohort, cohort]) if cohort is not None else ("", [])
        )
        rows = self.db.execute(
            "WITH scores (scope, f) AS ("
            " SELECT '', marks / max_marks FROM attempts"
            " WHERE finished_at IS NOT NULL AND mode = 'assessment' AND verdict IS NOT NULL"
            f" AND max_marks > 0{cohort_only}"
            " UNION ALL"
            " SELECT area, score FROM attempt_scores"
            " JOIN attempts ON attempts.id = attempt_scores.attempt_id"
            f" WHERE attempts.mode = 'assessment' AND attempts.verdict IS NOT NULL{cohort_only}),"
            " centre (scope, shift) AS (SELECT scope, avg(f) FROM scores GROUP BY scope),"
            " deviations (scope, d) AS ("
            " SELECT scope, f - shift FROM scores JOIN centre USING (scope))"
            " SELECT scope, count(*), sum(d), sum(d * d), sum(d * d * d), shift"
            " FROM deviations JOIN centre USING (scope) GROUP BY scope",
            params,
        )
        return {scope: tuple(moments) for scope, *moments in rows}

    def largest_form(self, cohort: int | None = None) -> tuple[str, int] | None:
        """The form (layout of questions) most finished attempts (of cohort ``cohort``, when
        given) share, and how many share it."""
        if cohort is not None:
            rows = aggregates.sums(self.db, "form_area_sums", self._IN_COHORT, [cohort])
            counts = sorted((-r["n"], r["form"]) for r in rows if r["area"] == "")
            return (counts[0][1], -counts[0][0]) if counts else None
        row = self.db.execute(
            "SELECT form, n FROM form_area_sums WHERE area = '' AND n > 0 ORDER BY n DESC LIMIT 1"
        ).fetchone()
        return (row[0], row[1]) if row else None

    def form_sums(
        self, form: str, cohort: int | None = None
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """For one form: (area, n, sum of totals, sum of squares, max total) per area and
        '' for the whole test; and (area, n, sum of marks, sum of squares) per question.
        ``cohort``: over that cohort's finished assessments of the form only."""
        if cohort is not None:
            where, params = f"{self._IN_COHORT} AND a.form = ?", [cohort, form]
            totals = [
                (r["area"], r["n"], r["sum_t"], r["sum_t2"], r["max_total"])
                for r in aggregates.sums(self.db, "form_area_sums", where, params)
            ]
            items = [
                (r["area"], r["n"], r["sum_x"], r["sum_x2"])
                for r in aggregates.sums(self.db, "form_item_sums", where, params)
            ]
            return totals, items
        totals = self.db.execute(
            "SELECT area, n, sum_t, sum_t2, max_total FROM form_area_sums WHERE form = ?", [form]
        ).fetchall()
        items = self.db.execute(
            "SELECT area, n, sum_x, sum_x2 FROM form_item_sums WHERE form = ? AND n > 0", [form]
        ).fetchall()
        return totals, items

    def versions(self, hashes: list[str]) -> dict[str, dict[str, Any]]:
        """Question version bodies by hash."""
        out = {}
        for chunk in range(0, len(hashes), 500):
            part = hashes[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            for row in self.db.execute(
                f"SELECT hash, body FROM question_versions WHERE hash IN ({marks})", part
            ):
                out[row[0]] = json.loads(row[1])
        return out

    # --- calibration -------------------------------------------------------------------

    def version_marks(self) -> Iterator[tuple[int, str, str, float]]:
        """(attempt id, version hash, area, mark 0..1) of every scored question of every
        finished assessment, an unanswered one as 0, ordered by attempt."""
        yield from self.db.execute(
            "SELECT a.id, i.version_hash, v.area, coalesce(r.score, 0) "
            "FROM attempts AS a "
            "JOIN attempt_items AS i ON i.attempt_id = a.id "
            "JOIN question_versions AS v ON v.hash = i.version_hash "
            "LEFT JOIN responses AS r ON r.attempt_id = i.attempt_id AND r.position = i.position "
            "WHERE a.finished_at IS NOT NULL AND a.mode = 'assessment' AND a.verdict IS NOT NULL "
            f"AND {aggregates.WEIGHT} > 0 ORDER BY a.id"
        )

    def replace_item_parameters(self, rows: Iterable[dict[str, Any]]) -> int:
        """Replace every calibrated parameter with ``rows`` (dicts with version_hash, a,
        b, c, se_a, se_b, rmsd, n); returns how many were kept."""
        stamp = now()
        with self.transaction():
            self.db.execute("DELETE FROM item_parameters")
            cursor = self.db.conn.executemany(
                "INSERT INTO item_parameters (version_hash, a, b, c, se_a, se_b, rmsd, n, "
                "calibrated_at) VALUES (:version_hash, :a, :b, :c, :se_a, :se_b, :rmsd, :n, "
                ":calibrated_at)",
                [{**row, "calibrated_at": stamp} for row in rows],
            )
        return cursor.rowcount

    def item_parameters(self) -> dict[str, dict[str, Any]]:
        """Calibrated parameters by version hash."""
        return {row["version_hash"]: row for row in self.db.query("SELECT * FROM item_parameters")}

    # --- backups ---------------------------------------------------------------------

    def backup(self, target: str | Path) -> None:
        """Copy the live database to ``target``, consistent even while the app writes.

        Raises StoreError if the copy fails its integrity check.
        """
        online_backup(self.db.conn, target)

    def count_answers(self) -> int:
        return self.db.execute("SELECT count(*) FROM responses").fetchone()[0]
