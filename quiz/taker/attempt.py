"""Taking an attempt: landing page, start, about you, one question per screen, finish, delete."""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, session, url_for
from jinja2_fragments.flask import render_blocks
from werkzeug.exceptions import TooManyRequests

from .. import adaptive, answers, attempts, role, scoring, timing
from ..answers import AnswerError
from ..attempts import Attempt, Item
from ..bank import Bank
from ..cohorts import Cohort
from ..draw import draw
from ..report import REVIEW_LABELS, review_entry
from ..store import StorageUnavailable
from ..web import (
    current_bank,
    go,
    is_htmx,
    purge_if_due,
    render,
    render_fragment,
    render_titled_blocks,
    store,
)
from . import FINISHED, bp, last_result, load_attempt, refuse_if_finished, taker_id

NAVIGATION = ("save", "check", "next", "back", "finish")
MAX_NAME = 60
NOTHING_TO_CHECK = "Choose an answer to check it, or press Skip to move on."
# Background items asked only after another: item -> (the item it follows, the choice of
# that item which leaves it unasked). The field of a degree needs a degree; the page
# hides the question until one is chosen (CSS), and an answer sent anyway is ignored.
FOLLOW_UPS = {"field": ("degree", "none")}


# --- landing and start -------------------------------------------------------


def length_and_duration(bank: Bank | None, adaptive_form: bool) -> dict[str, Any]:
    """How long an attempt is, for the pages that invite one: ``per_attempt`` (questions
    of the fixed form), ``length`` ((fewest, most) questions of an adaptive attempt, or
    None) and ``duration`` ((low, high) minutes, equal for a fixed form; None without a
    bank)."""
    if bank is None:
        return {"per_attempt": 0, "length": None, "duration": None}
    if adaptive_form:
        length = adaptive.length_range(bank, store().adaptive_lengths())
        duration = tuple(timing.minutes(timing.expected_seconds(bank, n)) for n in length[:2])
        return {"per_attempt": bank.questions_per_attempt, "length": length, "duration": duration}
    expected = timing.minutes(timing.expected_seconds(bank))
    return {
        "per_attempt": bank.questions_per_attempt,
        "length": None,
        "duration": (expected, expected),
    }


@bp.get("/")
def index() -> Response:
    bank = current_bank()
    in_progress = store().open_attempts(session["taker"]) if "taker" in session else []
    return render(
        "index.html",
        last=last_result(),
        bank=bank,
        in_progress=in_progress,
        **length_and_duration(bank, bank is not None and bank.settings.adaptive.enabled),
        jurisdictions=bank.jurisdictions() if bank else {},
        role=role,
    )


@bp.post("/start")
def start() -> Response:
    mode = "practice" if request.form.get("mode") == "practice" else "assessment"
    return begin(mode)


def begin(mode: str, cohort: Cohort | None = None) -> Response:
    """Start an attempt of ``mode`` ("assessment" or "practice") for this browser, within
    ``cohort`` (the taker having agreed to it) or outside any; 303 to its About you page
    (htmx: that page's block, its URL pushed). Shared by the start button and the
    cohort's invitation, so both keep the start limits."""
    bank = current_bank()
    if bank is None:
        abort(503)
    purge_if_due()
    taker = taker_id()
    _refuse_if_starting_too_often(taker)
    token = secrets.token_urlsafe(24)
    seen = store().seen_questions(taker)  # a retake gets new questions
    # Practice keeps the fixed form: it is for learning, not for a verdict. A cohort may
    # ask for the fixed form too; it gets adaptive only where the bank allows it.
    adaptive = bank.settings.adaptive.enabled and mode == "assessment"
    if cohort is not None:
        adaptive = adaptive and cohort.adaptive
    if adaptive:
        items = attempts.adaptive_start(store(), bank, token, seen)
    else:
        items = draw(bank, token, seen)
    store().create_attempt(
        token,
        taker,
        bank.scheme_version,
        items,
        mode,
        adaptive=adaptive,
        cohort_id=cohort.id if cohort is not None else None,
    )
    url = url_for("taker.about", token=token)
    return go(url, _about_page(load_attempt(token)) if is_htmx() else None)


def _refuse_if_starting_too_often(taker: str) -> None:
    """429 when this client address or this taker has started too many attempts within
    ``START_WINDOW`` seconds. The counts live in the database, so every worker shares
    them; a refused start counts too, so a client that keeps sending stays refused."""
    config = current_app.config
    now = time.time()
    window = float(config["START_WINDOW"])
    address = request.remote_addr or "unknown"
    by_address, by_taker = store().count_events(
        [f"start address {address}", f"start taker {taker}"], now, now - window
    )
    if by_taker > int(config["START_LIMIT_PER_TAKER"]):
        who = "You have"
    elif by_address > int(config["START_LIMIT_PER_ADDRESS"]):
        who = "Your network has"
    else:
        return
    minutes = max(1, round(window / 60))
    raise TooManyRequests(
        f"{who} started many attempts in the last {minutes} minutes, so no new one was "
        f"started. Wait {minutes} minutes before you try again (a refused try starts the "
        "wait again); attempts you already started are on My results, where you can "
        "resume them.",
        retry_after=int(window),
    )


# --- about you ---------------------------------------------------------------


@bp.get("/a/<token>")
def resume(token: str) -> Response:
    attempt = load_attempt(token)
    if attempt.finished:
        return redirect(url_for("taker.result", token=token), code=303)
    if attempt.position > attempt.total:
        return redirect(url_for("taker.finish", token=token), code=303)
    return redirect(url_for("taker.question", token=token, n=attempt.position), code=303)


@bp.get("/a/<token>/about")
def about(token: str) -> Response:
    return _about_page(load_attempt(token))


@bp.post("/a/<token>/about")
def save_about(token: str) -> Response:
    attempt = load_attempt(token)
    refuse_if_finished(attempt)
    scheme = attempt.scheme
    form = request.form
    name = " ".join(form.get("display_name", "").split())
    if len(name) > MAX_NAME:
        return _about_page(attempt, 400, f"Please keep your name to {MAX_NAME} characters.")
    ratings: dict[str, int] = {}
    for dimension in scheme.dimensions:
        value = form.get(f"rate-{dimension.id}", "")
        if value:
            if value not in {"1", "2", "3", "4", "5"}:
                return _about_page(attempt, 400, "Rate each area from 1 to 5.")
            ratings[dimension.id] = int(value)
    background: dict[str, object] = {}
    for item in scheme.background:
        chosen = [v for v in form.getlist(f"bg-{item.id}") if v]
        allowed = {c.id for c in item.choices}
        if any(v not in allowed for v in chosen) or (len(chosen) > 1 and not item.multiple):
            return _about_page(attempt, 400, f"Choose from the options given for “{item.prompt}”.")
        if chosen:
            background[item.id] = sorted(set(chosen)) if item.multiple else chosen[0]
    for item_id, (after, unasked) in FOLLOW_UPS.items():
        if background.get(after, unasked) == unasked:
            background.pop(item_id, None)  # e.g. a field of study given with "no degree"
    if not store().save_profile(
        attempt.id, name or None, {"self_rating": ratings, "background": background}
    ):
        abort(409, FINISHED)  # finished in another tab meanwhile
    return redirect(url_for("taker.question", token=token, n=attempt.position), code=303)


def _about_page(attempt: Attempt, status: int = 200, error: str | None = None) -> Response:
    """The profile form, filled from what was just sent (after an error) or from the store."""
    if error:
        values = {name: request.form.getlist(name) for name in request.form}
    else:
        values = {"display_name": [attempt.display_name or ""]}
        for area, rating in attempt.self_rating.items():
            values[f"rate-{area}"] = [str(rating)]
        for item, chosen in attempt.background.items():
            values[f"bg-{item}"] = chosen if isinstance(chosen, list) else [chosen]
    ids = {item.id for item in attempt.scheme.background}
    follow_ups = {item: pair for item, pair in FOLLOW_UPS.items() if item in ids and pair[0] in ids}
    return render(
        "about.html",
        status=status,
        attempt=attempt,
        scheme=attempt.scheme,
        values=values,
        error=error,
        follow_ups=follow_ups,
        # item id -> the choices of it that open a follow-up question
        opening={after: unasked for after, unasked in follow_ups.values()},
    )


# --- questions ---------------------------------------------------------------


def _item(attempt: Attempt, n: int) -> Item:
    found = attempts.item(store(), attempt, n)
    if found is None:
        abort(404, f"This attempt has no question {n}; it has {attempt.total}.")
    return found


@bp.get("/a/<token>/q/<int:n>")
def question(token: str, n: int) -> Response:
    attempt = load_attempt(token)
    if attempt.finished:
        return redirect(url_for("taker.result", token=token), code=303)
    item = _item(attempt, n)
    try:
        store().set_position(attempt.id, n)
    except StorageUnavailable as exc:
        # Where the taker is only helps a later resume: show the question anyway.
        current_app.logger.warning("cannot record the position of an attempt: %s", exc)
    skipped = _take_note("skipped", token, n)
    draft = _take_note("draft", token, n)
    return _question_page(
        attempt,
        item,
        skipped=skipped["n"] if skipped else None,
        draft=draft["answer"] if draft else None,
    )


def _leave_note(kind: str, token: str, on: int, **note: object) -> None:
    """Something for the next screen of a taker without htmx, shown once, on question
    ``on`` of the attempt: kept in the session across the redirect (303)."""
    session[kind] = {"token": token, "on": on, **note}


def _take_note(kind: str, token: str, n: int) -> dict | None:
    """The note of ``kind`` left for question ``n`` of this attempt, if any; any note
    of that kind is gone afterwards, so it shows once."""
    note = session.pop(kind, None) if kind in session else None
    if isinstance(note, dict) and note.get("token") == token and note.get("on") == n:
        return note
    return None


@bp.post("/a/<token>/q/<int:n>")
def answer(token: str, n: int) -> Response:
    attempt = load_attempt(token)
    item = _item(attempt, n)
    refuse_if_finished(attempt)
    nav = request.form.get("nav", "next")
    if nav not in NAVIGATION:
        abort(400, "The form asked to go somewhere unknown. Use the Back, Next or Finish buttons.")
    q = item.question
    try:
        value = answers.read_answer(q, item.option_order, request.form.getlist("answer"))
    except AnswerError as exc:
        if nav == "save" and is_htmx():
            return render_fragment("question.html", "save_status", 400, save_error=str(exc))
        return _question_page(attempt, item, status=400, error=str(exc))

    if nav == "check" and value is None and attempt.practice:
        return _question_page(attempt, item, status=422, error=NOTHING_TO_CHECK)

    target = {"next": n + 1, "back": n - 1}.get(nav)
    # Next with nothing chosen skips the question: the next screen says so, once.
    skipped = n if nav == "next" and value is None else None
    # total + 1 stands for the review-and-finish screen, where a resume then lands.
    move_to = target if target is not None and 1 <= target <= attempt.total + 1 else None
    if value is None:
        saved = store().clear_answer(attempt.id, n, move_to)
    else:
        saved = store().save_answer(
            attempt.id, n, item.version_hash, value, scoring.score(q, value), move_to
        )
    if not saved:
        abort(409, FINISHED)  # finished in another tab meanwhile
    if nav == "next" and attempt.adaptive and n == attempt.total:
        # The answer just given decides the next question, or that there is none.
        bank = current_bank()
        if bank is not None:
            seen = store().seen_questions(attempt.taker)
            attempts.ask_next(store(), attempt, bank, seen)
            attempt = load_attempt(token)

    if nav == "check" and attempt.practice:
        # Practice: the same question again, now with its feedback.
        page = _question_page(attempt, _item(attempt, n)) if is_htmx() else None
        return go(url_for("taker.question", token=token, n=n), page)
    if nav in ("save", "check"):
        if is_htmx():
            return render_fragment("question.html", "save_status", saved=value is not None)
        return redirect(url_for("taker.question", token=token, n=n), code=303)
    if nav == "finish" or (nav == "next" and n >= attempt.total):
        return go(
            url_for("taker.finish", token=token), _finish_page(attempt) if is_htmx() else None
        )
    if nav == "back" and n == 1:
        return go(url_for("taker.about", token=token), _about_page(attempt) if is_htmx() else None)
    if is_htmx():
        after = _item(attempt, target)
        if request.form.get("slot") == "question-slot":
            shown = request.form.get("marks", "")
            page = _next_question(attempt, item, value is not None, after, skipped, shown)
        else:
            page = _question_page(attempt, after, skipped=skipped)
        return go(url_for("taker.question", token=token, n=target), page)
    if skipped is not None:
        _leave_note("skipped", token, target, n=skipped)
    return redirect(url_for("taker.question", token=token, n=target), code=303)


@bp.post("/a/<token>/q/<int:n>/flag")
def flag(token: str, n: int) -> Response:
    """Flag question ``n`` for review (form field flag=1) or take the flag off (flag=0).

    The flag button sits in the question form, so the form comes along: in an
    assessment, an answer it holds is saved too (as Next would), so that nothing chosen
    is lost on the way back to the same question without JavaScript. In practice an
    answer is saved only when checked, so a choice not yet checked is carried back to
    the question instead. htmx gets the flag button and the navigator; the form stays.
    """
    attempt = load_attempt(token)
    item = _item(attempt, n)
    refuse_if_finished(attempt)
    wanted = request.form.get("flag")
    if wanted not in ("0", "1"):
        abort(400, "The form asked for an unknown flag. Use the Flag for review button.")
    error = None if attempt.practice else _save_answer_given(attempt, item)
    if not store().set_flag(attempt.id, n, wanted == "1"):
        abort(409, FINISHED)  # finished in another tab meanwhile
    if is_htmx() and request.headers.get("HX-Target") == "flag-toggle":
        return _flag_update(attempt, n, wanted == "1")
    # The whole form came: without JavaScript, or through the form's own htmx post when
    # the button was pressed before htmx had taken over a freshly swapped one.
    if error is not None:
        return _question_page(attempt, _item(attempt, n), status=400, error=error)
    draft = request.form.getlist("answer")[:50] if attempt.practice else []
    if is_htmx():
        return _question_page(attempt, _item(attempt, n), draft=draft or None)
    if draft:
        _leave_note("draft", token, n, answer=draft)
    return redirect(url_for("taker.question", token=token, n=n), code=303)


def _save_answer_given(attempt: Attempt, item: Item) -> str | None:
    """Save the answer the form holds, if it holds one; the error if it is not an answer."""
    q = item.question
    try:
        value = answers.read_answer(q, item.option_order, request.form.getlist("answer"))
    except AnswerError as exc:
        return str(exc)
    if value is not None and not store().save_answer(
        attempt.id, item.position, item.version_hash, value, scoring.score(q, value)
    ):
        abort(409, FINISHED)
    return None


def _flag_update(attempt: Attempt, n: int, flagged: bool) -> Response:
    """For htmx: the flag button and, swapped out of band, the navigator's summary and
    list and the marks the form sends back; the question form itself is left alone,
    with whatever it holds."""
    body = render_blocks(
        "question.html",
        ["flag_toggle", "navigator_summary", "navigator_body", "navigator_marks"],
        oob=True,
        marks_oob=True,
        attempt=attempt,
        n=n,
        flagged=flagged,
        flag_url=url_for("taker.flag", token=attempt.token, n=n),
        nav=attempts.navigation(store(), attempt, n),
        announce=f"Question {n} flagged for review."
        if flagged
        else f"Flag removed from question {n}.",
    )
    return Response(body, mimetype="text/html")


def _question_page(
    attempt: Attempt,
    item: Item,
    status: int = 200,
    error: str | None = None,
    skipped: int | None = None,
    draft: list[str] | None = None,
) -> Response:
    """The question screen; ``skipped`` is the question just skipped, to say so once;
    ``draft`` the choice a taker without JavaScript made and has not yet checked."""
    context = _question_context(attempt, item, error, skipped, draft)
    nav = attempts.navigation(store(), attempt, item.position)
    return render("question.html", status=status, nav=nav, **context)


def _question_context(
    attempt: Attempt,
    item: Item,
    error: str | None = None,
    skipped: int | None = None,
    draft: list[str] | None = None,
) -> dict[str, object]:
    """What question.html needs to show ``item``, but the navigator."""
    q = item.question
    # After an error, show what was sent, so that nothing typed is lost.
    submitted = request.form.getlist("answer") if error is not None else item.form_values()
    if draft is not None and error is None:
        submitted = draft
    feedback = None
    if attempt.practice and item.answer is not None and error is None:
        feedback = review_entry(attempt.scheme, item)
    return dict(
        feedback=feedback,
        review_labels=REVIEW_LABELS,
        attempt=attempt,
        n=item.position,
        total=attempt.total,
        length=_length(attempt),
        area=attempt.scheme.dimension(q.area),
        q=q,
        options=item.shown_options,
        submitted=submitted,
        likert_labels=answers.LIKERT_LABELS,
        error=error,
        url=url_for("taker.answer", token=attempt.token, n=item.position),
        flagged=item.flagged,
        flag_url=url_for("taker.flag", token=attempt.token, n=item.position),
        skipped=skipped,
    )


def _next_question(
    attempt: Attempt, left: Item, answered: bool, item: Item, skipped: int | None, shown: str
) -> Response:
    """For htmx, after Next or Back from question ``left`` to ``item``: the new question's
    form in place of the old one (HX-Retarget), and out of band the navigator's summary
    and the two entries whose state changed, not the whole list (a third of an answer's
    time and most of its bytes with 56 questions). When the list the page ``shown``
    (its marks, sent with the form) differs elsewhere — another tab answered or flagged,
    an adaptive attempt grew — the whole list instead."""
    context = _question_context(attempt, item, skipped=skipped)
    nav = attempts.progress(store(), attempt)
    if attempts.list_in_step(shown, nav.marks, (left.position, item.position)):
        blocks = ["navigator_entries"]
        changed = {
            "changed": True,
            "questions_url": url_for("taker.resume", token=attempt.token) + "/q/",
            "entries": [
                attempts.NavEntry(left.position, answered, left.flagged, current=False),
                attempts.NavEntry(item.position, item.answer is not None, item.flagged, True),
            ],
        }
    else:
        nav, blocks = attempts.navigation(store(), attempt, item.position), ["navigator_body"]
        changed = {}
    body = render_titled_blocks(
        "question.html",
        ["question_form", "navigator_summary", *blocks],
        **context,
        nav=nav,
        oob=True,
        **changed,
    )
    response = Response(body, mimetype="text/html")
    response.headers["HX-Retarget"] = "#question-slot"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


def _length(attempt: Attempt) -> str | None:
    """For an adaptive attempt, how many questions it asks in all, in words."""
    bank = current_bank()
    if not attempt.adaptive or bank is None:
        return None
    low, high, usual = adaptive.length_range(bank, store().adaptive_lengths())
    return f"{'usually' if usual else 'between'} {low} {'to' if usual else 'and'} {high} in all"


# --- finish ------------------------------------------------------------------------


@bp.get("/a/<token>/finish")
def finish(token: str) -> Response:
    attempt = load_attempt(token)
    if attempt.finished:
        return redirect(url_for("taker.result", token=token), code=303)
    return _finish_page(attempt)


def _finish_page(attempt: Attempt) -> Response:
    """Review and finish: the questions flagged for review, then those unanswered."""
    items = attempts.items(store(), attempt)
    unanswered = [
        (item.position, attempt.scheme.dimension(item.question.area), item.question)
        for item in items
        if item.answer is None
    ]
    flagged = [
        (item.position, attempt.scheme.dimension(item.question.area), item.question, item.answer)
        for item in items
        if item.flagged
    ]
    return render("finish.html", attempt=attempt, unanswered=unanswered, flagged=flagged)


@bp.post("/a/<token>/finish")
def finish_now(token: str) -> Response:
    attempt = load_attempt(token)
    if not attempt.finished:
        attempts.finish(store(), attempt, current_bank())
    return redirect(url_for("taker.result", token=token), code=303)


@bp.get("/a/<token>/delete")
def confirm_delete(token: str) -> Response:
    return render("delete.html", what="attempt", attempt=load_attempt(token))


@bp.post("/a/<token>/delete")
def delete(token: str) -> Response:
    store().delete_attempt(load_attempt(token).id)
    flash("The attempt and its answers are deleted.")
    return redirect(url_for("history.index"), code=303)
