"""Drawing an attempt's questions and option orders."""

from quiz.bank import load
from quiz.draw import draw

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
