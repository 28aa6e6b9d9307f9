"""Load and validate ``questions.yaml`` into an immutable :class:`Bank`.

Pure: no Flask, no SQL. Every problem found is reported with the file, the
line and (for questions) the question id, and all of them are reported at
once, so an instructor can fix a file in one pass.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from . import role

log = logging.getLogger(__name__)

DIFFICULTIES = ("easy", "medium", "hard")

# The largest size of a number in the bank. Beyond it a number is a typing slip, not a
# weight, answer or tolerance anyone means, and it stops being exact: doubles hold every
# whole number only up to 2**53 (about 9e15), and a numeric answer is compared to the
# taker's in decimal from its shortest repr. Not a number (nan) and infinity (inf, or a
# number too large for a double such as 1e999) are refused outright: one such number
# in a question made every attempt that drew it fail to finish.
LIMIT = 1e15


def _within_limit(value: float, info: ValidationInfo) -> float:
    """A finite number no larger than LIMIT either way. A stored question version is
    rebuilt with context ``{"stored": True}``: it keeps a large finite number it was
    saved with (its results were scored with it), and only a non-finite one breaks it."""
    if abs(value) > LIMIT and not (info.context or {}).get("stored"):
        raise ValueError(f"{value:g} is too large: numbers in the bank are at most 1e15 either way")
    return value


FINITE = "must be a finite number, not nan or infinity (a number as large as 1e999 is infinity)"

# Every number of the bank: finite (no nan, no infinity) and within LIMIT.
Number = Annotated[float, Field(allow_inf_nan=False), AfterValidator(_within_limit)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
Text = Annotated[str, Field(min_length=1)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- settings, areas, verdicts, profile items -------------------------------


class Bands(Model):
    """Score thresholds (percent) of the strength and adequate bands."""

    strength: Percent = 75
    adequate: Percent = 50


class Adaptive(Model):
    """The adaptive mode (docs/measurement.md): each area asks between ``min_per_area``
    and ``max_per_area`` scored questions, stopping early once its answers settle
    every verdict rule it can change."""

    enabled: bool = False
    min_per_area: Annotated[int, Field(ge=1)] = 6
    max_per_area: Annotated[int, Field(ge=1)] = 13

    @model_validator(mode="after")
    def _ordered(self) -> Adaptive:
        if self.max_per_area < self.min_per_area:
            raise ValueError("adaptive: max_per_area must be at least min_per_area")
        return self


class Seconds(Model):
    """Seconds a taker needs to read and answer each kind of question, and the profile
    screens (self-rating and background) before them: the time estimate (quiz.timing)."""

    single: Annotated[Number, Field(gt=0)] = 45
    judgement: Annotated[Number, Field(gt=0)] = 60
    multiple: Annotated[Number, Field(gt=0)] = 60
    numeric: Annotated[Number, Field(gt=0)] = 120
    likert: Annotated[Number, Field(gt=0)] = 10
    profile: Annotated[Number, Field(ge=0)] = 90


class Settings(Model):
    title: Text = "E-commerce manager self-assessment"
    # No longer read: the estimate is computed from the questions (``seconds``). Kept so
    # that banks written before still load; ``quiz validate --strict`` says so.
    minutes: Annotated[int, Field(ge=1, le=240)] | None = None
    seconds: Seconds = Seconds()
    shuffle_options: bool = True
    shuffle_questions: bool = False
    # How many scored questions an attempt draws from each area's pool (None: all of them).
    draw: Annotated[int, Field(ge=1)] | None = None
    bands: Bands = Bands()
    # Answered scored questions each area needs before an attempt gets a verdict (or
    # every one the attempt asks there, when it asks fewer): docs/measurement.md.
    min_answered: Annotated[int, Field(ge=1)] = 6
    adaptive: Adaptive = Adaptive()


class BandFeedback(Model):
    summary: Text
    next_steps: tuple[Text, ...] = ()


class Dimension(Model):
    id: Slug
    name: Text
    weight: Annotated[Number, Field(gt=0)] = 1.0
    description: str = ""
    prefix: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")] | None = None
    draw: Annotated[int, Field(ge=1)] | None = None  # overrides settings.draw for this area
    feedback: dict[Literal["strength", "adequate", "gap"], BandFeedback] = {}

    @property
    def id_prefix(self) -> str:
        """What the ids of the area's questions start with: 'te-' for 'technical'."""
        return self.prefix or f"{self.id[:2]}-"


class Verdict(Model):
    """A verdict rule: the first whose conditions all hold is the verdict."""

    id: Slug
    label: Text
    summary: Text
    min_overall: Percent | None = None
    max_overall: Percent | None = None
    min_each_area: Percent | None = None
    min_area: dict[str, Percent] = {}

    @property
    def is_catch_all(self) -> bool:
        return (
            self.min_overall is None
            and self.max_overall is None
            and self.min_each_area is None
            and not self.min_area
        )


class SelfRating(Model):
    prompt: Text = "How strong are you today in each area?"
    labels: Annotated[tuple[Text, ...], Field(min_length=5, max_length=5)] = (
        "Beginner",
        "Basic",
        "Competent",
        "Strong",
        "Expert",
    )


class Choice(Model):
    id: Slug
    label: Text


class BackgroundItem(Model):
    id: Slug
    prompt: Text
    multiple: bool = False
    choices: Annotated[tuple[Choice, ...], Field(min_length=2)]


class Topic(Model):
    """One entry of the test blueprint: a topic of one of the role's duties."""

    id: Slug
    duty: Text  # the duty of the role it belongs to, as the job description words it
    name: Text


# --- questions ---------------------------------------------------------------


class Option(Model):
    text: Text
    correct: bool | None = None
    score: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None


class QuestionBase(Model):
    id: Slug
    area: Slug
    prompt: Text
    explanation: Text
    difficulty: Literal["easy", "medium", "hard"] | None = None
    weight: Annotated[Number, Field(ge=0)] = 1.0
    # The law a legal question assumes; shown with the question.
    jurisdiction: Literal["EU", "UK", "US", "general"] | None = None
    # Blueprint topics the question samples: metadata for instructors, so it is
    # left out of the version (retagging a question does not split its statistics).
    topics: tuple[Slug, ...] = ()

    @property
    def has_options(self) -> bool:
        return False

    @property
    def scored(self) -> bool:
        """Whether the question counts towards scores, draws and statistics.

        The one rule: a question with weight 0, or a Likert statement (a
        self-description, never knowledge), is not scored. Stored versions keep
        their weight, and a Likert item's weight is always 0 (its default; the
        validator refuses another), so SQL over versions can test ``weight > 0``.
        """
        return self.weight > 0 and self.type != "likert"

    def version_body(self) -> dict[str, Any]:
        """The canonical content that a stored question version is made of."""
        return self.model_dump(mode="json", exclude_none=True, exclude={"topics"})


class Single(QuestionBase):
    type: Literal["single"]
    # Two options is a true/false question; `quiz validate --strict` asks for 3 to 5.
    options: Annotated[tuple[Option, ...], Field(min_length=2, max_length=5)]

    @property
    def has_options(self) -> bool:
        return True

    @property
    def weighted(self) -> bool:
        """Situational judgement: every option carries a score weight."""
        return any(o.score is not None for o in self.options)

    def option_score(self, index: int) -> float:
        option = self.options[index]
        if self.weighted:
            return float(option.score or 0.0)
        return 1.0 if option.correct else 0.0


class Multiple(QuestionBase):
    type: Literal["multiple"]
    options: Annotated[tuple[Option, ...], Field(min_length=3, max_length=8)]

    @property
    def has_options(self) -> bool:
        return True

    @property
    def correct_indexes(self) -> frozenset[int]:
        return frozenset(i for i, o in enumerate(self.options) if o.correct)


def _checked_tolerance(value: float | str, stored: bool = False) -> float | str:
    """A tolerance: a finite number of zero or more, or a percentage such as '2%', no
    larger than LIMIT (unless ``stored``: see ``_within_limit``)."""
    if isinstance(value, str):
        text = value.strip()
        if not text.endswith("%"):
            raise ValueError("a tolerance is a number or a percentage such as '2%'")
        try:
            pct = Decimal(text[:-1])
        except ArithmeticError:
            raise ValueError(f"'{value}' is not a percentage") from None
        if not pct.is_finite() or pct < 0:
            raise ValueError("a percentage tolerance must be zero or more")
        if pct > Decimal(int(LIMIT)) and not stored:
            raise ValueError(f"{text} is too large: numbers in the bank are at most 1e15")
        return text
    if not math.isfinite(value):
        raise ValueError(FINITE)
    if value < 0:
        raise ValueError("a tolerance must be zero or more")
    if value > LIMIT and not stored:
        raise ValueError(f"{value:g} is too large: numbers in the bank are at most 1e15")
    return value


class NumericAnswer(Model):
    """Another right answer of a numeric question, with its own tolerance."""

    answer: Number
    tolerance: float | str = 0  # _checked_tolerance: finite and within LIMIT

    @field_validator("tolerance")
    @classmethod
    def _tolerance(cls, value: float | str, info: ValidationInfo) -> float | str:
        return _checked_tolerance(value, bool((info.context or {}).get("stored")))

    def tolerance_abs(self) -> Decimal:
        """The tolerance as an absolute amount around the answer (a percentage of it)."""
        if isinstance(self.tolerance, str):
            return abs(Decimal(repr(self.answer))) * Decimal(self.tolerance[:-1]) / 100
        return Decimal(repr(self.tolerance))

    def accepts(self, value: Decimal) -> bool:
        """Within the tolerance, edges included, in decimal (1.95 is exactly 0.05 from 2)."""
        return abs(value - Decimal(repr(self.answer))) <= self.tolerance_abs()


class Numeric(QuestionBase):
    type: Literal["numeric"]
    answer: Number
    tolerance: float | str = 0  # _checked_tolerance: finite and within LIMIT
    unit: str | None = None
    # Other right answers ("give a square root of 16": 4 and -4), each with its tolerance.
    alternatives: tuple[NumericAnswer, ...] = ()

    @field_validator("tolerance")
    @classmethod
    def _tolerance(cls, value: float | str, info: ValidationInfo) -> float | str:
        return _checked_tolerance(value, bool((info.context or {}).get("stored")))

    def tolerance_abs(self) -> Decimal:
        """The tolerance as an absolute amount around the answer."""
        return self.right_answers[0].tolerance_abs()

    @property
    def right_answers(self) -> tuple[NumericAnswer, ...]:
        """Every right answer with its tolerance, the main one first."""
        # Not validated again: a stored version may keep a number beyond LIMIT.
        main = NumericAnswer.model_construct(answer=self.answer, tolerance=self.tolerance)
        return (main, *self.alternatives)

    def accepts(self, value: Decimal) -> bool:
        """Whether ``value`` is within the tolerance of any right answer (edges included,
        in decimal, so 1.95 is exactly 0.05 from 2)."""
        return any(a.accepts(value) for a in self.right_answers)


class Likert(QuestionBase):
    type: Literal["likert"]
    reverse: bool = False
    weight: Annotated[Number, Field(ge=0)] = 0.0


def kind(question: Any) -> str:
    """The item kind: 'judgement' for a single question with weighted options (situational
    judgement), else its type ('single', 'multiple', 'numeric', 'likert')."""
    if question.type == "single" and question.weighted:
        return "judgement"
    return question.type


Question = Annotated[Single | Multiple | Numeric | Likert, Field(discriminator="type")]
QUESTION = TypeAdapter(Question)
QUESTION_TYPES = ("single", "multiple", "numeric", "likert")


def question_from_body(body: dict[str, Any]) -> Single | Multiple | Numeric | Likert:
    """Rebuild a question from a stored version body."""
    return QUESTION.validate_python(body, context={"stored": True})


def _finite(node: Any, default: Any) -> Any:
    """``node`` with every number that is not finite replaced by ``default`` (dropped,
    when ``default`` is the DROP marker, so that a model's default applies)."""
    if isinstance(node, dict):
        out = {k: _finite(v, default) for k, v in node.items()}
        return {k: v for k, v in out.items() if v is not _DROP}
    if isinstance(node, list):
        return [_finite(v, default) for v in node]
    if isinstance(node, float) and not math.isfinite(node):
        return default
    return node


_DROP = object()


def unscored_stand_in(body: dict[str, Any]) -> Single | Multiple | Numeric | Likert:
    """What stands for a stored question version that no longer validates (saved before
    numbers such as nan and infinity were refused): the same question with weight 0, so
    left unscored, and each number that is not finite read as 0. The attempts that drew
    it can still be finished and shown; the report says the question was left out."""
    return question_from_body({**_finite(body, 0.0), "weight": 0.0})


def version_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


class BankFile(Model):
    """The top level of the file; questions are validated one by one."""

    settings: Settings = Settings()
    dimensions: Annotated[tuple[Dimension, ...], Field(min_length=1)]
    verdicts: Annotated[tuple[Verdict, ...], Field(min_length=1)]
    self_rating: SelfRating = SelfRating()
    background: tuple[BackgroundItem, ...] = ()
    blueprint: tuple[Topic, ...] = ()
    questions: Annotated[tuple[Any, ...], Field(min_length=1)]


# --- the bank ----------------------------------------------------------------


@dataclass(frozen=True)
class Scheme:
    """Everything but the questions: how an attempt is scored and reported.

    Stored with each attempt so that a later edit of the areas or verdict rules
    does not change an earlier result.
    """

    settings: Settings
    dimensions: tuple[Dimension, ...]
    verdicts: tuple[Verdict, ...]
    self_rating: SelfRating
    background: tuple[BackgroundItem, ...]

    def body(self) -> dict[str, Any]:
        return {
            "settings": self.settings.model_dump(mode="json"),
            "dimensions": [d.model_dump(mode="json") for d in self.dimensions],
            "verdicts": [v.model_dump(mode="json", exclude_none=True) for v in self.verdicts],
            "self_rating": self.self_rating.model_dump(mode="json"),
            "background": [b.model_dump(mode="json") for b in self.background],
        }

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Scheme:
        """The scheme of a stored body. A number that is not finite (an area weight or
        a time saved before such numbers were refused) is dropped, so its default
        applies: the attempts that hold the scheme can still be finished and shown."""
        body = _finite(body, _DROP)
        return cls(
            settings=Settings.model_validate(body["settings"]),
            dimensions=tuple(Dimension.model_validate(d) for d in body["dimensions"]),
            verdicts=tuple(Verdict.model_validate(v) for v in body["verdicts"]),
            self_rating=SelfRating.model_validate(body["self_rating"]),
            background=tuple(BackgroundItem.model_validate(b) for b in body["background"]),
        )

    def dimension(self, area: str) -> Dimension:
        return next(d for d in self.dimensions if d.id == area)

    def draw_count(self, area: str) -> int | None:
        """How many scored questions an attempt draws from the area (None: all)."""
        return self.dimension(area).draw or self.settings.draw


@dataclass(frozen=True)
class Bank:
    scheme: Scheme
    questions: tuple[Single | Multiple | Numeric | Likert, ...]
    path: str = ""
    blueprint: tuple[Topic, ...] = ()
    # The line of each question ('id') and area ('area:id') in the file, for lint messages.
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def by_id(self) -> dict[str, Single | Multiple | Numeric | Likert]:
        return {q.id: q for q in self.questions}

    @cached_property
    def questions_per_attempt(self) -> int:
        """How many questions an attempt gets: each area's draw plus its unscored items."""
        total = 0
        for d in self.dimensions:
            pool = self.in_area(d.id)
            scored = sum(1 for q in pool if q.scored)
            total += len(pool) - scored + min(scored, self.scheme.draw_count(d.id) or scored)
        return total

    @cached_property
    def scheme_version(self) -> tuple[str, dict[str, Any]]:
        """The scheme's hash and body, as stored with each attempt."""
        body = self.scheme.body()
        return version_hash(body), body

    @cached_property
    def versions(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Each question's version hash and body, computed once per loaded bank."""
        out = {}
        for q in self.questions:
            body = q.version_body()
            out[q.id] = (version_hash(body), body)
        return out

    @property
    def dimensions(self) -> tuple[Dimension, ...]:
        return self.scheme.dimensions

    @property
    def settings(self) -> Settings:
        return self.scheme.settings

    def in_area(self, area: str) -> list[Single | Multiple | Numeric | Likert]:
        return [q for q in self.questions if q.area == area]

    def jurisdictions(self) -> dict[str, int]:
        """How many scored questions assume each law ('EU', 'UK', 'US'; 'general' for
        rules common to them), commonest first."""
        found = Counter(q.jurisdiction for q in self.questions if q.scored and q.jurisdiction)
        return dict(found.most_common())

    def summary(self) -> str:
        """One line: counts per area and per type."""
        areas = Counter(q.area for q in self.questions)
        types = Counter(q.type for q in self.questions)
        by_area = ", ".join(f"{d.id} {areas[d.id]}" for d in self.dimensions)
        by_type = ", ".join(f"{t} {types[t]}" for t in QUESTION_TYPES if types[t])
        return f"{self.path}: {len(self.questions)} questions ({by_area}; {by_type})"


# --- problems and line numbers ----------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str
    question: str | None = None

    def __str__(self) -> str:
        where = f"question '{self.question}': " if self.question else ""
        return f"{self.file}:{self.line}: {where}{self.message}"


class BankError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _line_of(root: Any, path: tuple[Any, ...]) -> int:
    """The 1-based line of the deepest node of ``path`` found in the YAML tree."""
    node, line = root, 1
    if isinstance(node, (CommentedMap, CommentedSeq)):
        line = node.lc.line + 1
    for key in path:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    return line


def _describe(path: tuple[Any, ...]) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def plain(node: Any) -> Any:
    """ruamel's round-trip types turned into plain dicts, lists and scalars."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


_SENTENCES = {
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": FINITE,
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most {max_length} characters",
    "string_pattern_mismatch": "may hold only lowercase letters, digits and hyphens",
    "too_short": "needs at least {min_length} items",
    "too_long": "takes at most {max_length} items",
    "literal_error": "must be one of {expected}",
    "greater_than_equal": "must be {ge} or more",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be {le} or less",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
}


def _message(
    loc: tuple[Any, ...], kind: str, msg: str, ctx: dict[str, Any] | None, question_type: str | None
) -> str:
    """A pydantic error said the way an instructor would say it."""
    if kind == "missing":
        owner = _describe(loc[:-1]) or (
            f"{question_type} question" if question_type else "the file"
        )
        return f"{owner} needs '{loc[-1]}'"
    if kind == "extra_forbidden":
        return f"unknown key '{_describe(loc)}'"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return "'type' must be one of " + ", ".join(QUESTION_TYPES)
    subject = f"'{_describe(loc)}'" if loc else "this entry"
    if kind in _SENTENCES:
        return f"{subject} " + _SENTENCES[kind].format(**(ctx or {}))
    msg = msg.removeprefix("Value error, ")
    return f"{subject}: {msg[0].lower() + msg[1:]}"


# --- loading -----------------------------------------------------------------


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


MAX_BYTES = 2_000_000
MAX_FLOW_DEPTH = 20
MAX_INDENT = 200
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s\[\]{},]+", re.M)


def _hostile(text: str, filename: str) -> Problem | None:
    """Shapes of YAML that cost far more to parse than a bank ever needs: refused
    before the parser sees them (alias bombs, deep nesting, huge files)."""
    if len(text.encode()) > MAX_BYTES:
        return Problem(filename, 1, f"the file is larger than {MAX_BYTES // 1_000_000} MB")
    depth, line = 0, 1
    for char in text:
        if char == "\n":
            line += 1
        elif char in "[{":
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                return Problem(filename, line, f"nested more than {MAX_FLOW_DEPTH} levels deep")
        elif char in "]}":
            depth = max(0, depth - 1)
    for number, content in enumerate(text.splitlines(), start=1):
        if len(content) - len(content.lstrip(" ")) > MAX_INDENT:
            return Problem(filename, number, f"indented more than {MAX_INDENT} spaces")
    if _ANCHOR.search(text):
        try:
            for event in YAML(typ="rt").parse(text):
                anchor = getattr(event, "anchor", None)
                if anchor or type(event).__name__ == "AliasEvent":
                    return Problem(
                        filename,
                        event.start_mark.line + 1,
                        f"anchors and aliases (&{anchor or 'name'}, *name) are not "
                        "allowed in the bank: write each value out",
                    )
        except YAMLError:
            return None  # the parser reports it, with its line
    return None


def parse(text: str, filename: str = "questions.yaml") -> Bank:
    """Validate the text of a bank file; raise BankError listing every problem."""
    hostile = _hostile(text, filename)
    if hostile:
        raise BankError([hostile])
    try:
        raw = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise BankError([Problem(filename, line, f"not valid YAML: {exc.problem}")]) from None
    except YAMLError as exc:
        raise BankError([Problem(filename, 1, f"not valid YAML: {exc}")]) from None
    if not isinstance(raw, CommentedMap):
        raise BankError([Problem(filename, 1, "the file must be a mapping with 'questions' etc.")])

    problems: list[Problem] = []

    def add(path: tuple[Any, ...], message: str, question: str | None = None) -> None:
        problems.append(Problem(filename, _line_of(raw, path), message, question))

    try:
        top = BankFile.model_validate(plain(raw))
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            add(loc, _message(loc, err["type"], err["msg"], err.get("ctx"), None))
        top = None

    questions = []
    raw_questions = raw.get("questions")
    if isinstance(raw_questions, CommentedSeq):
        first_line: dict[str, int] = {}
        for i, item in enumerate(raw_questions):
            qid = item.get("id") if isinstance(item, CommentedMap) else None
            qid = str(qid) if qid is not None else f"#{i + 1}"
            qtype = item.get("type") if isinstance(item, CommentedMap) else None
            qtype = qtype if qtype in QUESTION_TYPES else None
            line = _line_of(raw, ("questions", i))
            if qid in first_line:
                add(
                    ("questions", i, "id"),
                    f"duplicate id (first used on line {first_line[qid]})",
                    qid,
                )
            first_line.setdefault(qid, line)
            try:
                question = QUESTION.validate_python(plain(item))
            except ValidationError as exc:
                failed = set()
                for err in exc.errors():
                    loc = tuple(err["loc"])
                    if loc and loc[0] == qtype:
                        loc = loc[1:]  # the tag pydantic adds for a discriminated union
                    failed.add(loc[0] if loc else "type")
                    add(
                        ("questions", i, *loc),
                        _message(loc, err["type"], err["msg"], err.get("ctx"), qtype),
                        qid,
                    )
                for path, message in _partial_question_problems(plain(item), qtype, failed):
                    add(("questions", i, *path), message, qid)
                continue
            for path, message in _question_problems(question):
                add(("questions", i, *path), message, qid)
            questions.append((i, question))

    # With a section broken, the rules of the others still run on them: every problem
    # of the file at once, not the next one after each fix.
    sections = top if top is not None else _valid_sections(plain(raw))
    for path, message in _scheme_problems(sections):
        add(path, message)
    area_ids = _ids(_whole(sections.dimensions))
    blueprint = _whole(sections.blueprint)
    topic_ids = {t.id for t in blueprint} if blueprint is not None else None
    for i, question in questions:
        if area_ids is not None and question.area not in area_ids:
            add(
                ("questions", i, "area"),
                f"unknown area '{question.area}' (areas: {', '.join(area_ids)})",
                question.id,
            )
        for k, topic in enumerate(question.topics):
            if topic_ids is not None and topic not in topic_ids:
                add(
                    ("questions", i, "topics", k),
                    f"unknown topic '{topic}': add it to the blueprint or fix the name",
                    question.id,
                )
    if top is not None and not problems:  # an area may look empty only because of other problems
        for j, dim in enumerate(top.dimensions):
            pool = sum(1 for _, q in questions if q.area == dim.id and q.scored)
            if not pool:
                add(("dimensions", j), f"area '{dim.id}' has no question with a weight above 0")
            draw = dim.draw or top.settings.draw
            if draw and draw > pool:
                add(
                    ("dimensions", j),
                    f"area '{dim.id}' draws {draw} questions but has only {pool} scored ones",
                )

    if problems or top is None:
        raise BankError(sorted(problems, key=lambda p: p.line))
    scheme = Scheme(top.settings, top.dimensions, top.verdicts, top.self_rating, top.background)
    lines = {q.id: _line_of(raw, ("questions", i)) for i, q in questions}
    lines.update(
        {f"area:{d.id}": _line_of(raw, ("dimensions", j)) for j, d in enumerate(top.dimensions)}
    )
    lines.update(
        {f"topic:{t.id}": _line_of(raw, ("blueprint", j)) for j, t in enumerate(top.blueprint)}
    )
    lines["questions"] = _line_of(raw, ("questions",))
    lines["settings"] = _line_of(raw, ("settings",))
    return Bank(
        scheme=scheme,
        questions=tuple(q for _, q in questions),
        path=filename,
        blueprint=top.blueprint,
        lines=lines,
    )


def _question_problems(q: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Rules that span several fields of one question."""
    out: list[tuple[tuple[Any, ...], str]] = []
    if q.has_options:
        texts = [o.text.strip().lower() for o in q.options]
        for i, text in enumerate(texts):
            if text in texts[:i]:
                out.append((("options", i), "two options have the same text"))
    if q.type == "single":
        scored = [o.score is not None for o in q.options]
        marked = [o.correct for o in q.options]
        if any(scored):
            if not all(scored):
                out.append((("options",), "give every option a 'score', or none of them"))
            elif any(m is not None for m in marked):
                out.append((("options",), "use either 'score' weights or 'correct', not both"))
            elif max(o.score for o in q.options) != 1:
                out.append((("options",), "the best option needs a score of 1"))
        elif sum(bool(m) for m in marked) != 1:
            out.append(
                (
                    ("options",),
                    "single question needs exactly one option with "
                    "'correct: true' (or a 'score' on every option)",
                )
            )
    elif q.type == "likert" and q.weight:
        out.append(
            (
                ("weight",),
                "a Likert statement describes the taker and is never scored: "
                "give it weight 0 or no weight",
            )
        )
    elif q.type == "multiple":
        if any(o.score is not None for o in q.options):
            out.append((("options",), "multiple question options take 'correct', not 'score'"))
        correct = sum(bool(o.correct) for o in q.options)
        if correct == 0:
            out.append((("options",), "multiple question needs at least one correct option"))
        elif correct == len(q.options):
            out.append((("options",), "multiple question needs at least one wrong option"))
    return out


_OPTIONS = TypeAdapter(tuple[Option, ...])
_WEIGHT = TypeAdapter(Number)


def _partial_question_problems(
    data: Any, qtype: str | None, failed: Collection[str]
) -> list[tuple[tuple[Any, ...], str]]:
    """:func:`_question_problems` of a question that did not validate, as far as the
    fields its rules read are valid (``failed``: the fields with problems of their own),
    so that a blank prompt does not hide options that have no right answer."""
    if qtype is None or not isinstance(data, dict):
        return []
    try:
        if qtype in ("single", "multiple") and "options" not in failed:
            options = _OPTIONS.validate_python(data.get("options", ()))
            shape = {"has_options": True, "options": options, "weight": 1.0}
        elif qtype == "likert" and "weight" not in failed:
            shape = {"has_options": False, "weight": _WEIGHT.validate_python(data.get("weight", 0))}
        else:
            return []
    except ValidationError:
        return []
    return _question_problems(SimpleNamespace(type=qtype, **shape))


def _scheme_problems(top: Any) -> list[tuple[tuple[Any, ...], str]]:
    """The rules that span several entries of the settings, areas, verdicts, blueprint and
    background. ``top`` is the BankFile, or (when it did not validate) the :class:`_Sections`
    that did on their own: each rule runs on what it reads as far as that is valid."""
    out: list[tuple[tuple[Any, ...], str]] = []
    area_ids = _ids(_whole(top.dimensions))
    seen: list[str] = []
    for j, dim in _valid_entries(top.dimensions):
        if dim.id in seen:
            out.append((("dimensions", j, "id"), f"duplicate area id '{dim.id}'"))
        seen.append(dim.id)
    if top.settings is not None and top.settings.bands.adequate > top.settings.bands.strength:
        out.append(
            (("settings", "bands"), "the adequate band cannot start above the strength band")
        )
    verdict_ids: list[str] = []
    for j, verdict in _valid_entries(top.verdicts):
        if verdict.id in verdict_ids:
            out.append((("verdicts", j, "id"), f"duplicate verdict id '{verdict.id}'"))
        verdict_ids.append(verdict.id)
        for area in verdict.min_area:
            if area_ids is not None and area not in area_ids:
                out.append((("verdicts", j, "min_area", area), f"unknown area '{area}'"))
    if top.verdicts and top.verdicts[-1] is not None and not top.verdicts[-1].is_catch_all:
        out.append(
            (
                ("verdicts", len(top.verdicts) - 1),
                "the last verdict must have no conditions, so that every result gets one",
            )
        )
    topic_ids: list[str] = []
    for j, topic in _valid_entries(top.blueprint):
        if topic.id in topic_ids:
            out.append((("blueprint", j, "id"), f"duplicate topic id '{topic.id}'"))
        topic_ids.append(topic.id)
    item_ids: list[str] = []
    for j, item in _valid_entries(top.background):
        if item.id in item_ids:
            out.append((("background", j, "id"), f"duplicate background item '{item.id}'"))
        item_ids.append(item.id)
        choice_ids = [c.id for c in item.choices]
        if len(set(choice_ids)) != len(choice_ids):
            out.append((("background", j, "choices"), "two choices have the same id"))
    background = _whole(top.background)
    if background is not None:
        out += _readiness_problems(background)
    return out


def _valid_entries(entries: Sequence[Any] | None) -> list[tuple[int, Any]]:
    """(index, entry) of the entries of a list section that are valid (not None)."""
    return [(j, entry) for j, entry in enumerate(entries or ()) if entry is not None]


def _whole(entries: Sequence[Any] | None) -> Sequence[Any] | None:
    """A list section whose every entry is valid; None if any is not (or it is missing)."""
    return None if entries is None or any(e is None for e in entries) else entries


def _ids(entries: Sequence[Any] | None) -> list[str] | None:
    return None if entries is None else [e.id for e in entries]


@dataclass(frozen=True)
class _Sections:
    """The top-level sections of a file that did not validate as a whole, each validated
    on its own: its value (the default when the file leaves it out), or None when it has
    problems of its own (reported already) or is required and missing. A list section
    whose entries are not all valid is a list with None for each entry that is not, so
    that the rules still see the others, at their places."""

    settings: Settings | None
    dimensions: Sequence[Dimension | None] | None
    verdicts: Sequence[Verdict | None] | None
    blueprint: Sequence[Topic | None] | None
    background: Sequence[BackgroundItem | None] | None


_SECTIONS = {
    name: TypeAdapter(BankFile.model_fields[name].rebuild_annotation())
    for name in ("settings", "dimensions", "verdicts", "blueprint", "background")
}
_ENTRIES = {
    "dimensions": TypeAdapter(Dimension),
    "verdicts": TypeAdapter(Verdict),
    "blueprint": TypeAdapter(Topic),
    "background": TypeAdapter(BackgroundItem),
}


def _valid_sections(raw: Any) -> _Sections:
    """:class:`_Sections` of a plain mapping (the file's top level)."""
    values: dict[str, Any] = {}
    for name, adapter in _SECTIONS.items():
        spec = BankFile.model_fields[name]
        if name not in raw:
            values[name] = (
                None if spec.is_required() else spec.get_default(call_default_factory=True)
            )
            continue
        try:
            values[name] = adapter.validate_python(raw[name])
        except ValidationError:
            values[name] = _entries(name, raw[name])
    if values["settings"] is None and isinstance(raw.get("settings"), dict):
        # The rules read only the bands of the settings: check them even when another
        # setting is wrong (a stand-in with the bands, every other setting its default).
        try:
            bands = Bands.model_validate(raw["settings"].get("bands", {}))
            values["settings"] = Settings.model_construct(bands=bands)
        except ValidationError:
            pass
    return _Sections(**values)


def _entries(name: str, value: Any) -> list[Any] | None:
    """A list section that did not validate, entry by entry (None for each invalid one);
    None when it is not a list of entries at all, or is empty."""
    if name not in _ENTRIES or not isinstance(value, list) or not value:
        return None
    out = []
    for entry in value:
        try:
            out.append(_ENTRIES[name].validate_python(entry))
        except ValidationError:
            out.append(None)
    return out


def _readiness_problems(background: Sequence[BackgroundItem]) -> list[tuple[tuple[Any, ...], str]]:
    """The background items and choices the report's readiness checks read must exist
    (``role.READINESS_BACKGROUND``), so that renaming one is an error, not a silent
    change of every report. A bank with no background at all asks nothing (every
    readiness check then says "not answered")."""
    if not background:
        return []
    out: list[tuple[tuple[Any, ...], str]] = []
    items = {item.id: (j, item) for j, item in enumerate(background)}
    for item_id, needed in role.READINESS_BACKGROUND.items():
        if item_id not in items:
            out.append(
                (("background",), f"the readiness checks need a background item '{item_id}'")
            )
            continue
        j, item = items[item_id]
        missing = sorted(needed - {c.id for c in item.choices})
        if missing:
            names = ", ".join(f"'{m}'" for m in missing)
            out.append(
                (
                    ("background", j, "choices"),
                    f"the readiness checks read the choice{'s' if len(missing) > 1 else ''} "
                    f"{names} of background item '{item_id}'",
                )
            )
    return out


def check_question(
    data: Any, area_ids: Sequence[str], taken_ids: Collection[str] = ()
) -> list[tuple[str, str]]:
    """Every problem of one question's data, as (field, message), for an editor form."""
    qtype = data.get("type") if isinstance(data, dict) else None
    qtype = qtype if qtype in QUESTION_TYPES else None
    try:
        question = QUESTION.validate_python(data)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            if loc and loc[0] == qtype:
                loc = loc[1:]
            field_name = str(loc[0]) if loc else "type"
            out.append((field_name, _message(loc, err["type"], err["msg"], err.get("ctx"), qtype)))
        failed = {name for name, _ in out}
        out += [
            (str(path[0]), message)
            for path, message in _partial_question_problems(data, qtype, failed)
        ]
        return out
    out = [(str(path[0]), message) for path, message in _question_problems(question)]
    if question.area not in area_ids:
        out.append(("area", f"unknown area '{question.area}'"))
    if question.id in taken_ids:
        out.append(("id", f"another question already has the id '{question.id}'"))
    return out


def load(path: str | os.PathLike[str]) -> Bank:
    """Read and validate a bank file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BankError([Problem(str(path), 1, "file not found")]) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise BankError([Problem(str(path), line, "not UTF-8 text")]) from None
    return parse(text, str(path))


def stamp(path: str | os.PathLike[str]) -> tuple[int, int, int] | None:
    """A cheap fingerprint of the file: changes whenever the file is replaced or edited."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class BankSource:
    """The current bank of one file, reloaded when the file's stamp changes.

    A file that fails to load leaves the last good bank serving; the problem
    is logged and kept in ``error`` for instructors.
    """

    def __init__(self, path: str | os.PathLike[str], check_every: float = 1.0):
        self.path = Path(path)
        self.check_every = check_every
        self.error: BankError | None = None
        self._bank: Bank | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def current(self, now: float | None = None) -> Bank | None:
        """The last good bank (None only if the file has never loaded)."""
        now = time.monotonic() if now is None else now
        if now - self._checked >= self.check_every:
            with self._lock:
                if now - self._checked >= self.check_every:
                    self._checked = now
                    new_stamp = stamp(self.path)
                    if new_stamp != self._stamp:
                        self._reload(new_stamp)
        return self._bank

    def refresh(self) -> Bank | None:
        """Check the file now, whatever the interval (after the app itself wrote it)."""
        with self._lock:
            self._checked = time.monotonic()
            new_stamp = stamp(self.path)
            if new_stamp != self._stamp:
                self._reload(new_stamp)
        return self._bank

    def _reload(self, new_stamp: tuple[int, int, int] | None) -> None:
        self._stamp = new_stamp
        try:
            self._bank = load(self.path)
            self.error = None
            log.info("loaded %s", self._bank.summary())
        except BankError as exc:
            self.error = exc
            kept = "keeping the last good bank" if self._bank else "no bank to serve yet"
            log.error("cannot load %s (%s):\n%s", self.path, kept, exc)
