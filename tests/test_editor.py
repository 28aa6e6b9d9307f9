"""Round-trip edits of the bank file: comments and untouched formatting survive; saves are
atomic and refuse conflicts and invalid banks."""

from __future__ import annotations

import os

import pytest
from werkzeug.datastructures import MultiDict

from quiz import editor
from quiz.bank import BankError, parse, plain

from .helpers import SMALL_BANK

TEXT = SMALL_BANK.read_text()


def changed_lines(old: str, new: str) -> list[str]:
    import difflib

    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("---", "+++")
    ]


def test_an_unchanged_round_trip_is_byte_for_byte():
    assert editor.dump(editor.load(TEXT)) == TEXT


def test_editing_a_question_touches_only_its_changed_lines():
    doc = editor.load(TEXT)
    data = plain(doc["questions"][editor.question_index(doc, "an-aov")])
    data["tolerance"] = 1
    editor.put_question(doc, data, "an-aov")
    new = editor.dump(doc)
    assert changed_lines(TEXT, new) == ["-    tolerance: 0.5", "+    tolerance: 1"]
    assert "# --- analytical" in new and "# disposition, not knowledge" in new


def test_a_long_new_text_is_folded_and_a_multiline_text_kept_literally():
    doc = editor.load(TEXT)
    data = plain(doc["questions"][editor.question_index(doc, "an-aov")])
    data["prompt"] = ("word " * 40).strip()
    data["explanation"] = "Two things:\n\n- one\n- two"
    editor.put_question(doc, data.copy(), "an-aov")
    new = editor.dump(doc)
    assert "    prompt: >-\n      word word" in new
    assert "    explanation: |-\n      Two things:\n\n      - one\n      - two\n" in new
    bank = parse(new)
    assert bank.by_id["an-aov"].prompt == ("word " * 40).strip()
    assert bank.by_id["an-aov"].explanation == "Two things:\n\n- one\n- two"


def test_a_new_question_goes_after_the_last_of_its_area():
    doc = editor.load(TEXT)
    editor.put_question(
        doc,
        {
            "id": "bu-new",
            "area": "business",
            "type": "likert",
            "weight": 0,
            "prompt": "I like sales.",
            "explanation": "Because.",
        },
    )
    ids = [q.id for q in parse(editor.dump(doc)).questions]
    assert ids.index("bu-new") == ids.index("bu-tech-curiosity") + 1


def test_duplicate_delete_and_move():
    doc = editor.load(TEXT)
    assert editor.duplicate_question(doc, "te-lcp-good") == "te-lcp-good-copy"
    assert editor.duplicate_question(doc, "te-lcp-good") == "te-lcp-good-copy-2"
    editor.delete_question(doc, "te-lcp-good-copy-2")
    editor.move_question(doc, "te-pci-never-store", "up")
    ids = [q.id for q in parse(editor.dump(doc)).questions]
    assert ids[:4] == ["te-lcp-good", "te-pci-never-store", "te-lcp-good-copy", "te-peak-release"]
    editor.move_question(doc, "te-pci-never-store", "up")
    with pytest.raises(editor.EditError, match="already the first of its area"):
        editor.move_question(doc, "te-pci-never-store", "up")
    # Moving skips over other areas' questions: the first business one goes below the next.
    editor.move_question(doc, "bu-c2c-example", "down")
    ids = [q.id for q in parse(editor.dump(doc)).questions]
    assert ids.index("bu-b2b-features") < ids.index("bu-c2c-example")
    with pytest.raises(editor.EditError, match="There is no question 'nope'"):
        editor.delete_question(doc, "nope")


def test_settings_areas_and_verdicts():
    doc = editor.load(TEXT)
    editor.put_settings(doc, {**plain(doc["settings"]), "minutes": 25})
    area = plain(doc["dimensions"][0])
    area["feedback"]["gap"]["next_steps"] = ["Read one thing.", "Do another."]
    editor.put_dimension(doc, "technical", area)
    verdicts = plain(doc["verdicts"])
    verdicts[0]["min_overall"] = 80
    editor.put_verdicts(doc, verdicts[:1] + verdicts[2:])
    new = editor.dump(doc)
    bank = parse(new)
    assert bank.settings.minutes == 25
    assert bank.dimensions[0].feedback["gap"].next_steps == ("Read one thing.", "Do another.")
    assert [v.id for v in bank.scheme.verdicts] == ["strong-fit", "developing", "not-yet"]
    assert bank.scheme.verdicts[0].min_overall == 80
    assert "# The first rule that matches is the verdict." in new


def form(**values) -> MultiDict:
    data = MultiDict()
    for key, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            data.add(key, item)
    return data


def test_question_from_form_for_each_type():
    single = editor.question_from_form(
        form(
            id="te-x",
            area="technical",
            type="single",
            difficulty="easy",
            weight="1",
            prompt="Which?\r\nReally?",
            option_text=["A", "B", "", "C"],
            correct="1",
            explanation="Because.",
        )
    )
    assert single == {
        "id": "te-x",
        "area": "technical",
        "type": "single",
        "difficulty": "easy",
        "prompt": "Which?\nReally?",
        "options": [{"text": "A"}, {"text": "B", "correct": True}, {"text": "C"}],
        "explanation": "Because.",
    }
    judged = editor.question_from_form(
        form(
            id="te-y",
            area="technical",
            type="single",
            scoring="weighted",
            option_text=["A", "B", "C"],
            option_score=["1", "0.5", "0"],
            prompt="?",
            explanation="!",
        )
    )
    assert judged["options"] == [
        {"text": "A", "score": 1},
        {"text": "B", "score": 0.5},
        {"text": "C", "score": 0},
    ]
    numeric = editor.question_from_form(
        form(
            id="an-x",
            area="analytical",
            type="numeric",
            answer="43.2",
            tolerance="2%",
            unit="minutes",
            weight="0.5",
            prompt="?",
            explanation="!",
        )
    )
    assert (numeric["answer"], numeric["tolerance"], numeric["unit"], numeric["weight"]) == (
        43.2,
        "2%",
        "minutes",
        0.5,
    )
    likert = editor.question_from_form(
        form(
            id="cl-x",
            area="client",
            type="likert",
            reverse="1",
            weight="0",
            prompt="I…",
            explanation="!",
        )
    )
    assert likert["reverse"] is True and likert["weight"] == 0
    assert editor.question_to_form(judged)["scoring"] == "weighted"


def test_the_form_carries_the_law_and_the_blueprint_topics():
    legal = editor.question_from_form(
        form(
            id="te-law",
            area="technical",
            type="single",
            jurisdiction="EU",
            topics=["privacy", "security"],
            option_text=["A", "B", "C"],
            correct="0",
            prompt="Under the GDPR?",
            explanation="!",
        )
    )
    assert legal["jurisdiction"] == "EU" and legal["topics"] == ["privacy", "security"]
    shown = editor.question_to_form(legal)
    assert (shown["jurisdiction"], shown["topics"]) == ("EU", ["privacy", "security"])
    plain_question = editor.question_from_form(form(id="te-x", area="technical", type="single"))
    assert "jurisdiction" not in plain_question and "topics" not in plain_question


def test_saving_the_settings_form_keeps_the_settings_it_does_not_show():
    doc = editor.load(
        TEXT.replace("  shuffle_options: true", "  min_answered: 4\n  shuffle_options: true")
    )
    editor.put_settings(doc, {"title": "New title", "draw": None, "shuffle_options": False})
    bank = parse(editor.dump(doc))
    assert bank.settings.title == "New title" and bank.settings.min_answered == 4
    assert bank.settings.shuffle_options is False and bank.settings.draw is None


def test_save_writes_atomically_and_keeps_the_mode(tmp_path):
    path = tmp_path / "questions.yaml"
    path.write_text(TEXT)
    os.chmod(path, 0o640)
    old, new = editor.save(
        path, editor.sha(TEXT), editor.edit(lambda d: editor.delete_question(d, "an-aov"))
    )
    assert old == TEXT and path.read_text() == new and "an-aov" not in new
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert [
        p.name
        for p in tmp_path.iterdir()
        if p.name.startswith(".questions.yaml.") and not p.name.endswith(".lock")
    ] == []  # no temporary file left behind


def test_save_refuses_a_newer_file(tmp_path):
    path = tmp_path / "questions.yaml"
    path.write_text(TEXT)
    base = editor.sha(TEXT)
    path.write_text(TEXT.replace("minutes: 20", "minutes: 30"))
    with pytest.raises(editor.Conflict) as caught:
        editor.save(path, base, lambda text: text)
    assert "minutes: 30" in caught.value.current
    assert "minutes: 30" in path.read_text()


def test_save_refuses_an_invalid_bank_and_leaves_the_file(tmp_path):
    path = tmp_path / "questions.yaml"
    path.write_text(TEXT)
    with pytest.raises(BankError) as caught:
        editor.save(path, editor.sha(TEXT), lambda text: text.replace("    answer: 43.2\n", ""))
    assert "numeric question needs 'answer'" in str(caught.value)
    assert path.read_text() == TEXT


def test_a_likert_statement_weighs_0_in_the_form_and_keeps_any_weight_it_is_given():
    assert editor.question_to_form({"type": "likert"})["weight"] == 0
    assert editor.question_to_form({"type": "single"})["weight"] == 1
    given = editor.question_from_form(
        form(id="cl-x", area="client", type="likert", weight="1", prompt="I…", explanation="!")
    )
    assert given["weight"] == 1  # kept, so that the validator refuses it
