"""The taker's side: landing page, profile, one question per screen, finish, result.

Every route answers both plain browsers (whole pages, forms that post and
redirect with 303) and htmx (the page's ``content`` block, the URL pushed).
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)

from . import answers, charts, report, scoring
from .answers import AnswerError
from .bank import Scheme, question_from_body
from .draw import draw
from .web import (
    current_bank,
    is_htmx,
    purge_if_due,
    render,
    render_fragment,
    storage_problem,
    store,
)

bp = Blueprint("taker", __name__)

TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
NAVIGATION = ("save", "check", "next", "back", "finish")
MAX_NAME = 60
NOTHING_TO_CHECK = "Choose an answer to check it, or press Skip to move on."

_questions: dict[str, Any] = {}
_schemes: dict[str, Scheme] = {}


def _question(item: dict[str, Any]) -> Any:
    """The question of a stored version (versions never change, so they are cached)."""
    key = item["version_hash"]
    if key not in _questions:
        _questions[key] = question_from_body(item["body"])
    return _questions[key]


def _attempt(token: str) -> dict[str, Any]:
    if not TOKEN.fullmatch(token):
        abort(404, "There is no attempt at this address. Check that the link was copied whole.")
    attempt = store().attempt(token)
    if attempt is None:
        abort(404, "There is no attempt at this address. Check that the link was copied whole.")
    key = attempt["scheme_hash"]
    if key not in _schemes:
        _schemes[key] = Scheme.from_body(attempt["scheme_body"])
    attempt["scheme"] = _schemes[key]
    return attempt


FINISHED = (
    "This attempt is finished, so its answers can no longer change. "
    "Your result is on the result page."
)


def _open(attempt: dict[str, Any]) -> None:
    """Refuse changes to a finished attempt."""
    if attempt["finished_at"]:
        abort(409, FINISHED)


def _taker() -> str:
    """This browser's anonymous taker id, kept in the long-lived signed session cookie."""
    if "taker" not in session:
        session["taker"] = secrets.token_urlsafe(16)
    session.permanent = True
    return session["taker"]


def _go(url: str, page: Response | None = None) -> Response:
    """Where a form post leads: htmx gets the next page's block and its URL, others a 303."""
    if page is not None and is_htmx():
        page.headers["HX-Push-Url"] = url
        return page
    return redirect(url, code=303)


# --- landing and start -------------------------------------------------------


@bp.get("/")
def index() -> Response:
    bank = current_bank()
    in_progress = store().open_attempts(session["taker"]) if "taker" in session else []
    per_attempt = bank.questions_per_attempt if bank else 0
    return render("index.html", bank=bank, in_progress=in_progress, per_attempt=per_attempt)


@bp.post("/start")
def start() -> Response:
    bank = current_bank()
    if bank is None:
        abort(503)
    purge_if_due()
    token = secrets.token_urlsafe(24)
    taker = _taker()
    mode = "practice" if request.form.get("mode") == "practice" else "assessment"
    items = draw(bank, token, store().seen_questions(taker))  # a retake gets new questions
    store().create_attempt(token, taker, bank.scheme_version, items, mode)
    return redirect(url_for("taker.about", token=token), code=303)


# --- about you ---------------------------------------------------------------


@bp.get("/a/<token>")
def resume(token: str) -> Response:
    attempt = _attempt(token)
    if attempt["finished_at"]:
        return redirect(url_for("taker.result", token=token), code=303)
    if attempt["position"] > attempt["total"]:
        return redirect(url_for("taker.finish", token=token), code=303)
    return redirect(url_for("taker.question", token=token, n=attempt["position"]), code=303)


@bp.get("/a/<token>/about")
def about(token: str) -> Response:
    return _about_page(_attempt(token))


@bp.post("/a/<token>/about")
def save_about(token: str) -> Response:
    attempt = _attempt(token)
    _open(attempt)
    scheme: Scheme = attempt["scheme"]
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
    background: dict[str, Any] = {}
    for item in scheme.background:
        chosen = [v for v in form.getlist(f"bg-{item.id}") if v]
        allowed = {c.id for c in item.choices}
        if any(v not in allowed for v in chosen) or (len(chosen) > 1 and not item.multiple):
            return _about_page(attempt, 400, f"Choose from the options given for “{item.prompt}”.")
        if chosen:
            background[item.id] = sorted(set(chosen)) if item.multiple else chosen[0]
    if not store().save_profile(
        attempt["id"], name or None, {"self_rating": ratings, "background": background}
    ):
        abort(409, FINISHED)  # finished in another tab meanwhile
    return redirect(url_for("taker.question", token=token, n=attempt["position"]), code=303)


def _about_page(attempt: dict[str, Any], status: int = 200, error: str | None = None) -> Response:
    """The profile form, filled from what was just sent (after an error) or from the store."""
    if error:
        values = {name: request.form.getlist(name) for name in request.form}
    else:
        profile = attempt["profile"]
        values = {"display_name": [attempt["display_name"] or ""]}
        for area, rating in profile.get("self_rating", {}).items():
            values[f"rate-{area}"] = [str(rating)]
        for item, chosen in profile.get("background", {}).items():
            values[f"bg-{item}"] = chosen if isinstance(chosen, list) else [chosen]
    return render(
        "about.html",
        status=status,
        attempt=attempt,
        scheme=attempt["scheme"],
        values=values,
        error=error,
    )


# --- questions ---------------------------------------------------------------


def _item(attempt: dict[str, Any], n: int) -> dict[str, Any]:
    found = store().items(attempt["id"], n) if n >= 1 else []
    if not found:
        abort(404, f"This attempt has no question {n}; it has {attempt['total']}.")
    return found[0]


@bp.get("/a/<token>/q/<int:n>")
def question(token: str, n: int) -> Response:
    attempt = _attempt(token)
    if attempt["finished_at"]:
        return redirect(url_for("taker.result", token=token), code=303)
    item = _item(attempt, n)
    try:
        store().set_position(attempt["id"], n)
    except sqlite3.OperationalError as exc:
        if storage_problem(exc) is None:
            raise
        # Where the taker is only helps a later resume: show the question anyway.
        current_app.logger.warning("cannot record the position of an attempt: %s", exc)
    return _question_page(attempt, item)


@bp.post("/a/<token>/q/<int:n>")
def answer(token: str, n: int) -> Response:
    attempt = _attempt(token)
    item = _item(attempt, n)
    _open(attempt)
    nav = request.form.get("nav", "next")
    if nav not in NAVIGATION:
        abort(400, "The form asked to go somewhere unknown. Use the Back, Next or Finish buttons.")
    q = _question(item)
    try:
        value = answers.read_answer(q, item["option_order"] or [], request.form.getlist("answer"))
    except AnswerError as exc:
        if nav == "save" and is_htmx():
            return render_fragment("question.html", "save_status", 400, save_error=str(exc))
        return _question_page(attempt, item, status=400, error=str(exc))

    if nav == "check" and value is None and attempt["mode"] == "practice":
        return _question_page(attempt, item, status=422, error=NOTHING_TO_CHECK)

    target = {"next": n + 1, "back": n - 1}.get(nav)
    # total + 1 stands for the review-and-finish screen, where a resume then lands.
    move_to = target if target is not None and 1 <= target <= attempt["total"] + 1 else None
    if value is None:
        saved = store().clear_answer(attempt["id"], n, move_to)
    else:
        saved = store().save_answer(
            attempt["id"], n, item["version_hash"], value, scoring.score(q, value), move_to
        )
    if not saved:
        abort(409, FINISHED)  # finished in another tab meanwhile

    if nav == "check" and attempt["mode"] == "practice":
        # Practice: the same question again, now with its feedback.
        page = _question_page(attempt, _item(attempt, n)) if is_htmx() else None
        return _go(url_for("taker.question", token=token, n=n), page)
    if nav in ("save", "check"):
        if is_htmx():
            return render_fragment("question.html", "save_status", saved=value is not None)
        return redirect(url_for("taker.question", token=token, n=n), code=303)
    if nav == "finish" or (nav == "next" and n >= attempt["total"]):
        return _go(
            url_for("taker.finish", token=token), _finish_page(attempt) if is_htmx() else None
        )
    if nav == "back" and n == 1:
        return _go(url_for("taker.about", token=token), _about_page(attempt) if is_htmx() else None)
    page = _question_page(attempt, _item(attempt, target)) if is_htmx() else None
    return _go(url_for("taker.question", token=token, n=target), page)


def _question_page(
    attempt: dict[str, Any], item: dict[str, Any], status: int = 200, error: str | None = None
) -> Response:
    q = _question(item)
    order = item["option_order"] or []
    if error is not None:  # show what was sent, so that nothing typed is lost
        submitted = request.form.getlist("answer")
    else:
        submitted = _as_form_values(q, order, item["answer"])
    scheme: Scheme = attempt["scheme"]
    feedback = None
    if attempt["mode"] == "practice" and item["answer"] is not None and error is None:
        feedback = {
            "status": _review_status(q, item["answer"], item["score"]),
            "mark": item["score"],
            "answer": answers.describe(q, item["answer"]),
            "key": answers.key(q),
        }
    return render(
        "question.html",
        feedback=feedback,
        status=status,
        attempt=attempt,
        n=item["position"],
        total=attempt["total"],
        area=scheme.dimension(q.area),
        q=q,
        options=[(shown, q.options[index]) for shown, index in enumerate(order)],
        submitted=submitted,
        likert_labels=answers.LIKERT_LABELS,
        error=error,
        url=url_for("taker.answer", token=attempt["token"], n=item["position"]),
    )


def _as_form_values(q: Any, order: list[int], answer: Any) -> list[str]:
    """A stored answer as the form values that would submit it."""
    if answer is None:
        return []
    if q.has_options:
        chosen = answer if isinstance(answer, list) else [answer]
        return [str(order.index(i)) for i in chosen]
    return [str(answer)]


# --- finish and result ---------------------------------------------------------


@bp.get("/a/<token>/finish")
def finish(token: str) -> Response:
    attempt = _attempt(token)
    if attempt["finished_at"]:
        return redirect(url_for("taker.result", token=token), code=303)
    return _finish_page(attempt)


def _finish_page(attempt: dict[str, Any]) -> Response:
    scheme: Scheme = attempt["scheme"]
    unanswered = [
        (item["position"], scheme.dimension(_question(item).area), _question(item))
        for item in store().items(attempt["id"])
        if item["answer"] is None
    ]
    return render("finish.html", attempt=attempt, unanswered=unanswered)


@bp.post("/a/<token>/finish")
def finish_now(token: str) -> Response:
    attempt = _attempt(token)
    if not attempt["finished_at"]:
        scheme: Scheme = attempt["scheme"]
        marks = [(_question(i), i["score"] or 0.0) for i in store().items(attempt["id"])]
        outcome = scoring.result(scheme, marks)
        store().finish(attempt["id"], outcome.overall, outcome.verdict.id, outcome.areas)
    return redirect(url_for("taker.result", token=token), code=303)


@bp.get("/a/<token>/result")
def result(token: str) -> Response:
    attempt = _attempt(token)
    if not attempt["finished_at"]:
        return redirect(url_for("taker.finish", token=token), code=303)
    scheme: Scheme = attempt["scheme"]
    scores = store().area_scores(attempt["id"])
    ratings = attempt["profile"].get("self_rating", {})
    areas = []
    for d in scheme.dimensions:
        if d.id in scores:
            level = scoring.band(scheme.settings, scores[d.id])
            areas.append(
                {
                    "dimension": d,
                    "score": scores[d.id],
                    "band": level,
                    "feedback": d.feedback.get(level),
                }
            )
    calibrated = report.calibration(scheme, ratings, scores)
    rated = {c.area: c.rated_percent for c in calibrated}
    chart = charts.area_bars(
        [
            charts.Bar(
                a["dimension"].name,
                scoring.percent(a["score"]),
                a["band"],
                rated.get(a["dimension"].id),
            )
            for a in areas
        ],
        [
            ("adequate", scheme.settings.bands.adequate),
            ("strength", scheme.settings.bands.strength),
        ],
    )
    review = []
    for item in store().items(attempt["id"]):
        q = _question(item)
        review.append(
            {
                "n": item["position"],
                "q": q,
                "area": scheme.dimension(q.area),
                "answer": answers.describe(q, item["answer"]),
                "key": answers.key(q),
                "mark": item["score"],
                "status": _review_status(q, item["answer"], item["score"]),
            }
        )
    missed = [r for r in review if r["status"] in ("wrong", "partial", "unanswered")]
    show = "missed" if request.args.get("show") == "missed" else "all"
    verdict = next(v for v in scheme.verdicts if v.id == attempt["verdict"])
    standing = None
    if attempt["mode"] == "assessment":
        rows = [("Overall", store().percentile_counts(attempt["overall"]))]
        rows += [
            (a["dimension"].name, store().percentile_counts(a["score"], a["dimension"].id))
            for a in areas
        ]
        standing = report.standing(rows, counted=bool(attempt["first"]))
    context = dict(
        standing=standing,
        attempt=attempt,
        scheme=scheme,
        verdict=verdict,
        overall=attempt["overall"],
        reason=report.verdict_reason(scheme, verdict, attempt["overall"], scores),
        areas=areas,
        chart=chart,
        calibration=calibrated,
        readiness=report.readiness(attempt["profile"].get("background", {})),
        status_labels=report.STATUS_LABELS,
        salary=report.SALARY,
        review=missed if show == "missed" else review,
        show=show,
        counts={"all": len(review), "missed": len(missed)},
    )
    if is_htmx() and request.headers.get("HX-Target") == "review":
        return render_fragment("result.html", "review", **context)
    return render("result.html", **context)


@bp.get("/a/<token>/delete")
def confirm_delete(token: str) -> Response:
    return render("delete.html", what="attempt", attempt=_attempt(token))


@bp.post("/a/<token>/delete")
def delete(token: str) -> Response:
    store().delete_attempt(_attempt(token)["id"])
    flash("The attempt and its answers are deleted.")
    return redirect(url_for("history.index"), code=303)


def _review_status(q: Any, answer: Any, mark: float | None) -> str:
    if not q.weight:
        return "unscored"
    if answer is None:
        return "unanswered"
    if mark >= 1:
        return "right"
    return "partial" if mark > 0 else "wrong"
