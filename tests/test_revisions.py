"""Saving the bank as revisions: saved, conflict, invalid, outside edits, restore, the CLI."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from quiz import editor
from quiz.bank import BankSource
from quiz.cli import main
from quiz.revisions import (
    MISSING,
    OUTSIDE,
    BankRevisions,
    Conflict,
    FileProblem,
    Invalid,
    Saved,
    diff,
)
from quiz.store import Store

from .helpers import SMALL_BANK


@pytest.fixture
def small_bank(tmp_path):
    path = tmp_path / "questions.yaml"
    shutil.copy(SMALL_BANK, path)
    return path


def retitled(title: str):
    return lambda doc: editor.put_settings(doc, {**doc["settings"], "title": title})


def test_a_save_writes_the_file_records_its_author_and_refreshes_the_bank(store, small_bank):
    source = BankSource(small_bank, check_every=3600)
    source.current()
    revisions = BankRevisions(small_bank, store, source)
    _, base = revisions.current()
    outcome = revisions.edit(base, retitled("New title"), "ann", "Retitled")
    assert isinstance(outcome, Saved) and outcome.revision is not None
    assert "title: New title" in small_bank.read_text()
    latest = store.latest_revision()
    assert (latest["id"], latest["author"], latest["message"]) == (
        outcome.revision,
        "ann",
        "Retitled",
    )
    assert latest["sha"] == editor.sha(small_bank.read_text())
    assert source.current().settings.title == "New title"  # served at once, not in an hour
    again = revisions.edit(latest["sha"], retitled("New title"), "ann", "Same again")
    assert again == Saved(None) and store.latest_revision()["id"] == outcome.revision


def test_a_save_over_a_newer_file_is_a_conflict_with_the_diff(store, small_bank):
    revisions = BankRevisions(small_bank, store)
    _, base = revisions.current()
    small_bank.write_text(small_bank.read_text().replace("minutes: 20", "minutes: 25"))
    outcome = revisions.edit(base, retitled("Mine"), "bob", "Retitled")
    assert isinstance(outcome, Conflict)
    assert any(k == "del" and "minutes: 20" in t for k, t in outcome.diff) and any(
        k == "add" and "minutes: 25" in t for k, t in outcome.diff
    )
    assert "Mine" not in small_bank.read_text()
    assert store.latest_revision()["author"] == OUTSIDE  # the newer file joined the history


def test_an_invalid_change_is_refused_and_the_file_is_untouched(store, small_bank):
    revisions = BankRevisions(small_bank, store)
    before, base = revisions.current()
    outcome = revisions.save(
        base, lambda text: text.replace("minutes: 20", "minutes: 0"), "ann", ""
    )
    assert isinstance(outcome, Invalid)
    assert "'settings.minutes' must be 1 or more" in str(outcome.problems[0])
    assert small_bank.read_text() == before


def test_outside_edits_become_revisions_and_an_old_one_can_be_restored(store, small_bank):
    revisions = BankRevisions(small_bank, store)
    original, _ = revisions.current()
    first = store.latest_revision()
    assert (first["author"], first["message"]) == (OUTSIDE, "The file as the app first found it")
    small_bank.write_text(original.replace("minutes: 20", "minutes: 30"))
    _, base = revisions.current()
    assert store.latest_revision()["message"] == "Changed outside the app"
    restored = revisions.restore(first["id"], base, "ann")
    assert isinstance(restored, Saved) and small_bank.read_text() == original
    assert store.revision(restored.revision)["message"] == f"Restored revision {first['id']}"
    assert revisions.restore(999, base, "ann") is None
    again = revisions.restore(first["id"], editor.sha(original), "ann", "Back to the start")
    assert again == Saved(None)  # the file already is that revision: nothing to record
    changed = revisions.edit(editor.sha(original), retitled("Another"), "ann", "Retitled")
    named = revisions.restore(first["id"], editor.sha(small_bank.read_text()), "ann", "Undo")
    assert store.revision(named.revision)["message"] == "Undo" and changed.revision
    shown, lines = revisions.revision_diff(restored.revision)
    assert shown["author"] == "ann" and any(k == "add" and "minutes: 20" in t for k, t in lines)


def test_diff_marks_each_line():
    lines = diff("a\nb\n", "a\nc\n", "old", "new")
    assert lines[:2] == [("meta", "--- old"), ("meta", "+++ new")]
    assert ("same", " a") in lines and ("del", "-b") in lines and ("add", "+c") in lines


def test_a_command_line_import_is_a_revision_with_its_author(monkeypatch, bank_file, tmp_path):
    monkeypatch.setenv("QUIZ_QUESTIONS", str(bank_file))
    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("QUIZ_DATABASE", raising=False)
    gift = tmp_path.parent / "one.gift"
    gift.write_text("::bu-new-one::Which is a B2B sale?{=A shop buying stock ~A gift ~A resale}\n")
    result = CliRunner().invoke(
        main, ["import", str(gift), "--area", "business", "--author", "carol"]
    )
    assert result.exit_code == 0, result.output
    store = Store(tmp_path / "quiz.db")
    try:
        latest = store.latest_revision()
        assert latest["author"] == "carol"
        assert latest["message"] == "Imported 1 question from one.gift"
        assert latest["sha"] == editor.sha(bank_file.read_text())
        assert "Changed outside the app" not in [r["message"] for r in store.revisions()]
    finally:
        store.close()


def test_a_missing_file_is_no_revision_and_a_save_over_it_writes_the_file(store, small_bank):
    """Issue 15.6: a deleted bank file reads as ("", MISSING) and records nothing; a save
    over MISSING (a pasted bank, a restore) writes the file; a stale base is a conflict."""
    source = BankSource(small_bank, check_every=3600)
    source.current()
    revisions = BankRevisions(small_bank, store, source)
    original, base = revisions.current()
    small_bank.unlink()
    assert revisions.current() == ("", MISSING)
    assert len(store.revisions()) == 1
    assert revisions.problem() == FileProblem("missing", [])
    assert revisions.last_good()["sha"] == base
    assert isinstance(revisions.save(base, lambda old: original, "ann", "Edit"), Conflict)
    assert not small_bank.exists()
    outcome = revisions.restore(1, MISSING, "ann")
    assert isinstance(outcome, Saved) and outcome.revision == 2
    assert small_bank.read_text() == original
    assert revisions.problem() is None


@pytest.mark.parametrize(
    ("text", "kind"), [("", "empty"), ("  \n", "empty"), ("settings: [\n", "invalid")]
)
def test_the_problem_of_an_emptied_or_broken_file(store, small_bank, text, kind):
    revisions = BankRevisions(small_bank, store, BankSource(small_bank, check_every=3600))
    revisions.current()
    small_bank.write_text(text)
    problem = revisions.problem()
    assert problem.kind == kind
    assert bool(problem.problems) == (kind == "invalid")
    assert revisions.last_good()["id"] == 1  # the emptied or broken file is not offered
