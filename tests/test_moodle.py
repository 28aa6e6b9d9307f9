"""GIFT and Moodle XML: reading Moodle's formats, writing the bank in them, and round trips."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner

from quiz import bundled, editor
from quiz.bank import load, parse
from quiz.cli import main
from quiz.moodle import (
    MoodleFileError,
    _fraction,
    _gift_escape,
    parse_gift,
    parse_xml,
    read,
    to_bank,
    to_gift,
    to_xml,
)

from .helpers import SMALL_BANK, csrf_token, log_in

DATA = SMALL_BANK.parent
BANK = load(bundled("questions.yaml"))


def by_name(questions):
    return {q.name: q for q in questions}


# --- GIFT -------------------------------------------------------------------------------


def test_gift_syntax_as_moodle_documents_it():
    questions, skipped = parse_gift((DATA / "sample.gift").read_text())
    q = by_name(questions)
    escalation = q["Escalation first step"]
    assert escalation.category == "$course$/top/Client-facing"
    assert escalation.prompt == "A key client reports failed orders. What do you do **first**?"
    assert escalation.options[0] == (
        "Gather the facts and alert the on-call team",
        1.0,
        "Right: act, then inform.",
    )  # \: and # feedback
    assert escalation.general_feedback == "Incidents come first; analysis after."
    assert q["Meeting notes"].prompt == "After a client meeting, what do you send within a day?"
    assert [f for _, f, _ in q["Meeting notes"].options] == [1.0, 0.25, 0.0]  # %100% %25%
    assert [f for _, f, _ in q["Fair interviews"].options] == [0.5, 0.5, -1.0]
    assert (q["Uptime minutes"].answer, q["Uptime minutes"].tolerance) == (43.2, 0.1)  # {#43.2:0.1}
    assert q["Uptime minutes"].category == "$course$/top/Analytical"
    assert (q["Range answer"].answer, q["Range answer"].tolerance) == (3.0, 2.0)  # {#1..5}
    assert q["True or false"].prompt == "Conversion rate is orders ÷ sessions {or visitors}."
    assert q["True or false"].options == [("True", 1.0, "Right."), ("False", 0.0, "Wrong: it is.")]
    assert q["Escapes"].prompt == "Which symbol starts a GIFT comment ~ or #?"
    assert [o[0] for o in q["Escapes"].options] == [
        "// two slashes",
        "# a hash",
        "= an equals sign",
    ]
    assert [(s.line, s.name) for s in skipped] == [
        (34, "An essay"),
        (36, "Matching"),
        (38, "Short answer"),
        (40, "A description"),
    ]
    assert "essay questions need a person to mark them" in str(skipped[0])


def test_gift_becomes_bank_questions_with_areas_types_and_unique_ids():
    converted = to_bank(parse_gift((DATA / "sample.gift").read_text())[0], BANK)
    made, skipped = converted.made, converted.skipped
    data = {q["id"]: q for q in made}
    assert set(data) == {
        "cl-escalation-first-step",
        "cl-meeting-notes",
        "cl-fair-interviews",
        "an-uptime-minutes",
        "an-range-answer",
        "an-true-or-false",
        "an-escapes",
    }
    assert data["cl-meeting-notes"]["type"] == "single"  # one option at 100%, one part-right
    assert data["cl-meeting-notes"]["options"][1] == {"text": "The slide deck", "score": 0.25}
    assert data["cl-fair-interviews"]["type"] == "multiple"
    assert data["an-true-or-false"]["options"] == [
        {"text": "True", "correct": True},
        {"text": "False"},
    ]
    assert (
        "- **Gather the facts and alert the on-call team**: Right: act, then inform."
        in data["cl-escalation-first-step"]["explanation"]
    )
    again = to_bank(parse_gift("::Uptime minutes::How many?{#43.2}")[0], BANK, "analytical").made
    assert again[0]["id"] == "an-uptime-minutes"
    doubled = to_bank(parse_gift("::te-lcp-good::Same name?{#1}")[0], BANK, "technical").made
    assert doubled[0]["id"] == "te-lcp-good-2"  # made unique against the bank
    assert skipped == []


@pytest.mark.parametrize(
    "text, line, message",
    [
        (
            "::a::Question one{=yes ~no}\n\n::b::Question\ntwo {=yes ~no\n",
            4,
            "'{' without a matching '}'",
        ),
        ("::a::Fine{=yes ~no}\n\n::b::Broken } here\n", 3, "'}' without a matching '{'"),
    ],
)
def test_gift_with_unbalanced_braces_is_refused_with_its_line(text, line, message):
    with pytest.raises(MoodleFileError) as caught:
        parse_gift(text)
    assert caught.value.line == line and message in caught.value.message


def test_a_file_that_is_not_utf8_is_refused_with_its_line():
    with pytest.raises(MoodleFileError) as caught:
        read("::a::Caf\u00e9?{=oui ~non}\n".encode("utf-8") + b"\n::b::Cr\xe8me?{=oui ~non}\n")
    assert caught.value.line == 3 and "not UTF-8" in caught.value.message


# --- Moodle XML ----------------------------------------------------------------------------


def test_moodle_xml_as_moodle_exports_it():
    questions, skipped = parse_xml((DATA / "moodle-export.xml").read_text())
    q = by_name(questions)
    rate = q["Repeat purchase rate"]
    assert rate.prompt == (
        "Of **800** customers who bought in January, 200 bought again by "
        "March. What share bought again, in percent?"
    )  # HTML to Markdown
    assert (rate.answer, rate.tolerance, rate.unit) == (25.0, 0.5, "%")
    assert rate.category.endswith("/Analytical") and rate.line == 13
    assert q["Metrics of a funnel"].weight == 2.0
    assert [s.reason for s in skipped] == [
        "essay questions need a person to mark them",
        "matching questions have no counterpart here",
        "short-answer (typed text) questions have no counterpart here; only numbers can be typed",
        "Cloze (embedded answers) questions have no counterpart here",
    ]
    converted = to_bank(questions, BANK)
    made, unusable = converted.made, converted.skipped
    assert [m["id"] for m in made] == [
        "an-repeat-purchase-rate",
        "an-metrics-of-a-funnel",
        "bu-marketplaces-and-stock",
        "bu-price-war",
    ]
    assert made[3]["options"][1] == {
        "text": "Match the price only for customers who ask",
        "score": 0.5,
    }
    assert unusable == []


@pytest.mark.parametrize(
    "text, line, message",
    [
        (
            "<?xml version='1.0'?>\n<quiz>\n  <question type='essay'>\n</quiz>\n",
            4,
            "not well-formed XML",
        ),
        (
            "<?xml version='1.0'?>\n<assessment>\n</assessment>\n",
            2,
            "not a Moodle XML quiz file: the root element is <assessment>",
        ),
        (
            "<?xml version='1.0'?>\n<quiz>\n  <question type='multichoice'>\n",
            4,
            "not well-formed XML",
        ),
    ],
)
def test_bad_xml_is_refused_with_its_line(text, line, message):
    with pytest.raises(MoodleFileError) as caught:
        read(text.encode())
    assert caught.value.line == line and message in caught.value.message


def test_xml_entities_are_not_expanded():
    evil = (
        '<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<quiz><question type="numerical"><name><text>&x;</text></name>'
        "<questiontext><text>How many?</text></questiontext>"
        '<answer fraction="100"><text>1</text></answer></question></quiz>'
    )
    questions, _ = parse_xml(evil)
    assert "root:" not in questions[0].name


# --- export and round trips --------------------------------------------------------------------


def comparable(question, *, unit=True, difficulty=True):
    """A question's content as an export keeps it: GIFT keeps no unit, difficulty or
    jurisdiction (difficulty=False), Moodle XML keeps them and the topics as tags."""
    data = question.version_body()
    data.pop("weight", None)
    if not unit:
        data.pop("unit", None)
    if not difficulty:
        data.pop("difficulty", None)
        data.pop("jurisdiction", None)
    else:
        data["topics"] = list(question.topics)
    if "tolerance" in data:
        data["tolerance"] = float(question.tolerance_abs())
    return data


def empty_bank():
    """The bundled bank's settings and areas with one placeholder question per area, so
    that each area has a scored question (Likert statements are never scored)."""
    text = bundled("questions.yaml").read_text()
    head = text.split("\nquestions:\n")[0].replace("  draw: 12 ", "  # draw: 12 ")  # no pools yet
    placeholders = "".join(
        f"  - id: {d.id[:2]}-placeholder\n    area: {d.id}\n    type: numeric\n    answer: 1\n"
        f"    prompt: I am a placeholder.\n    explanation: Only for the test.\n"
        for d in BANK.dimensions
    )
    return head, placeholders


@pytest.mark.parametrize("writer, keeps_all", [(to_xml, True), (to_gift, False)])
def test_export_then_import_gives_back_the_same_questions(writer, keeps_all):
    text, notes = writer(BANK)
    assert len(notes) == 8 and all("likert" in n for n in notes)
    head, placeholders = empty_bank()
    target = parse(head + "\nquestions:\n" + placeholders)
    found, skipped = read(text.encode())[1:]
    converted = to_bank(found, target)
    made, unusable = converted.made, converted.skipped
    assert skipped == [] and unusable == []
    doc = editor.load(head + "\nquestions:\n" + placeholders)
    for data in made:
        editor.put_question(doc, data)
    rebuilt = parse(editor.dump(doc))
    original = {q.id: q for q in BANK.questions if q.type != "likert"}
    imported = {q.id: q for q in rebuilt.questions if not q.id.endswith("placeholder")}
    assert set(imported) == set(original)
    for qid, q in original.items():
        assert comparable(imported[qid], unit=keeps_all, difficulty=keeps_all) == comparable(
            q, unit=keeps_all, difficulty=keeps_all
        ), qid


def test_gift_export_is_what_moodle_reads():
    text, _ = to_gift(BANK)
    assert text.count("$CATEGORY: $course$/top/") == 4
    assert "::te-lcp-good::[markdown]Google assesses" in text
    assert "\t=2.5 seconds" in text
    assert re.search(r"::an-uptime-999::\[markdown\].*\{#43\.2:0\.1####\[markdown\]", text)
    multiple = next(q for q in BANK.questions if q.type == "multiple")
    right = len(multiple.correct_indexes)
    wrong = len(multiple.options) - right
    for i, option in enumerate(multiple.options):
        # a right pick earns its share among the right options, a wrong one costs its share
        share = 100 / right if i in multiple.correct_indexes else -100 / wrong
        assert f"\t~%{_fraction(share)}%{_gift_escape(option.text)}" in text


# --- the command line ------------------------------------------------------------------------


@pytest.mark.full_bank
def test_cli_import_dry_run_then_import_keeps_the_comments(monkeypatch, bank_file, tmp_path):
    monkeypatch.setenv("QUIZ_QUESTIONS", str(bank_file))
    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path))  # the revision's database
    monkeypatch.delenv("QUIZ_DATABASE", raising=False)
    before = bank_file.read_text()
    runner = CliRunner()
    dry = runner.invoke(main, ["import", str(DATA / "moodle-export.xml"), "--dry-run"])
    assert dry.exit_code == 0
    assert dry.stdout.splitlines()[0].endswith(
        "moodle-export.xml (Moodle XML): 4 questions would be added, 4 skipped."
    )
    assert "  would add an-repeat-purchase-rate (numeric, analytical)" in dry.stdout
    assert "line 119: skipped 'Your growth plan': essay questions" in dry.stdout
    assert bank_file.read_text() == before
    done = runner.invoke(main, ["import", str(DATA / "sample.gift"), "--area", "business"])
    assert done.exit_code == 0 and "7 questions added, 4 skipped." in done.stdout
    after = bank_file.read_text()
    assert after.startswith(before.split("questions:\n")[0])  # comments and settings intact
    assert "  - id: cl-fair-interviews\n    area: client\n    type: multiple\n" in after
    assert len(load(bank_file).questions) == len(load(bundled("questions.yaml")).questions) + 7


def test_cli_import_of_a_bad_file_names_it_and_changes_nothing(monkeypatch, bank_file, tmp_path):
    monkeypatch.setenv("QUIZ_QUESTIONS", str(bank_file))
    bad = tmp_path / "broken.gift"
    bad.write_text("::a::One{=x ~y}\n\n::b::Two{=x ~y\n")
    before = bank_file.read_text()
    result = CliRunner().invoke(main, ["import", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:3: '{{' without a matching '}}'" in result.output
    assert bank_file.read_text() == before


def test_cli_export(monkeypatch, bank_file, tmp_path):
    monkeypatch.setenv("QUIZ_QUESTIONS", str(bank_file))
    out = tmp_path / "bank.xml"
    result = CliRunner().invoke(main, ["export", "--format", "moodle-xml", "-o", str(out)])
    assert result.exit_code == 0 and "likert statements have no counterpart" in result.output
    assert out.read_text().startswith("<?xml version='1.0' encoding='UTF-8'?>\n<quiz>")
    gift = CliRunner().invoke(main, ["export", "--format", "gift"])
    assert "::te-lcp-good::" in gift.stdout


# --- in the browser ------------------------------------------------------------------------------


def test_upload_preview_confirm_and_download(app, client, bank_file):
    log_in(app, client)
    page = client.get("/instructor/import").data.decode()
    before = bank_file.read_text()
    preview = client.post(
        "/instructor/import",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_token(page),
            "area": "",
            "file": (io.BytesIO((DATA / "moodle-export.xml").read_bytes()), "moodle-export.xml"),
        },
    )
    html = preview.data.decode()
    assert preview.status_code == 200
    assert "moodle-export.xml (Moodle XML): 4 questions to add" in " ".join(html.split())
    assert "line 124: skipped &#39;Models&#39;" in html
    assert bank_file.read_text() == before  # a preview changes nothing
    fields = dict(
        re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
            html[html.index("/instructor/import/confirm") :],
        )
    )
    done = client.post("/instructor/import/confirm", data=fields)
    assert done.status_code == 303
    assert "an-repeat-purchase-rate" in bank_file.read_text()
    assert (
        "Imported 4 questions from moodle-export.xml"
        in client.get("/instructor/revisions").data.decode()
    )
    gift = client.get("/instructor/export.gift")
    assert gift.status_code == 200 and "::an-repeat-purchase-rate::" in gift.data.decode()
    xml = client.get("/instructor/export.xml")
    assert xml.mimetype == "application/xml" and b"<quiz>" in xml.data


def test_upload_of_a_bad_file_gives_its_line(app, client, bank_file):
    log_in(app, client)
    page = client.get("/instructor/import").data.decode()
    response = client.post(
        "/instructor/import",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_token(page),
            "file": (io.BytesIO(b"<quiz><question type='x'></quiz>"), "bad.xml"),
        },
    )
    assert response.status_code == 422
    assert "bad.xml, line 1: not well-formed XML" in response.data.decode()
