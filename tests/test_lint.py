"""The content checks of `quiz validate --strict`: each one fires on a bad example."""

from __future__ import annotations

import pytest

from quiz import bundled
from quiz.bank import parse
from quiz.draw import repeats_on_retake, strata_sizes
from quiz.lint import kind, lint

TEXT = bundled("questions.yaml").read_text()


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def edited(old: str, new: str, text: str = TEXT) -> str:
    assert text.count(old) == 1, f"expected {old!r} once in the bank"
    return text.replace(old, new)


def problems(text: str) -> list[str]:
    return [str(p) for p in lint(parse(text, "questions.yaml"))]


def block(qid: str, text: str = TEXT) -> str:
    """The text of one question, from its '- id:' line to the next question."""
    start = text.index(f"  - id: {qid}\n")
    end = text.find("\n  - id: ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_the_bundled_bank_passes():
    assert problems(TEXT) == []


def test_id_without_the_area_prefix():
    text = edited("  - id: te-lcp-good\n", "  - id: lcp-good\n")
    assert problems(text) == [
        f"questions.yaml:{line_of(text, '- id: lcp-good')}: question 'lcp-good': "
        "id should start with 'te-', the prefix of area 'technical'"
    ]


def test_short_explanation():
    old = block("te-tls-versions")
    start = old.index("    explanation: >-")
    text = edited(old, old[:start] + "    explanation: TLS 1.2 or later is required.\n")
    [problem] = problems(text)
    assert problem.startswith(
        f"questions.yaml:{line_of(text, '- id: te-tls-versions')}: "
        "question 'te-tls-versions': explanation has 6 words"
    )


def test_too_many_options():
    old = block("te-pci-never-store")
    new = old.replace(
        "    explanation:", "      - text: The billing address of the card\n    explanation:"
    )
    text = edited(old, new)
    assert problems(text) == [
        f"questions.yaml:{line_of(text, '- id: te-pci-never-store')}: question "
        "'te-pci-never-store': has 6 options; use 3 to 5"
    ]


@pytest.mark.parametrize("catch_all", ["All of the above", "None of these", "both of the above"])
def test_catch_all_options(catch_all):
    text = edited("      - text: 4.0 seconds\n", f"      - text: {catch_all}\n")
    [problem] = problems(text)
    assert f"question 'te-lcp-good': option '{catch_all}' is a catch-all" in problem
    assert problem.startswith(f"questions.yaml:{line_of(text, '- id: te-lcp-good')}:")


def test_numeric_needs_unit_and_explicit_tolerance():
    text = edited("    tolerance: 0.1\n    unit: minutes\n", "")
    found = problems(text)
    line = line_of(text, "- id: an-uptime-999")
    assert (
        f"questions.yaml:{line}: question 'an-uptime-999': numeric question needs a 'unit'" in found
    )
    assert (
        f"questions.yaml:{line}: question 'an-uptime-999': numeric question needs an "
        "explicit 'tolerance' (0 for an exact answer)"
    ) in found


def test_missing_difficulty():
    old = block("cl-meeting-follow-up")
    text = edited(old, old.replace("    difficulty: easy\n", ""))
    assert (
        f"questions.yaml:{line_of(text, '- id: cl-meeting-follow-up')}: question "
        "'cl-meeting-follow-up': needs a difficulty: easy, medium or hard"
    ) in problems(text)


def test_duplicate_and_near_duplicate_prompts():
    lcp = "Up to what **Largest Contentful Paint** (LCP) is a product page rated *good*?"
    text = edited(
        "Which of these businesses is a **C2C** e-commerce model?",
        f"Google assesses Core Web Vitals at the 75th percentile of page loads. {lcp}",
    )
    [problem] = problems(text)
    assert problem == (
        f"questions.yaml:{line_of(text, '- id: bu-c2c-example')}: question "
        "'bu-c2c-example': prompt is nearly the same as question 'te-lcp-good' "
        "(the same text)"
    )
    near = edited(
        "Which of these businesses is a **C2C** e-commerce model?",
        "Google assesses Core Web Vitals at the 75th percentile of page views. "
        "Up to what Largest Contentful Paint is a category page rated good?",
    )
    [problem] = problems(near)
    assert "'bu-c2c-example': prompt is nearly the same as question 'te-lcp-good' (" in problem
    assert "% alike)" in problem


BANK = parse(TEXT, "questions.yaml")


def scored_in(area: str, **where) -> list:
    return [
        q
        for q in BANK.in_area(area)
        if q.type != "likert" and all(getattr(q, k) == v for k, v in where.items())
    ]


def without(ids, text: str = TEXT) -> str:
    for qid in ids:
        text = edited(block(qid, text), "", text)
    return text


def test_too_few_scored_questions_in_an_area():
    pool = scored_in("client")
    text = without([q.id for q in pool[: len(pool) - 13]])
    found = problems(text)
    assert (
        f"questions.yaml:{line_of(text, '  - id: client')}: area 'client': "
        "has 13 scored questions; at least 14 are needed"
    ) in found


def test_a_pool_too_small_for_its_draw_makes_retakes_repeat():
    # 22 of 37: two attempts share at most 7 of 22 questions, within the third allowed.
    assert problems(edited("  draw: 12 ", "  draw: 22 ")) == []
    text = edited("  draw: 12 ", "  draw: 24 ")
    bank = parse(text)
    expected = []
    for d in bank.dimensions:
        pool = [q for q in bank.in_area(d.id) if q.scored]
        share = repeats_on_retake(strata_sizes(pool), 24) / 24
        expected.append(
            f"questions.yaml:{line_of(text, f'  - id: {d.id}')}: area '{d.id}': draws 24 of "
            f"{len(pool)} scored questions, so a retake repeats {share:.0%} of them; grow the "
            "pool to 40 or draw fewer"
        )
    assert problems(text) == expected and all(share_ok(m) for m in expected)


def share_ok(message: str) -> bool:
    """The repeat share a message names is above the third that is allowed."""
    return int(message.split("repeats ")[1].split("%")[0]) > 33


def test_an_area_must_mix_three_kinds():
    text = without(q.id for q in scored_in("analytical") if kind(q) == "single")
    found = problems(text)
    assert (
        f"questions.yaml:{line_of(text, '  - id: analytical')}: area 'analytical': "
        "mixes too few kinds of question; add single"
    ) in found


def test_analytical_needs_eight_numeric_questions():
    numeric = scored_in("analytical", type="numeric")
    text = TEXT
    for q in numeric[: len(numeric) - 7]:
        old = block(q.id, text)
        new = old.replace("    area: analytical", "    area: analytical\n    weight: 0")
        text = edited(old, new, text)
    found = problems(text)
    assert any(
        "area 'analytical': has 7 numeric questions; at least 8 are needed" in p for p in found
    )


def test_difficulty_spread():
    text = TEXT
    for q in scored_in("technical", difficulty="hard"):
        old = block(q.id, text)
        text = edited(old, old.replace("    difficulty: hard", "    difficulty: medium"), text)
    found = problems(text)
    medium = len(scored_in("technical", difficulty="medium")) + len(
        scored_in("technical", difficulty="hard")
    )
    assert (
        f"questions.yaml:{line_of(text, '  - id: technical')}: area 'technical': "
        "has no hard questions" in found
    )
    assert any(
        f"area 'technical': {medium} of {len(scored_in('technical'))} scored questions are medium"
        in p
        for p in found
    )


def test_answer_position_spread():
    text = TEXT
    bank = parse(text, "questions.yaml")
    for q in bank.in_area("client"):
        if q.type != "single":
            continue
        old = block(q.id, text)
        # Move the key option to the top of the list.
        best = max(range(len(q.options)), key=q.option_score)
        lines = old.split("\n      - text: ")
        head, options = lines[0], lines[1:]
        last = options[-1]
        tail_at = last.find("\n    explanation:")
        tail = last[tail_at:]
        options[-1] = last[:tail_at]
        options.insert(0, options.pop(best))
        text = edited(old, head + "".join("\n      - text: " + o for o in options) + tail, text)
    [problem] = problems(text)
    assert problem.startswith(
        f"questions.yaml:{line_of(text, '  - id: client')}: area "
        "'client': the right answer sits in too few places (option 1: "
    )
