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

import contextlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from lxml import etree

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


@dataclass(frozen=True)
class Skipped:
    line: int
    name: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: skipped '{self.name}': {self.reason}"


# --- text formats ---------------------------------------------------------------------


class _Markdownish(HTMLParser):
    """Moodle's HTML turned into the small Markdown subset prompts use."""

    MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*", "code": "`"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.MARKS:
            self.out.append(self.MARKS[tag])
        elif tag in ("p", "div", "ul", "ol", "br", "tr"):
            self.out.append("\n\n" if tag != "br" else "\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            self.out.append(f"[image: {alt}]" if alt else "[image]")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.MARKS:
            self.out.append(self.MARKS[tag])
        elif tag in ("p", "div", "ul", "ol", "tr"):
            self.out.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.out.append(re.sub(r"\s+", " ", data))


def from_format(text: str, fmt: str) -> str:
    """Text in one of Moodle's formats as this app's Markdown subset."""
    if fmt == "html":
        parser = _Markdownish()
        parser.feed(text)
        parser.close()
        text = "".join(parser.out)
        text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
        text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


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
_WEIGHT = re.compile(r"^%(-?[0-9]+(?:\.[0-9]*)?)%")


def _escape_pre(text: str) -> str:
    text = text.replace("\\\\", "\x08")
    for escaped, placeholder in _ESCAPES.items():
        text = text.replace(escaped, placeholder)
    return text


def _unescape(text: str) -> str:
    for placeholder, char in _UNESCAPE.items():
        text = text.replace(placeholder, char)
    return text


def _gift_text(text: str, default: str = "moodle") -> tuple[str, str]:
    """(text as Markdown, its format) of a GIFT text with an optional [format] prefix."""
    text = text.strip()
    fmt = default
    found = re.match(r"^\[(html|moodle|plain|markdown)\]", text)
    if found:
        fmt, text = found.group(1), text[found.end() :]
    return from_format(_unescape(text).strip(), fmt), fmt


def _split_feedback(answer: str, fmt: str) -> tuple[str, str]:
    text, _, feedback = answer.partition("#")
    return _gift_text(text, fmt)[0], _gift_text(feedback, fmt)[0]


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
        prompt, fmt = _gift_text(question_text)
        name = name or _short(prompt)
        general = ""
        cut = answers.rfind("####")
        if cut != -1:
            general = _gift_text(answers[cut + 4 :], fmt)[0]
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
            reason = _gift_numeric(found, answers[1:], fmt)
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
                    fraction = float(_WEIGHT.match(answer).group(1)) / 100
                    answer = answer[_WEIGHT.match(answer).end() :]
                else:
                    fraction = 0.0
                option, feedback = _split_feedback(answer, fmt)
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
                right_text = _gift_text(right, fmt)[0]
                wrong_text = _gift_text(wrong, fmt)[0]
                found.options = [
                    ("True", 1.0 if true else 0.0, right_text if true else wrong_text),
                    ("False", 0.0 if true else 1.0, wrong_text if true else right_text),
                ]
                questions.append(found)
            else:
                skipped.append(Skipped(start, name, TYPE_REASONS["shortanswer"]))
    return questions, skipped


def _gift_numeric(found: Imported, answers: str, fmt: str) -> str | None:
    """Fill a numeric question from GIFT's answer part; a reason if it cannot be."""
    answers = answers.split("~", 1)[0]  # feedback for any wrong number: not kept
    best = None
    for answer in answers.split("="):
        answer = answer.strip()
        if not answer:
            continue
        fraction = 1.0
        weight = _WEIGHT.match(answer)
        if weight:
            fraction, answer = float(weight.group(1)) / 100, answer[weight.end() :]
        value, feedback = _split_feedback(answer, fmt)
        try:
            if ".." in value:
                low, high = (float(v) for v in value.split("..", 1))
                number, tolerance = (low + high) / 2, abs(high - low) / 2
            elif ":" in value:
                number, tolerance = (float(v) for v in value.split(":", 1))
            else:
                number, tolerance = float(value), 0.0
        except ValueError:
            return f"'{value}' is not a number, a number:margin or a low..high range"
        if best is None or fraction > best[0]:
            best = (fraction, number, tolerance, feedback)
    if best is None or best[0] < 1:
        return "no answer gives full marks"
    _, found.answer, found.tolerance, feedback = best
    if feedback:
        found.general_feedback = "\n\n".join(filter(None, [found.general_feedback, feedback]))
    return None


def _short(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()[:60] or "question"


# --- Moodle XML -------------------------------------------------------------------------------


def parse_xml(text: str) -> tuple[list[Imported], list[Skipped]]:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        load_dtd=False,
    )
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise MoodleFileError(exc.lineno or 1, f"not well-formed XML: {exc.msg}") from None
    if root.tag != "quiz":
        raise MoodleFileError(
            root.sourceline or 1,
            f"not a Moodle XML quiz file: the root element is <{root.tag}>, not <quiz>",
        )
    questions: list[Imported] = []
    skipped: list[Skipped] = []
    category = None
    for element in root:
        if element.tag != "question":
            continue
        kind = element.get("type", "")
        line = element.sourceline or 1
        if kind == "category":
            category = _xml_text(element.find("category")) or category
            continue
        name = _xml_text(element.find("name")) or "question"
        prompt = _xml_formatted(element.find("questiontext"))
        found = Imported(
            name=name,
            kind="",
            prompt=prompt,
            line=line,
            category=category,
            general_feedback=_xml_formatted(element.find("generalfeedback")),
        )
        grade = element.findtext("defaultgrade")
        if grade:
            with contextlib.suppress(ValueError):
                found.weight = float(grade)
        for tag in element.iterfind("tags/tag"):
            value = _xml_text(tag)
            key, _, tagged = value.partition(":")
            if key == "difficulty":
                found.difficulty = tagged.strip()
            elif key == "jurisdiction":
                found.jurisdiction = tagged.strip()
            elif key == "topic":
                found.topics.append(tagged.strip())
        answers = [
            (
                _xml_formatted(a),
                float(a.get("fraction", "0") or 0),
                _xml_formatted(a.find("feedback")),
                a,
            )
            for a in element.iterfind("answer")
        ]
        if kind == "multichoice":
            single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
            found.kind = "single" if single else "multiple"
            found.options = [(t, f / 100, fb) for t, f, fb, _ in answers]
            questions.append(found)
        elif kind == "truefalse":
            found.kind = "single"
            found.options = [(t.strip().capitalize(), f / 100, fb) for t, f, fb, _ in answers]
            questions.append(found)
        elif kind == "numerical":
            found.kind = "numeric"
            full = [(t, a) for t, f, _, a in answers if f >= 100 and t.strip() != "*"]
            if not full:
                skipped.append(Skipped(line, name, "no answer gives full marks"))
                continue
            try:
                found.answer = float(full[0][0])
                found.tolerance = abs(float(full[0][1].findtext("tolerance") or 0))
            except ValueError:
                skipped.append(Skipped(line, name, f"'{full[0][0]}' is not a number"))
                continue
            for unit in element.iterfind("units/unit"):
                if float(unit.findtext("multiplier") or 1) == 1:
                    found.unit = (unit.findtext("unit_name") or "").strip() or None
                    break
            questions.append(found)
        else:
            reason = TYPE_REASONS.get(kind, f"'{kind}' questions have no counterpart here")
            skipped.append(Skipped(line, name, reason))
    return questions, skipped


def _xml_text(element: Any) -> str:
    """The text of an element's <text> child (or of the element itself)."""
    if element is None:
        return ""
    child = element.find("text")
    value = child.text if child is not None else element.text
    return (value or "").strip()


def _xml_formatted(element: Any) -> str:
    if element is None:
        return ""
    return from_format(_xml_text(element), element.get("format", "html"))


# --- reading a file ---------------------------------------------------------------------------


def detect(text: str) -> str:
    """'xml' or 'gift', by the content rather than the file's name."""
    head = text.lstrip("\ufeff \t\r\n")
    return "xml" if head.startswith("<") else "gift"


def read(data: bytes) -> tuple[str, list[Imported], list[Skipped]]:
    """(format, questions, skipped) of an uploaded or named file's bytes."""
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
    if category:
        last = category.replace("$course$/top/", "").split("/")[-1].strip().lower()
        for d in dimensions:
            if last in (d.id.lower(), d.name.lower()):
                return d.id
    return default


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")


def to_bank(
    questions: list[Imported], bank: Bank, default_area: str | None = None
) -> tuple[list[dict[str, Any]], list[Skipped]]:
    """Bank question data for each imported question, with unique ids; and what was skipped."""
    taken = set(bank.by_id)
    made, skipped = [], []
    area_ids = [d.id for d in bank.dimensions]
    for q in questions:
        area = _area(q.category, bank.dimensions, default_area)
        if area is None:
            where = f"category '{q.category}'" if q.category else "no category"
            skipped.append(
                Skipped(
                    q.line,
                    q.name,
                    f"{where} matches no area; choose one with --area (or the area field)",
                )
            )
            continue
        prefix = bank.scheme.dimension(area).id_prefix
        base = _slug(q.name) or "question"
        if not base.startswith(prefix):
            base = prefix + base
        qid, n = base, 2
        while qid in taken:
            qid, n = f"{base}-{n}", n + 1
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
    return made, skipped


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
    if number is None:
        return None
    return int(number) if float(number).is_integer() else round(number, 10)


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


def _number(value: float) -> str:
    return f"{value:.10g}"


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
                tolerance = float(q.tolerance_abs())
                out.append(f"{head}{{#{_number(q.answer)}:{_number(tolerance)}{general}}}\n")
                continue
            lines = []
            for i, option in enumerate(q.options):
                text = _gift_escape(option.text)
                if q.type == "single":
                    score = q.option_score(i)
                    mark = (
                        "=" if score >= 1 else ("~" if score == 0 else f"~%{_number(score * 100)}%")
                    )
                else:
                    mark = f"~%{_number(_multiple_fraction(q, i))}%"
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
                answer = etree.SubElement(
                    element, "answer", fraction="100", format="moodle_auto_format"
                )
                _text(answer, _number(q.answer))
                etree.SubElement(answer, "tolerance").text = _number(float(q.tolerance_abs()))
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
                        element, "answer", fraction=_number(fraction), format="markdown"
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


def summary(
    name: str, fmt: str, made: list[dict[str, Any]], skipped: list[Skipped], dry_run: bool
) -> str:
    """What an import added (or would add) and what it skipped, a line each."""
    label = {"gift": "GIFT", "xml": "Moodle XML"}[fmt]
    lines = [
        f"{name} ({label}): {len(made)} question{'s' if len(made) != 1 else ''} "
        f"{'would be added' if dry_run else 'added'}, {len(skipped)} skipped."
    ]
    lines += [
        f"  {'would add' if dry_run else 'added'} {q['id']} ({q['type']}, {q['area']})"
        for q in made
    ]
    lines += [f"  {s}" for s in skipped]
    return "\n".join(lines)
