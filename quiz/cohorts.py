"""Cohorts: a group an instructor gives the assessment to through an invitation link.

Pure: no Flask, no SQL. The store keeps cohorts as rows (``Store.cohorts``,
``Store.cohort``…); this module turns a row into a :class:`Cohort`, says whether
its link still takes people, and reads the closing date an instructor types.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
MODES = ("assessment", "practice")
MAX_NAME = 120
MAX_DESCRIPTION = 2000


class CohortError(ValueError):
    """A cohort's field cannot be used as given; the message says why, in a sentence."""


@dataclass(frozen=True)
class Cohort:
    """A cohort with its counts: visits (browsers that opened the link), attempts
    started and finished through it."""

    id: int
    token: str  # the invitation link's: /c/<token>
    name: str
    description: str
    owner: str  # the instructor who created it
    mode: str  # "assessment" or "practice"
    adaptive: bool
    closes_at: datetime | None  # the link takes no one after this (UTC)
    closed_at: datetime | None  # closed by hand
    created_at: datetime
    visits: int = 0
    started: int = 0
    finished: int = 0

    def is_open(self, at: datetime) -> bool:
        """Whether the link takes new attempts at ``at`` (UTC)."""
        if self.closed_at is not None:
            return False
        return self.closes_at is None or at < self.closes_at

    def status(self, at: datetime) -> str:
        """'open', 'closed' (by hand) or 'past its closing date'."""
        if self.closed_at is not None:
            return "closed"
        return "open" if self.is_open(at) else "past its closing date"


def new_token() -> str:
    """An unguessable invitation token: 32 URL-safe characters (192 random bits)."""
    return secrets.token_urlsafe(24)


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cohort_from_row(row: Mapping[str, Any]) -> Cohort:
    """A Cohort from a row of ``Store.cohorts``, ``Store.cohort`` or ``Store.cohort_by_token``
    (the last has no counts: they are 0)."""
    return Cohort(
        id=row["id"],
        token=row["token"],
        name=row["name"],
        description=row["description"] or "",
        owner=row["owner"],
        mode=row["mode"],
        adaptive=bool(row["adaptive"]),
        closes_at=_moment(row["closes_at"]),
        closed_at=_moment(row["closed_at"]),
        created_at=_moment(row["created_at"]) or datetime.now(UTC),
        visits=row.get("visits", 0) or 0,
        started=row.get("started", 0) or 0,
        finished=row.get("finished", 0) or 0,
    )


# Characters that change how the text around them reads (bidirectional overrides and
# isolates: "\u202e" turns the rest of a sentence around) or are control codes.
_BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _check_characters(text: str, what: str, newlines: bool = False) -> None:
    """Raise CohortError if ``text`` holds control characters (newlines allowed when
    ``newlines``) or bidirectional controls, which a page would show wrongly or not at all."""
    for char in text:
        if char in _BIDI_CONTROLS or (
            unicodedata.category(char) == "Cc" and not (newlines and char in "\r\n\t")
        ):
            raise CohortError(
                f"{what} holds an invisible control character (U+{ord(char):04X}): "
                "type it again without it."
            )


def _visible(text: str) -> bool:
    """Whether ``text`` has a character that shows: not only spaces and invisible format
    characters such as zero-width spaces."""
    return any(unicodedata.category(c) not in ("Zs", "Zl", "Zp", "Cf", "Cc") for c in text)


def read_name(text: str) -> str:
    """A cohort's name as typed, trimmed; raises CohortError if empty (or invisible), too
    long, or holding control characters."""
    _check_characters(text, "The name")
    name = " ".join(text.split())
    if not _visible(name):
        raise CohortError("Give the cohort a name, such as “Spring 2027 intake”.")
    if len(name) > MAX_NAME:
        raise CohortError(f"A cohort's name has at most {MAX_NAME} characters.")
    return name


def read_description(text: str) -> str:
    """An optional description, trimmed; raises CohortError if too long or holding
    control characters other than line breaks."""
    _check_characters(text, "The description", newlines=True)
    description = text.strip() if _visible(text) else ""
    if len(description) > MAX_DESCRIPTION:
        raise CohortError(f"A description has at most {MAX_DESCRIPTION} characters.")
    return description


def read_closing_date(text: str, today: date) -> datetime | None:
    """The last day the link takes people, typed as YYYY-MM-DD (a date field), as the
    moment it closes: the end of that day, UTC. None when left empty. Raises
    CohortError for a date that cannot be read or is already past."""
    text = text.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CohortError("Give the closing date as a day, such as 2027-03-31.") from None
    if day < today:
        raise CohortError(f"The closing date {day.isoformat()} is already past.")
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    """A moment as the store keeps it (ISO 8601 in UTC, to the second), or None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds")
