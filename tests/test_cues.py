"""Answer cues (quiz.cues) and the checks `quiz validate --strict` builds on them (quiz.lint)."""

from __future__ import annotations

import pytest

from quiz import cues
from quiz.bank import Multiple, Option, Single, parse
from quiz.lint import lint

from .helpers import SMALL_BANK

# Every area needs a scored question; numbers carry no option cues.
HEADER = (
    SMALL_BANK.read_text().split("\nquestions:\n")[0]
    + "\nquestions:\n"
    + "".join(
        f"  - id: {prefix}-sum\n    area: {area}\n    type: numeric\n    difficulty: easy\n"
        "    prompt: 2 + 2?\n    explanation: Four.\n    answer: 4\n    tolerance: 0\n"
        "    unit: items\n"
        for prefix, area in (
            ("te", "technical"),
            ("bu", "business"),
            ("an", "analytical"),
            ("cl", "client"),
        )
    )
)


def single(options, key=0, qid="q"):
    """A keyed single question; ``options`` are texts, ``key`` the right one's index."""
    return Single(
        id=qid,
        area="technical",
        type="single",
        prompt="?",
        explanation="!",
        options=tuple(Option(text=t, correct=i == key) for i, t in enumerate(options)),
    )


def judgement(options, scores, qid="j"):
    return Single(
        id=qid,
        area="client",
        type="single",
        prompt="?",
        explanation="!",
        options=tuple(Option(text=t, score=s) for t, s in zip(options, scores, strict=True)),
    )


def multiple(right, n=5, qid="m"):
    return Multiple(
        id=qid,
        area="technical",
        type="multiple",
        prompt="?",
        explanation="!",
        options=tuple(Option(text=f"option {i}", correct=i < right) for i in range(n)),
    )


LENGTHS = ["a" * 10, "b" * 20, "c" * 30, "d" * 40]  # shortest … longest


def test_length_strategies_score_the_option_they_pick():
    key_second = single(LENGTHS, key=2)  # 30 characters: the second-longest
    assert cues.length_rank_score(key_second, 0) == 0.0
    assert cues.length_rank_score(key_second, 1) == 1.0
    assert cues.key_length_rank(key_second) == 1
    [s] = cues.length_strategies([key_second] * 4)
    assert (s.kind, s.items, s.longest, s.second_longest, s.chance) == (
        "single",
        4,
        0.0,
        100.0,
        25.0,
    )
    assert s.advantage == 75.0


def test_options_of_equal_length_share_the_rank():
    tied = single(["x" * 20, "y" * 20, "z" * 5, "w" * 5], key=0)
    assert cues.length_rank_score(tied, 0) == 0.5  # the longest are two: half the time right
    assert cues.key_length_rank(tied) == 0  # nothing is longer than the key


def test_judgement_strategies_earn_the_weights():
    item = judgement(LENGTHS, [0, 1, 0.5, 0.25])
    [s] = cues.length_strategies([item])
    assert (s.kind, s.longest, s.second_longest, s.chance) == ("judgement", 25.0, 50.0, 43.75)


def test_justification_words_are_counted_in_keys_and_distractors():
    items = [
        single(["Yes, because it is", "No", "Maybe so", "Never"], key=1),
        multiple(2),
    ]
    found = cues.justifications(items)
    assert (found.keys, found.key_total, found.distractors, found.distractor_total) == (
        0,
        3,
        1,
        6,
    )


def test_right_option_counts_and_openings():
    assert cues.right_option_counts([multiple(1), multiple(3), multiple(3)]) == {1: 1, 3: 2}
    item = judgement(["Check the logs first", "Roll back now", "Ask the team"], [0.5, 1, 0])
    found = cues.investigate_first([item])
    assert (found.best, found.best_total, found.others, found.others_total) == (0, 1, 2, 2)


# --- the checks of `quiz validate --strict` ---------------------------------------------------


def bank_text(items: list[str]) -> str:
    return HEADER + "".join(items)


def keyed(qid: str, options: list[str], key: int, area: str = "technical") -> str:
    lines = [
        f"  - id: {qid}\n    area: {area}\n    type: single\n    difficulty: easy\n",
        "    prompt: Which one?\n    explanation: Because.\n    options:\n",
    ]
    for i, text in enumerate(options):
        lines.append(f"      - text: {text}\n" + ("        correct: true\n" if i == key else ""))
    return "".join(lines)


def weighted(qid: str, options: list[str], scores: list[float]) -> str:
    lines = [
        f"  - id: {qid}\n    area: client\n    type: single\n    difficulty: easy\n",
        "    prompt: What do you do first?\n    explanation: Because.\n    options:\n",
    ]
    for text, s in zip(options, scores, strict=True):
        lines.append(f"      - text: {text}\n        score: {s}\n")
    return "".join(lines)


def several(qid: str, right: int, n: int = 5) -> str:
    lines = [
        f"  - id: {qid}\n    area: business\n    type: multiple\n    difficulty: easy\n",
        "    prompt: Which apply?\n    explanation: Because.\n    options:\n",
    ]
    for i in range(n):
        lines.append(
            f"      - text: choice {qid} {i}\n" + ("        correct: true\n" if i < right else "")
        )
    return "".join(lines)


def messages(text: str, needle: str) -> list[str]:
    return [str(p) for p in lint(parse(text, "questions.yaml")) if needle in p.message]


def spread_lengths(n: int, key_rank) -> list[str]:
    """n keyed questions whose key has the length rank key_rank(i) (0 = longest)."""
    texts = [
        "short one",
        "a bit longer one",
        "longer than both of those",
        "the very longest of all four",
    ]
    return [keyed(f"te-q{i}", texts, 3 - key_rank(i)) for i in range(n)]


def test_a_length_habit_is_caught_and_points_at_its_items():
    text = bank_text(spread_lengths(12, lambda i: 1))  # the key always second-longest
    [strategy] = messages(text, "always picking")
    assert (
        "single items: always picking the second-longest option scores 100% against 25%" in strategy
    )
    rank = messages(text, "the key is the second-longest option")
    assert len(rank) == 1 + 12 and "in 12 of 12 (100%, 25% by chance)" in rank[0]
    first = text.index("  - id: te-q0\n")
    assert rank[1].startswith(f"questions.yaml:{text[:first].count(chr(10)) + 1}: question 'te-q0'")


def test_keys_spread_like_chance_pass():
    text = bank_text(spread_lengths(12, lambda i: i % 4))
    assert messages(text, "always picking") == []
    assert messages(text, "the key is the") == []


def test_judgement_length_habit_is_caught():
    items = [
        weighted(
            f"cl-j{i}", ["Do a", "Do this b", "Do this and c", "Do this and that d"], [0, 0.5, 1, 0]
        )
        for i in range(8)
    ]
    [problem] = messages(bank_text(items), "always picking")
    assert (
        "judgement items: always picking the second-longest option scores 100% against 38%"
        in problem
    )


def test_justifications_only_in_distractors_are_caught():
    items = [
        keyed(
            f"te-q{i}",
            ["Alpha", "Beta, because it is", "Gamma", "Delta"],
            i % 4 if i % 4 != 1 else 0,
        )
        for i in range(8)
    ]
    found = messages(bank_text(items), "explain")
    assert "0% of keys against 33% of distractors, so they mark the distractors" in found[0]
    assert len(found) == 1 + 8
    assert "option 2 explains itself: 'Beta, because it is'" in found[1]


def test_the_commonest_number_of_right_options_may_not_dominate():
    dominated = bank_text([several(f"bu-m{i}", 3) for i in range(7)] + [several("bu-m9", 2)])
    [problem] = messages(dominated, "multiple-response questions have")
    assert "7 of 8 multiple-response questions have 3 right options" in problem
    varied = bank_text([several(f"bu-m{i}", 1 + i % 4) for i in range(8)])
    assert messages(varied, "multiple-response questions have") == []


def test_best_judgement_options_that_always_find_out_first_are_caught():
    firsts = ["Check the logs", "Ask the client", "Roll back now", "Refund the order"]
    items = [
        weighted(f"cl-j{i}", [firsts[i % 4], "Wait a day", "Tell nobody", "Shrug"], [1, 0.5, 0, 0])
        for i in range(8)
    ]
    found = messages(bank_text(items), "finding out first")
    assert "4 of 8 best judgement options start by finding out first" in found[0]
    assert len(found) == 1 + 4 and "question 'cl-j0'" in found[1]
    same = [
        weighted(f"cl-j{i}", ["Roll back now", "Check the logs", "Wait", "Shrug"], [1, 0.5, 0, 0])
        for i in range(8)
    ]
    assert messages(bank_text(same), "finding out first") == []
    [word] = messages(bank_text(same), "start with 'roll'")
    assert "8 of 8 best judgement options" in word


@pytest.mark.parametrize("prompt", ["Under the GDPR, what is allowed?", "Is this legal in the EU?"])
def test_a_question_naming_a_law_needs_a_jurisdiction(prompt):
    item = keyed("te-law", ["A", "B", "C", "D"], 0).replace("Which one?", prompt)
    [problem] = messages(bank_text([item]), "jurisdiction")
    assert "question 'te-law': mentions" in problem
    tagged = item.replace("    difficulty: easy\n", "    difficulty: easy\n    jurisdiction: EU\n")
    assert messages(bank_text([tagged]), "jurisdiction") == []


def test_the_blueprint_wants_every_topic_sampled_and_every_question_tagged():
    blueprint = (
        "blueprint:\n"
        "  - {id: site-speed, duty: Running the site, name: Speed}\n"
        "  - {id: budget, duty: Supervising, name: Budget}\n"
    )
    item = keyed("te-fast", ["A", "B", "C", "D"], 0).replace(
        "    difficulty: easy\n", "    difficulty: easy\n    topics: [site-speed]\n"
    )
    text = HEADER.replace("\nquestions:\n", "\n" + blueprint + "\nquestions:\n") + item
    text += keyed("te-untagged", ["A", "B", "C", "D"], 1)
    unsampled = messages(text, "has no scored question")
    assert unsampled == [
        f"questions.yaml:{text[: text.index('{id: budget')].count(chr(10)) + 1}: "
        "topic 'budget' (Supervising: Budget) has no scored question"
    ]
    untagged = messages(text, "names no blueprint topic")
    assert any("question 'te-untagged'" in m for m in untagged)
    assert not any("question 'te-fast'" in m for m in untagged)
    with pytest.raises(Exception, match="unknown topic 'speed'"):
        parse(text.replace("topics: [site-speed]", "topics: [speed]"), "questions.yaml")
