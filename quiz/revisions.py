"""Saving the question bank as revisions: the one workflow behind every change of the file.

The browser's question editor, raw editor, settings, import and restore, and
``quiz import`` on the command line all save through :class:`BankRevisions`:
read the file, check that it is still the version the change was made from,
validate the result, write it atomically, record the revision with its author,
and make the app serve it at once. A save answers with a value, never a page:
:class:`Saved`, :class:`Conflict` (with the diff of what changed meanwhile) or
:class:`Invalid` (with the validator's problems). No Flask here.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import editor
from .bank import BankError, BankSource, Problem, parse
from .store import StorageUnavailable

if TYPE_CHECKING:
    from .store import Store

OUTSIDE = "outside the app"  # the author of a change nobody made through the app

# The ``base`` of a missing bank file: no sha of a text, so it matches no revision, and a
# save over it (pasting a whole bank in the raw editor, restoring a revision) writes the file.
MISSING = "missing"

DiffLine = tuple[str, str]  # (kind, line): kind is 'meta', 'add', 'del' or 'same'


@dataclass(frozen=True)
class Saved:
    """The file was saved (``revision`` is its new revision's id), or nothing changed (None)."""

    revision: int | None


@dataclass(frozen=True)
class Conflict:
    """The file changed since the change was made; ``diff`` shows from that version to now."""

    diff: list[DiffLine]


@dataclass(frozen=True)
class Invalid:
    """The change would break the bank; the file is untouched."""

    problems: list[Problem]


SaveResult = Saved | Conflict | Invalid


@dataclass(frozen=True)
class FileProblem:
    """What is wrong with the bank file: ``kind`` is 'missing', 'empty' or 'invalid'
    (then ``problems`` are the validator's). Takers meanwhile get the last good bank."""

    kind: str
    problems: list[Problem]


def diff(old: str, new: str, old_name: str, new_name: str) -> list[DiffLine]:
    """A unified diff (two lines of context) as (kind, line) pairs for a template to colour."""
    lines = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=2
    ):
        if line.startswith(("---", "+++", "@@")):
            kind = "meta"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        lines.append((kind, line))
    return lines


class BankRevisions:
    """The bank file at ``path`` and its history of revisions in ``store``.

    ``source``, when given, is the app's cached bank: it is refreshed after a
    save so that the next request already serves the new file.
    """

    def __init__(self, path: str | Path, store: Store, source: BankSource | None = None):
        self.path = Path(path)
        self.store = store
        self.source = source

    def current(self) -> tuple[str, str]:
        """The file's text and sha256, recorded as a revision if the history lacks it.

        That is how edits made outside the app (a text editor, a git pull) show
        up in the history, under the author "outside the app". A missing file is
        ("", MISSING), and nothing is recorded: there is no text to keep.
        """
        text = self._read()
        if text is None:
            return "", MISSING
        digest = editor.sha(text)
        latest = self.store.latest_revision()
        if latest is not None and latest["sha"] == digest:
            return text, digest
        # A save writes the file and records its revision under the bank's lock: taking
        # it means any save in progress has recorded its own revision under its author,
        # so what is still unrecorded really was changed outside the app.
        with contextlib.ExitStack() as stack:
            # A read-only folder has no lock file: no save can be in progress to wait for.
            with contextlib.suppress(OSError):
                stack.enter_context(editor.locked(self.path))
            return self._record_unseen()

    def _record_unseen(self) -> tuple[str, str]:
        """:meth:`current` with the lock held."""
        text = self._read()
        if text is None:
            return "", MISSING
        digest = editor.sha(text)
        latest = self.store.latest_revision()
        if latest is None or latest["sha"] != digest:
            message = "The file as the app first found it" if latest is None else None
            # On read-only storage the file is served unrecorded: reading pages need no
            # write, and the next writable start records it.
            with contextlib.suppress(StorageUnavailable):
                self.store.add_revision(digest, OUTSIDE, message or "Changed outside the app", text)
        return text, digest

    def problem(self) -> FileProblem | None:
        """What is wrong with the file now, or None when it loads. The app's bank source,
        when given, is refreshed and its error read (no second parse of a good file)."""
        text = self._read()
        if text is None:
            return FileProblem("missing", [])
        if not text.strip():
            return FileProblem("empty", [])
        if self.source is not None:
            self.source.refresh()
            error = self.source.error
            return FileProblem("invalid", error.problems) if error is not None else None
        try:
            parse(text, self.path.name)
        except BankError as exc:
            return FileProblem("invalid", exc.problems)
        return None

    def last_good(self, looked_at: int = 20) -> dict[str, Any] | None:
        """The newest revision whose text validates and is not the file as it is now
        (what to restore when the file is broken), among the newest ``looked_at``."""
        _, digest = self.current()
        for row in self.store.revisions()[:looked_at]:
            if row["sha"] == digest or not row["size"]:
                continue
            shown = self.store.revision(row["id"])
            try:
                parse(shown["text"], self.path.name)
            except BankError:
                continue
            return shown
        return None

    def _read(self) -> str | None:
        """The file's text, or None when there is no file."""
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def save(
        self, base: str, change: Callable[[str], str], author: str, message: str
    ) -> SaveResult:
        """Apply ``change`` (old text to new text) to the file if its sha is still ``base``.

        Raises editor.EditError when the change itself cannot be made (an
        unknown question id, say); every other refusal is a returned value.
        """
        # Read, check, write and record in one hold of the lock (as editor.save does, plus
        # the record): another request never sees the new file without its revision.
        with editor.locked(self.path):
            old, digest = self._record_unseen()  # an outside change, if not seen yet
            if digest != base:
                return Conflict(self._conflict_diff(base))
            new = change(old)
            try:
                parse(new, self.path.name)
            except BankError as exc:
                return Invalid(exc.problems)
            if old == new:
                return Saved(None)
            editor.write_atomic(self.path, new)
            revision = self.store.add_revision(editor.sha(new), author, message, new)
        if self.source is not None:
            self.source.refresh()
        return Saved(revision)

    def edit(
        self, base: str, operation: Callable[[Any], Any], author: str, message: str
    ) -> SaveResult:
        """:meth:`save` with an operation on the parsed document (see ``editor``)."""
        return self.save(base, editor.edit(operation), author, message)

    def restore(
        self, revision_id: int, base: str, author: str, message: str | None = None
    ) -> SaveResult | None:
        """Make an old revision's text the file again, as a new revision (None: no such
        one); ``message`` defaults to "Restored revision N"."""
        shown = self.store.revision(revision_id)
        if shown is None:
            return None
        return self.save(
            base,
            lambda _old: shown["text"],
            author,
            message or f"Restored revision {revision_id}",
        )

    def revision_diff(self, revision_id: int) -> tuple[dict[str, Any], list[DiffLine]] | None:
        """A revision and its diff from the revision before it (None: no such revision)."""
        shown = self.store.revision(revision_id)
        if shown is None:
            return None
        before = self.store.previous_revision(revision_id)
        return shown, diff(
            before["text"] if before else "",
            shown["text"],
            f"revision {before['id']}" if before else "nothing",
            f"revision {revision_id}",
        )

    def _conflict_diff(self, base: str) -> list[DiffLine]:
        known = self.store.revision_by_sha(base)
        if known is None:
            return [("meta", "The version you started from is not in the history.")]
        now = self._read()
        return diff(
            known["text"],
            "" if now is None else now,
            f"the version you opened (revision {known['id']})",
            "the file now" if now is not None else "no file (it is missing)",
        )
