"""The schema: every migration from an empty file to :data:`SCHEMA_VERSION`.

``PRAGMA user_version`` holds the version a database is at; :meth:`Store.migrate`
runs the missing migrations, each through :func:`run_migration`, in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils

from .aggregates import WEIGHT, backfill_statistics, form_hash


def _add_forms(db: sqlite_utils.Database) -> None:
    """5: each attempt records its form, so that statistics can group the attempts
    whose totals are comparable."""
    db.execute("ALTER TABLE attempts ADD COLUMN form TEXT")
    _set_forms(db)
    db.execute("CREATE INDEX attempts_form ON attempts(form, finished_at)")


def _set_forms(db: sqlite_utils.Database) -> None:
    layouts: dict[int, list[tuple[str, float]]] = {}
    for attempt_id, area, weight in db.execute(
        f"SELECT i.attempt_id, v.area, {WEIGHT} FROM attempt_items AS i "
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
    backfill_statistics(db)


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
    # 9: item response theory parameters calibrated from finished attempts, per question
    # version; versions without a row keep their provisional parameters.
    """
    CREATE TABLE item_parameters (
        version_hash TEXT PRIMARY KEY REFERENCES question_versions(hash),
        a REAL NOT NULL, b REAL NOT NULL, c REAL NOT NULL,
        se_a REAL, se_b REAL, rmsd REAL NOT NULL, n INTEGER NOT NULL,
        calibrated_at TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 10: each finished attempt keeps its measurement (scores with their intervals, the
    # verdict's probability) as JSON; an attempt with too few answers has no verdict and
    # stays out of percentiles and statistics. Adaptive attempts choose as they go.
    """
    ALTER TABLE attempts ADD COLUMN measurement TEXT;
    ALTER TABLE attempts ADD COLUMN adaptive INTEGER NOT NULL DEFAULT 0;
    """,
    # 11: instructor sessions that end. A password change bumps the account's session
    # version, which ends every session; logging out ends one session until the time it
    # would have expired anyway. Rate limits shared by all workers count recent events.
    """
    ALTER TABLE instructors ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE ended_sessions (
        id TEXT PRIMARY KEY,
        until REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE rate_events (
        id INTEGER PRIMARY KEY,
        bucket TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX rate_events_bucket ON rate_events(bucket, at);
    CREATE INDEX rate_events_at ON rate_events(at);
    DROP INDEX login_failures_username;
    CREATE INDEX login_failures_pair ON login_failures(username, address, at);
    CREATE INDEX login_failures_at ON login_failures(at);
    CREATE INDEX attempts_unfinished ON attempts(updated_at) WHERE finished_at IS NULL;
    """,
    # 12: a taker may flag a question of an attempt in progress for review, as in
    # Moodle; the question navigator and the review-and-finish screen show the flags.
    """
    ALTER TABLE attempt_items ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
    """,
    # 13: cohorts. An instructor gives the assessment to a group through an invitation
    # link; attempts started through it (with the taker's consent) belong to the cohort
    # until the taker leaves it or the cohort is deleted (the attempts stay the taker's).
    # A visit is a browser that opened the link. An administrator sees every cohort.
    """
    CREATE TABLE cohorts (
        id INTEGER PRIMARY KEY,
        token TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        owner TEXT NOT NULL,
        mode TEXT NOT NULL DEFAULT 'assessment',
        adaptive INTEGER NOT NULL DEFAULT 0,
        closes_at TEXT,
        closed_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX cohorts_owner ON cohorts(owner);
    CREATE TABLE cohort_visits (
        cohort_id INTEGER NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
        taker TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (cohort_id, taker)
    ) WITHOUT ROWID;
    CREATE INDEX cohort_visits_taker ON cohort_visits(taker);
    ALTER TABLE attempts ADD COLUMN cohort_id INTEGER REFERENCES cohorts(id) ON DELETE SET NULL;
    ALTER TABLE attempts ADD COLUMN cohort_consent_at TEXT;
    CREATE INDEX attempts_cohort ON attempts(cohort_id, finished_at) WHERE cohort_id IS NOT NULL;
    ALTER TABLE instructors ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
    """,
    # 14: each version's weight in a column, read from its JSON once when it is kept, so
    # that a cohort's statistics, computed when asked, do not read it from the JSON of
    # every mark (a 1,000-attempt cohort's item analysis: 56,000 reads a pass).
    f"""
    ALTER TABLE question_versions ADD COLUMN weight REAL;
    UPDATE question_versions SET weight = {WEIGHT.replace("v.body", "body")};
    CREATE TRIGGER question_versions_weight AFTER INSERT ON question_versions BEGIN
        UPDATE question_versions SET weight = {WEIGHT.replace("v.body", "NEW.body")}
        WHERE hash = NEW.hash;
    END;
    """,
    # 15: a deleted cohort leaves its id behind (its row, emptied, with deleted_at), so
    # that SQLite never gives the id to a new cohort, as it would the largest one deleted.
    """
    ALTER TABLE cohorts ADD COLUMN deleted_at TEXT;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


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


def run_migration(db: sqlite_utils.Database, number: int) -> None:
    """Take the schema from version ``number`` to the next, in the caller's transaction."""
    migration = MIGRATIONS[number]
    if callable(migration):
        migration(db)
    else:
        for statement in _statements(migration):
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {number + 1}")
