"""The instructor's bank editor: questions, raw YAML, import, settings, areas, verdicts, revisions.

Every form carries ``base``, the hash of the file it was built from. Saves go
through ``revisions.BankRevisions``: a save over a newer file is refused with
a 409 that shows what changed; a save that would break the bank is refused
with its line and message. Either way the file is untouched and what the
instructor typed stays in the form.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import os
import re
from collections.abc import Callable
from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, url_for

from .. import answers, editor, lint, moodle, timing
from ..analysis import current_flags
from ..answers import whole_number
from ..bank import (
    DIFFICULTIES,
    QUESTION,
    QUESTION_TYPES,
    Bank,
    BankError,
    Problem,
    check_question,
    parse,
    plain,
)
from ..report import REVIEW_LABELS
from ..revisions import BankRevisions, Conflict, FileProblem, Invalid, SaveResult
from ..web import current_bank, current_instructor, is_htmx, render, render_fragment, store
from . import bp, results

NEW_KINDS = {
    "single": "Single best answer",
    "judgement": "Situational judgement",
    "multiple": "Multiple response",
    "numeric": "Numeric",
    "likert": "Likert statement",
}
OPTION_ROWS = 8

# Parsing costs about 0.1 ms per YAML node (lines and flow items), so a text is capped at
# what parses in a few seconds: about seven times the bundled bank. More would run past
# the worker's timeout while holding the bank's lock; it is refused before parsing.
MAX_YAML_ITEMS = 40_000
MAX_YAML_DEPTH = 20  # compact nesting on one line ("- - - …"), like bank.MAX_FLOW_DEPTH
MAX_DIGITS = 1_000  # Python refuses to read integers of more than 4,300 digits
# An import adds at most this many questions at once (a save costs ~7 ms per question).
MAX_IMPORT_QUESTIONS = 500
_COMPACT = re.compile(r"(?:[-?:][ \t]+)+")
_LONG_NUMBER = re.compile(rf"[0-9_]{{{MAX_DIGITS + 1},}}")
_NUMBER = re.compile(r"[-+]?[0-9]{1,15}(\.[0-9]{1,15})?")


def yaml_too_costly(text: str) -> str | None:
    """Why a raw YAML text is refused before it is parsed, in a sentence; None if it may be.

    ``bank.parse`` refuses alias bombs, deep flow nesting, deep indentation and big files
    itself; this adds what would still exhaust the parser or run too long.
    """
    name = _bank_file_name()
    items = text.count("\n") + text.count(",")
    if items > MAX_YAML_ITEMS:
        return (
            f"{name} is too big to check here: it has about {items:,} lines and list items, "
            f"and the editor takes up to {MAX_YAML_ITEMS:,}. Split the bank, or edit the "
            "file on the server."
        )
    for number, line in enumerate(text.splitlines(), start=1):
        compact = _COMPACT.match(line.lstrip(" "))
        if compact and compact.group().count(" ") + compact.group().count("\t") > MAX_YAML_DEPTH:
            return (
                f"{name}, line {number}: nested more than {MAX_YAML_DEPTH} levels deep on "
                "one line. Write one item per line."
            )
        if len(line) > MAX_DIGITS and _LONG_NUMBER.search(line):
            return (
                f"{name}, line {number}: a number of more than {MAX_DIGITS:,} digits. "
                "No setting or answer needs one; shorten it."
            )
    return None


def _revisions() -> BankRevisions:
    return BankRevisions(
        current_app.config["QUESTIONS"], store(), current_app.extensions["quiz.bank"]
    )


def _current() -> tuple[str, str]:
    """The file's text and hash (recorded as a revision if the history lacks it)."""
    return _revisions().current()


def _save(operation: Callable[[Any], Any], message: str) -> SaveResult:
    """Save an operation on the parsed document over the form's ``base``, as the
    logged-in instructor; the form's own message, if any, replaces ``message``."""
    return _save_text(editor.edit(operation), message)


def _save_text(change: Callable[[str], str], message: str) -> SaveResult:
    """:func:`_save` for a change of the file's text (old text to new)."""
    try:
        return _revisions().save(
            request.form.get("base", ""),
            change,
            current_instructor(),
            request.form.get("message", "").strip()[:200] or message,
        )
    except editor.EditError as exc:
        abort(404, str(exc))


def _refused(outcome: SaveResult) -> tuple[int, dict[str, Any]]:
    """Status and context for a refused save."""
    if isinstance(outcome, Conflict):
        return 409, {"conflict": outcome.diff, "problems": []}
    return 422, {"conflict": None, "problems": outcome.problems}


def _problems(outcome: Invalid) -> str:
    return "; ".join(str(p) for p in outcome.problems)


# --- a missing, empty or invalid bank file -----------------------------------------------


def _problem_context(problem: FileProblem | None) -> dict[str, Any]:
    """What ``_bank_problem.html`` shows: the file's problem and the revision to restore."""
    return {
        "bank_problem": problem,
        "bank_file": _bank_file_name(),
        "bank_served": current_bank() is not None,
        "last_good": _revisions().last_good() if problem else None,
    }


def _file_context() -> dict[str, Any]:
    """:func:`_problem_context` for the file as it is now."""
    return _problem_context(_revisions().problem())


def _needs_good_file(view: Callable[..., Response]) -> Callable[..., Response]:
    """A page that edits the bank's document works on a file that loads. With the file
    missing, empty or invalid it says so and offers the restore instead: a page is a
    503 (it cannot be shown now), a save a 409 (the file is not what the form was
    made from) and leaves the file as it is."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Response:
        problem = _revisions().problem()
        if problem is None:
            return view(*args, **kwargs)
        saving = request.method == "POST"
        return render(
            "bank_problem.html",
            status=409 if saving else 503,
            heading="Nothing was saved" if saving else "The question bank needs attention",
            why=(
                "The change was not made: the bank file has a problem, so it cannot be edited."
                if saving
                else "This page edits the bank file, which cannot be read now."
            ),
            **_problem_context(problem),
        )

    return guarded


# --- dashboard -----------------------------------------------------------------------


@bp.get("/")
def dashboard() -> Response:
    """The overview: recent results (``results.overview``), then the bank and its checks."""
    _current()
    bank = current_bank()
    return render(
        "instructor.html",
        bank=bank,
        latest=store().latest_revision(),
        lint_problems=_content_checks(bank) if bank else [],
        **results.overview(bank),
        **_file_context(),
    )


# The content checks of the bank last checked. A bank is immutable and stays the same
# object until its file changes, and checking the bundled bank (its near-duplicate
# options above all) takes one to two seconds: the dashboard pays it once per bank.
_checked: tuple[Bank, list[str]] | None = None


def _content_checks(bank: Bank) -> list[str]:
    """``lint.lint(bank)``, remembered for the bank last asked about."""
    global _checked
    last = _checked  # one read: another thread may replace it meanwhile
    if last is not None and last[0] is bank:
        return last[1]
    problems = lint.lint(bank)
    _checked = (bank, problems)
    return problems


# --- questions -----------------------------------------------------------------------


@bp.get("/questions")
@_needs_good_file
def questions() -> Response:
    text, digest = _current()
    bank = current_bank()
    if bank is None:
        abort(503)
    args = request.args
    query = args.get("q", "").strip().lower()
    flags = current_flags(store(), bank)
    shown = []
    for q in bank.questions:
        haystack = " ".join(
            [q.id, q.prompt, q.explanation, *(o.text for o in getattr(q, "options", ()))]
        ).lower()
        if query and query not in haystack:
            continue
        if args.get("area") and q.area != args["area"]:
            continue
        if args.get("type") and lint.kind(q) != args["type"]:
            continue
        if args.get("difficulty") and q.difficulty != args["difficulty"]:
            continue
        if args.get("flagged") and not flags.get(q.id):
            continue
        shown.append(q)
    context = dict(
        bank=bank,
        shown=shown,
        flags=flags,
        args=args,
        base=digest,
        kinds=NEW_KINDS,
        difficulties=DIFFICULTIES,
        kind=lint.kind,
    )
    if is_htmx() and request.headers.get("HX-Target") == "question-list":
        return render_fragment("questions.html", "list", **context)
    return render("questions.html", **context)


def _editor_page(
    form: dict[str, Any],
    *,
    original: str | None,
    base: str,
    status: int = 200,
    problems: Any = (),
    conflict: Any = None,
) -> Response:
    bank = current_bank()
    rows = max(OPTION_ROWS, len(form["options"]) + 1)
    options = form["options"] + [{"text": "", "correct": False, "score": ""}] * (
        rows - len(form["options"])
    )
    return render(
        "question_form.html",
        status=status,
        form=form,
        options=options,
        original=original,
        base=base,
        bank=bank,
        problems=problems,
        conflict=conflict,
        difficulties=DIFFICULTIES,
        types=QUESTION_TYPES,
    )


@bp.get("/questions/new")
@_needs_good_file
def new_question() -> Response:
    _, digest = _current()
    kind = request.args.get("type", "single")
    if kind not in NEW_KINDS:
        abort(404, "There is no such kind of question.")
    area = request.args.get("area") or current_bank().dimensions[0].id
    form = editor.question_to_form(
        {"type": "single" if kind == "judgement" else kind, "area": area}
    )
    if kind == "judgement":
        form["scoring"] = "weighted"
    return _editor_page(form, original=None, base=digest)


@bp.get("/questions/<qid>")
@_needs_good_file
def edit_question(qid: str) -> Response:
    text, digest = _current()
    doc = editor.load(text)
    try:
        data = plain(doc["questions"][editor.question_index(doc, qid)])
    except editor.EditError as exc:
        abort(404, str(exc))
    return _editor_page(editor.question_to_form(data), original=qid, base=digest)


def _submitted_form() -> dict[str, Any]:
    """What the instructor sent, shaped like question_to_form's output (to show it again)."""
    data = editor.question_from_form(request.form)
    form = editor.question_to_form(data)
    form["scoring"] = request.form.get("scoring", "keyed")
    texts, scores = request.form.getlist("option_text"), request.form.getlist("option_score")
    correct = set(request.form.getlist("correct"))
    form["options"] = [
        {"text": t, "correct": str(i) in correct, "score": scores[i] if i < len(scores) else ""}
        for i, t in enumerate(texts)
        if t.strip()
    ]
    for key in ("answer", "tolerance", "weight"):
        if key in request.form:
            form[key] = request.form[key]
    return form


@bp.post("/questions/validate")
def validate_question() -> Response:
    """Live validation while the instructor types (htmx)."""
    data = editor.question_from_form(request.form)
    bank = current_bank()
    original = request.form.get("original") or None
    taken = {q.id for q in bank.questions} - {original} if bank else set()
    problems = check_question(data, [d.id for d in bank.dimensions] if bank else [], taken)
    return render_fragment("question_form.html", "problems", problems=problems, checked=True)


@bp.post("/questions/preview")
def preview_question() -> Response:
    """The question exactly as a taker sees it, built from the form as it stands."""
    data = editor.question_from_form(request.form)
    bank = current_bank()
    problems = check_question(data, [d.id for d in bank.dimensions], ())
    problems = [p for p in problems if p[0] != "id"]
    if problems:
        return render_fragment(
            "question_form.html", "problems", status=422, problems=problems, checked=True
        )
    q = QUESTION.validate_python(data)
    context = dict(
        preview=True,
        attempt={"scheme": bank.scheme, "token": ""},
        n=1,
        total=1,
        area=bank.scheme.dimension(q.area),
        q=q,
        options=list(enumerate(getattr(q, "options", ()))),
        submitted=[],
        likert_labels=answers.LIKERT_LABELS,
        review_labels=REVIEW_LABELS,
        error=None,
        url="",
    )
    if is_htmx():
        return render_fragment("question.html", "content", **context)
    return render("question.html", **context)


@bp.post("/questions")
@_needs_good_file
def create_question() -> Response:
    data = editor.question_from_form(request.form)
    outcome = _save(lambda doc: editor.put_question(doc, data), f"Added question {data['id']}")
    if isinstance(outcome, Conflict | Invalid):
        status, extra = _refused(outcome)
        return _editor_page(
            _submitted_form(), original=None, base=_current()[1], status=status, **extra
        )
    flash(f"Added question {data['id']}.")
    return redirect(url_for("instructor.edit_question", qid=data["id"]), code=303)


@bp.post("/questions/<qid>")
@_needs_good_file
def save_question(qid: str) -> Response:
    data = editor.question_from_form(request.form)
    outcome = _save(lambda doc: editor.put_question(doc, data, qid), f"Edited question {qid}")
    if isinstance(outcome, Conflict | Invalid):
        status, extra = _refused(outcome)
        return _editor_page(
            _submitted_form(), original=qid, base=_current()[1], status=status, **extra
        )
    flash(f"Saved question {data['id']}." if outcome.revision else "Nothing changed.")
    return redirect(url_for("instructor.edit_question", qid=data["id"]), code=303)


def _list_action(change: Callable[[Any], Any], message: str, done: str) -> Response:
    outcome = _save(change, message)
    if isinstance(outcome, Conflict):
        flash("The bank changed since you opened the list; nothing was done. Here it is now.")
    elif isinstance(outcome, Invalid):
        flash("That would make the bank invalid: " + _problems(outcome))
    else:
        flash(done)
    return redirect(url_for("instructor.questions", **request.args), code=303)


@bp.post("/questions/<qid>/duplicate")
@_needs_good_file
def duplicate_question(qid: str) -> Response:
    made: list[str] = []
    outcome = _save(
        lambda doc: made.append(editor.duplicate_question(doc, qid)), f"Duplicated {qid}"
    )
    if isinstance(outcome, Conflict | Invalid):
        flash(
            "The bank changed since you opened the list; nothing was done."
            if isinstance(outcome, Conflict)
            else "Could not duplicate the question."
        )
        return redirect(url_for("instructor.questions"), code=303)
    flash(f"Made {made[0]}, a copy of {qid}. Change it, then save.")
    return redirect(url_for("instructor.edit_question", qid=made[0]), code=303)


@bp.get("/questions/<qid>/delete")
@_needs_good_file
def confirm_delete_question(qid: str) -> Response:
    _, digest = _current()
    bank = current_bank()
    if qid not in bank.by_id:
        abort(404, f"There is no question '{qid}' in the bank.")
    return render("question_delete.html", q=bank.by_id[qid], base=digest)


@bp.post("/questions/<qid>/delete")
@_needs_good_file
def delete_question(qid: str) -> Response:
    return _list_action(
        lambda doc: editor.delete_question(doc, qid),
        f"Deleted question {qid}",
        f"Deleted question {qid}. Past attempts keep the version they used.",
    )


@bp.post("/questions/<qid>/move")
@_needs_good_file
def move_question(qid: str) -> Response:
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400, "Move a question up or down.")
    return _list_action(
        lambda doc: editor.move_question(doc, qid, direction),
        f"Moved question {qid} {direction}",
        f"Moved {qid} {direction}.",
    )


# --- the raw file ----------------------------------------------------------------------


@bp.get("/raw")
def raw() -> Response:
    text, digest = _current()
    return render("raw.html", text=text, base=digest, problems=[], conflict=None, **_file_context())


def _parse_raw(text: str) -> Any:
    """The bank in a raw text, or BankError; never an exception the parser was not
    built to raise (recursion, an integer Python will not read)."""
    try:
        return parse(text, _bank_file_name())
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, BankError):
            raise
        raise BankError(
            [Problem(_bank_file_name(), 1, f"cannot be read as a question bank ({exc})")]
        ) from None


@bp.post("/raw/validate")
def validate_raw() -> Response:
    text = request.form.get("text", "")
    refused = yaml_too_costly(text)
    if refused:
        return render_fragment("raw.html", "problems", status=422, refused=refused, checked=True)
    try:
        bank = _parse_raw(text)
        problems, summary = [], bank.summary()
    except BankError as exc:
        problems, summary = exc.problems, None
    return render_fragment("raw.html", "problems", problems=problems, summary=summary, checked=True)


@bp.post("/raw")
def save_raw() -> Response:
    text = request.form.get("text", "").replace("\r\n", "\n")
    refused = yaml_too_costly(text)
    if refused:
        return render(
            "raw.html",
            status=422,
            text=text,
            base=request.form.get("base", ""),
            problems=[],
            conflict=None,
            refused=refused,
            **_file_context(),
        )
    outcome = _save_text(lambda _old: text, "Edited the file")
    if isinstance(outcome, Conflict | Invalid):
        status, extra = _refused(outcome)
        return render(
            "raw.html", status=status, text=text, base=_current()[1], **extra, **_file_context()
        )
    flash("Saved the file." if outcome.revision else "Nothing changed.")
    return redirect(url_for("instructor.raw"), code=303)


# --- import and export ------------------------------------------------------------------


def _too_many_to_import(data: bytes) -> str | None:
    """A sentence refusing a file with more questions than an import may add, counted
    before the file is read (reading and saving tens of thousands would run past the
    worker's timeout). GIFT questions each have one answer in braces; Moodle XML ones
    are <question> elements."""
    if data.lstrip()[:5] == b"<?xml" or data.lstrip()[:1] == b"<":
        count = data.count(b"<question") - data.count(b'type="category"')
    else:
        count = data.count(b"{") - data.count(b"\\{")
    if count <= MAX_IMPORT_QUESTIONS:
        return None
    return (
        f"The file has about {count:,} questions; an import adds up to "
        f"{MAX_IMPORT_QUESTIONS} at a time. Split it into smaller files. Nothing was imported."
    )


def _import_preview(data: bytes, area: str | None) -> dict[str, Any]:
    bank = current_bank()
    fmt, found, skipped = moodle.read(data)
    converted = moodle.to_bank(found, bank, area)
    too_big = moodle.bank_room(len(_current()[0].encode()), converted.made)
    if too_big:
        raise moodle.MoodleFileError(0, too_big)  # about the whole file: no line
    notes: dict[str, list[str]] = {}
    for note in converted.notes:
        notes.setdefault(note.qid, []).append(note.message)
    return {
        "format": {"gift": "GIFT", "xml": "Moodle XML"}[fmt],
        "made": converted.made,
        "notes": notes,
        "without_area": converted.without_area,
        "skipped": sorted(
            [s for s in skipped + converted.skipped if not s.reason.startswith(moodle.NO_AREA)],
            key=lambda s: s.line,
        ),
    }


@bp.get("/import")
@_needs_good_file
def import_form() -> Response:
    _, digest = _current()
    return render("import.html", bank=current_bank(), base=digest, preview=None, error=None)


@bp.context_processor
def _import_limit() -> dict[str, int]:
    return {"max_mb": moodle.MAX_FILE_BYTES // 1024 // 1024}


@bp.post("/import")
@_needs_good_file
def import_preview() -> Response:
    """What a file would add, before anything is saved (the dry run)."""
    _, digest = _current()
    upload = request.files.get("file")
    area = request.form.get("area") or None
    if upload is not None and upload.filename:
        data, filename = upload.read(), upload.filename
    elif request.form.get("payload"):  # the same file again, with an area chosen for it
        try:
            data = base64.urlsafe_b64decode(request.form["payload"])
        except ValueError:
            abort(400, "The file to import was lost on the way; choose it again.")
        filename = request.form.get("filename", "a file")[:200]
    else:
        data = b""
    refused = _too_many_to_import(data)
    if refused or not data:
        return render(
            "import.html",
            status=400,
            bank=current_bank(),
            base=digest,
            preview=None,
            error=refused or "Choose a GIFT or Moodle XML file to import.",
        )
    try:
        preview = _import_preview(data, area)
    except moodle.MoodleFileError as exc:
        return render(
            "import.html",
            status=422,
            bank=current_bank(),
            base=digest,
            preview=None,
            error=f"{filename}{f', line {exc.line}' if exc.line else ''}: {exc.message}. "
            "Nothing was imported.",
        )
    return render(
        "import.html",
        bank=current_bank(),
        base=digest,
        preview=preview,
        error=None,
        filename=filename,
        area=area or "",
        # URL-safe, so that the form's encoding adds nothing: the confirmation is a third
        # larger than the file, which IMPORT_MAX_CONTENT_LENGTH allows for.
        payload=base64.urlsafe_b64encode(data).decode(),
    )


@bp.post("/import/confirm")
@_needs_good_file
def import_confirm() -> Response:
    try:
        data = base64.urlsafe_b64decode(request.form.get("payload", ""))
        refused = _too_many_to_import(data)
        if refused:
            abort(413, refused)
        preview = _import_preview(data, request.form.get("area") or None)
    except (ValueError, moodle.MoodleFileError):
        abort(400, "The file to import was lost on the way; choose it again.")
    made = preview["made"]
    if not made:
        flash("Nothing to import.")
        return redirect(url_for("instructor.import_form"), code=303)
    filename = request.form.get("filename", "a file")[:200]
    outcome = _save(
        lambda doc: [editor.put_question(doc, q) for q in made],
        f"Imported {len(made)} question{'s' if len(made) != 1 else ''} from {filename}",
    )
    if isinstance(outcome, Conflict):
        flash(
            "The bank changed since you previewed the import; nothing was imported. "
            "Preview it again."
        )
        return redirect(url_for("instructor.import_form"), code=303)
    if isinstance(outcome, Invalid):
        flash("Nothing was imported: " + _problems(outcome))
        return redirect(url_for("instructor.import_form"), code=303)
    flash(f"Imported {len(made)} question{'s' if len(made) != 1 else ''} from {filename}.")
    return redirect(url_for("instructor.questions"), code=303)


@bp.get("/export.<fmt>")
def export(fmt: str) -> Response:
    if fmt not in ("gift", "xml"):
        abort(404, "Exports are GIFT (.gift) or Moodle XML (.xml).")
    bank = current_bank()
    text, _notes = moodle.to_gift(bank) if fmt == "gift" else moodle.to_xml(bank)
    mimetype = "text/plain" if fmt == "gift" else "application/xml"
    response = Response(text, mimetype=mimetype)
    name = "questions-gift.txt" if fmt == "gift" else "questions-moodle.xml"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- settings, areas, verdicts ---------------------------------------------------------


def _bank_file_name() -> str:
    return os.path.basename(current_app.config["QUESTIONS"])


def _number_or_none(value: str) -> Any:
    """A number typed in ASCII digits, or the text as it is (the validator then says
    it is not a number): no Unicode digits, 5,000-digit integers, inf or nan."""
    value = value.strip()
    if not value:
        return None
    return editor.number(value) if _NUMBER.fullmatch(value) else value


@bp.get("/settings")
@_needs_good_file
def settings() -> Response:
    text, digest = _current()
    doc = plain(editor.load(text))
    bank = current_bank()
    estimate = timing.minutes(timing.expected_seconds(bank)) if bank else None
    return render(
        "settings.html", doc=doc, base=digest, problems=[], conflict=None, estimate=estimate
    )


def _settings_change(section: str) -> tuple[Callable[[Any], Any], str]:
    form = request.form
    if section == "general":
        data = {
            "title": form.get("title", "").strip(),
            "shuffle_options": bool(form.get("shuffle_options")),
            "shuffle_questions": bool(form.get("shuffle_questions")),
            "bands": {
                "strength": _number_or_none(form.get("strength", "")),
                "adequate": _number_or_none(form.get("adequate", "")),
            },
        }
        data["draw"] = _number_or_none(form.get("draw", ""))  # empty: every question of each area
        return (lambda doc: editor.put_settings(doc, data)), "Edited the settings"
    if section == "verdicts":
        rows = []
        count = whole_number(form.get("rows") or "0", 1000)
        if count is None:
            abort(400, "The form's number of rows is not a number. Reload the page and try again.")
        for i in range(count):
            vid = form.get(f"id-{i}", "").strip()
            if not vid:
                continue  # an emptied row deletes its rule
            rule: dict[str, Any] = {"id": vid, "label": form.get(f"label-{i}", "").strip()}
            for key in ("min_overall", "max_overall", "min_each_area"):
                value = _number_or_none(form.get(f"{key}-{i}", ""))
                if value is not None:
                    rule[key] = value
            floors = {}
            for part in form.get(f"min_area-{i}", "").split(","):
                if ":" in part:
                    area, value = part.split(":", 1)
                    floors[area.strip()] = _number_or_none(value)
            if floors:
                rule["min_area"] = floors
            rule["summary"] = form.get(f"summary-{i}", "").strip()
            rows.append(rule)
        return (lambda doc: editor.put_verdicts(doc, rows)), "Edited the verdict rules"
    if section.startswith("area-"):
        area = section.removeprefix("area-")
        data: dict[str, Any] = {
            "id": area,
            "name": form.get("name", "").strip(),
            "weight": _number_or_none(form.get("weight", "")),
            "description": form.get("description", "").strip(),
        }
        feedback = {}
        for level in ("strength", "adequate", "gap"):
            summary = form.get(f"{level}-summary", "").strip()
            steps = [s.strip() for s in form.get(f"{level}-steps", "").splitlines() if s.strip()]
            if summary or steps:
                feedback[level] = {"summary": summary, "next_steps": steps}
        if feedback:
            data["feedback"] = feedback
        doc_prefix = form.get("prefix", "").strip()
        if doc_prefix:
            data["prefix"] = doc_prefix
        draw = _number_or_none(form.get("draw", ""))
        if draw is not None:  # empty: the general setting
            data["draw"] = draw
        return (lambda doc: editor.put_dimension(doc, area, data)), f"Edited the area {area}"
    abort(404, "There is no such section of the settings.")


def _as_typed(text: str, change: Callable[[Any], Any]) -> dict[str, Any]:
    """The document of the file's ``text`` with a refused change made to it in memory (the
    file stays as it is), as plain values: the forms then show what the instructor typed
    beside the problems, as the question editor does, instead of the values it replaced."""
    doc = editor.load(text)
    # An EditError: the area is gone from a newer file; show the file as it is.
    with contextlib.suppress(editor.EditError):
        change(doc)
    return plain(doc)


@bp.post("/settings/<section>")
@_needs_good_file
def save_settings(section: str) -> Response:
    change, message = _settings_change(section)
    outcome = _save(change, message)
    if isinstance(outcome, Conflict | Invalid):
        status, extra = _refused(outcome)
        text, digest = _current()
        return render(
            "settings.html", status=status, doc=_as_typed(text, change), base=digest, **extra
        )
    flash(f"{message}." if outcome.revision else "Nothing changed.")
    return redirect(url_for("instructor.settings") + f"#{section}", code=303)


# --- revisions ---------------------------------------------------------------------------


@bp.get("/revisions")
def revisions() -> Response:
    _current()
    return render("revisions.html", revisions=store().revisions(), **_file_context())


@bp.get("/revisions/<int:revision_id>")
def revision(revision_id: int) -> Response:
    _, digest = _current()
    found = _revisions().revision_diff(revision_id)
    if found is None:
        abort(404, f"There is no revision {revision_id}.")
    shown, diff = found
    return render(
        "revision.html",
        revision=shown,
        diff=diff,
        base=digest,
        is_current=shown["sha"] == digest,
        **_file_context(),
    )


@bp.post("/revisions/<int:revision_id>/restore")
def restore(revision_id: int) -> Response:
    outcome = _revisions().restore(
        revision_id,
        request.form.get("base", ""),
        current_instructor(),
        request.form.get("message", "").strip()[:200] or None,
    )
    if outcome is None:
        abort(404, f"There is no revision {revision_id}.")
    if isinstance(outcome, Conflict):
        flash("The bank changed since you opened this page; nothing was restored.")
        return redirect(url_for("instructor.revision", revision_id=revision_id), code=303)
    if isinstance(outcome, Invalid):
        flash("That revision does not validate with this version of the app: " + _problems(outcome))
        return redirect(url_for("instructor.revision", revision_id=revision_id), code=303)
    flash(f"Restored revision {revision_id} as a new revision.")
    return redirect(url_for("instructor.revisions"), code=303)
