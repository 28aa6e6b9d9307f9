"""The taker's report: everything the result page shows, built by :func:`build`. Pure.

Why the verdict, each area's score and band with its feedback, a chart,
readiness (the background answers against the role's usual requirements,
``role``), calibration (each self-rating against the measured score of its
area), where the taker stands among others, and the review of every question.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from . import answers, charts, role
from .bank import Likert, Multiple, Numeric, Scheme, Single, Verdict
from .measurement import Scores, shown_probability
from .scoring import band, percent

if TYPE_CHECKING:
    from .attempts import Attempt, Item

CALIBRATION_GAP = 30  # percentage points between the self-rating and the score
MIN_FOR_PERCENTILES = 30  # first attempts needed before anyone is compared with others


REVIEW_LABELS = {
    "right": "Right",
    "partial": "Partly right",
    "wrong": "Not right",
    "unanswered": "Not answered",
    "unscored": "Not scored: this describes you",
    "broken": "Not scored: this question holds a number that cannot be used",
}
MISSED = ("wrong", "partial", "unanswered")
MINUS = "\u2212"  # the minus sign, not a hyphen: "−1/2"

# (score 0..1, area id or None for overall) -> (scored below, scored the same, all):
# how many first finished assessments scored below, the same as, and in all.
PercentileCounts = Callable[[float, str | None], tuple[int, int, int]]


def build(
    attempt: Attempt,
    items: Sequence[Item],
    show: str = "all",
    percentile_counts: PercentileCounts | None = None,
    expand: bool = False,
) -> dict[str, Any]:
    """Everything the result page of a finished attempt shows, as template values.

    ``show`` is 'missed' to review only what was not fully right, else every
    question; ``expand`` opens every reviewed question (closed, each shows one line).
    ``percentile_counts`` (None: not compared, as in practice) gives
    how the attempt's scores stand among first finished assessments.
    """
    scheme, scores = attempt.scheme, attempt.areas
    measured = attempt.scores
    verdict = attempt.verdict
    areas = []
    for d in scheme.dimensions:
        if d.id in scores:
            level = band(scheme.settings, scores[d.id])
            interval = measured.areas.get(d.id) if measured else None
            areas.append(
                {
                    "dimension": d,
                    "score": scores[d.id],
                    "low": interval.low if interval else None,
                    "high": interval.high if interval else None,
                    "answered": measured.answered.get(d.id) if measured else None,
                    "band": level,
                    "feedback": d.feedback.get(level),
                }
            )
    calibrated = calibration(scheme, attempt.self_rating, scores)
    checks = readiness(attempt.background)
    top = headline(attempt)
    rated = {c.area: c.rated_percent for c in calibrated}
    chart = charts.area_bars(
        [
            charts.Bar(
                a["dimension"].name,
                percent(a["score"]),
                a["band"],
                rated.get(a["dimension"].id),
                percent(a["low"]) if a["low"] is not None else None,
                percent(a["high"]) if a["high"] is not None else None,
            )
            for a in areas
        ],
        [
            ("adequate", scheme.settings.bands.adequate),
            ("strength", scheme.settings.bands.strength),
        ],
    )
    review = [review_entry(scheme, item) for item in items]
    missed = [r for r in review if r["status"] in MISSED]
    rest = [r for r in review if r["status"] not in MISSED]
    show = "missed" if show == "missed" else "all"
    ranking = None
    if percentile_counts is not None and not attempt.practice and attempt.judged:
        rows = [("Overall", percentile_counts(attempt.overall, None))]
        rows += [
            (a["dimension"].name, percentile_counts(a["score"], a["dimension"].id)) for a in areas
        ]
        ranking = standing(rows, counted=attempt.first)
    return {
        "standing": ranking,
        "attempt": attempt,
        "scheme": scheme,
        "verdict": verdict,
        "headline": top,
        "glance": glance(top, areas, checks),
        "overall": attempt.overall,
        "overall_interval": measured.overall if measured else None,
        # Undecided, the headline names the open verdicts: "what the next one needs"
        # would name yet another.
        "reason": (
            verdict_reason(
                scheme, verdict, attempt.overall, scores, next_step=top.state != "borderline"
            )
            if verdict
            else None
        ),
        "areas": areas,
        "plan": learning_plan(areas),
        "chart": chart,
        "calibration": calibrated,
        "readiness": checks,
        "fit_and_experience": fit_and_experience(attempt, checks),
        "status_labels": STATUS_LABELS,
        "review_labels": REVIEW_LABELS,
        "salary": role.SALARY,
        # The review opens with what was missed; the rest waits behind a disclosure,
        # or is left out when only the missed ones were asked for.
        "review": missed if show == "missed" else review,
        "missed": missed,
        "rest": [] if show == "missed" else rest,
        "rest_summary": rest_summary(rest),
        "show": show,
        "expand": expand,
        "counts": {"all": len(review), "missed": len(missed)},
        "left_out": left_out(items),
    }


def left_out(items: Sequence[Item]) -> str | None:
    """The sentence that says which questions were left out of the score because the
    version of them the attempt holds has a number that cannot be used (nan or infinity,
    saved before the bank refused them); None when there are none."""
    broken = [item.position for item in items if item.broken]
    if not broken:
        return None
    numbers = ", ".join(str(n) for n in broken[:-1])
    named = f"Questions {numbers} and {broken[-1]} were" if numbers else f"Question {broken[0]} was"
    return (
        f"{named} left out of your score: the version you were asked holds a number "
        "that cannot be used (a mistake in the question bank, not in your answer)."
    )


def review_entry(scheme: Scheme, item: Item) -> dict[str, Any]:
    """One question in review (the result page) or in practice feedback: its position,
    question, area, the answer and the key in words, the mark (0..1) and the status
    (a key of REVIEW_LABELS); and the question as it was asked: ``options`` (choice
    questions: :func:`marked_options`, in the order shown), ``credit`` and
    ``credit_rule`` (multiple-response: :func:`credit`, :func:`credit_rule`),
    ``accepted`` (numeric: what counted as right, :func:`accepted_answers`) and
    ``scale`` (Likert: :func:`likert_scale`)."""
    q = item.question
    # A broken version's key is a stand-in (attempts.question_of): not shown as right.
    keyed = not item.broken
    return {
        "n": item.position,
        "q": q,
        "area": scheme.dimension(q.area),
        "answer": answers.describe(q, item.answer),
        "key": answers.key(q) if keyed else "Not available",
        "key_label": answers.key_label(q),
        "mark": item.mark,
        "status": item.status,
        "scored": q.scored and keyed,
        "options": (
            marked_options(q, item.option_order, item.answer, keyed) if q.has_options else None
        ),
        "credit": credit(q, item.answer) if isinstance(q, Multiple) and keyed else None,
        "credit_rule": credit_rule(q) if isinstance(q, Multiple) and keyed else None,
        "accepted": accepted_answers(q) if isinstance(q, Numeric) and keyed else None,
        "scale": likert_scale(item.answer) if isinstance(q, Likert) else None,
    }


def rest_summary(rest: Sequence[Mapping[str, Any]]) -> str:
    """What the review's disclosure holds besides the missed questions, in words:
    "12 right, 8 self-descriptions (not scored)"."""
    right = sum(r["status"] == "right" for r in rest)
    unscored = sum(r["status"] == "unscored" for r in rest)
    broken = sum(r["status"] == "broken" for r in rest)
    parts = []
    if right:
        parts.append(f"{right} right")
    if unscored:
        parts.append(f"{unscored} self-description{'s' if unscored != 1 else ''} (not scored)")
    if broken:
        parts.append(f"{broken} left out of your score")
    return _join(parts)


# --- the questions as they were asked ----------------------------------------------


@dataclass(frozen=True)
class MarkedOption:
    """One option of a choice question as the review and practice feedback show it.

    ``shown`` is its place on the taker's screen (0-based: its form value); ``key`` is
    'right' (a right option, or a judgement question's best one), 'partial' (a judgement
    option worth less than the best but more than nothing), 'wrong', or 'unknown' (no
    key to show: a broken version). ``share`` is what picking it earns in a
    multiple-response question ("+1/3", "−1/2"); ``icon`` is ✓ (a right option), ◐ (a
    partly right pick), ✗ (a wrong pick) or empty; ``notes`` say the same in words, so
    that nothing rests on colour or the icon alone.
    """

    shown: int
    text: str
    picked: bool
    key: str
    share: str | None
    icon: str
    notes: tuple[str, ...]

    @property
    def css(self) -> str:
        """Classes for the option: its key, and whether it was picked."""
        return f"opt-{self.key}" + (" opt-picked" if self.picked else "")


def fraction_text(value: Fraction, signed: bool = False) -> str:
    """A fraction as the review writes it: "1/3", "2" ; with ``signed``, "+1/3" or "−1/2"."""
    size = abs(value)
    text = str(size.numerator) if size.denominator == 1 else f"{size.numerator}/{size.denominator}"
    if value < 0:
        return MINUS + text
    return ("+" if signed else "") + text


def option_shares(question: Multiple) -> list[Fraction]:
    """What picking each option (bank order) earns: 1 ÷ the number of right options for a
    right one, minus 1 ÷ the number of wrong options for a wrong one (``scoring.score``)."""
    right = question.correct_indexes
    wrong = len(question.options) - len(right)
    return [
        Fraction(1, len(right)) if i in right else -Fraction(1, max(wrong, 1))
        for i in range(len(question.options))
    ]


def marked_options(
    question: Single | Multiple,
    option_order: Sequence[int],
    answer: Any,
    keyed: bool = True,
) -> list[MarkedOption]:
    """Every option of a choice question, in the order the taker saw it
    (``option_order``: bank indexes; empty means bank order), with the taker's picks
    (``answer``: a bank index, a list of them, or None) and, when ``keyed``, the key."""
    order = list(option_order) or list(range(len(question.options)))
    picked = set(answer if isinstance(answer, list) else [] if answer is None else [answer])
    multiple = isinstance(question, Multiple)
    shares = option_shares(question) if multiple else None
    weighted = isinstance(question, Single) and question.weighted
    best = max(question.option_score(i) for i in order) if weighted else None
    marked = []
    for shown, index in enumerate(order):
        option, chosen = question.options[index], index in picked
        notes = ["Your pick"] if chosen else []
        if not keyed:
            key = "unknown"
        elif weighted:
            worth = question.option_score(index)
            key = "right" if worth >= best else "partial" if worth > 0 else "wrong"
        elif multiple:
            key = "right" if index in question.correct_indexes else "wrong"
        else:
            key = "right" if option.correct else "wrong"
        if key == "right":
            notes.append("Best answer" if weighted else "Right answer")
            if multiple and picked and not chosen:
                notes.append("you did not pick it")
        elif key == "partial":
            notes.append(f"Partly right: worth {percent(question.option_score(index))}%")
        elif key == "wrong" and chosen:
            notes.append("Worth nothing" if weighted else "Not right")
        icon = {"right": "✓", "partial": "◐" if chosen else "", "wrong": "✗" if chosen else ""}
        marked.append(
            MarkedOption(
                shown=shown,
                text=option.text,
                picked=chosen,
                key=key,
                share=fraction_text(shares[index], signed=True) if shares and keyed else None,
                icon=icon.get(key, ""),
                notes=tuple(notes),
            )
        )
    return marked


def credit(question: Multiple, answer: Any) -> str | None:
    """How a multiple-response answer earned its mark, option share by option share:
    "+1/3 + 1/3 − 1/2 = 1/6", floored at 0 as ``scoring.score`` floors it; None when
    the question was not answered."""
    if not answer:
        return None
    shares = option_shares(question)
    terms = [shares[i] for i in sorted(answer)]
    text = fraction_text(terms[0], signed=True)
    for term in terms[1:]:
        text += f" {MINUS if term < 0 else '+'} {fraction_text(abs(term))}"
    total = sum(terms, Fraction(0))
    text += f" = {fraction_text(total)}"
    if total < 0:
        text += ", counted as 0"
    elif total == 1:
        text += " (full marks)"
    return text


def credit_rule(question: Multiple) -> str:
    """How a multiple-response question gives partial credit, in words."""
    shares = option_shares(question)
    right = next(s for s in shares if s > 0)
    wrong = [s for s in shares if s < 0]
    text = f"Each right option earns {fraction_text(right)} of the marks"
    if wrong:
        text += f" and each wrong pick takes away {fraction_text(abs(wrong[0]))}"
    return text + "; the total is never below 0."


def accepted_answers(question: Numeric) -> list[str]:
    """Each right answer of a numeric question with what counted as right: "exactly 4",
    "40 (± 2): anything from 38 to 42", "200 (± 5%): anything from 190 to 210"."""
    out = []
    for right in question.right_answers:
        value = answers.with_unit(answers.plain_number(right.answer), question.unit)
        spread = right.tolerance_abs()
        if not spread:
            out.append(f"exactly {value}")
            continue
        centre = Decimal(repr(right.answer))
        tolerance = (
            right.tolerance
            if isinstance(right.tolerance, str)
            else answers.with_unit(answers.plain_number(right.tolerance), question.unit)
        )
        low, high = (
            answers.with_unit(_decimal_text(centre - spread), question.unit),
            answers.with_unit(_decimal_text(centre + spread), question.unit),
        )
        out.append(f"{value} (± {tolerance}): anything from {low} to {high}")
    return out


def _decimal_text(value: Decimal) -> str:
    """A decimal in full, without trailing zeros or an exponent: 2.50 is "2.5", 1E+2 "100"."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f").replace("-", MINUS)


def likert_scale(answer: Any) -> list[dict[str, Any]]:
    """The five points of a Likert statement with the taker's one marked: each a dict
    of ``value`` (1..5), ``label`` and ``picked``."""
    return [
        {"value": n, "label": label, "picked": answer == n}
        for n, label in enumerate(answers.LIKERT_LABELS, start=1)
    ]


# --- the top of the page ---------------------------------------------------------------


@dataclass(frozen=True)
class Glance:
    """What the top of the result page shows at a glance.

    ``sure_words`` says in words how sure the verdict is and ``sure`` as a number
    ("more than 99% sure"; None without a probability); ``readiness`` and
    ``readiness_text`` sum up the background checks ("Meets 2 of 4", "of the role's
    usual requirements; nearly: Experience"); ``weakest`` is the lowest area (an entry
    of ``build``'s areas) and ``next_step`` the first next step its band suggests
    (Markdown inline), each None when there is none.
    """

    sure_words: str | None
    sure: str | None
    readiness: str
    readiness_text: str
    weakest: Mapping[str, Any] | None
    next_step: str | None


VERY_SURE = 0.95  # a settled verdict this probable is "clear", not only "likely"


def how_sure(top: Headline) -> tuple[str | None, str | None]:
    """The verdict's certainty in words and as a number: ("Clear verdict", "97% sure"),
    ("Likely verdict", "84% sure"), ("Too close to call", "52% for the most likely"),
    ("No verdict", None) when too few answers, (None, None) without a probability."""
    if top.state == "unjudged":
        return "No verdict yet", None
    if top.confidence is None:
        return None, None
    sure = percent(top.confidence)
    said = "more than 99%" if sure > 99 else f"{sure}%"
    if top.state == "borderline":
        return "Too close to call", f"{said} for the most likely"
    return ("Clear verdict" if top.confidence >= VERY_SURE else "Likely verdict"), f"{said} sure"


def readiness_summary(checks: Sequence[Check]) -> tuple[str, str]:
    """The readiness checks in one line: how many of the role's usual requirements the
    background meets ("2 of 4 met") and, in words, which are nearly or not yet met."""
    counted = [c for c in checks if c.status in ("met", "close", "not-met")]
    if not counted:
        return "Not answered", "You skipped the background questions."
    met = sum(c.status == "met" for c in counted)
    text = "The role's usual requirements."
    close = [c.topic for c in counted if c.status == "close"]
    not_met = [c.topic for c in counted if c.status == "not-met"]
    if close:
        text += " Nearly: " + _join(close) + "."
    if not_met:
        text += " Not yet: " + _join(not_met) + "."
    return f"{met} of {len(counted)} met", text


def weakest_area(areas: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The area with the lowest score as shown (whole percent); the first in the bank's
    order among equals; None without areas."""
    return min(areas, key=lambda a: percent(a["score"]), default=None)


def glance(top: Headline, areas: Sequence[Mapping[str, Any]], checks: Sequence[Check]) -> Glance:
    """The top of the result page (:class:`Glance`)."""
    words, sure = how_sure(top)
    met, text = readiness_summary(checks)
    weakest = weakest_area(areas)
    feedback = weakest["feedback"] if weakest else None
    step = feedback.next_steps[0] if feedback and feedback.next_steps else None
    return Glance(words, sure, met, text, weakest, step)


def learning_plan(areas: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The areas that have feedback for their band, weakest first: what to work on next."""
    return sorted((a for a in areas if a["feedback"]), key=lambda a: percent(a["score"]))


# --- the verdict in plain words ------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The top of the result page.

    ``state`` is 'settled' (the verdict's probability is at least
    measurement.CONFIDENT), 'borderline' (it is not: the title names the verdicts still
    open), 'unjudged' (an area had too few answers) or 'unmeasured' (finished before
    scores had intervals). ``verdict_id`` and ``confidence`` (0..1)
    go into the page's data attributes; ``title`` and ``text`` are what it says.
    """

    state: str
    title: str
    text: str
    verdict_id: str
    confidence: float | None  # None: scored before verdicts had a probability


def undecided_between(scores: Scores, scheme: Scheme) -> str:
    """The verdicts an unsettled attempt's answers leave open (``Scores.contenders``), in
    words: 'between “A” and “B”', 'somewhere from “A” to “C”' when they are neighbours in
    the scheme's order, else 'either “A” or “C”'."""
    contenders = scores.contenders(scheme)
    labels = [f"“{v.label}”" for v in contenders]
    order = [v.id for v in scheme.verdicts]
    places = [order.index(v.id) for v in contenders]
    if places == list(range(places[0], places[0] + len(places))):
        # Neighbours in the bank's order: a range says it, and hides nothing between.
        if len(labels) == 2:
            return f"between {labels[0]} and {labels[-1]}"
        return f"somewhere from {labels[0]} to {labels[-1]}"
    return "either " + ", ".join(labels[:-1]) + " or " + labels[-1]


def headline(attempt: Attempt) -> Headline:
    """The verdict as the page states it, with how sure it is in plain words."""
    verdict, scores = attempt.verdict, attempt.scores
    if verdict is None:
        needed = attempt.scheme.settings.min_answered
        short = (
            [
                f"{attempt.scheme.dimension(a).name} ({n})"
                for a, n in scores.answered.items()
                if n < needed
            ]
            if scores
            else []
        )
        return Headline(
            "unjudged",
            "Not enough answers to judge",
            f"A verdict needs at least {needed} answered questions in every area (all of them "
            "where an area asks fewer)"
            + (f"; you answered fewer in {_join(short)}" if short else "")
            + ". Your scores below are shown with how uncertain they are; take the "
            "assessment again and answer every question for a verdict.",
            "none",
            0.0,
        )
    if scores is None:
        return Headline("unmeasured", verdict.label, verdict.summary, verdict.id, None)
    sure = percent(scores.confidence)
    if scores.settled:
        # Posterior draws cannot make anything certain: "100%" would claim too much.
        said = "more than 99%" if sure > 99 else f"{sure}%"
        return Headline(
            "settled",
            verdict.label,
            f"We are {said} sure of this verdict: given your answers, that is the chance "
            "that your true scores earn it.",
            verdict.id,
            shown_probability(scores.confidence),
        )
    between = undecided_between(scores, attempt.scheme)
    if attempt.scheme.settings.adaptive.enabled and not attempt.adaptive:
        settle = "The adaptive assessment, which asks until it knows, would settle it."
    elif attempt.adaptive:
        settle = (
            "Your scores sit close to a cut score; a retake after some practice will settle it."
        )
    else:
        settle = "A retake later, answering every question, would settle it."
    return Headline(
        "borderline",
        f"{between[0].upper()}{between[1:]}: your answers don't settle it",
        f"The most likely verdict is “{verdict.label}”, at {sure} in 100: too close to call. "
        + settle,
        verdict.id,
        shown_probability(scores.confidence),
    )


def fit_and_experience(attempt: Attempt, checks: Sequence[Check]) -> str | None:
    """One sentence that sets the verdict on knowledge beside the experience the role
    asks for, or None when the taker gave no experience."""
    experience = next((c for c in checks if c.topic == "Experience"), None)
    if experience is None or experience.status == "unknown":
        return None
    verdict = attempt.verdict
    strong = verdict is not None and verdict.id == attempt.scheme.verdicts[0].id
    if experience.status == "met":
        return (
            "Your knowledge matches the role and so does your experience."
            if strong
            else f"Your experience matches what the role asks for ({role.USUAL_YEARS})."
        )
    if strong:
        return (
            "Your knowledge matches the role; your experience does not yet: the role "
            f"usually asks for {role.USUAL_YEARS} in e-commerce."
        )
    return f"The role usually asks for {role.USUAL_YEARS} in e-commerce; you are not there yet."


def verdict_reason(
    scheme: Scheme,
    verdict: Verdict,
    overall: float,
    areas: Mapping[str, float],
    next_step: bool = True,
) -> str:
    """Why this verdict, and (``next_step``) what the next better one would take. Scores
    (0..1) are named as the whole percentages the rules compare (``scoring.verdict``)."""
    names = {d.id: d.name for d in scheme.dimensions}
    shown = {a: percent(s) for a, s in areas.items()}
    parts = [f"Your overall score is {percent(overall)}%"]
    if shown:
        least = min(shown.values())
        lowest = [names[a] for a in names if shown.get(a) == least]
        if len(lowest) == len(shown) > 1:
            parts.append(f"every area is at {least}%")
        elif len(lowest) == 1:
            parts.append(f"your lowest area is {lowest[0]} at {least}%")
        else:
            parts.append(f"your lowest areas are {_join(lowest)}, each at {least}%")
    reason = " and ".join(parts) + "."
    if not next_step:
        return reason
    better = _next_better(scheme, verdict)
    if better is None:
        return reason + " That meets every condition of the best verdict."
    missing = _unmet(better, overall, shown, names)
    if missing:
        reason += f" For “{better.label}” you would need " + _join(missing) + "."
    else:
        reason += (
            f" These estimates meet the conditions of “{better.label}”, but with their "
            f"uncertainty “{verdict.label}” is the more likely verdict."
        )
    return reason


def _next_better(scheme: Scheme, verdict: Verdict) -> Verdict | None:
    index = next(i for i, v in enumerate(scheme.verdicts) if v.id == verdict.id)
    return scheme.verdicts[index - 1] if index > 0 else None


def _unmet(
    rule: Verdict, overall: float, shown: Mapping[str, int], names: Mapping[str, str]
) -> list[str]:
    """The conditions of ``rule`` that the whole percentages ``shown`` (area id -> %)
    and ``overall`` (0..1) do not meet, in words; the areas behind are named."""
    out = []
    if rule.min_overall is not None and percent(overall) < rule.min_overall:
        out.append(f"an overall score of at least {rule.min_overall:g}%")
    if rule.min_each_area is not None:
        below = [names[a] for a in names if a in shown and shown[a] < rule.min_each_area]
        if below:
            out.append(
                f"at least {rule.min_each_area:g}% in every area ({_join(below)} "
                f"{'is' if len(below) == 1 else 'are'} below)"
            )
    for area, floor in rule.min_area.items():
        if shown.get(area, 0) < floor:
            out.append(f"at least {floor:g}% in {names.get(area, area)}")
    return out


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --- readiness -------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    topic: str
    status: str  # 'met', 'close', 'not-met', 'note' or 'unknown'
    text: str


ROLE_WORDS = {
    "marketing-analyst": "marketing analysis",
    "forecaster": "forecasting",
    "ecommerce-sales": "e-commerce sales",
    "ecommerce-management": "e-commerce management",
}

STATUS_LABELS = {
    "met": "Meets it",
    "close": "Nearly",
    "not-met": "Not yet",
    "note": "Worth knowing",
    "unknown": "Not answered",
}


def readiness(background: Mapping[str, Any]) -> list[Check]:
    """The background answers against the role's usual requirements (``role``).

    ``background`` maps background item ids to a choice id (a list of them for
    ``roles``); items the taker skipped are absent. Returns one Check per topic:
    degree, master's degree (once a degree is known), experience, path, hours.
    """
    degree, field = background.get("degree"), background.get("field")
    years, roles = background.get("experience"), set(background.get("roles") or [])
    hours = background.get("hours")
    fields = role.DEGREE_FIELDS
    checks = []

    if degree is None:
        checks.append(
            Check(
                "Degree",
                "unknown",
                f"Most e-commerce managers hold at least a bachelor's degree in {fields}.",
            )
        )
    elif degree == "none":
        checks.append(
            Check(
                "Degree",
                "not-met",
                f"Most employers ask for at least a bachelor's degree in {fields}.",
            )
        )
    elif field in role.USUAL_FIELDS:
        checks.append(
            Check(
                "Degree",
                "met",
                f"You hold a degree in one of the fields employers ask for: {fields}.",
            )
        )
    elif field is None:
        checks.append(
            Check(
                "Degree",
                "close",
                f"You hold a degree; employers usually ask for {fields} (you did not say which).",
            )
        )
    else:
        checks.append(
            Check(
                "Degree",
                "close",
                "You hold a degree, but in another field; "
                "employers usually ask for business, marketing or a technical one.",
            )
        )

    if degree == "master":
        checks.append(
            Check(
                "Master's degree",
                "met",
                "Many multinationals prefer a master's degree, and you have one.",
            )
        )
    elif degree is not None:
        checks.append(
            Check(
                "Master's degree",
                "note",
                "Many multinationals prefer a master's degree; it is not required everywhere.",
            )
        )

    usual = f"The role usually asks for {role.USUAL_YEARS} in e-commerce"
    not_entry = ("not-met", f"{usual}; it is not an entry post.")
    experience = {
        "y8": (
            "met",
            "With eight years or more in e-commerce you have the experience the role "
            f"usually asks for ({role.USUAL_YEARS}).",
        ),
        "y6-7": (
            "met",
            f"{role.USUAL_YEARS.capitalize()} in e-commerce is what the role usually asks for.",
        ),
        "y4-5": ("close", f"{usual}; you are one to three years away."),
        "y2-3": not_entry,
        "y0-1": not_entry,
    }
    if years in experience:
        checks.append(Check("Experience", *experience[years]))
    else:
        checks.append(
            Check(
                "Experience",
                "unknown",
                f"The role usually asks for {role.USUAL_YEARS} of experience in e-commerce.",
            )
        )

    path_roles = role.PATH_ROLES | {role.MANAGER_ROLE}
    if roles & path_roles:
        held = sorted(roles & path_roles)
        checks.append(
            Check(
                "Path into the role",
                "met",
                "You have worked in "
                + _join([ROLE_WORDS[r] for r in held])
                + ", on the usual path into e-commerce management.",
            )
        )
    elif "roles" in background:
        checks.append(
            Check(
                "Path into the role",
                "not-met",
                f"People usually come up through {role.PATH} roles; one of "
                "them is the natural next step.",
            )
        )
    else:
        checks.append(
            Check(
                "Path into the role",
                "unknown",
                f"People usually come up through {role.PATH} roles.",
            )
        )

    hours_checks = {
        "comfortable": ("met", f"{role.HOURS}; you are comfortable with that."),
        "sometimes": (
            "close",
            f"{role.HOURS}, not always planned: peak season and client problems.",
        ),
        "avoid": ("not-met", f"{role.HOURS}; weigh that before you aim for it."),
    }
    checks.append(Check("Hours", *hours_checks.get(hours, ("unknown", f"{role.HOURS}."))))
    return checks


# --- calibration -----------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    area: str
    name: str
    rating: int | None
    rated_percent: int | None  # where the rating puts you on the 0-100 scale
    score_percent: int
    kind: str  # 'blind-spot', 'hidden-strength', 'accurate' or 'unrated'
    text: str


def calibration(
    scheme: Scheme, ratings: Mapping[str, int], areas: Mapping[str, float]
) -> list[Calibration]:
    """Each area's self-rating (1-5) against its measured score.

    A rating of r stands for (r - 1) / 4 of the scale: 1 is 0%, 3 is 50%, 5 is
    100%. A blind spot is a rating well above the score (by 30 points or more,
    or a high rating where the score is a gap); a hidden strength is the reverse.
    """
    out = []
    labels = scheme.self_rating.labels
    for d in scheme.dimensions:
        if d.id not in areas:
            continue
        score = percent(areas[d.id])
        rating = ratings.get(d.id)
        if rating is None:
            out.append(
                Calibration(
                    d.id,
                    d.name,
                    None,
                    None,
                    score,
                    "unrated",
                    f"You did not rate yourself in {d.name}.",
                )
            )
            continue
        rated = (rating - 1) * 25
        level = band(scheme.settings, areas[d.id])
        said = f"You rated yourself {labels[rating - 1]} ({rating} of 5) and scored {score}%"
        if rated - score >= CALIBRATION_GAP or (rating >= 4 and level == "gap"):
            kind, text = "blind-spot", f"{said}. Check this area before you rely on it."
        elif score - rated >= CALIBRATION_GAP or (rating <= 2 and level == "strength"):
            kind, text = "hidden-strength", f"{said}. You know more than you think."
        else:
            kind, text = "accurate", f"{said}: your view of yourself matches."
        out.append(Calibration(d.id, d.name, rating, rated, score, kind, text))
    return out


# --- where you stand -------------------------------------------------------------------


def percentile_rank(below: int, equal: int, total: int) -> float:
    """The share of others a score beats, counting ties as half: (below + equal / 2) / n."""
    if total <= 0:
        raise ValueError("no scores to compare with")
    return 100 * (below + equal / 2) / total


def scores_at(bins: list[tuple[float, int]], fractions: list[float]) -> tuple[int, list[float]]:
    """How many scores there are in ``bins`` ((score, count), lowest first), and the
    score at each fraction of their ordered list: the one at index fraction * n."""
    n = sum(count for _, count in bins)
    values = []
    for fraction in fractions if n else []:
        index, seen = min(n - 1, int(fraction * n)), 0
        for score, count in bins:
            seen += count
            if seen > index:
                values.append(score)
                break
    return n, values


@dataclass(frozen=True)
class Rank:
    scope: str  # "Overall" or an area's name
    percentile: int  # the percentile rank, rounded
    below: int  # others who scored lower
    level: int  # others who scored the same


@dataclass(frozen=True)
class Standing:
    total: int  # first finished assessments compared with
    shown: bool  # False until there are enough of them
    rows: tuple[Rank, ...]
    needed: int = MIN_FOR_PERCENTILES


def standing(rows: list[tuple[str, tuple[int, int, int]]], counted: bool = False) -> Standing:
    """Percentile ranks of the overall and area scores among first attempts, if there
    are at least MIN_FOR_PERCENTILES of them. ``counted``: the attempt is one of
    them (a first attempt), so one of the equal scores is its own."""
    total = rows[0][1][2] if rows else 0
    if total < MIN_FOR_PERCENTILES:
        return Standing(total, False, ())
    return Standing(
        total,
        True,
        tuple(
            Rank(scope, int(percentile_rank(*counts) + 0.5), counts[0], counts[1] - counted)
            for scope, counts in rows
            if counts[2]
        ),
    )
