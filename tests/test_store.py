"""The SQLite store on real files: pragmas, migrations, attempts and answers."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from quiz import bundled, stats
from quiz.analysis import item_analysis
from quiz.bank import load, version_hash
from quiz.draw import draw
from quiz.report import scores_at
from quiz.store import SCHEMA_VERSION, StorageUnavailable, Store, StoreError, core, storage_kind

BANK = load(bundled("questions.yaml"))


def new_attempt(store, token="t" * 32, taker="me", items=None):
    body = BANK.scheme.body()
    items = items or draw(BANK, token)
    return store.create_attempt(token, taker, (version_hash(body), body), items), items


def test_connection_settings(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert store.schema_version() == SCHEMA_VERSION
    # FULL (2): each commit is on disk before it returns, as docs/reliability.md says.
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2


def _mode(path) -> int:
    return os.stat(path).st_mode & 0o777


def test_the_database_its_journals_and_backups_are_readable_by_their_owner_only(tmp_path):
    old = os.umask(0o022)  # the usual umask, which would give 0644
    try:
        store = Store(tmp_path / "quiz.db")
        store.migrate()
        new_attempt(store)  # a write, so that the -wal and -shm files exist
        assert (tmp_path / "quiz.db-wal").exists() and (tmp_path / "quiz.db-shm").exists()
        for name in ("quiz.db", "quiz.db-wal", "quiz.db-shm"):
            assert _mode(tmp_path / name) == 0o600, name
        store.backup(tmp_path / "backup.db")
        store.close()
        assert _mode(tmp_path / "backup.db") == 0o600
        restored = tmp_path / "restored" / "quiz.db"
        restored.parent.mkdir()
        from quiz.store import restore

        restore(tmp_path / "backup.db", restored)
        assert _mode(restored) == 0o600
        # The command line's backup goes through the same store.
        env = {**os.environ, "QUIZ_DATABASE": str(tmp_path / "quiz.db")}
        env["QUIZ_QUESTIONS"] = str(bundled("questions.yaml"))
        env["QUIZ_INSTANCE_PATH"] = str(tmp_path)
        env.pop("QUIZ_SECRET_KEY", None)
        done = subprocess.run(
            [sys.executable, "-m", "quiz.cli", "backup", str(tmp_path / "cli-backup.db")],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        assert _mode(tmp_path / "cli-backup.db") == 0o600
    finally:
        os.umask(old)


def test_an_existing_database_keeps_its_mode(tmp_path):
    path = tmp_path / "quiz.db"
    Store(path).close()
    os.chmod(path, 0o640)  # an operator's choice (a backup group, say) is left alone
    Store(path).close()
    assert _mode(path) == 0o640


def test_migrate_is_idempotent(store):
    assert store.migrate() == SCHEMA_VERSION
    assert store.migrate() == SCHEMA_VERSION


def test_upgrade_from_the_first_schema_keeps_every_row(tmp_path):
    path = tmp_path / "old.db"
    old = Store(path)
    old.migrate(target=1)
    assert old.schema_version() == 1
    old.db.execute("INSERT INTO schemes VALUES ('s', '{}', '2026-01-01T00:00:00+00:00')")
    old.db.execute(
        "INSERT INTO question_versions VALUES ('v', 'q1', 'single', 'technical', "
        "'{}', '2026-01-01T00:00:00+00:00')"
    )
    for n, finished in enumerate([True, False], start=1):
        old.db.execute(
            "INSERT INTO attempts (id, token, taker, scheme_hash, started_at, updated_at, "
            "finished_at, overall, verdict, scores) VALUES (?, ?, 'me', 's', 'x', 'x', ?, ?, ?, ?)",
            [
                n,
                f"tok{n}",
                "y" if finished else None,
                0.5 if finished else None,
                "developing" if finished else None,
                json.dumps({"technical": 0.25, "client": 0.75}) if finished else None,
            ],
        )
        old.db.execute("INSERT INTO attempt_items VALUES (?, 1, 'v', '[0,1,2]')", [n])
        old.db.execute("INSERT INTO responses VALUES (?, 1, 'v', '0', 1.0, 'x')", [n])
    old.close()

    upgraded = Store(path)
    assert upgraded.migrate() == SCHEMA_VERSION
    counts = {
        t: upgraded.db[t].count
        for t in ("attempts", "attempt_items", "responses", "question_versions", "schemes")
    }
    assert counts == {
        "attempts": 2,
        "attempt_items": 2,
        "responses": 2,
        "question_versions": 1,
        "schemes": 1,
    }
    assert upgraded.area_scores(1) == {"technical": 0.25, "client": 0.75}
    assert upgraded.area_scores(2) == {}
    assert "scores" not in upgraded.db["attempts"].columns_dict
    assert upgraded.attempt("tok1")["overall"] == 0.5
    # 3: every taker of the old rows gets a row, seen when they last acted.
    assert [dict(r) for r in upgraded.db.query("SELECT key, recovery, seen_at FROM takers")] == [
        {"key": "me", "recovery": None, "seen_at": "x"}
    ]
    upgraded.close()


def test_a_newer_database_is_refused(tmp_path):
    s = Store(tmp_path / "new.db")
    s.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this app"):
        s.migrate()


def test_attempt_keeps_its_question_versions(store):
    attempt_id, items = new_attempt(store)
    stored = store.items(attempt_id)
    assert [row["version_hash"] for row in stored] == [i["hash"] for i in items]
    assert [row["body"] for row in stored] == [i["body"] for i in items]
    # A second attempt on the same bank reuses the versions rather than copying them.
    new_attempt(store, token="u" * 32, items=items)
    assert store.db["question_versions"].count == len(items)


def test_answers_are_upserted_and_refused_after_finish(store):
    attempt_id, items = new_attempt(store)
    h = items[0]["hash"]
    assert store.save_answer(attempt_id, 1, h, 2, 0.0)
    assert store.save_answer(attempt_id, 1, h, 0, 1.0)  # a second submit replaces the first
    assert store.count_answers() == 1
    assert store.items(attempt_id, 1)[0]["answer"] == 0
    assert store.clear_answer(attempt_id, 1)
    assert store.count_answers() == 0
    assert store.save_answer(attempt_id, 1, h, 0, 1.0)
    assert store.finish(attempt_id, 0.5, "developing", {"technical": 0.5})
    assert not store.finish(attempt_id, 0.9, "strong-fit", {"technical": 0.9})
    assert store.attempt("t" * 32)["verdict"] == "developing"
    assert not store.save_answer(attempt_id, 1, h, 2, 0.0)
    assert not store.clear_answer(attempt_id, 1)
    assert store.items(attempt_id, 1)[0]["answer"] == 0


def test_foreign_keys_refuse_an_answer_to_a_question_not_in_the_attempt(store):
    attempt_id, items = new_attempt(store)
    with pytest.raises(sqlite3.IntegrityError):
        store.save_answer(attempt_id, 999, items[0]["hash"], 0, 1.0)


def test_position_and_profile(store):
    attempt_id, _ = new_attempt(store)
    store.set_position(attempt_id, 5)
    store.save_profile(attempt_id, "Ann", {"self_rating": {"technical": 4}})
    row = store.attempt("t" * 32)
    assert row["position"] == 5 and row["display_name"] == "Ann"
    assert row["profile"] == {"self_rating": {"technical": 4}}
    assert row["total"] == BANK.questions_per_attempt == 56 and row["answered"] == 0


def test_open_attempts_of_a_taker(store):
    new_attempt(store, token="a" * 32, taker="me")
    new_attempt(store, token="b" * 32, taker="someone else")
    assert [a["token"] for a in store.open_attempts("me")] == ["a" * 32]


def test_recovery_tokens_merge_and_deletion(store):
    new_attempt(store, token="a" * 32, taker="phone")
    new_attempt(store, token="b" * 32, taker="laptop")
    token = store.recovery_token("phone", "first")
    assert store.recovery_token("phone", "second") == "first"  # kept until replaced
    store.replace_recovery_token("phone", "third")
    assert store.taker_by_recovery("first") is None and store.taker_by_recovery("third") == "phone"
    assert token == "first"
    store.merge_takers("laptop", "phone")
    assert [a["token"] for a in store.taker_attempts("phone")] == ["a" * 32, "b" * 32]
    assert store.taker_attempts("laptop") == []
    assert store.delete_taker("phone") == 2
    assert store.db["attempts"].count == 0 and store.db["responses"].count == 0
    assert store.db["attempt_items"].count == 0 and store.db["takers"].count == 0


def test_purge_deletes_takers_not_seen_since_the_cutoff(store):
    new_attempt(store, token="a" * 32, taker="old")
    new_attempt(store, token="b" * 32, taker="recent")
    store.db.execute("UPDATE takers SET seen_at = '2020-01-01T00:00:00+00:00' WHERE key = 'old'")
    assert store.purge("2024-01-01T00:00:00+00:00") == 1
    assert [a["token"] for a in store.taker_attempts("recent")] == ["b" * 32]
    assert store.taker_attempts("old") == []


def finished(store, token, taker, overall, mode="assessment", areas=None):
    body = BANK.scheme.body()
    attempt_id = store.create_attempt(
        token * 32, taker, (version_hash(body), body), draw(BANK, token), mode
    )
    store.finish(attempt_id, overall, "fit", areas or {"technical": overall})
    return attempt_id


def test_percentiles_count_first_assessments_only_worked_by_hand(store):
    # Five takers' first attempts score 20, 40, 40, 60 and 80%. Taker a's retake (90%)
    # and a practice attempt (100%) are not in the population.
    for token, taker, score in [("a", "a", 0.2), ("b", "b", 0.4), ("c", "c", 0.4)]:
        finished(store, token, taker, score)
    finished(store, "p", "d", 1.0, mode="practice")
    finished(store, "d", "d", 0.6)
    finished(store, "e", "e", 0.8)
    retake = finished(store, "r", "a", 0.9)
    assert store.percentile_counts(0.4) == (1, 2, 5)  # (1 + 2/2) / 5: the 40th percentile
    assert store.percentile_counts(0.6) == (3, 1, 5)  # (3 + 1/2) / 5: the 70th
    assert store.percentile_counts(0.9) == (5, 0, 5)  # the retake beats every first attempt
    assert store.percentile_counts(0.4, "technical") == (1, 2, 5)
    assert store.percentile_counts(0.4, "business") == (0, 0, 0)
    assert store.first_score_bins() == [(0.2, 1), (0.4, 2), (0.6, 1), (0.8, 1)]
    assert scores_at(store.first_score_bins(), [0.0, 0.5, 0.99]) == (5, [0.2, 0.4, 0.8])
    # Deleting a taker's first attempt makes their next assessment the first.
    store.delete_attempt(store.attempt("a" * 32)["id"])
    assert store.percentile_counts(0.9) == (4, 1, 5)
    assert store.attempt("r" * 32)["id"] == retake
    # Joining two histories keeps one first attempt: the earlier finished one.
    store.merge_takers("e", "b")
    assert store.percentile_counts(0.5) == (2, 0, 4)  # 40, 40, 60 and 90: e's 80 left out


# --- storage that cannot take a write --------------------------------------------------


@pytest.mark.parametrize("kind", ["readonly", "full", "locked"])
def test_a_storage_failure_says_its_kind_in_words(kind):
    error = StorageUnavailable(kind)
    assert isinstance(error, StoreError) and error.kind == kind
    # Callers that still read the text of an sqlite3 error find the same kind in it.
    assert storage_kind(sqlite3.OperationalError(str(error))) == kind


@pytest.mark.parametrize(
    "error, kind",
    [
        (sqlite3.OperationalError("attempt to write a readonly database"), "readonly"),
        (sqlite3.OperationalError("database or disk is full"), "full"),
        (sqlite3.OperationalError("database is locked"), "locked"),
        (sqlite3.OperationalError("database table is locked"), "locked"),
        (sqlite3.OperationalError("no such table: answers"), None),
        (sqlite3.IntegrityError("NOT NULL constraint failed: takers.full_name"), None),
    ],
)
def test_storage_kind_of_sqlite_errors(error, kind):
    assert storage_kind(error) == kind


WRITES = {
    "migrate": lambda store, attempt_id: store.migrate(),
    "transaction": lambda store, attempt_id: store.transaction().__enter__(),
    "create_attempt": lambda store, attempt_id: new_attempt(store, token="n" * 32),
    "save_profile": lambda store, attempt_id: store.save_profile(attempt_id, "Ann", {}),
    "touch_taker": lambda store, attempt_id: store.touch_taker("me"),
    "purge": lambda store, attempt_id: store.purge("2999-01-01T00:00:00+00:00"),
    "set_instructor": lambda store, attempt_id: store.set_instructor("ann", "hash"),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_read_only_database_raises_storage_unavailable(store, write):
    attempt_id, _ = new_attempt(store)
    store.db.execute("PRAGMA query_only = ON")  # SQLite refuses every write, as on a read-only file
    with pytest.raises(StorageUnavailable) as caught:
        write(store, attempt_id)
    assert caught.value.kind == "readonly"
    assert "read-only" in str(caught.value)
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert store.attempt("t" * 32)["id"] == attempt_id  # reading goes on


def test_migrating_a_new_read_only_database_raises_storage_unavailable(tmp_path):
    s = Store(tmp_path / "new.db")
    s.db.execute("PRAGMA query_only = ON")
    with pytest.raises(StorageUnavailable) as caught:
        s.migrate()
    assert caught.value.kind == "readonly" and s.schema_version() == 0
    s.close()


def read_only_folder_run(folder, code):
    """Run Python ``code`` with ``folder`` read-only; returns what it printed.

    Root ignores file modes, so as root the folder is bind-mounted read-only in a
    mount namespace of the child's own; otherwise the folder's mode is 0o555.
    """
    command = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        script = f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}"'
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c"]
        command += [script + ' && exec "$@"', "sh", sys.executable, "-c", code]
    else:
        folder.chmod(0o555)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    finally:
        folder.chmod(0o755)
    return done.stdout


def test_opening_a_new_database_in_a_read_only_folder_raises_storage_unavailable(tmp_path):
    code = (
        "from quiz.store import StorageUnavailable, Store\n"
        "try:\n"
        f"    Store({str(tmp_path / 'quiz.db')!r})\n"
        "except StorageUnavailable as exc:\n"
        "    print(exc.kind)\n"
    )
    assert read_only_folder_run(tmp_path, code) == "readonly\n"


@pytest.fixture
def cannot_write(monkeypatch):
    """Storage this process cannot write, as os.access reports a read-only mount (the
    folder itself stays writable: tests/test_read_only.py mounts one for real)."""
    real = os.access
    monkeypatch.setattr(
        core.os, "access", lambda path, mode, **kw: mode != os.W_OK and real(path, mode, **kw)
    )
    monkeypatch.setattr(core, "_unsaved_logins", [])
    monkeypatch.setattr(core, "_unsaved_ended", set())


def _stopped_cleanly(path, **attempt):
    """A migrated database with one attempt, its last connection closed (no journals)."""
    s = Store(path)
    s.migrate()
    new_attempt(s, **attempt)
    s.close()
    assert not os.path.exists(f"{path}-wal") and not os.path.exists(f"{path}-shm")


WRITES_ON_READ_ONLY = {**WRITES}
del WRITES_ON_READ_ONLY["migrate"]  # a read-only store checks the schema instead


@pytest.mark.parametrize("write", WRITES_ON_READ_ONLY.values(), ids=WRITES_ON_READ_ONLY.keys())
def test_a_database_on_storage_it_cannot_write_opens_read_only_and_immutable(
    tmp_path, cannot_write, write
):
    _stopped_cleanly(tmp_path / "quiz.db")
    s = Store(tmp_path / "quiz.db")
    try:
        assert s.read_only and s.immutable
        assert s.migrate() == SCHEMA_VERSION  # checked, not migrated
        attempt_id = s.attempt("t" * 32)["id"]
        with pytest.raises(StorageUnavailable) as caught:
            write(s, attempt_id)
        assert caught.value.kind == "readonly"
        assert s.attempt("t" * 32)["id"] == attempt_id  # reading goes on
    finally:
        s.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quiz.db"]  # nothing was made


def test_a_database_left_with_its_journals_opens_read_only_and_reads_the_wal(
    tmp_path, cannot_write
):
    _stopped_cleanly(tmp_path / "quiz.db")
    writer = sqlite3.connect(tmp_path / "quiz.db", isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE attempts SET display_name = 'only in the WAL'")
    s = Store(tmp_path / "quiz.db")  # a server that did not stop cleanly left -wal and -shm
    try:
        assert s.read_only and not s.immutable
        assert s.attempt("t" * 32)["display_name"] == "only in the WAL"
    finally:
        s.close()
        writer.close()


def test_a_read_only_database_with_an_older_schema_is_refused_with_a_sentence(
    tmp_path, cannot_write
):
    _stopped_cleanly(tmp_path / "quiz.db")
    with sqlite3.connect(tmp_path / "quiz.db") as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    conn.close()
    s = Store(tmp_path / "quiz.db")
    try:
        with pytest.raises(StoreError, match=r"older than this app needs .*writable storage"):
            s.migrate()
    finally:
        s.close()


def test_logins_and_logouts_on_read_only_storage_are_kept_in_memory(tmp_path, cannot_write):
    _stopped_cleanly(tmp_path / "quiz.db")
    s = Store(tmp_path / "quiz.db")
    try:
        now = time.time()
        assert s.count_login("ann", "10.0.0.1", now, now - 60) == (1, 1)
        assert s.count_login("bob", "10.0.0.1", now, now - 60) == (1, 2)
        assert s.count_login("ann", "10.0.0.2", now, now - 60) == (1, 1)
        s.clear_logins("ann", "10.0.0.1")  # a successful login: no write
        assert s.count_login("ann", "10.0.0.1", now, now - 60) == (1, 2)
        assert s.count_login("ann", "10.0.0.1", now + 61, now + 1) == (1, 1)
        s.end_session("a session id", now + 60)
        assert s.session_state("ann", "a session id") is None  # no account in this file
    finally:
        s.close()


def test_a_database_locked_by_another_writer_raises_storage_unavailable(store, tmp_path):
    attempt_id, items = new_attempt(store)
    other = sqlite3.connect(tmp_path / "quiz.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    store.db.execute("PRAGMA busy_timeout = 50")  # give up at once rather than in 5 s
    try:
        with pytest.raises(StorageUnavailable) as caught:
            store.save_answer(attempt_id, 1, items[0]["hash"], 0, 1.0)
        assert caught.value.kind == "locked"
        with pytest.raises(StorageUnavailable, match="locked"):
            store.set_position(attempt_id, 2)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.save_answer(attempt_id, 1, items[0]["hash"], 0, 1.0)


def test_a_full_database_raises_storage_unavailable_and_keeps_what_was_saved(store):
    attempt_id, items = new_attempt(store)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
    with pytest.raises(StorageUnavailable) as caught:
        new_attempt(store, token="f" * 32)
    assert caught.value.kind == "full"
    assert not store.db.conn.in_transaction  # the failed transaction was rolled back
    store.db.execute("PRAGMA max_page_count = 1073741823")
    assert store.attempt("f" * 32) is None and store.attempt("t" * 32)["id"] == attempt_id


@pytest.mark.parametrize("rows", ["iter_attempt_rows", "iter_response_rows"])
def test_errors_while_iterating_rows_are_translated(store, tmp_path, rows):
    attempt_id, items = new_attempt(store)
    store.save_answer(attempt_id, 1, items[0]["hash"], 0, 1.0)
    streamed = getattr(store, rows)({})  # nothing is read until it is iterated
    # With a rollback journal (not WAL), another connection's exclusive lock keeps readers out.
    store.db.execute("PRAGMA journal_mode = DELETE")
    store.db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(tmp_path / "quiz.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageUnavailable) as caught:
            next(streamed)
        assert caught.value.kind == "locked"
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert len(list(getattr(store, rows)({}))) == 1


def test_rollback_if_open_ends_what_a_failed_request_left_open(store):
    attempt_id, _ = new_attempt(store)
    store.db.execute("BEGIN IMMEDIATE")  # a request that failed before its COMMIT
    store.save_profile(attempt_id, "Ann", {})
    assert store.rollback_if_open()
    assert not store.db.conn.in_transaction
    assert store.attempt("t" * 32)["display_name"] is None
    assert store.rollback_if_open()  # nothing open: nothing to do
    store.close()
    assert not store.rollback_if_open()  # a broken connection: open a new one


# --- statistics at the edges, through the sums the store keeps --------------------------


def answer_for(item):
    """Some answer of the item's type (the mark saved with it is what the sums take)."""
    return {"single": 0, "multiple": [0], "numeric": "1"}.get(item["type"], 4)


def finish_marked(store, token, items, marks, areas):
    """A finished assessment whose scored items got ``marks`` (0..1 of each weight)."""
    attempt_id, _ = new_attempt(store, token=token * 32, taker=token, items=items)
    scored = [(p, i) for p, i in enumerate(items, start=1) if i["body"]["weight"] > 0]
    for (position, item), mark in zip(scored, marks, strict=True):
        store.save_answer(attempt_id, position, item["hash"], answer_for(item), mark)
    store.finish(attempt_id, 0.5, "fit", areas)


def test_thirty_identical_scores_through_the_store_have_no_spread(store):
    # Issue 14, point 8: 30 attempts, every scored question marked 2/3 of its weight,
    # area scores constant at 2/3, 0.1, 1/3 and 1e6 + 1/3: no SD, no skewness, no alpha,
    # and every item has SD 0 and no discrimination, with no flags made of rounding noise.
    items = draw(BANK, "s" * 32)
    scored = [i for i in items if i["body"]["weight"] > 0]
    areas = {"technical": 2 / 3, "business": 0.1, "analytical": 1 / 3, "client": 1e6 + 1 / 3}
    for k in range(30):
        finish_marked(store, f"c{k:02d}", items, [2 / 3] * len(scored), areas)
    moments = store.score_moments()
    assert sorted(moments) == ["", "analytical", "business", "client", "technical"]
    for scope, value in [("", 2 / 3), *areas.items()]:
        result = stats.summary(moments[scope])
        assert result.n == 30 and result.mean == pytest.approx(value, rel=1e-12)
        assert (result.sd, result.skewness) == (0.0, None), scope
    found = item_analysis(store, BANK)
    test = found["test"]
    assert (test.sd, test.skewness, test.alpha, test.sem) == (0.0, None, None, None)
    assert test.items == len(scored) and found["form_attempts"] == 30
    assert all((s.sd, s.skewness, s.alpha) == (0.0, None, None) for _, s in found["areas"])
    assert len(found["items"]) == len(scored)
    for item in found["items"]:
        assert item["stats"].facility == pytest.approx(2 / 3)
        assert item["stats"].sd == 0.0 and item["stats"].discrimination is None
        assert item["stats"].flags == (
            "little spread: SD 0.00 of the maximum mark, below 0.33",
            "does not discriminate: every attempt scored it the same",
        )


def test_a_large_offset_keeps_its_small_spread_through_the_store(store):
    # Area scores 1e6 + 0, 1/3, 2/3, ten times each: SD sqrt(20/9 / 29) = 0.276818,
    # skewness 0. Sums of the scores' powers, as SQL would add them up, lose it.
    items = draw(BANK, "s" * 32)
    scored = [i for i in items if i["body"]["weight"] > 0]
    for k in range(30):
        score = 1e6 + (k % 3) / 3
        finish_marked(store, f"o{k:02d}", items, [k % 2] * len(scored), {"technical": score})
    result = stats.summary(store.score_moments()["technical"])
    assert result.mean == pytest.approx(1e6 + 1 / 3, abs=1e-9)
    assert result.sd == pytest.approx(math.sqrt(20 / 9 / 29), rel=1e-9)
    assert result.skewness == pytest.approx(0.0, abs=1e-6)
    naive = store.db.execute(
        "SELECT count(*), sum(score), sum(score * score), sum(score * score * score) "
        "FROM attempt_scores WHERE area = 'technical'"
    ).fetchone()
    n, s1, s2 = naive[:3]
    assert math.sqrt(max(0.0, s2 - s1 * s1 / n) / (n - 1)) != pytest.approx(result.sd, rel=1e-4)


def worked_items(weight):
    """The worked example's q1..q3 (weight 1) and q4 of the given weight, one area."""
    singles = [i for i in draw(BANK, "w" * 32) if i["type"] == "single"][:4]
    out = []
    for item, w in zip(singles, [1.0, 1.0, 1.0, weight], strict=True):
        body = {**item["body"], "area": "technical", "weight": w}
        out.append({**item, "area": "technical", "body": body, "hash": version_hash(body)})
    return out


@pytest.mark.parametrize("weight", [1.0, 5000.0])
def test_a_constant_item_through_the_store(store, weight):
    # docs/statistics.md's worked example (A..D score q1..q3 as 111, 110, 100, 000) and
    # q4, which every attempt scored 2/3: q1..q3 keep DI 52.2, 70.7, 52.2; q4 has SD 0
    # and no DI; alpha = 4/3 * (1 - (0.25 + 1/3 + 0.25 + 0) / (5/3)) = 2/3 and
    # SEM = sqrt(5/3) * sqrt(1/3) = 0.745 marks, of the maximum total 3 + weight.
    items = worked_items(weight)
    for token, marks in zip("abcd", [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]], strict=True):
        finish_marked(store, token, items, [*marks, 2 / 3], {"technical": sum(marks) / 3})
    found = {i["version"]: i["stats"] for i in item_analysis(store, BANK)["items"]}
    first, second, third, constant = (found[i["hash"]] for i in items)
    assert first.discrimination == pytest.approx(52.22, abs=0.01)
    assert second.discrimination == pytest.approx(70.71, abs=0.01)
    assert third.discrimination == pytest.approx(52.22, abs=0.01)
    assert constant.facility == pytest.approx(2 / 3)
    assert constant.sd == 0.0 and constant.discrimination is None
    assert constant.flags == (
        "little spread: SD 0.00 of the maximum mark, below 0.33",
        "does not discriminate: every attempt scored it the same",
    )
    test = item_analysis(store, BANK)["test"]
    assert test.alpha == pytest.approx(2 / 3) and test.items == 4
    assert test.sem == pytest.approx(math.sqrt(5 / 3) * math.sqrt(1 / 3) / (3 + weight))
    # The scores (3, 2, 1, 0 + 2/3 weight) / (3 + weight) are symmetric: skewness 0.
    assert test.skewness == pytest.approx(0.0, abs=1e-9)


def test_each_version_keeps_its_weight_as_its_json_says(tmp_path):
    """Migration 14: the weight read once from the body, for versions kept before it and
    after (a trigger); a body that is not valid JSON (a NaN kept before the bank refused
    them) has none, as aggregates.WEIGHT reads it."""
    path = tmp_path / "old.db"
    old = Store(path)
    old.migrate(13)
    stamp = "2026-01-01T00:00:00+00:00"
    for hash_, body in (("h1", '{"weight": 2}'), ("h2", '{"weight": NaN}'), ("h3", "{}")):
        old.db.execute(
            "INSERT INTO question_versions (hash, question_id, type, area, body, created_at) "
            "VALUES (?, 'q', 'single', 'tech', ?, ?)",
            [hash_, body, stamp],
        )
    old.close()
    store = Store(path)
    try:
        store.migrate()
        store.db.execute(
            "INSERT INTO question_versions (hash, question_id, type, area, body, created_at) "
            "VALUES ('h4', 'q', 'single', 'tech', '{\"weight\": 0.5}', ?)",
            [stamp],
        )
        weights = dict(store.db.execute("SELECT hash, weight FROM question_versions"))
    finally:
        store.close()
    assert weights == {"h1": 2, "h2": None, "h3": None, "h4": 0.5}
