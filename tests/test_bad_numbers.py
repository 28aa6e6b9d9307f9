"""No bad number in the bank (issue 15, point 4).

nan, infinity and absurd numbers (beyond ``bank.LIMIT``, 1e15 either way) are refused at
validation with their file and line, from the editor, the raw YAML and the loader; an
attempt that holds a stored version saved before they were refused still finishes, that
question unscored, and its report says so.
"""

from __future__ import annotations

import re

import pytest

from quiz import attempts, report, scoring
from quiz.bank import BankError, check_question, load, parse, version_hash
from quiz.draw import draw
from quiz.store import Store

from .helpers import SMALL_BANK, Taker, form_fields, log_in
from .test_instructor import edit_form

TEXT = SMALL_BANK.read_text(encoding="utf-8")
BANK = load(SMALL_BANK)
FINITE = "must be a finite number, not nan or infinity"


def _line(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _problems(text: str) -> list[str]:
    with pytest.raises(BankError) as caught:
        parse(text, "questions.yaml")
    return [str(p) for p in caught.value.problems]


# (text in the small bank, what replaces it, the message expected)
BAD_YAML = [
    ("    answer: 45\n", "    answer: .nan\n", f"question 'an-aov': 'answer' {FINITE}"),
    ("    answer: 45\n", "    answer: .inf\n", f"question 'an-aov': 'answer' {FINITE}"),
    ("    answer: 45\n", "    answer: 1e999\n", f"question 'an-aov': 'answer' {FINITE}"),
    ("    answer: 45\n", "    answer: -.inf\n", f"question 'an-aov': 'answer' {FINITE}"),
    ("    tolerance: 0.5\n", "    tolerance: .nan\n", f"'tolerance': {FINITE}"),
    ("    tolerance: 0.5\n", "    tolerance: 1e999\n", f"'tolerance': {FINITE}"),
    ('    unit: "€"\n', '    unit: "€"\n    weight: .inf\n', f"'weight' {FINITE}"),
    ("        score: 0.5\n", "        score: .nan\n", f"'options[1].score' {FINITE}"),
    ("    min_overall: 75\n", "    min_overall: .nan\n", f"'verdicts[0].min_overall' {FINITE}"),
    ("    answer: 45\n", "    answer: 1e16\n", "'answer': 1e+16 is too large"),
    ("    tolerance: 0.5\n", "    tolerance: 2e15\n", "'tolerance': 2e+15 is too large"),
    (
        '    unit: "€"\n',
        '    unit: "€"\n    alternatives:\n      - answer: .nan\n',
        f"'alternatives[0].answer' {FINITE}",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD_YAML)
def test_a_bad_number_in_the_yaml_is_refused_with_its_file_and_line(old, new, message):
    text = TEXT.replace(old, new, 1)
    assert text != TEXT
    line = _line(text, new.strip().splitlines()[-1])
    found = _problems(text)
    assert any(p.startswith(f"questions.yaml:{line}: ") and message in p for p in found), found


def test_bad_numbers_in_the_settings_and_areas_are_refused():
    text = TEXT.replace(
        "  shuffle_options: true",
        "  seconds:\n    numeric: .inf\n  shuffle_options: true",
        1,
    ).replace("    weight: 1\n", "    weight: .nan\n", 1)
    found = _problems(text)
    assert any(f"'settings.seconds.numeric' {FINITE}" in p for p in found), found
    assert any(f"'dimensions[0].weight' {FINITE}" in p for p in found), found
    line = _line(text, "    numeric: .inf")
    assert any(p.startswith(f"questions.yaml:{line}: ") for p in found), found


def test_the_editor_check_refuses_bad_numbers_typed_as_text():
    aov = BANK.by_id["an-aov"].model_dump(mode="json", exclude_none=True)
    areas = [d.id for d in BANK.dimensions]
    for field, typed in [
        ("answer", "nan"),
        ("answer", "inf"),
        ("answer", "1e999"),
        ("tolerance", float("nan")),
        ("weight", "Infinity"),
        ("weight", 1e300),
    ]:
        problems = check_question({**aov, field: typed}, areas, ())
        assert [f for f, _ in problems] == [field], (field, typed, problems)
    assert check_question({**aov, "answer": 1e15, "tolerance": "2%"}, areas, ()) == []


@pytest.mark.full_bank
def test_the_question_editor_refuses_nan_infinity_and_1e999(app, client, bank_file):
    teacher = log_in(app, client)
    before = bank_file.read_text()
    for field, typed in [("answer", "1e999"), ("tolerance", "nan"), ("weight", "inf")]:
        _, data = edit_form(teacher, "an-aov")
        values = {"answer": "45", "tolerance": "0", "weight": "1", field: typed}
        data.update(values, unit="€", difficulty="easy")
        response = teacher.post("/instructor/questions/an-aov", data=data)
        assert response.status_code == 422, (field, typed)
        html = response.data.decode()
        assert re.search(rf"questions.yaml:\d+: question &#39;an-aov&#39;: &#39;{field}&#39;", html)
        assert "finite number" in html or "must be a number" in html, html[-3000:]
        assert bank_file.read_text() == before


def test_the_raw_editor_refuses_dot_nan_with_its_line(app, client, bank_file):
    teacher = log_in(app, client)
    before = bank_file.read_text()
    page = teacher.get("/instructor/raw").data.decode()
    fields = form_fields(page, 'action="/instructor/raw"')
    broken = before.replace("    answer: 45\n", "    answer: .nan\n", 1)
    line = _line(broken, "    answer: .nan")
    response = teacher.post("/instructor/raw", data={**fields, "text": broken})
    assert response.status_code == 422
    html = response.data.decode()
    assert f"questions.yaml:{line}: question &#39;an-aov&#39;: &#39;answer&#39; {FINITE}" in html
    assert bank_file.read_text() == before


# --- an attempt holding a version saved before bad numbers were refused -----------------


def _with_broken_version(token: str) -> tuple[list[dict], int]:
    """The small bank's draw for ``token`` with one scored question's stored body holding
    a nan weight and an infinite answer (as an earlier app stored them): its position."""
    items = draw(BANK, token)
    position, item = next(
        (n, i) for n, i in enumerate(items, start=1) if i["question_id"] == "an-aov"
    )
    body = {**item["body"], "weight": float("nan"), "answer": float("inf")}
    items[position - 1] = {**item, "body": body, "hash": version_hash(body)}
    return items, position


def _answer_all(store, attempt) -> None:
    for item in attempts.items(store, attempt):
        q = item.question
        if q.type == "single":
            value = max(range(len(q.options)), key=q.option_score)
        elif q.type == "multiple":
            value = sorted(q.correct_indexes)
        elif q.type == "numeric":
            value = f"{q.answer:g}"
        else:
            value = 3
        store.save_answer(
            attempt.id, item.position, item.version_hash, value, scoring.score(q, value)
        )


def test_an_attempt_holding_a_broken_version_finishes_with_that_question_unscored(store):
    token = "b" * 32
    items, position = _with_broken_version(token)
    store.create_attempt(token, "me", BANK.scheme_version, items)
    attempt = attempts.load(store, token)
    _answer_all(store, attempt)
    assert attempts.finish(store, attempt, BANK)
    done = attempts.load(store, token)
    stored = attempts.items(store, done)
    broken = [i for i in stored if i.broken]
    assert [i.position for i in broken] == [position]
    assert broken[0].status == "broken" and not broken[0].question.scored
    # Every other question answered right: the broken one, left out, costs nothing.
    assert done.judged and done.scores.answered["analytical"] == 3
    row = store.attempt(token)
    assert (
        row["marks"]
        == row["max_marks"]
        == sum(i.question.weight for i in stored if i.question.scored)
    )
    page = report.build(done, stored)
    assert page["left_out"] == (
        f"Question {position} was left out of your score: the version you were asked "
        "holds a number that cannot be used (a mistake in the question bank, not in "
        "your answer)."
    )
    entry = next(r for r in page["review"] if r["n"] == position)
    assert entry["status"] == "broken" and entry["key"] == "Not available"
    # The statistics leave it out too, and reading them does not fail.
    assert {r["version_hash"] for r in store.item_sums()} == {
        i.version_hash for i in stored if i.question.scored
    }
    assert all(v != broken[0].version_hash for _, v, _, _ in store.version_marks())


def test_the_result_page_of_an_attempt_with_a_broken_version_says_so(app, client):
    taker = Taker(client)
    token = "c" * 32
    items, position = _with_broken_version(token)
    store = Store(app.config["DATABASE"])
    try:
        store.create_attempt(token, "someone", BANK.scheme_version, items)
        _answer_all(store, attempts.load(store, token))
    finally:
        store.close()
    taker.token = token
    assert taker.finish().status_code == 303
    html = taker.result()
    assert f"Question {position} was left out of your score" in html
    assert "Not scored: this question holds a number that cannot be used" in html


def test_a_moodle_import_skips_bad_numbers_with_their_line():
    from quiz import moodle

    text = "::ok:: How much? {#45:0}\n\n::big:: How much? {#1e16:0}\n\n::inf:: How? {#1e999}\n"
    found, skipped = moodle.parse_gift(text)
    converted = moodle.to_bank(found, BANK, "analytical")
    assert [q["answer"] for q in converted.made] == [45]
    refused = {s.line: str(s) for s in skipped + converted.skipped}
    assert sorted(refused) == [3, 5], refused
    assert "too large" in refused[3]
