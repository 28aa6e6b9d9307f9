"""Moodle's question formats, GIFT and Moodle XML: read them into bank questions, write the
bank out in them. Pure: text in, data out.

GIFT follows Moodle's own importer (question/format/gift/format.php): questions
separated by blank lines, ``//`` comments, ``::name::``, ``[html]`` and
``[markdown]`` text formats, ``\\`` escapes, ``$CATEGORY:``, ``#`` feedback,
``####`` general feedback, ``%50%`` weights, ``{#3:2}`` and ``{#1..5}``
numbers. No maintained Python library parses GIFT, hence this module. Moodle
XML is read with lxml, entities and network access off.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from lxml import etree
from slugify import slugify

from .answers import plain_number
from .bank import MAX_BYTES as MAX_BANK_BYTES
from .bank import Bank, Dimension, check_question

TYPE_REASONS = {
    "essay": "essay questions need a person to mark them",
    "description": "a description is not a question",
    "match": "matching questions have no counterpart here",
    "matching": "matching questions have no counterpart here",
    "shortanswer": "short-answer (typed text) questions have no counterpart here; only numbers "
    "can be typed",
    "multianswer": "Cloze (embedded answers) questions have no counterpart here",
    "cloze": "Cloze (embedded answers) questions have no counterpart here",
    "calculated": "calculated questions have no counterpart here",
    "calculatedsimple": "calculated questions have no counterpart here",
    "calculatedmulti": "calculated questions have no counterpart here",
    "ddwtos": "drag-and-drop questions have no counterpart here",
    "ddimageortext": "drag-and-drop questions have no counterpart here",
    "ddmarker": "drag-and-drop questions have no counterpart here",
    "gapselect": "select-missing-words questions have no counterpart here",
    "ordering": "ordering questions have no counterpart here",
    "randomsamatch": "random matching questions have no counterpart here",
}
# The largest file an import reads, web or command line alike: Moodle exports with a few
# embedded images stay well below it; a bank's worth of text is a few hundred KB.
MAX_FILE_BYTES = 16 * 1024 * 1024
NO_EXPLANATION = "Imported without an explanation: write one that says why the answer is right."


class MoodleFileError(Exception):
    """A file that cannot be read at all; nothing is imported from it."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass
class Imported:
    """A question as read from the file, before it becomes bank data."""

    name: str
    kind: str  # 'single', 'multiple' or 'numeric'
    prompt: str
    line: int
    category: str | None = None
    options: list[tuple[str, float, str]] = field(default_factory=list)  # text, fraction, feedback
    answer: float | None = None
    tolerance: float = 0.0
    unit: str | None = None
    general_feedback: str = ""
    difficulty: str | None = None
    weight: float | None = None
    jurisdiction: str | None = None
    topics: list[str] = field(default_factory=list)
    alternatives: list[tuple[float, float]] = field(default_factory=list)  # answer, tolerance
    # What the import leaves out or scores differently, said in its summary.
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Note:
    """What an added question lost on the way in, or how its scoring changed."""

    line: int
    qid: str
    message: str


@dataclass(frozen=True)
class Skipped:
    line: int
    name: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: skipped '{self.name}': {self.reason}"


# --- numbers ------------------------------------------------------------------------------

_FILE_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


class BadNumber(ValueError):
    """A number in an imported file that cannot be read; the question is skipped."""

    def __init__(self, field_name: str, text: str):
        self.field_name = field_name
        self.text = text
        super().__init__(f"its {field_name} '{text[:40]}' is not a number")


def file_number(text: str | None, field_name: str, default: float | None = None) -> float:
    """A number as an exported quiz file writes it: '50', '-33.333', '1e3', or with a
    decimal comma ('50,0', '0,5'), as Moodle writes them in some locales. Files never
    group thousands, so a comma is always the decimal mark. Empty text gives ``default``.

    Raises BadNumber naming ``field_name`` (e.g. 'fraction', 'tolerance') otherwise.
    """
    value = (text or "").strip().replace("\u2212", "-")
    if not value:
        if default is None:
            raise BadNumber(field_name, "")
        return default
    if not _FILE_NUMBER.fullmatch(value):
        raise BadNumber(field_name, value)
    number = float(value.replace(",", "."))
    if number != number or number in (float("inf"), float("-inf")):
        raise BadNumber(field_name, value)
    return number


# --- text formats ---------------------------------------------------------------------


# What the renderer (quiz.text) would read as markup in plain text: emphasis, code, the
# escape itself, entities; and, at the start of a line, list items and code fences.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_&])")
_LINE_MARKUP = re.compile(r"^(\s*)(?:([-+])(?=\s)|(\d+)([.)])(?=\s)|(~~~))", re.M)
_SUPERSCRIPT = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SUBSCRIPT = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")


def literal(text: str) -> str:
    """Plain text escaped so the Markdown renderer shows it as typed: '2*3*4' stays
    '2*3*4', not an emphasis; '- 5' at the start of a line is not a list item."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)

    def mark(m: re.Match[str]) -> str:
        indent, bullet, number, dot, fence = m.groups()
        if number:
            return f"{indent}{number}\\{dot}"
        return f"{indent}\\{bullet or fence}"

    return _LINE_MARKUP.sub(mark, escaped)


def _script(text: str, table: dict[int, str], mark: str) -> str:
    """A superscript or subscript in plain characters: digits and signs as Unicode
    super/subscripts (2¹⁰, 10⁻³, H₂O); ordinals as they are (2nd); else ^(…) or _(…)."""
    text = text.strip().replace("\u2212", "-")
    if not text:
        return ""
    if mark == "^" and text in ("st", "nd", "rd", "th", "er", "e", "o", "a"):
        return text
    converted = text.translate(table)
    if all(ord(c) > 127 for c in converted):
        return converted
    return f"{mark}({text})"


class _Markdownish(HTMLParser):
    """Moodle's HTML turned into the Markdown prompts use: emphasis, code, lists, line
    breaks, code blocks and tables; super- and subscripts as Unicode; style and script
    content left out; images noted in ``dropped``."""

    MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*", "code": "`"}
    SILENT = ("style", "script", "head", "title")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.dropped: list[str] = []
        self._silent = 0
        self._pre: list[str] | None = None
        self._script: tuple[str, list[str]] | None = None
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._lists: list[int | None] = []  # open lists: the next number, or None for bullets
        self._code = 0  # inside <code>: text is literal there, so nothing is escaped

    def _emit(self, text: str) -> None:
        if self._cell is not None:
            self._cell.append(text)
        elif self._script is not None:
            self._script[1].append(text)
        else:
            self.out.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SILENT:
            self._silent += 1
        elif self._pre is not None:
            return
        elif tag == "pre":
            self._pre = []
        elif tag in ("sup", "sub"):
            self._script = (tag, [])
        elif tag == "table":
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []
        elif tag in self.MARKS:
            self._code += tag == "code"
            self._emit(self.MARKS[tag])
        elif tag in ("p", "div", "ul", "ol"):
            if tag in ("ul", "ol"):
                self._lists.append(1 if tag == "ol" else None)
            self._emit("\n\n")
        elif tag == "br":
            self._emit("\n" if self._cell is None else " ")
        elif tag == "li":
            number = self._lists[-1] if self._lists else None
            if number is None:
                self._emit("\n- ")
            else:
                self._emit(f"\n{number}. ")
                self._lists[-1] = number + 1
        elif tag == "img":
            found = dict(attrs)
            alt, src = (found.get("alt") or "").strip(), (found.get("src") or "").strip()
            name = alt or src.rsplit("/", 1)[-1].split("?")[0] or "no name"
            self.dropped.append(f"image '{name}'")
            self._emit(f"[image: {literal(alt)}]" if alt else "[image]")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SILENT:
            self._silent = max(0, self._silent - 1)
        elif tag == "pre" and self._pre is not None:
            code = "".join(self._pre).strip("\n")
            self._pre = None
            self.out.append(f"\n\n```\n{code}\n```\n\n")
        elif self._pre is not None:
            return
        elif tag in ("sup", "sub") and self._script is not None:
            kind, parts = self._script
            self._script = None
            table = _SUPERSCRIPT if kind == "sup" else _SUBSCRIPT
            self._emit(_script("".join(parts), table, "^" if kind == "sup" else "_"))
        elif tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.out.append(_table([r for r in self._rows if r]))
            self._rows = None
        elif tag in self.MARKS:
            self._code = max(0, self._code - (tag == "code"))
            self._emit(self.MARKS[tag])
        elif tag in ("p", "div", "ul", "ol"):
            if tag in ("ul", "ol") and self._lists:
                self._lists.pop()
            self._emit("\n\n")

    def handle_data(self, data: str) -> None:
        if self._silent:
            return
        if self._pre is not None:
            self._pre.append(data)
            return
        data = re.sub(r"\s+", " ", data)
        self._emit(data.replace("`", "'") if self._code else literal(data))


def _table(rows: list[list[str]]) -> str:
    """Rows of cells as a Markdown table, the first row its header."""
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    lines = []
    for n, row in enumerate(rows):
        cells = [c.replace("|", "\\|") for c in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            lines.append("|" + " --- |" * width)
    return "\n\n" + "\n".join(lines) + "\n\n"


_MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")


def convert(text: str, fmt: str) -> tuple[str, list[str]]:
    """Text in one of Moodle's formats as this app's Markdown, and what was dropped on
    the way (images), for the import summary. HTML is converted; plain and Moodle
    auto-format text is escaped so that it shows as typed; Markdown stays Markdown."""
    dropped: list[str] = []
    if fmt == "html":
        parser = _Markdownish()
        # '<![' opens a marked section only as '<![CDATA['; Python's parser asserts on
        # any other, so such text is taken as the text it is.
        parser.feed(re.sub(r"<!\[(?!CDATA\[)", "&lt;![", text))
        parser.close()
        dropped = parser.dropped
        text = "".join(parser.out)
        parts = re.split(r"(\n```\n.*?\n```\n)", text, flags=re.S)
        for i in range(0, len(parts), 2):  # tidy whitespace outside code blocks only
            part = re.sub(r"[ \t]*\n[ \t]*", "\n", parts[i])
            parts[i] = re.sub(r"\n{3,}", "\n\n", part)
        text = "".join(parts)
    elif fmt == "markdown":
        for alt, src in _MARKDOWN_IMAGE.findall(text):
            dropped.append(f"image '{alt or src.rsplit('/', 1)[-1] or 'no name'}'")
        text = _MARKDOWN_IMAGE.sub(lambda m: f"[image: {m.group(1)}]", text)
    else:  # 'plain' and Moodle's auto-format: the text as typed, line breaks kept
        text = "\n".join(literal(line) for line in text.split("\n"))
    return text.strip(), dropped


# --- GIFT ---------------------------------------------------------------------------------

_ESCAPES = {
    "\\:": "\x01",
    "\\#": "\x02",
    "\\=": "\x03",
    "\\{": "\x04",
    "\\}": "\x05",
    "\\~": "\x06",
    "\\n": "\x07",
}
_UNESCAPE = {
    "\x01": ":",
    "\x02": "#",
    "\x03": "=",
    "\x04": "{",
    "\x05": "}",
    "\x06": "~",
    "\x07": "\n",
    "\x08": "\\",
}
_FORMAT_MARK = re.compile(r"^\[(html|moodle|plain|markdown)\]")
_WEIGHT = re.compile(r"^%(-?[0-9]+(?:[.,][0-9]*)?)%")


def _escape_pre(text: str) -> str:
    text = text.replace("\\\\", "\x08")
    for escaped, placeholder in _ESCAPES.items():
        text = text.replace(escaped, placeholder)
    return text


def _unescape(text: str) -> str:
    for placeholder, char in _UNESCAPE.items():
        text = text.replace(placeholder, char)
    return text


def _gift_text(
    text: str, default: str = "moodle", dropped: list[str] | None = None
) -> tuple[str, str]:
    """(text as Markdown, its format) of a GIFT text with an optional [format] prefix;
    what the conversion drops (images) is added to ``dropped``."""
    text = text.strip()
    fmt = default
    found = _FORMAT_MARK.match(text)
    if found:
        fmt, text = found.group(1), text[found.end() :]
    converted, lost = convert(_unescape(text).strip(), fmt)
    if dropped is not None:
        dropped.extend(lost)
    return converted, fmt


def _split_feedback(answer: str, fmt: str, dropped: list[str]) -> tuple[str, str]:
    text, _, feedback = answer.partition("#")
    return _gift_text(text, fmt, dropped)[0], _gift_text(feedback, fmt, dropped)[0]


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Questions are separated by blank lines: (first line number, lines) of each."""
    blocks, current, start = [], [], 1
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def parse_gift(text: str) -> tuple[list[Imported], list[Skipped]]:
    questions: list[Imported] = []
    skipped: list[Skipped] = []
    category = None
    for start, lines in _blocks(text.replace("\r\n", "\n").replace("\r", "\n")):
        body = "\n".join(" " if line.strip().startswith("//") else line for line in lines)
        body = _escape_pre(body.strip())
        if not body:
            continue
        if body.startswith("$CATEGORY:"):
            category = _unescape(body[len("$CATEGORY:") :].strip())
            continue
        name = None
        if body.startswith("::"):
            end = body.find("::", 2)
            if end != -1:
                name, body = _unescape(body[2:end]).strip(), body[end + 2 :].strip()
        opening, closing = body.find("{"), body.find("}")
        if opening == -1 and closing == -1:
            skipped.append(Skipped(start, name or _short(body), TYPE_REASONS["description"]))
            continue
        if opening == -1 or closing == -1 or closing < opening:
            at = opening if opening != -1 else closing
            line = start + body[:at].count("\n")
            what = (
                "'{' without a matching '}'"
                if closing == -1 or closing < opening
                else "'}' without a matching '{'"
            )
            raise MoodleFileError(line, f"{what} (questions end at a blank line)")
        answers = body[opening + 1 : closing].strip()
        question_text = body[:opening] + ("" if body[closing + 1 :].strip() == "" else "_____")
        question_text += body[closing + 1 :]
        dropped: list[str] = []
        prompt, fmt = _gift_text(question_text, dropped=dropped)
        name = name or _short(prompt)
        general = ""
        cut = answers.rfind("####")
        if cut != -1:
            general = _gift_text(answers[cut + 4 :], fmt, dropped)[0]
            answers = answers[:cut].strip()
        found = Imported(
            name=name,
            kind="",
            prompt=prompt,
            line=start,
            category=category,
            general_feedback=general,
        )
        if answers == "":
            skipped.append(Skipped(start, name, TYPE_REASONS["essay"]))
        elif answers.startswith("#"):
            found.kind = "numeric"
            reason = _gift_numeric(found, answers[1:], fmt, dropped)
            if reason:
                skipped.append(Skipped(start, name, reason))
            else:
                questions.append(found)
        elif "~" in answers:
            single = "=" in answers
            found.kind = "single" if single else "multiple"
            for answer in answers.replace("=", "~=").split("~"):
                answer = answer.strip()
                if not answer:
                    continue
                if answer.startswith("="):
                    fraction, answer = 1.0, answer[1:]
                elif _WEIGHT.match(answer):
                    fraction = file_number(_WEIGHT.match(answer).group(1), "weight") / 100
                    answer = answer[_WEIGHT.match(answer).end() :]
                else:
                    fraction = 0.0
                option, feedback = _split_feedback(answer, fmt, dropped)
                found.options.append((option, fraction, feedback))
            questions.append(found)
        elif "=" in answers and "->" in answers:
            skipped.append(Skipped(start, name, TYPE_REASONS["match"]))
        else:
            verdict, _, feedback = answers.partition("#")
            if verdict.strip() in ("T", "TRUE", "F", "FALSE"):
                wrong, _, right = feedback.partition("#")
                true = verdict.strip() in ("T", "TRUE")
                found.kind = "single"
                right_text = _gift_text(right, fmt, dropped)[0]
                wrong_text = _gift_text(wrong, fmt, dropped)[0]
                found.options = [
                    ("True", 1.0 if true else 0.0, right_text if true else wrong_text),
                    ("False", 0.0 if true else 1.0, wrong_text if true else right_text),
                ]
                questions.append(found)
            else:
                skipped.append(Skipped(start, name, TYPE_REASONS["shortanswer"]))
        found.notes[:0] = _dropped_note(dropped)
    return questions, skipped


def _dropped_note(dropped: list[str]) -> list[str]:
    if not dropped:
        return []
    return [
        f"left out {', '.join(dict.fromkeys(dropped))} (images are not imported; "
        "the text says [image: …] where each was)"
    ]


def _gift_numeric(found: Imported, answers: str, fmt: str, dropped: list[str]) -> str | None:
    """Fill a numeric question from GIFT's answer part; a reason if it cannot be. Every
    full-mark answer is kept (the first as the answer, the others as alternatives);
    part-mark answers are left out, with a note."""
    answers = answers.split("~", 1)[0]  # feedback for any wrong number: not kept
    full, partial = [], []
    for answer in answers.split("="):
        answer = answer.strip()
        if not answer:
            continue
        fraction = 1.0
        weight = _WEIGHT.match(answer)
        if weight:
            fraction, answer = file_number(weight.group(1), "weight") / 100, answer[weight.end() :]
        value, feedback = _split_feedback(answer, fmt, dropped)
        try:
            if ".." in value:
                low, high = (file_number(v, "range") for v in value.split("..", 1))
                number, tolerance = (low + high) / 2, abs(high - low) / 2
            elif ":" in value:
                text, margin = value.split(":", 1)
                number, tolerance = file_number(text, "answer"), file_number(margin, "tolerance")
            else:
                number, tolerance = file_number(value, "answer"), 0.0
        except BadNumber as exc:
            if exc.field_name == "tolerance":
                return str(exc)
            return f"{exc}: write a number, a number:margin or a low..high range"
        (full if fraction >= 1 else partial).append((number, abs(tolerance), feedback, fraction))
    if not full:
        return "no answer gives full marks"
    (found.answer, found.tolerance, feedback, _), *others = full
    found.alternatives = [(n, t) for n, t, _, _ in others]
    found.notes += _partial_numbers_note([(n, f) for n, _, _, f in partial])
    feedbacks = [fb for _, _, fb, _ in full if fb]
    if feedbacks:
        found.general_feedback = "\n\n".join(filter(None, [found.general_feedback, *feedbacks]))
    return None


def _partial_numbers_note(partial: list[tuple[float, float]]) -> list[str]:
    if not partial:
        return []
    listed = ", ".join(f"{_number(n)} ({_fraction(f * 100)}%)" for n, f in partial)
    return [
        "scored differently: a number scores all or nothing here, so the part-mark "
        f"answers {listed} are left out"
    ]


def _short(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()[:60] or "question"


# --- Moodle XML -------------------------------------------------------------------------------


def parse_xml(text: str) -> tuple[list[Imported], list[Skipped]]:
    """The questions of a Moodle XML file, read one <question> at a time.

    Each question is dropped from memory once read (iterparse, then clear), so memory
    follows the largest question rather than the file, and text nodes may exceed
    libxml2's 10 MB default (``huge_tree``): Moodle embeds media as base64 in <file>
    elements. Entities are never expanded and nothing is fetched; the file's size is
    capped before parsing (:data:`MAX_FILE_BYTES`).
    """
    events = etree.iterparse(
        io.BytesIO(text.encode("utf-8")),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
        remove_comments=True,
        load_dtd=False,
    )
    questions: list[Imported] = []
    skipped: list[Skipped] = []
    category = None
    depth = 0
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                if depth == 1 and element.tag != "quiz":
                    raise MoodleFileError(
                        element.sourceline or 1,
                        f"not a Moodle XML quiz file: the root element is <{element.tag}>, "
                        "not <quiz>",
                    )
                continue
            depth -= 1
            if depth != 1 or element.tag != "question":
                continue
            kind = element.get("type", "")
            line = element.sourceline or 1
            if kind == "category":
                category = _xml_text(element.find("category")) or category
            else:
                name = _xml_text(element.find("name")) or "question"
                try:
                    found = _xml_question(element, kind, name, line, category)
                except BadNumber as exc:
                    found = Skipped(line, name, f"{exc}, so the question was left out")
                (skipped if isinstance(found, Skipped) else questions).append(found)
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise MoodleFileError(exc.lineno or 1, f"not well-formed XML: {exc.msg}") from None
    return questions, skipped


def _xml_question(
    element: Any, kind: str, name: str, line: int, category: str | None
) -> Imported | Skipped:
    """One <question> of a Moodle XML file; raises BadNumber for a number it cannot read."""
    if kind not in ("multichoice", "truefalse", "numerical"):
        reason = TYPE_REASONS.get(kind, f"'{kind}' questions have no counterpart here")
        return Skipped(line, name, reason)
    dropped: list[str] = []

    def formatted(child: Any) -> str:
        if child is None:
            return ""
        text, lost = convert(_xml_text(child), child.get("format", "html"))
        dropped.extend(lost)
        return text

    found = Imported(
        name=name,
        kind="",
        prompt=formatted(element.find("questiontext")),
        line=line,
        category=category,
        general_feedback=formatted(element.find("generalfeedback")),
    )
    grade = element.findtext("defaultgrade")
    if grade and grade.strip():
        found.weight = file_number(grade, "default mark")
    for tag in element.iterfind("tags/tag"):
        key, _, tagged = _xml_text(tag).partition(":")
        if key == "difficulty":
            found.difficulty = tagged.strip()
        elif key == "jurisdiction":
            found.jurisdiction = tagged.strip()
        elif key == "topic":
            found.topics.append(tagged.strip())
    answers = [
        (
            formatted(a),
            file_number(a.get("fraction"), "fraction", 0.0),
            formatted(a.find("feedback")),
            a,
        )
        for a in element.iterfind("answer")
    ]
    if kind == "multichoice":
        single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
        found.kind = "single" if single else "multiple"
        found.options = [(t, f / 100, fb) for t, f, fb, _ in answers]
    elif kind == "truefalse":
        found.kind = "single"
        found.options = [(t.strip().capitalize(), f / 100, fb) for t, f, fb, _ in answers]
    else:
        found.kind = "numeric"
        full, partial = [], []
        for _, fraction, feedback, answer in answers:
            text = _xml_text(answer)  # a number, not formatted text
            if feedback:  # kept, as GIFT's is, in the explanation
                who = "Any other answer" if text == "*" else text
                found.general_feedback = "\n\n".join(
                    filter(None, [found.general_feedback, f"{literal(who)}: {feedback}"])
                )
            if text == "*":  # Moodle's "any other answer": feedback only
                continue
            number = file_number(text, "answer")
            tolerance = abs(file_number(answer.findtext("tolerance"), "tolerance", 0.0))
            (full if fraction >= 100 else partial).append((number, tolerance, fraction))
        if not full:
            return Skipped(line, name, "no answer gives full marks")
        (found.answer, found.tolerance, _), *others = full
        found.alternatives = [(n, t) for n, t, _ in others]
        found.notes += _partial_numbers_note([(n, f / 100) for n, _, f in partial if f > 0])
        units = [
            (file_number(u.findtext("multiplier"), "unit multiplier", 1.0), u.findtext("unit_name"))
            for u in element.iterfind("units/unit")
        ]
        base = [(name or "").strip() for m, name in units if m == 1]
        found.unit = base[0] if base and base[0] else None
        others_units = [(name or "").strip() for m, name in units if m != 1]
        if others_units:
            found.notes.append(
                f"left out the units {', '.join(others_units)}: answers are typed in "
                f"{found.unit or 'the base unit'} only"
            )
    found.notes[:0] = _dropped_note(dropped)
    return found


def _xml_text(element: Any) -> str:
    """The text of an element's <text> child (or of the element itself)."""
    if element is None:
        return ""
    child = element.find("text")
    value = child.text if child is not None else element.text
    return (value or "").strip()


# --- reading a file ---------------------------------------------------------------------------


def detect(text: str) -> str:
    """'xml' or 'gift', by the content rather than the file's name."""
    head = text.lstrip("\ufeff \t\r\n")
    return "xml" if head.startswith("<") else "gift"


def too_large(size: int) -> str | None:
    """The sentence refusing a file of ``size`` bytes, or None when it is within the limit."""
    if size <= MAX_FILE_BYTES:
        return None
    return (
        f"the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB, the most an import "
        "reads: split it, or export it from Moodle without its media files"
    )


def bank_room(bank_bytes: int, made: list[dict[str, Any]]) -> str | None:
    """None when ``made`` fits in a bank file of ``bank_bytes`` bytes under the bank's
    size limit (bank.MAX_BYTES); else the sentence refusing the import, so a dry run and a
    real import agree before the slow part. The questions' size as YAML is estimated
    from their JSON with a margin (the bundled bank's YAML is 1.06 times its JSON)."""
    estimate = bank_bytes + int(
        1.25 * sum(len(json.dumps(q, ensure_ascii=False).encode()) + 16 for q in made)
    )
    if estimate <= MAX_BANK_BYTES:
        return None
    return (
        f"these {len(made)} questions would make the bank about {estimate / 1e6:.1f} MB, over "
        f"the {MAX_BANK_BYTES / 1e6:g} MB a bank file may be: import them in smaller files"
    )


def read(data: bytes) -> tuple[str, list[Imported], list[Skipped]]:
    """(format, questions, skipped) of an uploaded or named file's bytes.

    Raises MoodleFileError for a file that cannot be read at all, or one larger than
    MAX_FILE_BYTES (nothing is imported from it)."""
    refusal = too_large(len(data))
    if refusal:
        raise MoodleFileError(1, refusal)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MoodleFileError(
            line, "the file is not UTF-8 text (save it as UTF-8 and try again)"
        ) from None
    fmt = detect(text)
    questions, skipped = parse_xml(text) if fmt == "xml" else parse_gift(text)
    return fmt, questions, skipped


# --- into the bank ------------------------------------------------------------------------------


def _area(
    category: str | None, dimensions: tuple[Dimension, ...], default: str | None
) -> str | None:
    """The area a category names: the deepest part of its path ('$course$/top/Technical/
    Payments' → technical) equal to an area's id or name, or starting with it
    ('Technical skills'), case and spacing aside; else ``default``."""
    if category:
        parts = [_words(p) for p in category.replace("$course$/top/", "").split("/")]
        for part in reversed(parts):
            for d in dimensions:
                names = (_words(d.id), _words(d.name))
                if part in names or any(part.startswith(n + " ") for n in names if n):
                    return d.id
    return default


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


NO_AREA = "its category names no area"


@dataclass(frozen=True)
class Conversion:
    """What an import makes of a file's questions: bank data for each question kept,
    what was skipped (with why), and notes on what a kept question lost or how its
    scoring changed."""

    made: list[dict[str, Any]]
    skipped: list[Skipped]
    notes: list[Note]

    @property
    def without_area(self) -> int:
        """How many questions were skipped only because no area was chosen for them."""
        return sum(1 for s in self.skipped if s.reason.startswith(NO_AREA))


def to_bank(questions: list[Imported], bank: Bank, default_area: str | None = None) -> Conversion:
    """Bank question data for each imported question, with unique, valid ids; what was
    skipped; and notes on what changed on the way in."""
    taken = set(bank.by_id)
    made, skipped, notes = [], [], []
    area_ids = [d.id for d in bank.dimensions]
    for q in questions:
        area = _area(q.category, bank.dimensions, default_area)
        if area is None:
            where = f" ('{q.category}')" if q.category else ""
            skipped.append(Skipped(q.line, q.name, f"{NO_AREA}{where}"))
            continue
        qid = _new_id(q.name, bank.scheme.dimension(area).id_prefix, taken)
        try:
            data = _question_data(q, qid, area, {t.id for t in bank.blueprint})
        except ValueError as exc:
            skipped.append(Skipped(q.line, q.name, str(exc)))
            continue
        problems = check_question(data, area_ids, taken)
        if problems:
            skipped.append(Skipped(q.line, q.name, "; ".join(f"{f}: {m}" for f, m in problems)))
            continue
        taken.add(qid)
        made.append(data)
        notes += [Note(q.line, qid, message) for message in q.notes + _scoring_notes(q, data)]
    return Conversion(made, skipped, notes)


ID_LENGTH = 64  # bank.Slug's limit


def _new_id(name: str, prefix: str, taken: set[str]) -> str:
    """A readable id from a question's name, in any script (transliterated to ASCII by
    python-slugify), that starts with the area's prefix, fits the bank's 64 characters
    with room for a '-2'…'-999' suffix, and is not taken."""
    room = ID_LENGTH - len(prefix) - 4
    if name.lower().startswith(prefix):
        name = name[len(prefix) :]
    base = slugify(name, max_length=room, word_boundary=True, save_order=True)
    if len(base) < min(12, len(slugify(name))):  # one long word: cut it rather than lose it
        base = slugify(name, max_length=room)
    base = prefix + (base or "question")
    qid, n = base, 2
    while qid in taken:
        qid, n = f"{base}-{n}", n + 1
    return qid


def _scoring_notes(q: Imported, data: dict[str, Any]) -> list[str]:
    """Where the bank scores a question otherwise than the file's percentages did."""
    if q.kind not in ("single", "multiple"):
        return []
    fractions = [f for _, f, _ in q.options]
    if data["type"] == "multiple":
        wrong = [f for f, o in zip(fractions, data["options"], strict=True) if "correct" not in o]
        share = 1 / len(wrong) if wrong else 0
        if any(abs(f + share) > 0.005 for f in wrong):
            given = ", ".join(sorted({f"{_fraction(f * 100)}%" for f in wrong}))
            return [
                f"scored differently: each wrong tick costs 1/{len(wrong)} of the mark here "
                f"(the file gave wrong options {given}), and ticking every option earns 0"
            ]
    elif any(f < 0 for f in fractions):
        return ["scored differently: a wrong answer scores 0 here (the file took marks off)"]
    return []


def _question_data(q: Imported, qid: str, area: str, topic_ids: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"id": qid, "area": area, "type": q.kind}
    if q.difficulty in ("easy", "medium", "hard"):
        data["difficulty"] = q.difficulty
    if q.weight is not None and q.weight != 1:
        data["weight"] = q.weight
    if q.jurisdiction in ("EU", "UK", "US", "general"):
        data["jurisdiction"] = q.jurisdiction
    # A topic this bank's blueprint does not have is dropped, not refused: the file may
    # come from another bank.
    topics = [t for t in q.topics if t in topic_ids]
    if topics:
        data["topics"] = topics
    data["prompt"] = q.prompt or q.name
    if q.kind in ("single", "multiple"):
        for n, (text, _, _) in enumerate(q.options, start=1):
            if not text.strip() or re.fullmatch(r"\[image(: [^\]]*)?\]", text.strip()):
                raise ValueError(
                    f"option {n} is only an image or empty, and images are not imported"
                )
        data["options"] = _options(q)
        right = sum("correct" in o for o in data["options"])
        if q.kind == "single" and right > 1:
            raise ValueError(
                "a one-answer question with several part-right answers has no counterpart here"
            )
        # Checkboxes stay checkboxes, even with one right answer: ticking only it scores 1,
        # and every wrong tick costs (scoring.score).
        # (GIFT has no checkbox flag: a question without '=' is multiple-response unless
        # its weights make it a judgement.)
        weighted = any("score" in o for o in data["options"])
        data["type"] = (
            "multiple" if right > 1 or (q.kind == "multiple" and not weighted) else "single"
        )
    if q.kind == "numeric":
        data["answer"] = _tidy(q.answer)
        data["tolerance"] = _tidy(q.tolerance)
        if q.alternatives:
            data["alternatives"] = [
                {"answer": _tidy(n), "tolerance": _tidy(t)} for n, t in q.alternatives
            ]
        if q.unit:
            data["unit"] = q.unit
    feedback = [f"- **{t}**: {fb}" for t, _, fb in q.options if fb]
    explanation = "\n\n".join(filter(None, [q.general_feedback, "\n".join(feedback)]))
    data["explanation"] = explanation or NO_EXPLANATION
    return data


def _options(q: Imported) -> list[dict[str, Any]]:
    """Options as the bank writes them, from Moodle's percentage fractions.

    One option at 100% and the rest at 0: one right answer. One at 100% and others
    with partial credit: a situational judgement (weights). Several positive weights
    adding up to 100% (wrong ones at 0 or negative): several right answers, each
    wrong pick costing as much as a right one earns, as the app scores them.
    """
    fractions = [f for _, f, _ in q.options]
    positive = [f for f in fractions if f > 0]
    if any(f >= 0.999 for f in fractions):
        if all(f <= 0 or f >= 0.999 for f in fractions) and len(positive) == 1:
            return [
                {"text": t, "correct": True} if f >= 0.999 else {"text": t} for t, f, _ in q.options
            ]
        return [{"text": t, "score": round(max(0.0, min(1.0, f)), 4)} for t, f, _ in q.options]
    if len(positive) >= 2 and abs(sum(positive) - 1) < 0.02:
        return [{"text": t, "correct": True} if f > 0 else {"text": t} for t, f, _ in q.options]
    raise ValueError(
        "its percentage weights cannot be scored the same way here (give the "
        "best option 100%, or split 100% between several right options)"
    )


def _tidy(number: float | None) -> int | float | None:
    """A number for the bank: whole numbers as ints; others to 15 significant digits,
    which drops the noise of arithmetic (a range's middle) and keeps what was written."""
    if number is None:
        return None
    if float(number).is_integer() and abs(number) < 1e15:
        return int(number)
    return float(f"{number:.15g}")


# --- out of the bank ---------------------------------------------------------------------------


def _exportable(bank: Bank) -> tuple[list[Any], list[str]]:
    kept, notes = [], []
    for q in bank.questions:
        if q.type == "likert":
            notes.append(f"left out '{q.id}': likert statements have no counterpart in Moodle")
        else:
            kept.append(q)
    return kept, notes


def _gift_escape(text: str) -> str:
    for char, escaped in (
        ("\\", "\\\\"),
        ("#", "\\#"),
        ("=", "\\="),
        ("~", "\\~"),
        ("{", "\\{"),
        ("}", "\\}"),
        (":", "\\:"),
        ("\n", "\\n"),
    ):
        text = text.replace(char, escaped)
    return text


def _number(value: float | Decimal) -> str:
    """A number exactly as the bank holds it (answers.plain_number)."""
    return plain_number(float(value)) if isinstance(value, Decimal) else plain_number(value)


def _fraction(percent: float) -> str:
    """A Moodle percentage: ten significant digits, as Moodle's own exports write them
    (33.33333333), which its importers match to their grade list."""
    return f"{percent:.10g}"


def to_gift(bank: Bank) -> tuple[str, list[str]]:
    """The bank in GIFT, with a note for each question left out."""
    kept, notes = _exportable(bank)
    out = [f"// {bank.settings.title}: exported from questions.yaml\n"]
    for dimension in bank.dimensions:
        out.append(f"$CATEGORY: $course$/top/{dimension.name}\n")
        for q in (q for q in kept if q.area == dimension.id):
            head = f"::{_gift_escape(q.id)}::[markdown]{_gift_escape(q.prompt)}"
            general = f"####[markdown]{_gift_escape(q.explanation)}"
            if q.type == "numeric":
                right = [
                    f"{_number(a.answer)}:{_number(a.tolerance_abs())}" for a in q.right_answers
                ]
                numbers = right[0] if len(right) == 1 else " ".join(f"={r}" for r in right)
                out.append(f"{head}{{#{numbers}{general}}}\n")
                continue
            lines = []
            for i, option in enumerate(q.options):
                text = _gift_escape(option.text)
                if _FORMAT_MARK.match(option.text):  # '[html] tags' is text, not a format
                    text = "[markdown]" + text
                if q.type == "single":
                    score = q.option_score(i)
                    mark = (
                        "="
                        if score >= 1
                        else ("~" if score == 0 else f"~%{_fraction(score * 100)}%")
                    )
                else:
                    mark = f"~%{_fraction(_multiple_fraction(q, i))}%"
                lines.append(f"\t{mark}{text}")
            out.append(head + "{\n" + "\n".join(lines) + f"\n\t{general}\n}}\n")
    return "\n".join(out), notes


def to_xml(bank: Bank) -> tuple[str, list[str]]:
    """The bank in Moodle XML, with a note for each question left out."""
    kept, notes = _exportable(bank)
    quiz = etree.Element("quiz")
    for dimension in bank.dimensions:
        category = etree.SubElement(quiz, "question", type="category")
        _text(etree.SubElement(category, "category"), f"$course$/top/{dimension.name}")
        for q in (q for q in kept if q.area == dimension.id):
            kind = {"single": "multichoice", "multiple": "multichoice", "numeric": "numerical"}[
                q.type
            ]
            element = etree.SubElement(quiz, "question", type=kind)
            _text(etree.SubElement(element, "name"), q.id)
            _text(etree.SubElement(element, "questiontext", format="markdown"), q.prompt)
            _text(etree.SubElement(element, "generalfeedback", format="markdown"), q.explanation)
            etree.SubElement(element, "defaultgrade").text = _number(q.weight)
            if q.type == "numeric":
                for right in q.right_answers:
                    answer = etree.SubElement(
                        element, "answer", fraction="100", format="moodle_auto_format"
                    )
                    _text(answer, _number(right.answer))
                    etree.SubElement(answer, "tolerance").text = _number(right.tolerance_abs())
                if q.unit:
                    unit = etree.SubElement(etree.SubElement(element, "units"), "unit")
                    etree.SubElement(unit, "multiplier").text = "1"
                    etree.SubElement(unit, "unit_name").text = q.unit
            else:
                etree.SubElement(element, "single").text = "true" if q.type == "single" else "false"
                etree.SubElement(element, "shuffleanswers").text = "1"
                etree.SubElement(element, "answernumbering").text = "abc"
                for i, option in enumerate(q.options):
                    if q.type == "single":
                        fraction = q.option_score(i) * 100
                    else:
                        fraction = _multiple_fraction(q, i)
                    answer = etree.SubElement(
                        element, "answer", fraction=_fraction(fraction), format="markdown"
                    )
                    _text(answer, option.text)
            tags = [f"difficulty:{q.difficulty}"] if q.difficulty else []
            tags += [f"jurisdiction:{q.jurisdiction}"] if q.jurisdiction else []
            tags += [f"topic:{t}" for t in q.topics]
            if tags:
                parent = etree.SubElement(element, "tags")
                for tag in tags:
                    _text(etree.SubElement(parent, "tag"), tag)
    text = etree.tostring(quiz, pretty_print=True, xml_declaration=True, encoding="UTF-8")
    return text.decode("utf-8"), notes


def _multiple_fraction(q: Any, index: int) -> float:
    """Moodle's percentage for option ``index`` of a multiple-response question: a right
    option its share of 100% among the right ones, a wrong one minus its share among
    the wrong ones; Moodle floors the sum at 0, as ``scoring.score`` does."""
    right = len(q.correct_indexes)
    if index in q.correct_indexes:
        return 100 / right
    return -100 / (len(q.options) - right)


def _text(parent: Any, value: str) -> None:
    etree.SubElement(parent, "text").text = etree.CDATA(value) if value else ""


def summary(name: str, fmt: str, conversion: Conversion, dry_run: bool, area_ids: list[str]) -> str:
    """What an import added (or would add), what each added question lost or how its
    scoring changed, what it skipped and why, a line each; questions skipped only for
    want of an area get one sentence that says how to choose one."""
    label = {"gift": "GIFT", "xml": "Moodle XML"}[fmt]
    made, skipped = conversion.made, conversion.skipped
    lines = [
        f"{name} ({label}): {len(made)} question{'s' if len(made) != 1 else ''} "
        f"{'would be added' if dry_run else 'added'}, {len(skipped)} skipped."
    ]
    notes: dict[str, list[Note]] = {}
    for note in conversion.notes:
        notes.setdefault(note.qid, []).append(note)
    for q in made:
        lines.append(
            f"  {'would add' if dry_run else 'added'} {q['id']} ({q['type']}, {q['area']})"
        )
        lines += [f"    note: {n.message}" for n in notes.get(q["id"], [])]
    lines += [f"  {s}" for s in skipped if not s.reason.startswith(NO_AREA)]
    if conversion.without_area:
        n = conversion.without_area
        lines.append(
            f"  {n} question{'s' if n != 1 else ''} name{'s' if n == 1 else ''} no area in "
            f"{'its' if n == 1 else 'their'} category; the areas are {', '.join(area_ids)}: "
            "run again with --area AREA to put them in one."
        )
    return "\n".join(lines)
