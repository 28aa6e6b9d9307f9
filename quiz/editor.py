"""Change questions.yaml the way a careful person would.

Edits go through ruamel.yaml's round trip, so comments, key order and the
formatting of every untouched part survive. A save is refused when the file
changed since the editor opened it (:class:`Conflict`) or when the result
would not validate (:class:`~quiz.bank.BankError`); otherwise it is written
atomically: a temporary file, fsync, rename.

The operations on a parsed document and the form-to-data conversions are
pure; only :func:`save` and :func:`write_atomic` touch the disk.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from .bank import QUESTION_TYPES, parse, plain

QUESTION_KEYS = (
    "id",
    "area",
    "type",
    "difficulty",
    "weight",
    "jurisdiction",
    "topics",
    "reverse",
    "prompt",
    "options",
    "answer",
    "tolerance",
    "alternatives",
    "unit",
    "explanation",
)
LONG_TEXT = 70
WIDTH = 76


class EditError(Exception):
    """An edit that cannot be made (an unknown question id, say); the message is for people."""


class Conflict(Exception):
    """The file changed since the editor opened it."""

    def __init__(self, current: str):
        self.current = current
        super().__init__("the file changed since you opened it")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap lines nobody touched
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load(text: str) -> CommentedMap:
    return _yaml().load(text)


def dump(doc: CommentedMap) -> str:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


# --- styling new values like the rest of the file -----------------------------------


def _folded(text: str) -> FoldedScalarString:
    """A long one-line text as a folded block, wrapped near WIDTH columns."""
    folded = FoldedScalarString(text)
    positions, line_start = [], 0
    for i, char in enumerate(text):
        if char == " " and i - line_start > WIDTH - 8:
            positions.append(i)
            line_start = i + 1
    folded.fold_pos = positions
    return folded


def styled(value: Any, old: Any = None) -> Any:
    """Text as the file writes it: several lines literally, long lines folded."""
    if not isinstance(value, str):
        return value
    if "\n" in value:
        return LiteralScalarString(value)
    if len(value) > LONG_TEXT or isinstance(old, FoldedScalarString):
        return _folded(value)
    return value


def _update_map(target: CommentedMap, data: Mapping[str, Any], order: Sequence[str]) -> None:
    """Make ``target`` hold ``data``, touching only the keys whose values change."""
    for key in [k for k in target if k not in data]:
        del target[key]
    for key, value in data.items():
        if key in target:
            if plain(target[key]) != plain(value):
                target[key] = _node(value, target[key])
            continue
        position = len(target)
        if key in order:
            later = [k for k in order[order.index(key) + 1 :] if k in target]
            if later:
                position = list(target).index(later[0])
        target.insert(position, key, _node(value))


def _node(value: Any, old: Any = None) -> Any:
    if isinstance(value, Mapping):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = _node(item)
        return node
    if isinstance(value, (list, tuple)):
        return CommentedSeq([_node(item) for item in value])
    return styled(value, old)


# --- operations on a document ------------------------------------------------------


def _questions(doc: CommentedMap) -> CommentedSeq:
    questions = doc.get("questions")
    if not isinstance(questions, CommentedSeq):
        raise EditError("the file has no list of questions")
    return questions


def question_index(doc: CommentedMap, qid: str) -> int:
    for i, item in enumerate(_questions(doc)):
        if isinstance(item, Mapping) and item.get("id") == qid:
            return i
    raise EditError(f"There is no question '{qid}' in the bank.")


def put_question(
    doc: CommentedMap, data: Mapping[str, Any], original_id: str | None = None
) -> None:
    """Replace the question ``original_id`` with ``data``, or add it after its area's last."""
    questions = _questions(doc)
    if original_id is not None:
        _update_map(questions[question_index(doc, original_id)], data, QUESTION_KEYS)
        return
    node = CommentedMap()
    _update_map(node, data, QUESTION_KEYS)
    same_area = [
        i
        for i, q in enumerate(questions)
        if isinstance(q, Mapping) and q.get("area") == data.get("area")
    ]
    questions.insert(same_area[-1] + 1 if same_area else len(questions), node)


def delete_question(doc: CommentedMap, qid: str) -> None:
    del _questions(doc)[question_index(doc, qid)]


def duplicate_question(doc: CommentedMap, qid: str) -> str:
    """Copy a question right after itself under a new id; returns that id."""
    questions = _questions(doc)
    index = question_index(doc, qid)
    taken = {str(q.get("id")) for q in questions if isinstance(q, Mapping)}
    new_id, n = f"{qid}-copy", 2
    while new_id in taken:
        new_id, n = f"{qid}-copy-{n}", n + 1
    copy = _node(plain(questions[index]))
    copy["id"] = new_id
    questions.insert(index + 1, copy)
    return new_id


def move_question(doc: CommentedMap, qid: str, direction: str) -> None:
    """Swap a question with the previous or next question of its area."""
    questions = _questions(doc)
    index = question_index(doc, qid)
    area = questions[index].get("area")
    step = -1 if direction == "up" else 1
    other = index + step
    while 0 <= other < len(questions) and questions[other].get("area") != area:
        other += step
    if not 0 <= other < len(questions):
        raise EditError(
            f"Question '{qid}' is already the {'first' if step < 0 else 'last'} of its area."
        )
    questions[index], questions[other] = questions[other], questions[index]


def put_settings(doc: CommentedMap, data: Mapping[str, Any]) -> None:
    """Set the settings in ``data``; a key set to None is removed, and settings the
    form does not show (adaptive, min_answered, seconds …) are kept."""
    if "settings" not in doc:
        doc.insert(0, "settings", CommentedMap())
    current = doc["settings"]
    merged = {key: current[key] for key in current if key not in data}
    merged.update({key: value for key, value in data.items() if value is not None})
    _update_map(current, merged, tuple(current) + tuple(data))


def put_dimension(doc: CommentedMap, area: str, data: Mapping[str, Any]) -> None:
    for item in doc.get("dimensions") or []:
        if item.get("id") == area:
            order = ("id", "name", "weight", "description", "prefix", "draw", "feedback")
            _update_map(item, data, order)
            return
    raise EditError(f"There is no area '{area}' in the bank.")


def put_verdicts(doc: CommentedMap, verdicts: Sequence[Mapping[str, Any]]) -> None:
    """Replace the verdict rules, keeping the entries (and their comments) that stay."""
    current = doc.get("verdicts")
    if not isinstance(current, CommentedSeq):
        doc["verdicts"] = _node(list(verdicts))
        return
    order = ("id", "label", "min_overall", "max_overall", "min_each_area", "min_area", "summary")
    for i, data in enumerate(verdicts):
        if i < len(current):
            _update_map(current[i], data, order)
        else:
            current.append(_node(dict(data)))
    del current[len(verdicts) :]


# --- forms -----------------------------------------------------------------------


def number(text: str) -> Any:
    """'45' → 45, '0.5' → 0.5; anything else stays text, for the validator to report."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def question_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """A question's data from an editor form (``form.get``/``getlist`` like Flask's)."""
    kind = form.get("type", "")
    data: dict[str, Any] = {
        "id": form.get("id", "").strip(),
        "area": form.get("area", ""),
        "type": kind,
    }
    if form.get("difficulty"):
        data["difficulty"] = form["difficulty"]
    weight = form.get("weight", "").strip()
    # 1 is the default weight, left out of the file; a Likert statement's default is 0,
    # so any weight it is given is kept (for the validator to refuse one above 0).
    if weight and (kind == "likert" or weight not in ("1", "1.0")):
        data["weight"] = number(weight)
    if form.get("jurisdiction"):
        data["jurisdiction"] = form["jurisdiction"]
    topics = [t for t in form.getlist("topics") if t]
    if topics:
        data["topics"] = topics
    if kind == "likert" and form.get("reverse"):
        data["reverse"] = True
    data["prompt"] = _text(form.get("prompt", ""))
    if kind in ("single", "multiple"):
        data["options"] = _options(form, kind)
    if kind == "numeric":
        data["answer"] = number(form.get("answer", ""))
        tolerance = form.get("tolerance", "").strip() or "0"
        data["tolerance"] = tolerance if tolerance.endswith("%") else number(tolerance)
        if form.get("unit", "").strip():
            data["unit"] = form["unit"].strip()
        alternatives = [_alternative(line) for line in form.get("alternatives", "").splitlines()]
        if any(alternatives):
            data["alternatives"] = [a for a in alternatives if a]
    data["explanation"] = _text(form.get("explanation", ""))
    if kind not in QUESTION_TYPES:
        data["type"] = kind  # left for the validator to name
    return data


def _alternative(line: str) -> dict[str, Any] | None:
    """'-4', '-4 ± 0.5', '-4 +/- 0.5' or '-4 ± 2%' as another right answer; None for a
    blank line. What is not a number stays text, for the validator to name."""
    line = line.strip()
    if not line:
        return None
    parts = re.split(r"\s*(?:±|\+/-|\+-)\s*", line, maxsplit=1)
    value, tolerance = parts[0], (parts[1].strip() if len(parts) > 1 else "") or "0"
    return {
        "answer": number(value),
        "tolerance": tolerance if tolerance.endswith("%") else number(tolerance),
    }


def _text(value: str) -> str:
    """Text from a textarea: trimmed, with Windows line ends made plain."""
    return value.replace("\r\n", "\n").strip()


def _options(form: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    texts = form.getlist("option_text")
    weighted = kind == "single" and form.get("scoring") == "weighted"
    correct = set(form.getlist("correct"))
    scores = form.getlist("option_score")
    options = []
    for i, text in enumerate(texts):
        if not text.strip():
            continue
        option: dict[str, Any] = {"text": text.strip()}
        if weighted:
            option["score"] = number(scores[i] if i < len(scores) else "")
        elif str(i) in correct:
            option["correct"] = True
        options.append(option)
    return options


def question_to_form(question: Mapping[str, Any]) -> dict[str, Any]:
    """The values an editor form shows for a question's data (the inverse of the above)."""
    options = list(question.get("options") or [])
    weighted = any("score" in o for o in options)
    return {
        "id": question.get("id", ""),
        "area": question.get("area", ""),
        "type": question.get("type", "single"),
        "difficulty": question.get("difficulty", ""),
        "weight": question.get("weight", 0 if question.get("type") == "likert" else 1),
        "jurisdiction": question.get("jurisdiction", ""),
        "topics": list(question.get("topics") or []),
        "reverse": bool(question.get("reverse")),
        "prompt": question.get("prompt", ""),
        "explanation": question.get("explanation", ""),
        "answer": question.get("answer", ""),
        "tolerance": question.get("tolerance", 0),
        "alternatives": "\n".join(
            f"{a.get('answer', '')} ± {a.get('tolerance', 0)}"
            for a in question.get("alternatives") or []
        ),
        "unit": question.get("unit", ""),
        "scoring": "weighted" if weighted else "keyed",
        "options": [
            {
                "text": o.get("text", ""),
                "correct": bool(o.get("correct")),
                "score": o.get("score", ""),
            }
            for o in options
        ],
    }


# --- saving ------------------------------------------------------------------------


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for the bank file, across threads and processes."""
    with open(path.with_name(f".{path.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomic(path: Path, text: str) -> None:
    """Replace the file in one step: a reader sees the old file or the new one, never half."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # make the rename itself durable
    finally:
        os.close(directory)


def save(path: Path, base: str, change: Callable[[str], str]) -> tuple[str, str]:
    """Apply ``change`` to the file's text if it is still the text with sha ``base``.

    Returns (old text, new text). Raises Conflict if the file has moved on,
    BankError if the new text would not validate; in both cases the file is
    untouched.
    """
    with locked(path):
        current = path.read_text(encoding="utf-8")
        if sha(current) != base:
            raise Conflict(current)
        new = change(current)
        parse(new, path.name)
        if new != current:
            write_atomic(path, new)
        return current, new


def edit(change: Callable[[CommentedMap], Any]) -> Callable[[str], str]:
    """A text-to-text change from an operation on the parsed document."""

    def apply(text: str) -> str:
        doc = load(text)
        change(doc)
        return dump(doc)

    return apply
