"""The SQLite store: schema, migrations and every query of the app.

One file, WAL mode, foreign keys on, a busy timeout. Connections run in
autocommit mode: each statement is its own short transaction, and work that
spans statements runs inside :meth:`Store.transaction`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

BUSY_TIMEOUT_MS = 5000


def _add_forms(db: sqlite_utils.Database) -> None:
    """5: each attempt records its form, so that statistics can group the attempts
    whose totals are comparable."""
    db.execute("ALTER TABLE attempts ADD COLUMN form TEXT")
    _set_forms(db)
    db.execute("CREATE INDEX attempts_form ON attempts(form, finished_at)")


def _set_forms(db: sqlite_utils.Database) -> None:
    layouts: dict[int, list[tuple[str, float]]] = {}
    for attempt_id, area, weight in db.execute(
        "SELECT i.attempt_id, v.area, json_extract(v.body, '$.weight') FROM attempt_items AS i "
        "JOIN question_versions AS v ON v.hash = i.version_hash"
    ):
        layouts.setdefault(attempt_id, []).append((area, weight))
    db.conn.executemany(
        "UPDATE attempts SET form = ? WHERE id = ?",
        [(form_hash(layout), attempt_id) for attempt_id, layout in layouts.items()],
    )


def _forms_by_layout(db: sqlite_utils.Database) -> None:
    """8: forms by layout rather than by question list, now that attempts draw from
    pools; then the statistics built again from every finished attempt."""
    _set_forms(db)
    Store.backfill_statistics(db)


def form_hash(layout: Iterable[tuple[str, float]]) -> str:
    """An attempt's form: how many scored questions of which weight it had in each area.

    Attempts drawn from the same pools have different questions but the same
    form, so their totals are comparable (what Cronbach's alpha needs).
    """
    key = sorted(f"{area}:{weight:g}" for area, weight in layout if weight and weight > 0)
    return hashlib.sha256(" ".join(key).encode()).hexdigest()[:32]


def _layout(items: Iterable[dict[str, Any]]) -> list[tuple[str, float]]:
    return [(i["area"], i["body"]["weight"]) for i in items]


# Each migration takes the schema from its index to the next version: a SQL
# script, or a function for what SQL alone cannot do.
MIGRATIONS: list[str | Callable[[sqlite_utils.Database], None]] = [
    # 1: the first schema.
    """
    CREATE TABLE question_versions (
        hash TEXT PRIMARY KEY,
        question_id TEXT NOT NULL,
        type TEXT NOT NULL,
        area TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX question_versions_question_id ON question_versions(question_id);
    CREATE TABLE schemes (
        hash TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        token TEXT NOT NULL UNIQUE,
        taker TEXT NOT NULL,
        scheme_hash TEXT NOT NULL REFERENCES schemes(hash),
        display_name TEXT,
        profile TEXT,
        position INTEGER NOT NULL DEFAULT 1,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT,
        overall REAL,
        verdict TEXT,
        scores TEXT
    );
    CREATE INDEX attempts_taker ON attempts(taker);
    CREATE TABLE attempt_items (
        attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        version_hash TEXT NOT NULL REFERENCES question_versions(hash),
        option_order TEXT,
        PRIMARY KEY (attempt_id, position)
    ) WITHOUT ROWID;
    CREATE TABLE responses (
        attempt_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        version_hash TEXT NOT NULL REFERENCES question_versions(hash),
        answer TEXT NOT NULL,
        score REAL NOT NULL,
        answered_at TEXT NOT NULL,
        PRIMARY KEY (attempt_id, position),
        FOREIGN KEY (attempt_id, position)
            REFERENCES attempt_items(attempt_id, position) ON DELETE CASCADE
    ) WITHOUT ROWID;
    """,
    # 2: area scores move from a JSON column into a table that SQL can
    # aggregate (distributions, percentiles, statistics per area).
    """
    CREATE TABLE attempt_scores (
        attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
        area TEXT NOT NULL,
        score REAL NOT NULL,
        PRIMARY KEY (attempt_id, area)
    ) WITHOUT ROWID;
    INSERT INTO attempt_scores (attempt_id, area, score)
        SELECT attempts.id, scores.key, scores.value
        FROM attempts, json_each(attempts.scores) AS scores
        WHERE attempts.scores IS NOT NULL;
    ALTER TABLE attempts DROP COLUMN scores;
    CREATE INDEX attempts_finished_at ON attempts(finished_at);
    """,
    # 3: takers get a row of their own: the private recovery link that brings
    # their history to another device, and the last visit that retention counts from.
    """
    CREATE TABLE takers (
        key TEXT PRIMARY KEY,
        recovery TEXT UNIQUE,
        created_at TEXT NOT NULL,
        seen_at TEXT NOT NULL
    );
    INSERT INTO takers (key, created_at, seen_at)
        SELECT taker, min(started_at), max(updated_at) FROM attempts GROUP BY taker;
    CREATE INDEX takers_seen_at ON takers(seen_at);
    """,
    # 4: instructors, their failed logins (for rate limiting across workers),
    # and every saved revision of the question bank.
    """
    CREATE TABLE instructors (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE login_failures (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL,
        address TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX login_failures_username ON login_failures(username, at);
    CREATE INDEX login_failures_address ON login_failures(address, at);
    CREATE TABLE revisions (
        id INTEGER PRIMARY KEY,
        sha TEXT NOT NULL,
        author TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE INDEX revisions_sha ON revisions(sha);
    """,
    _add_forms,
    # 6: statistics kept up to date as attempts finish (and are deleted), so the
    # item analysis reads a few hundred rows instead of every mark.
    """
    ALTER TABLE attempts ADD COLUMN marks REAL;
    ALTER TABLE attempts ADD COLUMN max_marks REAL;
    CREATE TABLE item_sums (
        version_hash TEXT PRIMARY KEY, area TEXT NOT NULL, max_mark REAL NOT NULL,
        n INTEGER NOT NULL, sum_x REAL NOT NULL, sum_x2 REAL NOT NULL,
        sum_t REAL NOT NULL, sum_t2 REAL NOT NULL, sum_xt REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE form_item_sums (
        form TEXT NOT NULL, version_hash TEXT NOT NULL, area TEXT NOT NULL,
        n INTEGER NOT NULL, sum_x REAL NOT NULL, sum_x2 REAL NOT NULL,
        PRIMARY KEY (form, version_hash)
    ) WITHOUT ROWID;
    CREATE TABLE form_area_sums (
        form TEXT NOT NULL, area TEXT NOT NULL,
        n INTEGER NOT NULL, sum_t REAL NOT NULL, sum_t2 REAL NOT NULL, max_total REAL NOT NULL,
        PRIMARY KEY (form, area)
    ) WITHOUT ROWID;
    CREATE TABLE option_counts (
        version_hash TEXT NOT NULL, option INTEGER NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (version_hash, option)
    ) WITHOUT ROWID;
    CREATE INDEX attempts_started_at ON attempts(started_at);
    CREATE INDEX attempts_overall ON attempts(overall);
    CREATE INDEX attempts_verdict ON attempts(verdict, started_at);
    """,
    # 7: practice attempts (never in the statistics or percentiles), and each taker's
    # first finished assessment, the population percentiles are taken from. How many
    # first attempts scored what, by 0.1% bins, is kept by triggers, so ranking a score
    # reads at most 1,001 rows per scope however many attempts there are.
    """
    ALTER TABLE attempts ADD COLUMN mode TEXT NOT NULL DEFAULT 'assessment';
    ALTER TABLE attempts ADD COLUMN first INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE first_score_bins (
        scope TEXT NOT NULL,  -- '' for the overall score, else an area
        bin INTEGER NOT NULL,  -- the score in tenths of a percent
        n INTEGER NOT NULL,
        PRIMARY KEY (scope, bin)
    ) WITHOUT ROWID;
    CREATE TRIGGER first_bins_on_flag AFTER UPDATE OF first ON attempts
    WHEN NEW.first != OLD.first BEGIN
        INSERT INTO first_score_bins (scope, bin, n)
        SELECT '', CAST(round(NEW.overall * 1000) AS INTEGER), NEW.first - OLD.first
        WHERE NEW.overall IS NOT NULL
        UNION ALL
        SELECT area, CAST(round(score * 1000) AS INTEGER), NEW.first - OLD.first
        FROM attempt_scores WHERE attempt_id = NEW.id
        ON CONFLICT (scope, bin) DO UPDATE SET n = n + excluded.n;
    END;
    CREATE TRIGGER first_bins_on_insert AFTER INSERT ON attempts
    WHEN NEW.first = 1 AND NEW.overall IS NOT NULL BEGIN
        INSERT INTO first_score_bins (scope, bin, n)
        VALUES ('', CAST(round(NEW.overall * 1000) AS INTEGER), 1)
        ON CONFLICT (scope, bin) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER first_bins_on_area_score AFTER INSERT ON attempt_scores
    WHEN (SELECT first FROM attempts WHERE id = NEW.attempt_id) = 1 BEGIN
        INSERT INTO first_score_bins (scope, bin, n)
        VALUES (NEW.area, CAST(round(NEW.score * 1000) AS INTEGER), 1)
        ON CONFLICT (scope, bin) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER first_bins_on_delete BEFORE DELETE ON attempts
    WHEN OLD.first = 1 BEGIN
        INSERT INTO first_score_bins (scope, bin, n)
        SELECT '', CAST(round(OLD.overall * 1000) AS INTEGER), -1 WHERE OLD.overall IS NOT NULL
        UNION ALL
        SELECT area, CAST(round(score * 1000) AS INTEGER), -1
        FROM attempt_scores WHERE attempt_id = OLD.id
        ON CONFLICT (scope, bin) DO UPDATE SET n = n + excluded.n;
    END;
    UPDATE attempts SET first = 1 WHERE id IN (
        SELECT (SELECT id FROM attempts AS b WHERE b.taker = t.taker AND b.finished_at IS NOT NULL
                ORDER BY b.finished_at, b.id LIMIT 1)
        FROM (SELECT DISTINCT taker FROM attempts) AS t);
    """,
    _forms_by_layout,
]
SCHEMA_VERSION = len(MIGRATIONS)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class StoreError(Exception):
    """The database cannot be used (newer schema, unreadable file)."""


class Store:
    def __init__(self, path: str | Path):
        self.path = str(path)
        conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        conn.execute("PRAGMA foreign_keys = ON")
        # Deleted answers are overwritten on disk, not merely unlinked.
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db = sqlite_utils.Database(conn)

    def close(self) -> None:
        self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT: takes the write lock up front, so it never deadlocks."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            # SQLite may have rolled back already (a full disk, say): keep the first error.
            if self.db.conn.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- schema ------------------------------------------------------------

    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self, target: int = SCHEMA_VERSION) -> int:
        """Bring the schema up to ``target``; safe to run from several processes at once."""
        self.db.execute("PRAGMA journal_mode = WAL")
        with self.transaction():
            version = self.schema_version()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this app "
                    f"({SCHEMA_VERSION}); upgrade the app"
                )
            for number in range(version, target):
                migration = MIGRATIONS[number]
                if callable(migration):
                    migration(self.db)
                else:
                    for statement in _statements(migration):
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")
        return self.schema_version()

    # --- question versions and schemes -------------------------------------

    def _keep_versions(self, versions: list[dict[str, Any]]) -> None:
        for v in versions:
            self.db.execute(
                "INSERT OR IGNORE INTO question_versions "
                "(hash, question_id, type, area, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [v["hash"], v["question_id"], v["type"], v["area"], _dumps(v["body"]), now()],
            )

    # --- attempts ----------------------------------------------------------

    def create_attempt(
        self,
        token: str,
        taker: str,
        scheme: tuple[str, dict[str, Any]],
        items: list[dict[str, Any]],
        mode: str = "assessment",
    ) -> int:
        """A new attempt with its question list, keeping the versions it uses.

        ``items`` are dicts with hash, question_id, type, area, body and order.
        """
        scheme_hash, scheme_body = scheme
        stamp = now()
        with self.transaction():
            self.db.execute(
                "INSERT OR IGNORE INTO schemes (hash, body, created_at) VALUES (?, ?, ?)",
                [scheme_hash, _dumps(scheme_body), stamp],
            )
            self._keep_versions(items)
            cursor = self.db.execute(
                "INSERT INTO attempts (token, taker, scheme_hash, started_at, updated_at, form, "
                "mode) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    token,
                    taker,
                    scheme_hash,
                    stamp,
                    stamp,
                    form_hash(_layout(items)),
                    mode,
                ],
            )
            attempt_id = cursor.lastrowid
            self.db.execute(
                "INSERT INTO takers (key, created_at, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET seen_at = excluded.seen_at",
                [taker, stamp, stamp],
            )
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
        return attempt_id

    def add_finished_attempts(
        self,
        scheme: tuple[str, dict[str, Any]],
        attempts: Iterable[dict[str, Any]],
        batch: int = 500,
    ) -> int:
        """Load many finished attempts at once (demonstrations, measurements at scale),
        then rebuild the statistics. Returns how many were added."""
        scheme_hash, scheme_body = scheme
        count, kept = 0, set()
        pending: list[dict[str, Any]] = []

        def flush() -> None:
            with self.transaction():
                self.db.execute(
                    "INSERT OR IGNORE INTO schemes (hash, body, created_at) VALUES (?, ?, ?)",
                    [scheme_hash, _dumps(scheme_body), now()],
                )
                for attempt in pending:
                    new = [i for i in attempt["items"] if i["hash"] not in kept]
                    self._keep_versions(new)
                    kept.update(i["hash"] for i in new)
                    versions = [i["hash"] for i in attempt["items"]]
                    attempt_id = self.db.execute(
                        "INSERT INTO attempts (token, taker, scheme_hash, display_name, profile, "
                        "position, started_at, updated_at, finished_at, overall, verdict, form, "
                        "first) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                        [
                            attempt["token"],
                            attempt["taker"],
                            scheme_hash,
                            _dumps(attempt["profile"]),
                            len(versions),
                            attempt["started_at"],
                            attempt["finished_at"],
                            attempt["finished_at"],
                            attempt["overall"],
                            attempt["verdict"],
                            form_hash(_layout(attempt["items"])),
                        ],
                    ).lastrowid
                    self.db.conn.executemany(
                        "INSERT INTO attempt_items VALUES (?, ?, ?, ?)",
                        [
                            (
                                attempt_id,
                                n,
                                item["hash"],
                                _dumps(item["order"]) if item["order"] is not None else None,
                            )
                            for n, item in enumerate(attempt["items"], start=1)
                        ],
                    )
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
                    self.db.conn.executemany(
                        "INSERT INTO attempt_scores VALUES (?, ?, ?)",
                        [(attempt_id, area, value) for area, value in attempt["areas"].items()],
                    )
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
            Store.backfill_statistics(self.db)
        return count

    def attempt(self, token: str) -> dict[str, Any] | None:
        """An attempt by its token, with its scheme and its number of questions."""
        rows = list(
            self.db.query(
                "SELECT attempts.*, schemes.body AS scheme_body, "
                "(SELECT count(*) FROM attempt_items WHERE attempt_id = attempts.id) AS total, "
                "(SELECT count(*) FROM responses WHERE attempt_id = attempts.id) AS answered "
                "FROM attempts JOIN schemes ON schemes.hash = attempts.scheme_hash "
                "WHERE token = ?",
                [token],
            )
        )
        if not rows:
            return None
        row = rows[0]
        row["scheme_body"] = json.loads(row["scheme_body"])
        row["profile"] = json.loads(row["profile"]) if row["profile"] else {}
        return row

    def items(self, attempt_id: int, position: int | None = None) -> list[dict[str, Any]]:
        """The attempt's questions in order (or just one), each with its response if any."""
        where = "WHERE i.attempt_id = ?" + (" AND i.position = ?" if position is not None else "")
        params = [attempt_id] if position is None else [attempt_id, position]
        rows = []
        for row in self.db.query(
            "SELECT i.position, i.version_hash, i.option_order, v.body, "
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
                self.db.execute(
                    "UPDATE attempts SET position = ? WHERE id = ?", [move_to, attempt_id]
                )
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
                    self.db.execute(
                        "UPDATE attempts SET position = ? WHERE id = ?", [move_to, attempt_id]
                    )
        return bool(is_open)

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
        self, attempt_id: int, overall: float, verdict: str, areas: dict[str, float]
    ) -> bool:
        """Close the attempt with its scores; False (and no change) if it was already closed."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE attempts SET finished_at = ?, updated_at = ?, overall = ?, verdict = ? "
                "WHERE id = ? AND finished_at IS NULL",
                [now(), now(), overall, verdict, attempt_id],
            )
            if not cursor.rowcount:
                return False
            self.db.conn.executemany(
                "INSERT INTO attempt_scores (attempt_id, area, score) VALUES (?, ?, ?)",
                [(attempt_id, area, value) for area, value in areas.items()],
            )
            self.db.execute(
                "UPDATE attempts SET first = 1 WHERE id = ? AND mode = 'assessment' "
                "AND NOT EXISTS (SELECT 1 FROM attempts AS other "
                "WHERE other.taker = attempts.taker AND other.first = 1)",
                [attempt_id],
            )
            _set_marks(self.db, "a.id = ?", [attempt_id])
            _aggregate(self.db, "a.id = ?", [attempt_id], +1)
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

    @staticmethod
    def backfill_statistics(db: sqlite_utils.Database) -> None:
        """Build the statistics of every finished attempt (migration 6, or after a bulk load)."""
        _set_marks(db, "1 = 1", [])
        for table in ("item_sums", "form_item_sums", "form_area_sums", "option_counts"):
            db.execute(f"DELETE FROM {table}")
        _aggregate(db, "1 = 1", [], +1)

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
                "SELECT token, position, started_at, updated_at, "
                "(SELECT count(*) FROM attempt_items WHERE attempt_id = attempts.id) AS total, "
                "(SELECT count(*) FROM responses WHERE attempt_id = attempts.id) AS answered "
                "FROM attempts WHERE taker = ? AND finished_at IS NULL ORDER BY id DESC",
                [taker],
            )
        )

    # --- a taker's history ---------------------------------------------------

    def taker_attempts(self, taker: str) -> list[dict[str, Any]]:
        """All of a taker's attempts, oldest first, with their area scores and profile."""
        rows = list(
            self.db.query(
                "SELECT id, token, display_name, profile, position, started_at, updated_at, "
                "finished_at, overall, verdict, scheme_hash, mode, "
                "(SELECT count(*) FROM attempt_items WHERE attempt_id = attempts.id) AS total, "
                "(SELECT count(*) FROM responses WHERE attempt_id = attempts.id) AS answered, "
                "(SELECT json_group_object(area, score) FROM attempt_scores "
                " WHERE attempt_id = attempts.id) AS areas "
                "FROM attempts WHERE taker = ? ORDER BY id",
                [taker],
            )
        )
        for row in rows:
            row["profile"] = json.loads(row["profile"]) if row["profile"] else {}
            row["areas"] = json.loads(row["areas"]) if row["areas"] else {}
        return rows

    def scheme_body(self, scheme_hash: str) -> dict[str, Any]:
        row = self.db.execute("SELECT body FROM schemes WHERE hash = ?", [scheme_hash]).fetchone()
        return json.loads(row[0])

    def touch_taker(self, taker: str) -> None:
        """Record a visit: retention counts from the last one."""
        stamp = now()
        self.db.execute(
            "INSERT INTO takers (key, created_at, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET seen_at = excluded.seen_at",
            [taker, stamp, stamp],
        )

    def recovery_token(self, taker: str, new: str) -> str:
        """The taker's recovery token, set to ``new`` if they have none yet."""
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
            self.db.execute("DELETE FROM takers WHERE key = ?", [source])
            _elect_first(self.db, target)

    def delete_attempt(self, attempt_id: int) -> None:
        """Delete an attempt with its questions, answers and scores (and its statistics)."""
        with self.transaction():
            _aggregate(self.db, "a.id = ?", [attempt_id], -1)
            row = self.db.execute(
                "DELETE FROM attempts WHERE id = ? RETURNING taker", [attempt_id]
            ).fetchone()
            if row:
                _elect_first(self.db, row[0])

    def delete_taker(self, taker: str) -> int:
        """Delete everything kept about a taker; returns the number of attempts deleted."""
        with self.transaction():
            _aggregate(self.db, "a.taker = ?", [taker], -1)
            deleted = self.db.execute("DELETE FROM attempts WHERE taker = ?", [taker]).rowcount
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
                _aggregate(self.db, stale, [before], -1)
                self.db.execute(
                    f"DELETE FROM attempts WHERE id IN "
                    f"(SELECT a.id FROM attempts AS a WHERE {stale})",
                    [before],
                )
                self.db.execute("DELETE FROM takers WHERE seen_at < ?", [before])
        return count

    # --- instructors -----------------------------------------------------------

    def set_instructor(self, username: str, password_hash: str) -> bool:
        """Create an instructor or change their password; True if the account is new."""
        stamp = now()
        with self.transaction():
            exists = self.db.execute(
                "SELECT 1 FROM instructors WHERE username = ?", [username]
            ).fetchone()
            self.db.execute(
                "INSERT INTO instructors (username, password_hash, created_at, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET "
                "password_hash = excluded.password_hash, updated_at = excluded.updated_at",
                [username, password_hash, stamp, stamp],
            )
        return exists is None

    def password_hash(self, username: str) -> str | None:
        row = self.db.execute(
            "SELECT password_hash FROM instructors WHERE username = ?", [username]
        ).fetchone()
        return row[0] if row else None

    def record_login_failure(self, username: str, address: str, at: float) -> None:
        self.db.execute(
            "INSERT INTO login_failures (username, address, at) VALUES (?, ?, ?)",
            [username, address, at],
        )
        self.db.execute("DELETE FROM login_failures WHERE at < ?", [at - 3600])

    def login_failures_since(self, username: str, address: str, since: float) -> tuple[int, int]:
        """Failed logins since a time: (for this username, from this address)."""
        by_name = self.db.execute(
            "SELECT count(*) FROM login_failures WHERE username = ? AND at >= ?", [username, since]
        ).fetchone()[0]
        by_address = self.db.execute(
            "SELECT count(*) FROM login_failures WHERE address = ? AND at >= ?", [address, since]
        ).fetchone()[0]
        return by_name, by_address

    def clear_login_failures(self, username: str) -> None:
        self.db.execute("DELETE FROM login_failures WHERE username = ?", [username])

    # --- revisions of the bank -----------------------------------------------------

    def add_revision(self, sha: str, author: str, message: str, text: str) -> int:
        return self.db.execute(
            "INSERT INTO revisions (sha, author, message, created_at, text) VALUES (?, ?, ?, ?, ?)",
            [sha, author, message, now(), text],
        ).lastrowid

    def latest_revision(self) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM revisions ORDER BY id DESC LIMIT 1"))
        return rows[0] if rows else None

    def revision(self, revision_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM revisions WHERE id = ?", [revision_id]))
        return rows[0] if rows else None

    def revision_by_sha(self, sha: str) -> dict[str, Any] | None:
        rows = list(
            self.db.query("SELECT * FROM revisions WHERE sha = ? ORDER BY id DESC LIMIT 1", [sha])
        )
        return rows[0] if rows else None

    def revisions(self) -> list[dict[str, Any]]:
        """Every revision, newest first, without the file texts."""
        return list(
            self.db.query(
                "SELECT id, sha, author, message, created_at, length(text) AS size "
                "FROM revisions ORDER BY id DESC"
            )
        )

    def previous_revision(self, revision_id: int) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "SELECT * FROM revisions WHERE id < ? ORDER BY id DESC LIMIT 1", [revision_id]
            )
        )
        return rows[0] if rows else None

    # --- results for instructors -------------------------------------------------------

    @staticmethod
    def _attempt_filter(filters: dict[str, Any]) -> tuple[str, list[Any]]:
        """WHERE clause of the results filters: status, verdict, a date range (started)."""
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
        rows = list(
            self.db.query(
                "SELECT id, display_name, started_at, finished_at, overall, verdict, mode, "
                "(SELECT count(*) FROM attempt_items WHERE attempt_id = attempts.id) AS total, "
                "(SELECT count(*) FROM responses WHERE attempt_id = attempts.id) AS answered, "
                "(SELECT json_group_object(area, score) FROM attempt_scores "
                " WHERE attempt_id = attempts.id) AS areas "
                f"FROM attempts WHERE id IN (SELECT id FROM attempts {where} "
                f"ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {order}",
                [*params, limit, offset],
            )
        )
        for row in rows:
            row["areas"] = json.loads(row["areas"]) if row["areas"] else {}
        return total, rows

    def score_bins(self, filters: dict[str, Any], bins: int) -> list[tuple[int, int]]:
        """(bin, count) of the overall scores of the matching finished attempts."""
        where, params = self._attempt_filter({**filters, "status": "finished"})
        return [
            tuple(r)
            for r in self.db.execute(
                f"SELECT min(CAST(overall * {bins} AS INTEGER), {bins - 1}) AS bin, count(*) "
                f"FROM attempts {where} GROUP BY bin",
                params,
            )
        ]

    def iter_attempt_rows(self, filters: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
        """Every matching attempt with its area scores, one at a time (for streaming)."""
        where, params = self._attempt_filter(filters)
        yield from self.db.execute(
            "SELECT id, display_name, started_at, finished_at, verdict, overall, "
            "(SELECT json_group_object(area, score) FROM attempt_scores "
            " WHERE attempt_id = attempts.id), "
            "(SELECT count(*) FROM responses WHERE attempt_id = attempts.id), "
            "(SELECT count(*) FROM attempt_items WHERE attempt_id = attempts.id), mode "
            f"FROM attempts {where} ORDER BY id",
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

    # --- item analysis ------------------------------------------------------------------

    def item_sums(self) -> list[dict[str, Any]]:
        """Per question version: the sums that stats.item_stats needs (kept on finish)."""
        return list(self.db.query("SELECT * FROM item_sums WHERE n > 0"))

    def option_counts(self) -> list[tuple[str, int, int]]:
        """(version, option index in the bank, times chosen) over finished attempts."""
        return [
            tuple(r)
            for r in self.db.execute(
                "SELECT version_hash, option, n FROM option_counts WHERE n > 0"
            )
        ]

    def score_moments(self) -> dict[str, tuple[int, float, float, float]]:
        """(n, sum, sum of squares, sum of cubes) of the finished attempts' scores as
        fractions: of the whole test under '' and of each area under its id."""
        out = {}
        row = self.db.execute(
            "SELECT count(*), sum(f), sum(f * f), sum(f * f * f) FROM "
            "(SELECT marks / max_marks AS f FROM attempts "
            " WHERE finished_at IS NOT NULL AND mode = 'assessment' AND max_marks > 0)"
        ).fetchone()
        if row[0]:
            out[""] = tuple(row)
        for area, *moments in self.db.execute(
            "SELECT area, count(*), sum(score), sum(score * score), sum(score * score * score) "
            "FROM attempt_scores JOIN attempts ON attempts.id = attempt_scores.attempt_id "
            "WHERE attempts.mode = 'assessment' GROUP BY area"
        ):
            out[area] = tuple(moments)
        return out

    def largest_form(self) -> tuple[str, int] | None:
        """The form (layout of questions) most finished attempts share, and how many share it."""
        row = self.db.execute(
            "SELECT form, n FROM form_area_sums WHERE area = '' AND n > 0 ORDER BY n DESC LIMIT 1"
        ).fetchone()
        return (row[0], row[1]) if row else None

    def form_sums(self, form: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """For one form: (area, n, sum of totals, sum of squares, max total) per area and
        '' for the whole test; and (area, n, sum of marks, sum of squares) per question."""
        totals = [
            tuple(r)
            for r in self.db.execute(
                "SELECT area, n, sum_t, sum_t2, max_total FROM form_area_sums WHERE form = ?",
                [form],
            )
        ]
        items = [
            tuple(r)
            for r in self.db.execute(
                "SELECT area, n, sum_x, sum_x2 FROM form_item_sums WHERE form = ? AND n > 0", [form]
            )
        ]
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

    # --- backups ---------------------------------------------------------------------

    def backup(self, target: str | Path) -> None:
        """Copy the live database with SQLite's online backup: consistent even while
        the app writes. The copy is made beside the target, then renamed into place."""
        target = Path(target)
        partial = target.with_name(f".{target.name}.partial")
        partial.unlink(missing_ok=True)
        copy = sqlite3.connect(partial)
        try:
            self.db.conn.backup(copy)  # one step: a consistent snapshot; WAL lets writers go on
            copy.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
        finally:
            copy.close()
        check = integrity(partial)
        if check != "ok":
            partial.unlink()
            raise StoreError(f"the backup failed its integrity check: {check}")
        os.replace(partial, target)

    def count_answers(self) -> int:
        return self.db.execute("SELECT count(*) FROM responses").fetchone()[0]


def _statements(script: str) -> list[str]:
    """A migration script split into statements (executescript would commit midway)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


_MARKS_OF = """
    WITH marks AS (
        SELECT a.id AS attempt_id, a.form, i.version_hash AS item, v.area,
               json_extract(v.body, '$.weight') AS w,
               coalesce(r.score, 0) * json_extract(v.body, '$.weight') AS x
        FROM attempts AS a
        JOIN attempt_items AS i ON i.attempt_id = a.id
        JOIN question_versions AS v ON v.hash = i.version_hash
        LEFT JOIN responses AS r ON r.attempt_id = i.attempt_id AND r.position = i.position
        WHERE a.finished_at IS NOT NULL AND a.mode = 'assessment'
            AND json_extract(v.body, '$.weight') > 0 AND ({where})
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
    WHERE a.finished_at IS NOT NULL AND a.mode = 'assessment' AND v.type = '{kind}'
        AND ({where})
"""


def _elect_first(db: sqlite_utils.Database, taker: str) -> None:
    """Mark the taker's earliest finished assessment as their first, the one
    percentiles count (after their history merged, or an attempt deleted)."""
    db.execute(
        "UPDATE attempts SET first = (id IS (SELECT id FROM attempts WHERE taker = ? "
        "AND mode = 'assessment' AND finished_at IS NOT NULL ORDER BY finished_at, id LIMIT 1)) "
        "WHERE taker = ?",
        [taker, taker],
    )


def _aggregate(db: sqlite_utils.Database, where: str, params: list[Any], sign: int) -> None:
    """Add (sign +1) or take away (-1) the marks of the finished attempts that match
    ``where`` (on attempts AS a) to or from the statistics tables."""
    marks = _MARKS_OF.format(where=where)
    db.execute(
        marks
        + f"""
        INSERT INTO item_sums
            (version_hash, area, max_mark, n, sum_x, sum_x2, sum_t, sum_t2, sum_xt)
        SELECT item, area, max(w), {sign} * count(*), {sign} * sum(x), {sign} * sum(x * x),
               {sign} * sum(t), {sign} * sum(t * t), {sign} * sum(x * t)
        FROM marks JOIN totals USING (attempt_id) WHERE true GROUP BY item, area
        ON CONFLICT (version_hash) DO UPDATE SET
            n = n + excluded.n, sum_x = sum_x + excluded.sum_x,
            sum_x2 = sum_x2 + excluded.sum_x2, sum_t = sum_t + excluded.sum_t,
            sum_t2 = sum_t2 + excluded.sum_t2, sum_xt = sum_xt + excluded.sum_xt
    """,
        params,
    )
    db.execute(
        marks
        + f"""
        INSERT INTO form_item_sums (form, version_hash, area, n, sum_x, sum_x2)
        SELECT form, item, area, {sign} * count(*), {sign} * sum(x), {sign} * sum(x * x)
        FROM marks WHERE form IS NOT NULL GROUP BY form, item, area
        ON CONFLICT (form, version_hash) DO UPDATE SET
            n = n + excluded.n, sum_x = sum_x + excluded.sum_x, sum_x2 = sum_x2 + excluded.sum_x2
    """,
        params,
    )
    db.execute(
        marks
        + f"""
        INSERT INTO form_area_sums (form, area, n, sum_t, sum_t2, max_total)
        SELECT form, area, {sign} * count(*), {sign} * sum(t), {sign} * sum(t * t), max(most)
        FROM area_totals WHERE form IS NOT NULL GROUP BY form, area
        ON CONFLICT (form, area) DO UPDATE SET
            n = n + excluded.n, sum_t = sum_t + excluded.sum_t, sum_t2 = sum_t2 + excluded.sum_t2,
            max_total = max(max_total, excluded.max_total)
    """,
        params,
    )
    single = _ANSWERS_OF.format(
        option="CAST(r.answer AS INTEGER)", join="", kind="single", where=where
    )
    several = _ANSWERS_OF.format(
        option="j.value", join=", json_each(r.answer) AS j", kind="multiple", where=where
    )
    db.execute(
        f"""
        INSERT INTO option_counts (version_hash, option, n)
        SELECT item, option, {sign} * count(*)
        FROM ({single} UNION ALL {several}) WHERE true GROUP BY item, option
        ON CONFLICT (version_hash, option) DO UPDATE SET n = n + excluded.n
    """,
        params * 2,
    )
    if sign < 0:
        for table in ("item_sums", "form_item_sums", "form_area_sums", "option_counts"):
            db.execute(f"DELETE FROM {table} WHERE n <= 0")


def _set_marks(db: sqlite_utils.Database, where: str, params: list[Any]) -> None:
    """Each finished attempt's total mark and maximum, over its scored questions."""
    db.execute(
        f"""
        UPDATE attempts SET (marks, max_marks) = (
            SELECT coalesce(sum(coalesce(r.score, 0) * json_extract(v.body, '$.weight')), 0),
                   coalesce(sum(json_extract(v.body, '$.weight')), 0)
            FROM attempt_items AS i
            JOIN question_versions AS v ON v.hash = i.version_hash
            LEFT JOIN responses AS r ON r.attempt_id = i.attempt_id AND r.position = i.position
            WHERE i.attempt_id = attempts.id AND json_extract(v.body, '$.weight') > 0)
        WHERE id IN (SELECT a.id FROM attempts AS a WHERE a.finished_at IS NOT NULL AND ({where}))
        """,
        params,
    )


def integrity(path: str | Path) -> str:
    """SQLite's integrity check of a database file: 'ok' or the first problems found."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
    finally:
        conn.close()
    return "ok" if rows == ["ok"] else "; ".join(rows)


def restore(backup: str | Path, target: str | Path) -> int:
    """Put a backup in place of the database at ``target`` (the app must be stopped).

    The backup is checked first; the old database is kept beside it as
    ``<name>.before-restore``. Returns the schema version of the restored file.
    """
    backup, target = Path(backup), Path(target)
    check = integrity(backup)
    if check != "ok":
        raise StoreError(f"{backup} is not a sound database: {check}")
    conn = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    if version > SCHEMA_VERSION:
        raise StoreError(f"{backup} has schema version {version}, newer than this app")
    staged = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(backup, staged)
    if target.exists():
        os.replace(target, target.with_name(f"{target.name}.before-restore"))
    for suffix in ("-wal", "-shm"):  # journals of the old file must not be applied to the new
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(staged, target)
    return version
