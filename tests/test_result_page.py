"""The result page at a glance and the review with its options: the pure computation
(report.marked_options, credit, accepted_answers, glance …) and the pages that show it,
the practice feedback included."""

from __future__ import annotations

import dataclasses
import itertools
import re
from fractions import Fraction

import pytest

from quiz import attempts, bundled, report, scoring
from quiz.attempts import Attempt, Item
from quiz.bank import load, question_from_body
from quiz.report import MINUS, Check, Headline
from quiz.store import Store
from quiz.text import markdown_inline

from .helpers import Taker, answer_all, items, right_values, wrong_values

BANK = load(bundled("questions.yaml"))
SCHEME = BANK.scheme
HX = {"HX-Request": "true"}


def single(**extra):
    return question_from_body(
        {
            "id": "te-single",
            "area": "technical",
            "type": "single",
            "prompt": "Which one?",
            "explanation": "Because.",
            "options": [
                {"text": "Alpha", "correct": True},
                {"text": "Beta"},
                {"text": "Gamma"},
            ],
            **extra,
        }
    )


def judgement():
    return question_from_body(
        {
            "id": "bu-judge",
            "area": "business",
            "type": "single",
            "prompt": "What do you do?",
            "explanation": "Because.",
            "options": [
                {"text": "Best move", "score": 1},
                {"text": "Fair move", "score": 0.5},
                {"text": "Poor move", "score": 0},
            ],
        }
    )


def multiple():
    """Three right options of five: each right one earns 1/3, each wrong pick costs 1/2."""
    return question_from_body(
        {
            "id": "te-multi",
            "area": "technical",
            "type": "multiple",
            "prompt": "Which ones?",
            "explanation": "Because.",
            "options": [
                {"text": "R0", "correct": True},
                {"text": "R1", "correct": True},
                {"text": "R2", "correct": True},
                {"text": "W3"},
                {"text": "W4"},
            ],
        }
    )


def numeric(**extra):
    return question_from_body(
        {
            "id": "an-num",
            "area": "analytical",
            "type": "numeric",
            "prompt": "How many?",
            "explanation": "Because.",
            "answer": 40,
            "tolerance": 2,
            "unit": "%",
            **extra,
        }
    )


# --- the options as they were asked ---------------------------------------------------


def test_options_keep_the_order_the_taker_saw_and_mark_pick_and_key_in_words():
    marked = report.marked_options(single(), (2, 0, 1), 1)  # shown Gamma, Alpha, Beta; picked Beta
    assert [m.text for m in marked] == ["Gamma", "Alpha", "Beta"]
    assert [m.shown for m in marked] == [0, 1, 2]
    gamma, alpha, beta = marked
    assert (gamma.picked, gamma.key, gamma.icon, gamma.notes) == (False, "wrong", "", ())
    assert (alpha.picked, alpha.key, alpha.icon, alpha.notes) == (
        False,
        "right",
        "✓",
        ("Right answer",),
    )
    assert (beta.picked, beta.key, beta.icon, beta.notes) == (
        True,
        "wrong",
        "✗",
        ("Your pick", "Not right"),
    )
    assert beta.css == "opt-wrong opt-picked" and alpha.css == "opt-right"
    assert all(m.share is None for m in marked)  # a plain single question has no shares
    right = report.marked_options(single(), (2, 0, 1), 0)[1]
    assert right.notes == ("Your pick", "Right answer") and right.icon == "✓" and right.picked


def test_an_empty_option_order_means_the_bank_order():
    assert [m.text for m in report.marked_options(single(), (), None)] == ["Alpha", "Beta", "Gamma"]


def test_a_judgement_question_marks_the_best_and_what_the_others_are_worth():
    best, fair, poor = report.marked_options(judgement(), (0, 1, 2), 1)
    assert (best.key, best.icon, best.notes) == ("right", "✓", ("Best answer",))
    assert (fair.key, fair.icon, fair.notes) == (
        "partial",
        "◐",
        ("Your pick", "Partly right: worth 50%"),
    )
    assert (poor.key, poor.icon, poor.notes) == ("wrong", "", ())
    picked_poor = report.marked_options(judgement(), (0, 1, 2), 2)[2]
    assert picked_poor.icon == "✗" and picked_poor.notes == ("Your pick", "Worth nothing")


def test_multiple_response_shows_each_options_share():
    marked = report.marked_options(multiple(), (3, 0, 4, 1, 2), [0, 3])
    assert [(m.text, m.share) for m in marked] == [
        ("W3", f"{MINUS}1/2"),
        ("R0", "+1/3"),
        ("W4", f"{MINUS}1/2"),
        ("R1", "+1/3"),
        ("R2", "+1/3"),
    ]
    w3, r0, w4, r1, _ = marked
    assert w3.notes == ("Your pick", "Not right") and w3.icon == "✗"
    assert r0.notes == ("Your pick", "Right answer") and r0.icon == "✓"
    assert r1.notes == ("Right answer", "you did not pick it") and not r1.picked
    assert w4.notes == () and w4.icon == ""
    # Unanswered: the right ones are named, without "you did not pick it".
    assert report.marked_options(multiple(), (), None)[0].notes == ("Right answer",)


def test_the_credit_line_adds_the_shares_as_scoring_does_for_every_answer():
    q = multiple()
    assert report.credit(q, [0, 1, 3]) == f"+1/3 + 1/3 {MINUS} 1/2 = 1/6"
    assert report.credit(q, [0, 1, 2]) == "+1/3 + 1/3 + 1/3 = 1 (full marks)"
    assert report.credit(q, [0, 3, 4]) == f"+1/3 {MINUS} 1/2 {MINUS} 1/2 = {MINUS}2/3, counted as 0"
    assert report.credit(q, None) is None and report.credit(q, []) is None
    assert report.credit_rule(q) == (
        "Each right option earns 1/3 of the marks and each wrong pick takes away 1/2; "
        "the total is never below 0."
    )
    # The shares shown are the ones scoring uses, for every possible answer.
    shares = report.option_shares(q)
    for size in range(1, 6):
        for picks in itertools.combinations(range(5), size):
            total = sum((shares[i] for i in picks), Fraction(0))
            assert float(max(total, Fraction(0))) == pytest.approx(scoring.score(q, list(picks)))


def test_fractions_are_written_with_a_real_minus_sign():
    assert report.fraction_text(Fraction(-1, 2)) == f"{MINUS}1/2"
    assert report.fraction_text(Fraction(1, 3), signed=True) == "+1/3"
    assert report.fraction_text(Fraction(2, 1)) == "2"


def test_numeric_answers_show_the_accepted_range_and_every_alternative():
    assert report.accepted_answers(numeric()) == ["40% (± 2%): anything from 38% to 42%"]
    assert report.accepted_answers(numeric(tolerance=0)) == ["exactly 40%"]
    assert report.accepted_answers(numeric(tolerance="5%", unit="minutes")) == [
        "40 minutes (± 5%): anything from 38 minutes to 42 minutes"
    ]
    both = numeric(
        answer=4, tolerance=0, unit=None, alternatives=[{"answer": -4, "tolerance": 0.5}]
    )
    assert report.accepted_answers(both) == [
        "exactly 4",
        f"-4 (± 0.5): anything from {MINUS}4.5 to {MINUS}3.5",
    ]
    assert report.accepted_answers(numeric(answer=43.2, tolerance=0.1, unit=None)) == [
        "43.2 (± 0.1): anything from 43.1 to 43.3"
    ]


def item(question, order=(), answer=None, mark=None, position=1, broken=False):
    return Item(position, f"v{position}", question, tuple(order), answer, mark, broken)


def test_a_review_entry_carries_the_question_as_it_was_asked():
    entry = report.review_entry(SCHEME, item(multiple(), (4, 3, 2, 1, 0), [0, 3], 0.0))
    assert [o.text for o in entry["options"]] == ["W4", "W3", "R2", "R1", "R0"]
    assert entry["credit"] == f"+1/3 {MINUS} 1/2 = {MINUS}1/6, counted as 0"
    assert entry["credit_rule"].startswith("Each right option earns 1/3")
    assert entry["accepted"] is None and entry["scale"] is None and entry["scored"]
    number = report.review_entry(SCHEME, item(numeric(), answer="35", mark=0.0))
    assert number["options"] is None and number["accepted"] == [
        "40% (± 2%): anything from 38% to 42%"
    ]
    assert number["status"] == "wrong" and number["answer"] == "35%"


def test_a_likert_statement_is_marked_not_scored():
    likert = next(q for q in BANK.questions if q.type == "likert")
    entry = report.review_entry(SCHEME, item(likert, answer=4, mark=0.75))
    assert entry["status"] == "unscored" and not entry["scored"]
    assert report.REVIEW_LABELS["unscored"].startswith("Not scored")
    assert entry["options"] is None and entry["credit"] is None
    assert [(p["value"], p["picked"]) for p in entry["scale"]] == [
        (1, False),
        (2, False),
        (3, False),
        (4, True),
        (5, False),
    ]
    assert entry["scale"][3]["label"] == "Agree"


def test_a_broken_version_shows_the_pick_but_no_key():
    entry = report.review_entry(SCHEME, item(single(), (0, 1, 2), 1, 0.0, broken=True))
    assert entry["status"] == "broken" and entry["key"] == "Not available" and not entry["scored"]
    assert [(o.key, o.icon, o.notes) for o in entry["options"]] == [
        ("unknown", "", ()),
        ("unknown", "", ("Your pick",)),
        ("unknown", "", ()),
    ]


# --- the top of the page ----------------------------------------------------------------


def top(state, confidence):
    return Headline(state, "t", "text", "good-fit", confidence)


def test_how_sure_in_words_and_as_a_number():
    assert report.how_sure(top("settled", 0.97)) == ("Clear verdict", "97% sure")
    assert report.how_sure(top("settled", 0.999)) == ("Clear verdict", "more than 99% sure")
    assert report.how_sure(top("settled", 0.84)) == ("Likely verdict", "84% sure")
    assert report.how_sure(top("borderline", 0.52)) == (
        "Too close to call",
        "52% for the most likely",
    )
    assert report.how_sure(top("unjudged", 0.0)) == ("No verdict yet", None)
    assert report.how_sure(top("unmeasured", None)) == (None, None)


def test_readiness_in_one_line():
    checks = report.readiness(
        {"degree": "bachelor", "field": "other", "experience": "y8", "roles": [], "hours": "avoid"}
    )
    assert report.readiness_summary(checks) == (
        "1 of 4 met",
        "The role's usual requirements. Nearly: Degree. Not yet: Path into the role and Hours.",
    )
    assert report.readiness_summary(report.readiness({}))[0] == "Not answered"
    assert report.readiness_summary([Check("Degree", "met", "")]) == (
        "1 of 1 met",
        "The role's usual requirements.",
    )


def area(name, score, feedback=None):
    return {"dimension": SCHEME.dimension(name), "score": score, "feedback": feedback}


def test_the_weakest_area_is_the_lowest_as_shown_the_first_among_equals():
    rows = [area("technical", 0.704), area("business", 0.696), area("analytical", 0.9)]
    assert report.weakest_area(rows)["dimension"].id == "technical"  # 70% and 70%: the first
    assert report.weakest_area([area("analytical", 0.9), area("client", 0.3)])["score"] == 0.3
    assert report.weakest_area([]) is None


def test_the_next_step_is_the_weakest_areas_first_and_the_plan_goes_weakest_first():
    gap = SCHEME.dimension("business").feedback["gap"]
    strong = SCHEME.dimension("technical").feedback["strength"]
    rows = [area("technical", 0.9, strong), area("business", 0.2, gap), area("client", 0.5)]
    glance = report.glance(top("settled", 0.9), rows, report.readiness({"degree": "none"}))
    assert glance.weakest["dimension"].id == "business"
    assert glance.next_step == gap.next_steps[0]
    assert glance.sure_words == "Likely verdict" and glance.readiness == "0 of 1 met"
    plan = report.learning_plan(rows)
    assert [a["dimension"].id for a in plan] == ["business", "technical"]  # client has none


def finished(items_, **extra):
    return Attempt(
        id=1,
        token="t" * 32,
        scheme=SCHEME,
        mode="assessment",
        started_at="2026-11-29T10:00:00+00:00",
        total=len(items_),
        answered=len(items_),
        finished_at="2026-11-29T10:20:00+00:00",
        overall=0.5,
        verdict_id="developing",
        areas={"technical": 0.5, "business": 0.4, "analytical": 0.6, "client": 0.7},
        **extra,
    )


def test_build_splits_the_review_into_missed_first_and_the_rest():
    likert = next(q for q in BANK.questions if q.type == "likert")
    rows = [
        item(single(), (0, 1, 2), 0, 1.0, position=1),
        item(single(), (0, 1, 2), 1, 0.0, position=2),
        item(multiple(), (0, 1, 2, 3, 4), [0, 1], 2 / 3, position=3),
        item(likert, answer=3, mark=0.5, position=4),
        item(numeric(), position=5),
    ]
    page = report.build(finished(rows), rows)
    assert [r["n"] for r in page["missed"]] == [2, 3, 5]
    assert [r["n"] for r in page["rest"]] == [1, 4]
    assert page["rest_summary"] == "1 right and 1 self-description (not scored)"
    assert [r["n"] for r in page["review"]] == [1, 2, 3, 4, 5] and page["expand"] is False
    assert page["glance"].weakest["dimension"].id == "business"
    missed_only = report.build(finished(rows), rows, show="missed", expand=True)
    assert missed_only["rest"] == [] and missed_only["expand"] is True
    assert [r["n"] for r in missed_only["review"]] == [2, 3, 5]


# --- the pages ------------------------------------------------------------------------------


def review_items(html: str) -> list[str]:
    return re.findall(
        r'<li class="review-item .*?</li>\s*(?=<li class="review-item|</ol>)', html, re.S
    )


def test_the_result_page_opens_with_the_verdict_at_a_glance(app, client, taker):
    answer_all(app, taker, wrong_values)
    taker.finish()
    html = client.get(f"{taker.base}/result").data.decode()
    top_part = html[: html.index('id="areas-heading"')]
    for expected in (
        'class="sure sure-',
        "Overall score: <strong>",
        "Readiness for the role: <strong",
        "Weakest area: <strong",
        "Your next step in ",
        "90% interval",
    ):
        assert expected in top_part, expected
    # The glance comes before the long explanation of the verdict.
    assert top_part.index("Weakest area:") < top_part.index('class="certainty"')
    assert '<h2 id="plan-heading">Your learning plan</h2>' in html
    # The chart's words are HTML, and its table is kept behind a disclosure.
    assert 'class="area-chart"' in html and html.count('class="area-row ') == 4
    assert re.search(r'<details class="area-table">\s*<summary>', html)
    assert "<caption>Score, band and self-rating in each area</caption>" in html


def test_the_review_starts_with_the_missed_questions_and_keeps_the_rest_closed(app, client, taker):
    rows = items(app, taker.token)
    taker.post(1, right_values(rows[0]))
    taker.post(2, wrong_values(rows[1]))
    taker.finish()
    html = client.get(f"{taker.base}/result").data.decode()
    review = html[html.index('<div id="review">') :]
    missed_part, rest_part = review.split('<details class="review-rest"', 1)
    assert "review-right" not in missed_part and "review-unscored" not in missed_part
    assert 'id="review-1"' in rest_part and 'id="review-2"' in missed_part
    assert re.search(
        r'<details class="review-rest">\s*<summary>The other \d+ questions: 1 right', review
    )
    # Every question is one closed line until opened; ?expand=1 opens them all.
    assert (
        '<details class="review-q">' in review and '<details class="review-q" open>' not in review
    )
    expanded = client.get(f"{taker.base}/result?expand=1").data.decode()
    assert '<details class="review-q">' not in expanded
    assert '<details class="review-rest" open>' in expanded
    assert "Close every question" in expanded and "Open every question" in html
    # The htmx filter still swaps only the review, the missed ones alone.
    fragment = client.get(
        f"{taker.base}/result?show=missed&expand=1", headers={**HX, "HX-Target": "review"}
    ).data.decode()
    assert fragment.lstrip().startswith('<div id="review">') and "review-rest" not in fragment
    assert '<details class="review-q" open>' in fragment


def test_each_reviewed_choice_question_shows_every_option_in_the_order_asked(app, client, taker):
    answer_all(app, taker, wrong_values)
    taker.finish()
    html = client.get(f"{taker.base}/result").data.decode()
    entries = {int(re.search(r'id="review-(\d+)"', e).group(1)): e for e in review_items(html)}
    store = Store(app.config["DATABASE"])
    try:
        rows = store.items(store.attempt(taker.token)["id"])
    finally:
        store.close()
    checked = 0
    for row in rows:
        q = question_from_body(row["body"])
        entry = entries[row["position"]]
        if not q.has_options:
            continue
        shown = re.findall(r'<span class="opt-text">(.*?)</span>', entry)
        assert shown == [markdown_inline(q.options[i].text) for i in row["option_order"]]
        picks = [
            row["option_order"].index(i)
            for i in (row["answer"] if isinstance(row["answer"], list) else [row["answer"]])
        ]
        classes = re.findall(r'<li class="marked-option ([^"]+)">', entry)
        assert [n for n, c in enumerate(classes) if "opt-picked" in c] == sorted(picks)
        assert "Your pick" in entry and ("✗" in entry or "◐" in entry)
        if q.type == "multiple":
            assert "+1/" in entry and f"{MINUS}1/" in entry and "Your picks: " in entry
        checked += 1
    assert checked >= 8
    numeric_rows = [question_from_body(r["body"]) for r in rows if r["body"]["type"] == "numeric"]
    assert numeric_rows
    for q in numeric_rows:
        assert report.accepted_answers(q)[0] in html
    assert "This statement describes you; it has no right answer" in html  # Likert, not scored


def test_practice_marks_the_options_after_check_my_answer(app, client):
    taker = Taker(client)
    taker.start("practice")
    rows = items(app, taker.token)
    n, row = next((r["position"], r) for r in rows if r["body"]["type"] == "multiple")
    page = taker.page(n)
    assert "opt-picked" not in page and "opt-notes" not in page  # nothing marked before
    values = wrong_values(row)
    taker.post(n, values, nav="check")
    page = taker.page(n)
    feedback = page[page.index("<fieldset") : page.index("</fieldset>")]
    classes = re.findall(r'<label class="option ([^"]+)">', feedback)
    assert len(classes) == len(row["option_order"])
    assert sorted(str(i) for i, c in enumerate(classes) if "opt-picked" in c) == sorted(values)
    assert all("opt-wrong" in c for c in classes if "opt-picked" in c)
    assert "✗" in feedback and "Your pick · Not right" in feedback
    assert "Right answer" in feedback and "+1/" in feedback
    assert "The options above are marked" in page and "Each right option earns" in page
    # The form still works: the answer is kept checked, and can be checked again.
    for value in values:
        assert re.search(rf'name="answer" value="{value}"\s*checked', page)
    # With htmx the check answers with the page, marked the same way.
    fragment = client.post(
        f"{taker.base}/q/{n}",
        data={"csrf_token": taker.csrf, "nav": "check", "answer": right_values(row)},
        headers=HX,
    ).data.decode()
    assert "opt-right opt-picked" in fragment and "opt-wrong opt-picked" not in fragment


def test_practice_says_a_likert_statement_is_not_scored(app, client):
    taker = Taker(client)
    taker.start("practice")
    rows = items(app, taker.token)
    n = next(r["position"] for r in rows if r["body"]["type"] == "likert")
    taker.post(n, "4", nav="check")
    page = taker.page(n)
    assert ">Not scored: this describes you</h2>" in page
    assert "Your answer · not scored" in page and '<span class="tag">Not scored</span>' in page


def test_numeric_practice_feedback_gives_the_accepted_range(app, client):
    taker = Taker(client)
    taker.start("practice")
    rows = items(app, taker.token)
    n, row = next((r["position"], r) for r in rows if r["body"]["type"] == "numeric")
    taker.post(n, wrong_values(row), nav="check")
    page = taker.page(n)
    q = question_from_body(row["body"])
    assert report.accepted_answers(q)[0] in page


def test_an_unmeasured_attempt_shows_its_glance_without_intervals(app, client, taker):
    """Attempts kept from before the measurement have raw scores and no intervals."""
    store = Store(app.config["DATABASE"])
    try:
        attempt = attempts.load(store, taker.token)
        store.finish(attempt.id, 0.8, "strong-fit", {"technical": 0.8, "business": 0.6})
    finally:
        store.close()
    html = client.get(f"{taker.base}/result").data.decode()
    assert "90% interval" not in html and "Weakest area: <strong" in html
    assert "Business 60%" in html


def test_practice_review_entries_are_the_same_dicts_the_feedback_uses():
    rows = [item(single(), (1, 2, 0), 2, 0.0)]
    practice = report.build(dataclasses.replace(finished(rows), mode="practice"), rows)
    assert practice["missed"][0]["options"] == report.review_entry(SCHEME, rows[0])["options"]
