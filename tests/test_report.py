"""The report in words: the verdict's reason, readiness and calibration."""

from __future__ import annotations

import dataclasses

import pytest

from quiz import bundled, report
from quiz.bank import load
from quiz.report import calibration, readiness, verdict_reason

SCHEME = load(bundled("questions.yaml")).scheme
VERDICTS = {v.id: v for v in SCHEME.verdicts}


def areas(technical=0.8, business=0.8, analytical=0.8, client=0.8):
    return {
        "technical": technical,
        "business": business,
        "analytical": analytical,
        "client": client,
    }


def test_best_verdict_says_so():
    text = verdict_reason(SCHEME, VERDICTS["strong-fit"], 0.8, areas(technical=0.7))
    assert text == (
        "Your overall score is 80% and your lowest area is Technical at 70%. "
        "That meets every condition of the best verdict."
    )


def test_reason_names_what_the_next_verdict_needs():
    scores = areas(technical=0.55, business=0.7, analytical=0.7, client=0.72)
    text = verdict_reason(SCHEME, VERDICTS["good-fit"], 0.6675, scores)
    assert text == (
        "Your overall score is 67% and your lowest area is Technical at 55%. "
        "For “Strong fit” you would need an overall score of at least 75% and at "
        "least 60% in every area (Technical is below)."
    )


def test_reason_for_a_developing_result():
    scores = areas(technical=0.2, business=0.3, analytical=0.9, client=0.9)
    text = verdict_reason(SCHEME, VERDICTS["developing"], 0.575, scores)
    assert (
        "For “Strong in places, with a serious gap” you would need an overall score of "
        "at least 60%." in text
    )


def test_reason_for_an_uneven_result():
    scores = areas(technical=0.3, business=0.8, analytical=0.9, client=0.9)
    text = verdict_reason(SCHEME, VERDICTS["uneven"], 0.725, scores)
    assert text.endswith(
        "For “Good fit, with gaps to close” you would need at least 45% in "
        "every area (Technical is below)."
    )


def statuses(background):
    return {c.topic: c.status for c in readiness(background)}


def test_readiness_of_a_ready_candidate():
    assert statuses(
        {
            "degree": "master",
            "field": "technical",
            "experience": "y8",
            "roles": ["forecaster"],
            "hours": "comfortable",
        }
    ) == {
        "Degree": "met",
        "Master's degree": "met",
        "Experience": "met",
        "Path into the role": "met",
        "Hours": "met",
    }


def test_readiness_of_a_beginner():
    assert statuses({"degree": "none", "experience": "y0-1", "roles": [], "hours": "avoid"}) == {
        "Degree": "not-met",
        "Master's degree": "note",
        "Experience": "not-met",
        "Path into the role": "not-met",
        "Hours": "not-met",
    }


def test_readiness_in_between_and_unanswered():
    assert statuses(
        {"degree": "bachelor", "field": "other", "experience": "y4-5", "hours": "sometimes"}
    ) == {
        "Degree": "close",
        "Master's degree": "note",
        "Experience": "close",
        "Path into the role": "unknown",
        "Hours": "close",
    }
    assert set(statuses({}).values()) == {"unknown"}
    assert "Master's degree" not in statuses({})


def test_path_names_the_roles_held():
    [path] = [
        c
        for c in readiness({"roles": ["ecommerce-sales", "marketing-analyst"]})
        if c.topic == "Path into the role"
    ]
    assert path.text.startswith("You have worked in e-commerce sales and marketing analysis,")


@pytest.mark.parametrize(
    "rating, score, kind",
    [
        (5, 0.40, "blind-spot"),  # rated 100%, scored 40%: 60 points too high
        (4, 0.45, "blind-spot"),  # rated 75%, scored 45%: exactly 30 points
        (4, 0.49, "blind-spot"),  # a high rating where the area is a gap
        (4, 0.50, "accurate"),  # 25 points: within the margin, and adequate
        (1, 0.30, "hidden-strength"),  # rated 0%, scored 30%
        (2, 0.75, "hidden-strength"),  # a low rating where the area is a strength
        (3, 0.55, "accurate"),
    ],
)
def test_calibration(rating, score, kind):
    [result] = [
        c
        for c in calibration(SCHEME, {"technical": rating}, areas(technical=score))
        if c.area == "technical"
    ]
    assert result.kind == kind
    assert result.rated_percent == (rating - 1) * 25
    assert result.score_percent == round(score * 100)


def test_calibration_of_unrated_areas():
    found = {c.area: c.kind for c in calibration(SCHEME, {"client": 3}, areas(client=0.6))}
    assert found == {
        "technical": "unrated",
        "business": "unrated",
        "analytical": "unrated",
        "client": "accurate",
    }


def test_percentile_rank_worked_by_hand():
    # Scores 20, 40, 40, 60, 80: a 40 beats one and ties two (counted half): (1 + 1) / 5.
    assert report.percentile_rank(1, 2, 5) == 40
    assert report.percentile_rank(3, 1, 5) == 70  # a 60
    assert report.percentile_rank(0, 1, 5) == 10  # the lowest score, alone
    assert report.percentile_rank(4, 1, 5) == 90  # the highest
    with pytest.raises(ValueError):
        report.percentile_rank(0, 0, 0)


def test_standing_is_hidden_until_thirty_attempts():
    few = report.standing([("Overall", (10, 1, 29)), ("Technical", (3, 2, 29))])
    assert not few.shown and few.total == 29 and few.rows == () and few.needed == 30
    # 30 attempts: 12 below and 3 ties is (12 + 1.5) / 30 = 45%; 29 below of 30 rounds 98.3 to 98.
    enough = report.standing([("Overall", (12, 3, 30)), ("Technical", (29, 1, 30))], counted=True)
    assert enough.shown
    assert enough.rows == (
        report.Rank("Overall", 45, below=12, level=2),  # one of the three equal scores is its own
        report.Rank("Technical", 98, below=29, level=0),
    )
    # A retake is not among the first attempts: every equal score is someone else's.
    retake = report.standing([("Overall", (12, 3, 30))])
    assert retake.rows == (report.Rank("Overall", 45, below=12, level=3),)
    assert report.standing([]).shown is False


def test_build_assembles_the_whole_result_page_from_typed_values():
    from quiz.attempts import Attempt, Item

    bank = load(bundled("questions.yaml"))
    scored = [q for q in bank.questions if q.scored][:3]
    likert = next(q for q in bank.questions if not q.scored)
    items = [
        Item(1, "v1", scored[0], (0, 1, 2, 3), None, None),
        Item(2, "v2", scored[1], tuple(range(len(scored[1].options))), 0, 1.0),
        Item(3, "v3", scored[2], tuple(range(len(scored[2].options))), 0, 0.0),
        Item(4, "v4", likert, (), 4, 0.75),
    ]
    attempt = Attempt(
        id=1,
        token="t" * 32,
        scheme=bank.scheme,
        mode="assessment",
        started_at="2026-11-29T10:00:00+00:00",
        total=4,
        answered=3,
        finished_at="2026-11-29T10:20:00+00:00",
        overall=0.8,
        verdict_id="strong-fit",
        areas=areas(technical=0.7),
        profile={"self_rating": {"technical": 5}, "background": {"degree": "none"}},
        first=True,
    )
    asked = []

    def counts(score, area):
        asked.append(area)
        return (10, 2, 40)

    page = report.build(attempt, items, show="missed", percentile_counts=counts)
    assert page["verdict"].id == "strong-fit" and page["overall"] == 0.8
    assert [a["dimension"].id for a in page["areas"]] == [
        "technical",
        "business",
        "analytical",
        "client",
    ]
    assert page["counts"] == {"all": 4, "missed": 2}
    assert [r["status"] for r in page["review"]] == ["unanswered", "wrong"]
    assert page["review"][0]["key_label"] in ("Right answer", "Best answer")
    assert asked == [None, "technical", "business", "analytical", "client"]
    assert page["standing"].rows[0].level == 1  # one of the two equal scores is its own
    assert page["readiness"][0].status == "not-met"
    assert page["calibration"][0].kind == "blind-spot"
    assert "<svg" in str(page["chart"])
    practice = report.build(dataclasses.replace(attempt, mode="practice"), items)
    assert practice["standing"] is None and practice["show"] == "all"
    assert len(practice["review"]) == 4


# --- the headline: the verdict and how sure it is ----------------------------------


def measured_attempt(probabilities, verdict_id, background=None, answered=8):
    from quiz.attempts import Attempt
    from quiz.measurement import Scores

    summary = {
        "overall": [0.7, 0.6, 0.8],
        "areas": {
            a: {
                "score": 0.7,
                "low": 0.6,
                "high": 0.8,
                "theta": 0.5,
                "se": 0.4,
                "answered": answered,
            }
            for a in areas()
        },
        "probabilities": probabilities,
        "verdict": verdict_id,
        "confidence": probabilities.get(verdict_id, 0.0) if verdict_id else 0.0,
    }
    return Attempt(
        id=1,
        token="t" * 32,
        scheme=SCHEME,
        mode="assessment",
        started_at="2026-11-29T10:00:00+00:00",
        total=56,
        answered=56,
        finished_at="2026-11-29T10:20:00+00:00",
        overall=0.7,
        verdict_id=verdict_id,
        areas=areas(0.7, 0.7, 0.7, 0.7),
        profile={"background": background or {}},
        scores=Scores.from_summary(summary),
    )


def test_a_settled_verdict_says_how_sure_it_is():
    top = report.headline(measured_attempt({"good-fit": 0.93, "strong-fit": 0.07}, "good-fit"))
    assert top.state == "settled" and top.title == "Good fit, with gaps to close"
    assert top.verdict_id == "good-fit" and top.confidence == 0.93
    assert top.text.startswith("We are 93% sure of this verdict")


def test_a_borderline_verdict_says_the_answers_do_not_settle_it():
    attempt = measured_attempt(
        {"strong-fit": 0.41, "good-fit": 0.52, "uneven": 0.05, "developing": 0.02}, "good-fit"
    )
    top = report.headline(attempt)
    assert top.state == "borderline" and top.confidence == 0.52
    assert top.title == (
        "Between “Strong fit” and “Good fit, with gaps to close”: your answers don't settle it"
    )
    assert "The most likely verdict is “Good fit, with gaps to close”, at 52 in 100" in top.text
    assert "A retake later" in top.text  # the bundled bank has no adaptive mode to offer
    wide = report.headline(
        measured_attempt(
            {"strong-fit": 0.3, "good-fit": 0.35, "uneven": 0.3, "developing": 0.05}, "good-fit"
        )
    )
    assert wide.title.startswith("Somewhere from “Strong fit” to “Strong in places")
    apart = report.headline(
        measured_attempt({"uneven": 0.45, "not-yet": 0.43, "developing": 0.12}, "uneven")
    )
    # Not neighbours: a range would hide "Developing" between them.
    assert apart.title == (
        "Either “Strong in places, with a serious gap” or “Not yet a fit”: "
        "your answers don't settle it"
    )


def test_a_probability_is_judged_as_it_is_shown():
    # 0.796 is shown as 0.80, so it counts as settled: never "80 in 100: too close to call".
    top = report.headline(measured_attempt({"good-fit": 0.796, "strong-fit": 0.204}, "good-fit"))
    assert top.state == "settled" and top.confidence == 0.8
    assert top.text.startswith("We are 80% sure")
    below = report.headline(measured_attempt({"good-fit": 0.794, "strong-fit": 0.206}, "good-fit"))
    assert below.state == "borderline" and below.confidence == 0.79


def test_too_few_answers_say_so_instead_of_a_verdict():
    top = report.headline(measured_attempt({"not-yet": 1.0}, None, answered=2))
    assert top.state == "unjudged" and top.title == "Not enough answers to judge"
    assert top.verdict_id == "none" and top.confidence == 0
    assert "you answered fewer in Technical (2), Business (2)" in top.text


def test_strong_knowledge_with_little_experience_says_so_beside_the_verdict():
    attempt = measured_attempt({"strong-fit": 0.9}, "strong-fit", {"experience": "y0-1"})
    text = report.fit_and_experience(attempt, readiness(attempt.background))
    assert text.startswith("Your knowledge matches the role; your experience does not yet")
    experienced = measured_attempt({"strong-fit": 0.9}, "strong-fit", {"experience": "y8"})
    assert report.fit_and_experience(experienced, readiness(experienced.background)) == (
        "Your knowledge matches the role and so does your experience."
    )
    assert report.fit_and_experience(attempt, readiness({})) is None


def test_percentages_in_the_reason_are_rounded_as_the_rules_compare_them():
    # 59.6% is shown as 60% and meets "at least 60%": the reason must not ask for it.
    scores = areas(technical=0.596, business=0.8, analytical=0.8, client=0.8)
    from quiz.scoring import verdict

    assert verdict(SCHEME, 0.75, scores).id == "strong-fit"
    assert "Technical at 60%" in verdict_reason(SCHEME, VERDICTS["strong-fit"], 0.75, scores)
    below = areas(technical=0.594, business=0.8, analytical=0.8, client=0.8)
    assert verdict(SCHEME, 0.75, below).id == "good-fit"
    text = verdict_reason(SCHEME, VERDICTS["good-fit"], 0.75, below)
    assert "Technical at 59%" in text and "(Technical is below)" in text


def test_the_lowest_area_names_every_area_tied_at_the_bottom():
    scores = areas(technical=0.4, business=0.402, analytical=0.9, client=0.9)
    text = verdict_reason(SCHEME, VERDICTS["developing"], 0.65, scores)
    assert "your lowest areas are Technical and Business, each at 40%" in text
    level = verdict_reason(SCHEME, VERDICTS["good-fit"], 0.7, areas(0.7, 0.7, 0.7, 0.7))
    assert "every area is at 70%" in level


def test_an_undecided_verdict_names_no_further_verdict_in_its_reason():
    attempt = measured_attempt({"developing": 0.44, "good-fit": 0.3, "not-yet": 0.26}, "developing")
    page = report.build(attempt, [])
    assert page["headline"].state == "borderline"
    assert page["reason"].startswith("Your overall score is 70%")
    assert "you would need" not in page["reason"]
    settled = report.build(measured_attempt({"developing": 0.9, "not-yet": 0.1}, "developing"), [])
    assert "“Strong in places, with a serious gap”" in settled["reason"]  # the next step
