"""The SQLite store: schema, migrations and every query of the app.

One file, WAL mode, foreign keys on, a busy timeout. Connections run in
autocommit mode: each statement is its own short transaction, and work that
spans statements runs inside :meth:`Store.transaction`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

BUSY_TIMEOUT_MS = 5000

# Each migration takes the schema from its index to the next version.
MIGRATIONS: list[str] = [
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
                for statement in _statements(MIGRATIONS[number]):
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
                "INSERT INTO attempts (token, taker, scheme_hash, started_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [token, taker, scheme_hash, stamp, stamp],
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
        self, attempt_id: int, position: int, version_hash: str, answer: Any, score: float
    ) -> bool:
        """Record (or replace) an answer; False if the attempt is already finished."""
        stamp = now()
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

    def clear_answer(self, attempt_id: int, position: int) -> bool:
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
        return True

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
                "finished_at, overall, verdict, scheme_hash, "
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

    def delete_attempt(self, attempt_id: int) -> None:
        """Delete an attempt with its questions, answers and scores."""
        self.db.execute("DELETE FROM attempts WHERE id = ?", [attempt_id])

    def delete_taker(self, taker: str) -> int:
        """Delete everything kept about a taker; returns the number of attempts deleted."""
        with self.transaction():
            deleted = self.db.execute("DELETE FROM attempts WHERE taker = ?", [taker]).rowcount
            self.db.execute("DELETE FROM takers WHERE key = ?", [taker])
        return deleted

    def purge(self, before: str) -> int:
        """Delete the data of takers not seen since ``before`` (an ISO time); returns how many."""
        with self.transaction():
            stale = [
                row[0]
                for row in self.db.execute("SELECT key FROM takers WHERE seen_at < ?", [before])
            ]
            for key in stale:
                self.db.execute("DELETE FROM attempts WHERE taker = ?", [key])
            self.db.execute("DELETE FROM takers WHERE seen_at < ?", [before])
        return len(stale)

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
