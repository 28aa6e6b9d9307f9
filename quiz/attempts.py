"""An attempt and its items as small typed values, built in one place.

The store hands over rows; this module turns them into :class:`Attempt` and
:class:`Item`, used alike by the taker's pages, My results and the instructor's
statistics. A question version and a scheme never change once stored (their
hash is their content), so each is rebuilt from its JSON once per process and
cached by hash. No Flask and no SQL: the store is asked for rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import adaptive, measurement
from .bank import Bank, Question, Scheme, Verdict, question_from_body, unscored_stand_in
from .measurement import Measurement, Scores
from .scoring import Answer

if TYPE_CHECKING:
    from .store import Store

_questions: dict[str, Question] = {}
_schemes: dict[str, Scheme] = {}
_broken: set[str] = set()  # hashes of stored versions that no longer validate


def question_of(version_hash: str, body: Mapping[str, Any]) -> Question:
    """The question of a stored version, rebuilt once per process. A version that no
    longer validates (a number that is not finite, saved before such numbers were
    refused) is rebuilt unscored (``bank.unscored_stand_in``) and counted as broken."""
    question = _questions.get(version_hash)
    if question is None:
        try:
            question = question_from_body(dict(body))
        except ValueError:  # pydantic's ValidationError
            question = unscored_stand_in(dict(body))
            _broken.add(version_hash)
        _questions[version_hash] = question
    return question


def is_broken(version_hash: str) -> bool:
    """Whether the stored version (once rebuilt by ``question_of``) no longer validates."""
    return version_hash in _broken


def scheme_of(scheme_hash: str, body: Callable[[str], Mapping[str, Any]]) -> Scheme:
    """The scheme of a stored hash; ``body(hash)`` gives its JSON, asked only the first time."""
    scheme = _schemes.get(scheme_hash)
    if scheme is None:
        scheme = _schemes[scheme_hash] = Scheme.from_body(dict(body(scheme_hash)))
    return scheme


@dataclass(frozen=True)
class Item:
    """One question of an attempt, at its position, with the taker's response if any."""

    position: int  # 1-based
    version_hash: str
    question: Question
    option_order: tuple[int, ...]  # the bank index of each option, in the order shown
    answer: Answer  # in the question's own terms (bank option indexes, a decimal string)
    mark: float | None  # 0..1; None when unanswered
    # The stored version no longer validates: its question stands in unscored.
    broken: bool = False
    flagged: bool = False  # the taker flagged it for review

    @property
    def shown_options(self) -> list[tuple[int, Any]]:
        """(position on screen, option) in the order the taker sees them."""
        return [
            (shown, self.question.options[index]) for shown, index in enumerate(self.option_order)
        ]

    def form_values(self) -> list[str]:
        """The stored answer as the form values that would submit it again."""
        if self.answer is None:
            return []
        if self.question.has_options:
            chosen = self.answer if isinstance(self.answer, list) else [self.answer]
            return [str(self.option_order.index(i)) for i in chosen]
        return [str(self.answer)]

    @property
    def status(self) -> str:
        """For the review: 'broken' (left out: its stored version holds a number that
        cannot be used), 'unscored', 'unanswered', 'right', 'partial' or 'wrong'."""
        if self.broken:
            return "broken"
        if not self.question.scored:
            return "unscored"
        if self.answer is None:
            return "unanswered"
        if self.mark >= 1:
            return "right"
        return "partial" if self.mark > 0 else "wrong"


@dataclass(frozen=True)
class Attempt:
    """An attempt as the taker's pages and My results see it.

    Scores are fractions 0..1; times are ISO 8601 strings in UTC.
    """

    id: int
    token: str
    scheme: Scheme
    mode: str  # 'assessment' or 'practice'
    started_at: str
    total: int  # questions in the attempt
    answered: int
    position: int = 1  # the screen a resume lands on (total + 1: the finish screen)
    display_name: str | None = None
    profile: Mapping[str, Any] = field(default_factory=dict)
    finished_at: str | None = None
    overall: float | None = None
    verdict_id: str | None = None
    areas: Mapping[str, float] = field(default_factory=dict)  # area id -> score
    first: bool = False  # the taker's first finished assessment, which percentiles count
    scores: Scores | None = None  # the measurement; None for attempts finished before it
    adaptive: bool = False  # questions chosen one at a time (docs/measurement.md)
    taker: str | None = None  # the anonymous taker's key

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def practice(self) -> bool:
        return self.mode == "practice"

    @property
    def self_rating(self) -> Mapping[str, int]:
        """Area id -> the taker's rating of themselves, 1..5."""
        return self.profile.get("self_rating", {})

    @property
    def background(self) -> Mapping[str, Any]:
        """Background item id -> choice id (a list of them for items with several)."""
        return self.profile.get("background", {})

    @property
    def verdict(self) -> Verdict | None:
        """The verdict rule of a finished attempt, as its scheme words it; None before it
        finishes and when too few answers were given to judge."""
        return next((v for v in self.scheme.verdicts if v.id == self.verdict_id), None)

    @property
    def verdict_text(self) -> str:
        """The verdict as a list shows it: its label, with '(undecided)' when the answers
        did not settle it; 'Not enough answers' for a finished attempt without one."""
        if self.verdict is None:
            return "Not enough answers" if self.finished else ""
        if self.scores is not None and not self.scores.settled:
            return f"{self.verdict.label} (undecided)"
        return self.verdict.label

    @property
    def judged(self) -> bool:
        """Whether the finished attempt has a verdict (enough answers in every area)."""
        return self.verdict_id is not None


def attempt_from_row(row: Mapping[str, Any], scheme: Scheme) -> Attempt:
    """An Attempt from a row of ``Store.attempt`` or ``Store.taker_attempts``."""
    return Attempt(
        id=row["id"],
        token=row["token"],
        scheme=scheme,
        mode=row["mode"],
        started_at=row["started_at"],
        total=row["total"],
        answered=row["answered"],
        position=row["position"],
        display_name=row["display_name"],
        profile=row.get("profile") or {},
        finished_at=row["finished_at"],
        overall=row["overall"],
        verdict_id=row["verdict"],
        areas=row.get("areas") or {},
        first=bool(row.get("first")),
        scores=Scores.from_summary(row["measurement"]) if row.get("measurement") else None,
        adaptive=bool(row.get("adaptive")),
        taker=row.get("taker"),
    )


def item_from_row(row: Mapping[str, Any]) -> Item:
    """An Item from a row of ``Store.items``."""
    question = question_of(row["version_hash"], row["body"])
    return Item(
        position=row["position"],
        version_hash=row["version_hash"],
        question=question,
        option_order=tuple(row["option_order"] or ()),
        answer=row["answer"],
        mark=row["score"],
        broken=is_broken(row["version_hash"]),
        flagged=bool(row.get("flagged")),
    )


# --- finding one's way in an attempt ------------------------------------------------


@dataclass(frozen=True, slots=True)
class NavEntry:
    """One question in the question navigator. ``css`` and ``label`` are worked out once,
    here: the list is drawn on every answer, and each expression a template evaluates
    per entry costs (about a third of an answer's time with 56 questions)."""

    position: int  # 1-based
    answered: bool
    flagged: bool
    current: bool  # the question on screen
    css: str = field(init=False)  # "nav-q is-answered is-flagged is-current", as they apply
    label: str = field(init=False)  # the accessible name: 'Question 7, answered, flagged'

    def __post_init__(self) -> None:
        css = "nav-q"
        css += " is-answered" if self.answered else ""
        css += " is-flagged" if self.flagged else ""
        css += " is-current" if self.current else ""
        # The name says what the marks beside the number show.
        label = f"Question {self.position}, {'answered' if self.answered else 'not answered'}"
        label += ", flagged" if self.flagged else ""
        object.__setattr__(self, "css", css)
        object.__setattr__(self, "label", label)


@dataclass(frozen=True)
class NavGroup:
    """The questions of one area, in the order they are asked."""

    area: str  # the area id
    name: str  # the area as the scheme names it
    entries: tuple[NavEntry, ...]


@dataclass(frozen=True)
class Navigator:
    """The attempt's questions asked so far, grouped by area, with their states."""

    groups: tuple[NavGroup, ...]
    total: int  # questions asked so far (an adaptive attempt grows)
    answered: int
    flagged: int
    # What the list shows, one character per question in order (marks_code): the page
    # sends it back with its form, so that an answer can tell whether that page's list
    # is up to date (another tab may have answered or flagged meanwhile).
    marks: str = ""

    @property
    def entries(self) -> list[NavEntry]:
        """Every entry in the order of the attempt."""
        return sorted((e for g in self.groups for e in g.entries), key=lambda e: e.position)

    @property
    def summary(self) -> str:
        """What the closed navigator says: 'Questions: 12 of 56 answered, 2 flagged'."""
        flagged = f", {self.flagged} flagged" if self.flagged else ""
        return f"Questions: {self.answered} of {self.total} answered{flagged}"


def navigator(scheme: Scheme, states: Sequence[Mapping[str, Any]], current: int) -> Navigator:
    """The navigator of an attempt from ``Store.item_states`` rows (position, area,
    answered, flagged), with question ``current`` (1-based; 0 for none) on screen.

    Areas come in the scheme's order (an adaptive attempt interleaves them), each
    with its questions by position; an area the scheme no longer has comes last,
    named by its id.
    """
    by_area: dict[str, list[NavEntry]] = {}
    for row in states:
        by_area.setdefault(row["area"], []).append(
            NavEntry(
                position=row["position"],
                answered=bool(row["answered"]),
                flagged=bool(row["flagged"]),
                current=row["position"] == current,
            )
        )
    names = {d.id: d.name for d in scheme.dimensions}
    order = [d.id for d in scheme.dimensions if d.id in by_area]
    order += [area for area in by_area if area not in names]
    groups = tuple(
        NavGroup(area, names.get(area, area), tuple(sorted(by_area[area], key=_position)))
        for area in order
    )
    return Navigator(
        groups=groups,
        total=len(states),
        answered=sum(bool(row["answered"]) for row in states),
        flagged=sum(bool(row["flagged"]) for row in states),
        marks=marks_code((row["answered"], row["flagged"]) for row in states),
    )


def marks_code(marks: Iterable[tuple[Any, Any]]) -> str:
    """(answered, flagged) of each question in order as one character each: 0 neither,
    1 answered, 2 flagged, 3 both ("1302…")."""
    return "".join("0123"[bool(answered) + 2 * bool(flagged)] for answered, flagged in marks)


def list_in_step(shown: str, marks: str, besides: Iterable[int]) -> bool:
    """Whether a page whose list showed ``shown`` (its ``marks``) agrees with ``marks``
    everywhere but at the positions ``besides`` (1-based), which the caller redraws: if
    so, redrawing those entries is enough; if not (another tab changed something, or the
    attempt grew), the whole list must be sent."""
    if len(shown) != len(marks):
        return False
    skip = {position - 1 for position in besides}
    return all(a == b for i, (a, b) in enumerate(zip(shown, marks, strict=True)) if i not in skip)


def _position(entry: NavEntry) -> int:
    return entry.position


# --- asking the store -------------------------------------------------------------


def load(store: Store, token: str) -> Attempt | None:
    """The attempt with this token, or None."""
    row = store.attempt(token)
    if row is None:
        return None
    if row["finished_at"] and "areas" not in row:
        row["areas"] = store.area_scores(row["id"])
    return attempt_from_row(row, scheme_of(row["scheme_hash"], store.scheme_body))


def of_taker(store: Store, taker: str) -> list[Attempt]:
    """A taker's attempts, oldest first."""
    return [
        attempt_from_row(row, scheme_of(row["scheme_hash"], store.scheme_body))
        for row in store.taker_attempts(taker)
    ]


def items(store: Store, attempt: Attempt) -> list[Item]:
    """The attempt's items in order."""
    return [item_from_row(row) for row in store.items(attempt.id)]


def navigation(store: Store, attempt: Attempt, current: int = 0) -> Navigator:
    """The attempt's question navigator, with question ``current`` on screen."""
    return navigator(attempt.scheme, store.item_states(attempt.id), current)


def progress(store: Store, attempt: Attempt) -> Navigator:
    """The navigator's counts and marks, without its entries: what its summary says,
    and what its list would show."""
    rows = store.item_marks(attempt.id)
    return Navigator(
        groups=(),
        total=len(rows),
        answered=sum(answered for _, answered, _ in rows),
        flagged=sum(flagged for _, _, flagged in rows),
        marks=marks_code((answered, flagged) for _, answered, flagged in rows),
    )


def item(store: Store, attempt: Attempt, position: int) -> Item | None:
    """The attempt's item at ``position`` (1-based), or None if it has none there."""
    rows = store.items(attempt.id, position) if position >= 1 else []
    return item_from_row(rows[0]) if rows else None


# --- measuring ---------------------------------------------------------------------


def measured(
    attempt: Attempt,
    items: Sequence[Item],
    pools: Mapping[str, Sequence[measurement.ItemParameters]],
    calibrated: Mapping[str, Mapping[str, Any]],
    draws: int = 2000,
) -> Measurement:
    """The measurement of an attempt's answers (docs/measurement.md).

    ``pools`` are the areas' domains (``measurement.pools`` of the current bank);
    an area the bank no longer has is measured against the attempt's own questions.
    ``calibrated`` maps version hashes to calibrated parameters. The posterior draws
    are seeded by the token, so the same answers always give the same result.
    """
    responses: dict[str, list[tuple[measurement.ItemParameters, float, bool]]] = {}
    for item in items:
        q = item.question
        if q.scored:
            params = measurement.parameters(q, calibrated.get(item.version_hash))
            responses.setdefault(q.area, []).append(
                (params, item.mark or 0.0, item.answer is not None)
            )
    domains = dict(pools)
    for area, given in responses.items():
        domains.setdefault(area, [params for params, *_ in given])
    return measurement.measure(attempt.scheme, responses, domains, draws, seed=attempt.token)


def finish(store: Store, attempt: Attempt, bank: Bank | None) -> bool:
    """Measure the attempt against the areas of the current ``bank`` (None: against its
    own questions) with the store's calibrated parameters, and close it; False if it
    was already closed.

    The answers measured are those the attempt has when it closes, read in the same
    write transaction (``Store.finish_measured``): an answer saved meanwhile is either
    measured or refused. The measurement is worked out first outside the transaction,
    and only worked out again inside it when an answer changed in between, so the
    write lock is held for as short a time as answers allow.
    """
    calibrated = store.item_parameters()
    pools = measurement.pools(bank, calibrated) if bank is not None else {}

    def measure(rows: list[dict[str, Any]]) -> tuple[Any, ...]:
        result = measured(attempt, [item_from_row(row) for row in rows], pools, calibrated)
        return (
            result.overall,
            result.verdict.id if result.verdict else None,
            {area: s.score for area, s in result.areas.items()},
            result.summary(),
        )

    before = store.items(attempt.id)
    guess = measure(before)
    return store.finish_measured(
        attempt.id, lambda rows: guess if rows == before else measure(rows)
    )


# --- the adaptive mode -------------------------------------------------------------


def _params_of(bank: Bank, calibrated: Mapping[str, Mapping[str, Any]]) -> Callable[[Any], Any]:
    return lambda q: measurement.parameters(q, calibrated.get(bank.versions[q.id][0]))


def adaptive_start(store: Store, bank: Bank, token: str, seen: Mapping[str, int]) -> list[dict]:
    """The first items of a new adaptive attempt (``adaptive.first_items``), with the
    store's calibrated parameters; ``seen`` as ``Store.seen_questions`` gives it."""
    return adaptive.first_items(bank, token, _params_of(bank, store.item_parameters()), seen)


def ask_next(store: Store, attempt: Attempt, bank: Bank, seen: Mapping[str, int]) -> None:
    """Add the next question to an adaptive attempt whose last question was just
    answered, unless its answers are already enough. Every answer so far counts, with
    any changed on the way back; a question another tab added meanwhile is kept."""
    calibrated = store.item_parameters()
    asked = [
        adaptive.Asked(
            i.question,
            measurement.parameters(i.question, calibrated.get(i.version_hash)),
            i.mark or 0.0,
            i.answer is not None,
        )
        for i in items(store, attempt)
        if i.question.scored
    ]
    position = attempt.total + 1
    item = adaptive.next_item(
        bank, asked, _params_of(bank, calibrated), seen, attempt.token, position
    )
    if item is not None:
        store.append_item(attempt.id, position, item)
