"""Drawing an attempt's questions and option orders."""

from hypothesis import given, settings
from hypothesis import strategies as st

from quiz import bundled
from quiz.bank import load, parse
from quiz.draw import draw, quotas, repeats_on_retake

from .helpers import SMALL_BANK

BANK = load(SMALL_BANK)


def test_every_question_once_grouped_by_area_in_bank_order():
    items = draw(BANK, "seed")
    assert sorted(i["question_id"] for i in items) == sorted(q.id for q in BANK.questions)
    areas = [i["area"] for i in items]
    assert areas == sorted(areas, key=[d.id for d in BANK.dimensions].index)


def test_the_same_seed_gives_the_same_draw_and_seeds_differ():
    assert draw(BANK, "a") == draw(BANK, "a")
    orders = {
        tuple(map(tuple, (i["order"] for i in draw(BANK, s) if i["order"]))) for s in "abcdef"
    }
    assert len(orders) > 1


def test_option_orders_are_permutations():
    for item in draw(BANK, "x"):
        q = BANK.by_id[item["question_id"]]
        if q.has_options:
            assert sorted(item["order"]) == list(range(len(q.options)))
        else:
            assert item["order"] is None


# --- pools: random banks, random histories ----------------------------------------------

HEAD = SMALL_BANK.read_text().split("\nquestions:\n")[0]
AREAS = [d.id for d in BANK.dimensions]
LEVELS = ("easy", "medium", "hard")


def pool_bank(sizes: dict[str, dict[str, int]], draw_count: int, unscored: int = 1):
    """A bank whose areas have the given number of scored questions per difficulty."""
    lines = []
    for area, strata in sizes.items():
        for level, size in strata.items():
            for k in range(size):
                lines.append(
                    f"  - id: {area[:2]}-{level}-{k}\n    area: {area}\n    type: single\n"
                    f"    difficulty: {level}\n    prompt: Question {k} of {level} {area}?\n"
                    "    options:\n      - text: Yes\n        correct: true\n"
                    "      - text: No\n      - text: Maybe\n    explanation: Because.\n"
                )
        for k in range(unscored):
            lines.append(
                f"  - id: {area[:2]}-self-{k}\n    area: {area}\n    type: likert\n"
                f"    weight: 0\n    prompt: I like {area} work {k}.\n    explanation: Noted.\n"
            )
    head = HEAD.replace(
        "  shuffle_questions: false", f"  shuffle_questions: false\n  draw: {draw_count}"
    )
    return parse(head + "\nquestions:\n" + "\n".join(lines), "pool.yaml")


@st.composite
def pools(draw_):
    """A bank with random strata per area, a draw that every area allows, and a random
    history of seen questions (id -> how recently, higher is later)."""
    sizes = {
        area: {level: n for level in LEVELS if (n := draw_(st.integers(0, 6)))} for area in AREAS
    }
    for strata in sizes.values():
        if not strata:
            strata["medium"] = draw_(st.integers(1, 4))
    smallest = min(sum(s.values()) for s in sizes.values())
    bank = pool_bank(sizes, draw_(st.integers(1, smallest)))
    ids = [q.id for q in bank.questions if q.weight > 0]
    seen_ids = draw_(st.lists(st.sampled_from(ids), unique=True)) if ids else []
    seen = {qid: draw_(st.integers(1, 5)) for qid in seen_ids}
    return bank, seen


def chosen(items, area):
    return [i["question_id"] for i in items if i["area"] == area]


@settings(max_examples=100, deadline=None)
@given(pools(), st.text(min_size=1, max_size=8))
def test_a_draw_is_reproducible_keeps_counts_and_spread_and_avoids_seen(pool, seed):
    bank, seen = pool
    items = draw(bank, seed, seen)
    assert items == draw(bank, seed, dict(seen))  # the same attempt, the same draw
    count = bank.scheme.draw_count(AREAS[0])
    for area in AREAS:
        questions = bank.in_area(area)
        picked = set(chosen(items, area))
        scored = [q for q in questions if q.weight > 0]
        # Unscored self-descriptions always come; scored ones exactly as many as drawn.
        assert {q.id for q in questions if q.weight <= 0} <= picked
        assert sum(q.id in picked for q in scored) == count
        strata: dict[str, list] = {}
        for q in scored:
            strata.setdefault(q.difficulty, []).append(q)
        for qs in strata.values():
            got = [q for q in qs if q.id in picked]
            # The spread of the pool: each difficulty within one of its exact share.
            assert abs(len(got) - count * len(qs) / len(scored)) < 1
            # Unseen first; of the seen, the least recently seen.
            fresh = [q for q in qs if q.id not in seen]
            if any(q.id in seen for q in got):
                assert all(q.id in picked for q in fresh)
                kept = [seen[q.id] for q in got if q.id in seen]
                left = [seen[q.id] for q in qs if q.id in seen and q.id not in picked]
                assert not left or max(kept) <= min(left)
            else:
                assert len(got) <= len(fresh)


@settings(max_examples=60, deadline=None)
@given(pools())
def test_a_draw_repeats_no_more_than_the_pool_forces(pool):
    bank, seen = pool
    items = draw(bank, "retake", seen)
    count = bank.scheme.draw_count(AREAS[0])
    for area in AREAS:
        scored = [q for q in bank.in_area(area) if q.weight > 0]
        unseen = sum(q.id not in seen for q in scored)
        repeated = sum(qid in seen for qid in chosen(items, area) if bank.by_id[qid].weight > 0)
        # Strata can force a repeat or two when one difficulty runs out of new questions.
        assert repeated <= max(0, count - unseen) + len({q.difficulty for q in scored})


def test_quotas_by_hand():
    # 12 of 8 easy, 9 medium, 7 hard: exact shares 4, 4.5 and 3.5; the larger pool rounds up.
    assert quotas({"easy": 8, "medium": 9, "hard": 7}, 12) == {"easy": 4, "medium": 5, "hard": 3}
    # After that draw, 4 new ones are left of each: hard rounds up instead, nothing repeats.
    unseen = {"easy": 4, "medium": 4, "hard": 4}
    assert quotas({"easy": 8, "medium": 9, "hard": 7}, 12, unseen) == {
        "easy": 4,
        "medium": 4,
        "hard": 4,
    }
    assert repeats_on_retake({"easy": 8, "medium": 9, "hard": 7}, 12) == 0
    assert repeats_on_retake({"easy": 8, "medium": 9, "hard": 7}, 18) == 12
    assert quotas({"easy": 2}, 5) == {"easy": 2}


def retakes(bank, takers: int = 100):
    """Per simulated taker, the share of the retake's scored questions that the first
    attempt had too."""
    shares = []
    for n in range(takers):
        first = draw(bank, f"first-{n}")
        seen = {i["question_id"]: 1 for i in first}
        second = draw(bank, f"second-{n}", seen)
        scored = [i["question_id"] for i in second if bank.by_id[i["question_id"]].weight > 0]
        shares.append(sum(qid in seen for qid in scored) / len(scored))
    return shares


def test_the_bundled_bank_gives_a_fresh_set_on_a_retake():
    bank = load(bundled("questions.yaml"))
    assert bank.questions_per_attempt == 4 * 12 + 8
    shares = retakes(bank)
    assert len(shares) == 100 and max(shares) <= 1 / 3
    assert shares == [0.0] * 100  # 24 per area and a draw of 12: nothing repeats
    # A third attempt goes back to the questions seen longest ago.
    first = draw(bank, "a")
    second = draw(bank, "b", {i["question_id"]: 1 for i in first})
    seen = {i["question_id"]: 1 for i in first} | {i["question_id"]: 2 for i in second}
    third = {i["question_id"] for i in draw(bank, "c", seen)}
    assert not third & ({i["question_id"] for i in second} - {i["question_id"] for i in first})
