"""The SQLite store on real files: pragmas, migrations, attempts and answers."""

from __future__ import annotations

import json
import sqlite3

import pytest

from quiz import bundled
from quiz.bank import load, version_hash
from quiz.draw import draw
from quiz.report import scores_at
from quiz.store import SCHEMA_VERSION, Store, StoreError

BANK = load(bundled("questions.yaml"))


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "quiz.db")
    s.migrate()
    yield s
    s.close()


def new_attempt(store, token="t" * 32, taker="me", items=None):
    body = BANK.scheme.body()
    items = items or draw(BANK, token)
    return store.create_attempt(token, taker, (version_hash(body), body), items), items


def test_connection_settings(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert store.schema_version() == SCHEMA_VERSION


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
