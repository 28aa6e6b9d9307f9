"""Cohorts in the store: an instructor's groups, their invitation visits and attempts,
ownership, leaving and deleting (issue 18; the pages come on top of these)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from quiz import cohorts
from quiz.bank import load
from quiz.draw import draw
from quiz.store import SCHEMA_VERSION, Store

from .helpers import SMALL_BANK

BANK = load(SMALL_BANK)


def start(store, token, taker="me", cohort_id=None):
    return store.create_attempt(
        token, taker, BANK.scheme_version, draw(BANK, token), cohort_id=cohort_id
    )


def test_a_cohort_counts_its_visits_and_its_attempts(store):
    cohort = store.create_cohort("coach", "Spring intake", "c" * 32, description="Week 1")
    for taker in ("ann", "bob", "ann"):  # a browser that comes back counts once
        store.record_cohort_visit(cohort, taker)
    first = start(store, "a" * 32, "ann", cohort)
    start(store, "b" * 32, "bob", cohort)
    start(store, "x" * 32, "bob")  # outside the cohort
    store.db.execute("UPDATE attempts SET finished_at = started_at WHERE id = ?", [first])
    row = store.cohort(cohort, "coach")
    assert (row["name"], row["description"], row["mode"], row["adaptive"]) == (
        "Spring intake",
        "Week 1",
        "assessment",
        0,
    )
    assert (row["visits"], row["started"], row["finished"]) == (2, 2, 1)
    assert store.cohort_by_token("c" * 32)["id"] == cohort
    assert store.cohort_by_token("z" * 32) is None
    consent = store.db.execute(
        "SELECT cohort_consent_at FROM attempts WHERE id = ?", [first]
    ).fetchone()[0]
    assert consent  # the taker agreed when they started
    assert store.taker_cohorts("bob") == {
        store.db.execute("SELECT id FROM attempts WHERE token = ?", ["b" * 32]).fetchone()[0]: {
            "id": cohort,
            "name": "Spring intake",
        }
    }


def test_an_instructor_sees_and_changes_only_their_own_cohorts(store):
    mine = store.create_cohort("coach", "Mine", "m" * 32)
    theirs = store.create_cohort("other", "Theirs", "t" * 32)
    assert [c["name"] for c in store.cohorts("coach")] == ["Mine"]
    assert [c["name"] for c in store.cohorts(None)] == ["Theirs", "Mine"]  # an administrator
    assert store.cohort(theirs, "coach") is None
    assert store.cohort(theirs, None)["name"] == "Theirs"
    assert not store.update_cohort(theirs, "coach", name="Taken")
    assert not store.delete_cohort(theirs, "coach")
    assert store.cohort(theirs, None)["name"] == "Theirs"
    assert store.update_cohort(mine, "coach", name="Renamed", closed_at="2026-12-01T00:00:00Z")
    assert store.cohort(mine, "coach")["closed_at"] == "2026-12-01T00:00:00Z"
    assert store.update_cohort(mine, "coach", closed_at=None)  # reopened
    assert store.cohort(mine, "coach")["closed_at"] is None
    with pytest.raises(ValueError):
        store.update_cohort(mine, "coach", token="x" * 32)  # the link stays the link


def test_deleting_a_cohort_unlinks_its_attempts_and_keeps_them(store):
    cohort = store.create_cohort("coach", "Gone", "g" * 32)
    store.record_cohort_visit(cohort, "ann")
    attempt = start(store, "a" * 32, "ann", cohort)
    assert store.delete_cohort(cohort, "coach")
    row = store.db.execute(
        "SELECT cohort_id, cohort_consent_at FROM attempts WHERE id = ?", [attempt]
    ).fetchone()
    assert row == (None, None)
    assert store.db.execute("SELECT count(*) FROM cohort_visits").fetchone()[0] == 0
    assert [a["id"] for a in store.taker_attempts("ann")] == [attempt]


def test_a_taker_leaves_a_cohort_and_their_attempts_stay_theirs(store):
    cohort = store.create_cohort("coach", "Class", "k" * 32)
    first, second = start(store, "a" * 32, "ann", cohort), start(store, "b" * 32, "ann", cohort)
    start(store, "c" * 32, "bob", cohort)
    assert store.leave_cohort("ann", cohort) == 2
    assert store.cohort(cohort, "coach")["started"] == 1
    assert store.taker_cohorts("ann") == {}
    assert {a["id"] for a in store.taker_attempts("ann")} == {first, second}


def test_deleting_or_purging_a_taker_removes_them_from_the_cohort(store):
    cohort = store.create_cohort("coach", "Class", "k" * 32)
    for taker, token in (("ann", "a" * 32), ("bob", "b" * 32)):
        store.record_cohort_visit(cohort, taker)
        start(store, token, taker, cohort)
    store.delete_taker("ann")
    row = store.cohort(cohort, "coach")
    assert (row["visits"], row["started"]) == (1, 1)
    store.purge("9999-01-01T00:00:00Z")  # everybody is stale
    row = store.cohort(cohort, "coach")
    assert (row["visits"], row["started"]) == (0, 0)


def test_merging_takers_moves_their_visits(store):
    cohort = store.create_cohort("coach", "Class", "k" * 32)
    store.record_cohort_visit(cohort, "phone")
    store.record_cohort_visit(cohort, "laptop")
    store.merge_takers("phone", "laptop")
    assert store.db.execute("SELECT taker FROM cohort_visits").fetchall() == [("laptop",)]


def test_administrators_are_a_flag_on_the_account(store):
    store.set_instructor("coach", "hash")
    assert not store.is_admin("coach")
    assert store.set_admin("coach", True) and store.is_admin("coach")
    assert store.set_admin("coach", False) and not store.is_admin("coach")
    assert not store.set_admin("nobody", True) and not store.is_admin("nobody")


def test_a_database_at_version_12_gets_cohorts(tmp_path):
    path = tmp_path / "old.db"
    old = Store(path)
    old.migrate(12)
    old.db.execute(
        "INSERT INTO instructors (username, password_hash, created_at, updated_at) "
        "VALUES ('coach', 'hash', 'then', 'then')"
    )
    old.close()
    store = Store(path)
    try:
        assert store.migrate() == SCHEMA_VERSION
        assert store.cohorts(None) == [] and not store.is_admin("coach")
        assert start(store, "a" * 32, "ann") and store.taker_cohorts("ann") == {}
    finally:
        store.close()


# --- the pure module ---------------------------------------------------------------


def test_a_cohort_row_becomes_a_cohort_that_knows_when_it_is_open(store):
    closes = cohorts.read_closing_date("2027-03-31", datetime(2027, 1, 1).date())
    assert cohorts.iso(closes) == "2027-03-31T23:59:59+00:00"
    cohort_id = store.create_cohort(
        "coach", "Class", cohorts.new_token(), closes_at=cohorts.iso(closes)
    )
    cohort = cohorts.cohort_from_row(store.cohort(cohort_id, "coach"))
    assert cohorts.TOKEN.fullmatch(cohort.token)
    assert cohort.is_open(datetime(2027, 3, 31, 23, 0, tzinfo=UTC))
    assert not cohort.is_open(datetime(2027, 4, 1, tzinfo=UTC))
    assert cohort.status(datetime(2027, 4, 1, tzinfo=UTC)) == "past its closing date"
    store.update_cohort(cohort_id, "coach", closed_at="2027-02-01T00:00:00+00:00")
    closed = cohorts.cohort_from_row(store.cohort(cohort_id, "coach"))
    assert (
        not closed.is_open(datetime(2027, 3, 1, tzinfo=UTC))
        and closed.status(datetime(2027, 3, 1, tzinfo=UTC)) == "closed"
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [("31/03/2027", "as a day"), ("2026-01-01", "already past"), ("2027-02-30", "as a day")],
)
def test_a_closing_date_that_cannot_be_used_says_why(typed, message):
    with pytest.raises(cohorts.CohortError, match=message):
        cohorts.read_closing_date(typed, date(2027, 1, 1))
    assert cohorts.read_closing_date("  ", date(2027, 1, 1)) is None


def test_names_and_descriptions_are_trimmed_and_bounded():
    assert cohorts.read_name("  Spring   intake ") == "Spring intake"
    with pytest.raises(cohorts.CohortError, match="name"):
        cohorts.read_name("   ")
    with pytest.raises(cohorts.CohortError, match="at most"):
        cohorts.read_name("x" * 121)
    with pytest.raises(cohorts.CohortError, match="at most"):
        cohorts.read_description("x" * 2001)


def test_visits_of_browsers_that_never_started_go_with_the_retention(store):
    cohort = store.create_cohort("coach", "Class", "k" * 32)
    store.record_cohort_visit(cohort, "a-link-preview")  # opened the link, never started
    store.purge("2000-01-01T00:00:00Z")  # nobody is that old yet
    assert store.cohort(cohort, "coach")["visits"] == 1
    store.purge("9999-01-01T00:00:00Z")
    assert store.cohort(cohort, "coach")["visits"] == 0


def test_removing_an_instructor_takes_their_cohorts_not_the_attempts(store):
    store.set_instructor("carol", "hash")
    cohort = store.create_cohort("carol", "Carol's class", "k" * 32)
    other = store.create_cohort("dave", "Dave's class", "d" * 32)
    attempt = start(store, "a" * 32, "ann", cohort)
    assert store.remove_instructor("carol") == 1
    assert store.cohort(cohort, None) is None and store.cohort(other, None) is not None
    assert store.db.execute(
        "SELECT cohort_id, cohort_consent_at FROM attempts WHERE id = ?", [attempt]
    ).fetchone() == (None, None)
    # A new account under the same name starts with nothing.
    store.set_instructor("carol", "hash")
    assert store.cohorts("carol") == []
    assert store.remove_instructor("nobody") is None


@pytest.mark.parametrize(
    "typed",
    ["\u202eemoc", "Spring\u2066 intake", "a\x00b", "tab\there", "\u200b\u200b", "\u200b \u00a0"],
)
def test_names_with_invisible_or_control_characters_are_refused(typed):
    with pytest.raises(cohorts.CohortError):
        cohorts.read_name(typed)


def test_names_keep_what_people_write():
    assert cohorts.read_name("Spring 🚀 intake") == "Spring 🚀 intake"
    assert cohorts.read_name("מחזור אביב") == "מחזור אביב"
    assert cohorts.read_name("👩\u200d💻 coders") == "👩\u200d💻 coders"  # a joiner in an emoji
    assert cohorts.read_description("Line one\r\nLine two") == "Line one\r\nLine two"
    with pytest.raises(cohorts.CohortError, match="U\\+202E"):
        cohorts.read_description("\u202e")


def test_a_deleted_cohorts_id_is_never_given_again(store):
    """SQLite would give the largest deleted id to the next row: an old link, bookmark or
    export named by it would then name another instructor's cohort."""
    first = store.create_cohort("ann", "Ann's", "a" * 32)
    newest = store.create_cohort("ann", "Ann's newest", "n" * 32)
    store.record_cohort_visit(newest, "someone")
    assert store.delete_cohort(newest, "ann")
    assert not store.delete_cohort(newest, "ann")  # once
    later = store.create_cohort("bob", "Bob's", "b" * 32)
    assert later > newest > first
    assert store.cohort(newest, None) is None and store.cohort_by_token("n" * 32) is None
    assert [c["id"] for c in store.cohorts(None)] == [later, first]
    assert not store.update_cohort(newest, None, name="Back?")
    left = store.db.execute(
        "SELECT name, description, token, deleted_at IS NOT NULL FROM cohorts WHERE id = ?",
        [newest],
    ).fetchone()
    assert left == ("", "", f"deleted-{newest}", 1)  # its id and nothing of what it said
    assert store.db.execute("SELECT count(*) FROM cohort_visits").fetchone() == (0,)
