"""What real quiz files do on import and export (issue 14): numbers in any locale, several
right numbers, images said, HTML meaning kept, ids that always work, exact numbers out,
files without areas, format markers in options."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from click.testing import CliRunner

from quiz.bank import load, question_from_body
from quiz.cli import main
from quiz.moodle import convert, file_number, parse_gift, parse_xml, read, to_bank, to_gift, to_xml
from quiz.scoring import score
from quiz.text import markdown

from .helpers import SMALL_BANK, csrf_token, log_in

BANK = load(SMALL_BANK)


def xml_quiz(*questions: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>\n"


def xml_numeric(name: str, answers: str, units: str = "") -> str:
    return (
        f'<question type="numerical"><name><text>{name}</text></name>'
        '<questiontext format="html"><text>How many?</text></questiontext>'
        f"{answers}{units}</question>"
    )


def xml_answer(text: str, fraction: str = "100", tolerance: str = "0") -> str:
    return (
        f'<answer fraction="{fraction}"><text>{text}</text><tolerance>{tolerance}</tolerance>'
        "</answer>"
    )


def xml_choice(name: str, answers: list[tuple[str, str]], single: bool = True) -> str:
    options = "".join(
        f'<answer fraction="{f}" format="html"><text><![CDATA[{t}]]></text></answer>'
        for t, f in answers
    )
    return (
        f'<question type="multichoice"><name><text>{name}</text></name>'
        '<questiontext format="html"><text>Which?</text></questiontext>'
        f"<single>{'true' if single else 'false'}</single>{options}</question>"
    )


def upload(client, page: str, data: bytes, filename: str, area: str = ""):
    """Post a file to the import preview, as the page's form does."""
    return client.post(
        "/instructor/import",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(page), "area": area, "file": (io.BytesIO(data), filename)},
    )


def imported(text: str, area: str = "analytical"):
    fmt, found, skipped = read(text.encode())
    return found, skipped, to_bank(found, BANK, area)


# --- 1. no crash on any imported number ---------------------------------------------------


def test_decimal_commas_in_fractions_multipliers_and_tolerances_are_read():
    text = xml_quiz(
        xml_choice("Two halves", [("A", "50,0"), ("B", "50,0"), ("C", "0,0")], single=False),
        xml_numeric(
            "Comma tolerance",
            xml_answer("3,5", "100,0", "0,5"),
            "<units><unit><multiplier>1,0</multiplier><unit_name>kg</unit_name></unit></units>",
        ),
    )
    found, skipped, converted = imported(text)
    assert skipped == [] and converted.skipped == []
    multiple, number = converted.made
    assert [bool(o.get("correct")) for o in multiple["options"]] == [True, True, False]
    assert (number["answer"], number["tolerance"], number["unit"]) == (3.5, 0.5, "kg")


@pytest.mark.parametrize(
    "answers, field",
    [
        (xml_answer("12", "100", "abc"), "tolerance 'abc'"),
        (xml_answer("twelve"), "answer 'twelve'"),
        (xml_answer("12", "full"), "fraction 'full'"),
    ],
)
def test_an_unreadable_number_skips_only_its_question_and_names_the_field(answers, field):
    text = xml_quiz(xml_numeric("Broken", answers), xml_numeric("Fine", xml_answer("7")))
    found, skipped = parse_xml(text)
    assert [q.name for q in found] == ["Fine"]
    [why] = skipped
    assert why.name == "Broken" and why.line == 3 and field in why.reason


def test_the_cli_dry_run_and_the_web_preview_survive_a_comma_fraction(
    app, client, monkeypatch, bank_file, tmp_path
):
    path = tmp_path / "comma.xml"
    path.write_text(
        xml_quiz(xml_choice("Halves", [("A", "50,0"), ("B", "50,0"), ("C", "0")], False))
    )
    monkeypatch.setenv("QUIZ_QUESTIONS", str(bank_file))
    result = CliRunner().invoke(main, ["import", str(path), "--dry-run", "--area", "technical"])
    assert result.exit_code == 0 and "1 question would be added" in result.output
    log_in(app, client)
    page = client.get("/instructor/import").data.decode()
    preview = upload(client, page, path.read_bytes(), "comma.xml", "technical")
    assert preview.status_code == 200 and "1 question to add" in " ".join(
        preview.data.decode().split()
    )


@pytest.mark.parametrize(
    "text, value",
    [
        ("50", 50.0),
        ("-33,333", -33.333),
        ("1e3", 1000.0),
        (" 0,5 ", 0.5),
        (",5", 0.5),
        ("\u22122", -2.0),
    ],
)
def test_the_file_number_reader(text, value):
    assert file_number(text, "fraction") == value


# --- 2. nothing dropped in silence --------------------------------------------------------


def test_a_number_with_two_full_mark_answers_keeps_both_and_scores_both():
    found, skipped = parse_gift("::Root::Give a square root of 16.{#=4 =-4}")
    converted = to_bank(found, BANK, "analytical")
    [data] = converted.made
    assert (data["answer"], data["alternatives"]) == (4, [{"answer": -4, "tolerance": 0}])
    q = question_from_body(data)
    assert score(q, "4") == score(q, "-4") == 1.0 and score(q, "16") == 0.0
    xml = xml_numeric("Root", xml_answer("4") + xml_answer("-4") + xml_answer("*", "0"))
    [xml_data] = imported(xml_quiz(xml))[2].made
    assert xml_data["alternatives"] == [{"answer": -4, "tolerance": 0}]


def test_several_answers_each_keep_their_own_tolerance_through_export_and_import():
    text = SMALL_BANK.read_text().replace(
        "    answer: 45\n",
        "    answer: 45\n    alternatives:\n      - {answer: 90, tolerance: 2}\n",
    )
    from quiz.bank import parse

    bank = parse(text)
    for writer in (to_gift, to_xml):
        exported, _ = writer(bank)
        found = [q for q in read(exported.encode())[1] if q.name == "an-aov"]
        [data] = to_bank(found, BANK, "analytical").made
        assert data["alternatives"] == [{"answer": 90, "tolerance": 2}], writer.__name__


def test_part_marks_for_numbers_and_negative_choice_marks_are_said():
    partial = xml_numeric("Close", xml_answer("10") + xml_answer("11", "50"))
    penalised = xml_choice("Penalty", [("A", "100"), ("B", "-50"), ("C", "-50")])
    uneven = xml_choice("Uneven", [("A", "50"), ("B", "50"), ("C", "-100"), ("D", "0")], False)
    converted = imported(xml_quiz(partial, penalised, uneven))[2]
    said = {n.qid: n.message for n in converted.notes}
    assert "part-mark answers 11 (50%) are left out" in said["an-close"]
    assert "a wrong answer scores 0 here" in said["an-penalty"]
    assert "each wrong tick costs 1/2 of the mark here" in said["an-uneven"]
    assert "-100%, 0%" in said["an-uneven"]


def test_images_are_named_per_question_and_image_options_skip_with_one_reason():
    prompt = (
        '<question type="multichoice"><name><text>Chart</text></name>'
        '<questiontext format="html"><text><![CDATA[<p>Read the chart: '
        '<img src="@@PLUGINFILE@@/funnel.png" alt="Funnel chart"></p>]]></text></questiontext>'
        '<answer fraction="100"><text>Yes</text></answer><answer fraction="0"><text>No</text>'
        "</answer></question>"
    )
    options = xml_choice(
        "Pictures", [('<img src="@@PLUGINFILE@@/a.png">', "100"), ('<img src="b.png">', "0")]
    )
    converted = imported(xml_quiz(prompt, options))[2]
    [made] = converted.made
    assert "[image: Funnel chart]" in made["prompt"]
    [note] = converted.notes
    assert note.qid == made["id"] and "left out image 'Funnel chart'" in note.message
    [skip] = converted.skipped
    assert skip.reason == "option 1 is only an image or empty, and images are not imported"
    gift = to_bank(parse_gift("::G::[markdown]See ![map](m.png){=a ~b}")[0], BANK, "business")
    assert "left out image 'map'" in gift.notes[0].message


# --- 3. meaning kept when converting ------------------------------------------------------


@pytest.mark.parametrize(
    "html, text",
    [
        ("2<sup>10</sup> bytes", "2¹⁰ bytes"),
        ("10<sup>-3</sup> s", "10⁻³ s"),
        ("CO<sub>2</sub>", "CO₂"),
        ("the 2<sup>nd</sup> step", "the 2nd step"),
        ("e<sup>x</sup>", "e^(x)"),
        ("<style>p { color: red }</style><p>Shown</p><script>alert(1)</script>", "Shown"),
        ("one<br>two", "one\ntwo"),
    ],
)
def test_html_meaning_is_kept(html, text):
    assert convert(html, "html")[0] == text


def test_tables_and_code_blocks_survive_import_and_display():
    table = (
        "<table><tr><th>Month</th><th>Orders</th></tr><tr><td>May</td><td>1,200</td></tr></table>"
    )
    text = convert(table, "html")[0]
    assert text == "| Month | Orders |\n| --- | --- |\n| May | 1,200 |"
    assert "<th>Month</th>" in markdown(text) and "<td>1,200</td>" in markdown(text)
    code = convert("<pre>SELECT *\n  FROM orders;</pre>", "html")[0]
    assert "<pre><code>SELECT *\n  FROM orders;\n</code></pre>" in markdown(code)


def test_plain_text_is_shown_as_typed_and_gift_line_breaks_survive():
    [q], _ = parse_gift("::P::[plain]Is 2*3*4 = 24? Call it _x_.\\nSecond line{T}")
    html = markdown(q.prompt)
    assert "2*3*4 = 24? Call it _x_.<br>" in html and "Second line" in html
    assert "<em>" not in html


# --- 4. ids that always work ----------------------------------------------------------------


def test_ids_from_any_title_are_valid_readable_and_unique():
    titles = ["Вопрос о доставке", "配送の質問", "x" * 300, "!!!", "Same", "Same", "Same"]
    gift = "\n\n".join(f"::{t}::Which?{{=a ~b}}" for t in titles)
    converted = to_bank(parse_gift(gift)[0], BANK, "business")
    ids = [q["id"] for q in converted.made]
    assert converted.skipped == [] and len(ids) == len(set(ids)) == len(titles)
    assert ids[0] == "bu-vopros-o-dostavke" and ids[3] == "bu-question"
    assert ids[4:] == ["bu-same", "bu-same-2", "bu-same-3"]
    assert all(len(i) <= 64 and i.startswith("bu-") for i in ids)


def test_a_title_that_already_starts_with_the_prefix_is_not_doubled():
    [data] = to_bank(parse_gift("::bu-pricing::Which?{=a ~b}")[0], BANK, "business").made
    assert data["id"] == "bu-pricing"


# --- 5. exact numbers out -------------------------------------------------------------------


@pytest.mark.parametrize("answer", [12345678901.5, 0.0000001, 98765432109876.5, 2.675, -0.5])
def test_numbers_leave_exactly_as_the_bank_holds_them(answer):
    text = SMALL_BANK.read_text().replace("    answer: 45\n", f"    answer: {answer!r}\n")
    from quiz.bank import parse

    bank = parse(text)
    for writer in (to_gift, to_xml):
        exported, _ = writer(bank)
        assert "e+" not in exported.split("an-aov")[1][:2000]
        found = [q for q in read(exported.encode())[1] if q.name == "an-aov"]
        [data] = to_bank(found, BANK, "analytical").made
        q = question_from_body(data)
        assert q.answer == answer and q.accepts(Decimal(repr(answer))), writer.__name__


# --- 9. imports without an area ---------------------------------------------------------------


def test_the_cli_says_in_one_sentence_how_to_choose_an_area(monkeypatch, bank_file, tmp_path):
    path = tmp_path / "sample.gift"
    path.write_text("::A::One?{=a ~b}\n\n::B::Two?{=a ~b}\n")
    monkeypatch.setenv("QUIZ_QUESTIONS", str(bank_file))
    result = CliRunner().invoke(main, ["import", str(path), "--dry-run"])
    assert "0 questions would be added, 2 skipped." in result.output
    assert (
        "2 questions name no area in their category; the areas are technical, business, "
        "analytical, client: run again with --area AREA to put them in one." in result.output
    )
    assert "skipped 'A'" not in result.output  # one sentence, not a line each


def test_a_category_names_its_area_anywhere_in_its_path():
    gift = "$CATEGORY: $course$/top/Technical/Payments\n\n::A::One?{=a ~b}\n"
    [data] = to_bank(parse_gift(gift)[0], BANK).made
    assert data["area"] == "technical"


def test_the_web_preview_asks_for_the_area_and_keeps_the_file(app, client, bank_file):
    log_in(app, client)
    page = client.get("/instructor/import").data.decode()
    preview = upload(client, page, b"::A::One?{=a ~b}\n", "one.gift").data.decode()
    assert "1 question names no area in its category. Which area should it go to?" in " ".join(
        preview.split()
    )
    start = preview.index('class="editor ask-area"')
    form = preview[start : preview.index("</form>", start)]
    payload = form.split('name="payload" value="')[1].split('"')[0]
    again = client.post(
        "/instructor/import",
        data={
            "csrf_token": csrf_token(page),
            "payload": payload,
            "filename": "one.gift",
            "area": "client",
        },
    ).data.decode()
    assert "1 question to add" in " ".join(again.split()) and "cl-a" in again


# --- 10. a format marker at the start of an option ----------------------------------------------


def test_an_option_that_starts_with_a_format_marker_survives_a_gift_round_trip():
    text = SMALL_BANK.read_text().replace(
        "      - text: 1.0 second\n", "      - text: '[html] is a tag'\n"
    )
    from quiz.bank import parse

    bank = parse(text)
    exported, _ = to_gift(bank)
    options = [o[0] for q in parse_gift(exported)[0] for o in q.options]
    assert "[html] is a tag" in options


# --- 6. big files behave ------------------------------------------------------------------------


def with_media(megabytes: float) -> bytes:
    """A Moodle XML question whose size comes from one embedded image, as Moodle exports."""
    blob = "A" * int(megabytes * 1024 * 1024)
    return xml_quiz(
        '<question type="multichoice"><name><text>Chart</text></name>'
        '<questiontext format="html"><text><![CDATA[<p>Read it: <img src="@@PLUGINFILE@@/c.png"'
        f' alt="Sales chart"></p>]]></text><file name="c.png" encoding="base64">{blob}</file>'
        '</questiontext><answer fraction="100"><text>Up</text></answer>'
        '<answer fraction="0"><text>Down</text></answer></question>'
    ).encode()


def test_a_large_file_whose_size_is_one_embedded_image_imports_with_a_note():
    found, skipped, converted = imported(with_media(12).decode(), "analytical")
    assert skipped == [] and [q.name for q in found] == ["Chart"]
    assert "left out image 'Sales chart'" in converted.notes[0].message


def test_reading_a_large_file_keeps_memory_near_its_size(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "big.xml"
    path.write_bytes(with_media(12))
    script = (
        "import resource, sys\n"
        "from quiz.moodle import read\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "fmt, found, skipped = read(data)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(len(found), (after - before) // 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    count, grown_mb = (int(v) for v in out.stdout.split())
    # the text decoded and encoded once more, and the one question: not several copies
    assert count == 1 and grown_mb < 80, out.stdout


def test_entities_stay_unexpanded_in_a_big_tree():
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
        "<quiz>" + xml_numeric("&d;", xml_answer("1")) + "</quiz>"
    )
    [q], _ = parse_xml(laughs)
    assert len(q.name) < 100


def test_an_over_size_file_is_refused_alike_by_the_cli_and_the_page(
    app, client, monkeypatch, bank_file, tmp_path
):
    path = tmp_path / "huge.xml"
    path.write_bytes(with_media(17))
    monkeypatch.setenv("QUIZ_QUESTIONS", str(bank_file))
    result = CliRunner().invoke(main, ["import", str(path), "--dry-run"])
    assert result.exit_code == 1
    assert "the file is larger than 16 MB, the most an import reads: split it" in result.output
    log_in(app, client)
    page = client.get("/instructor/import").data.decode()
    assert "GIFT or Moodle XML, up to 16 MB" in page
    refused = upload(client, page, path.read_bytes(), "huge.xml")
    assert refused.status_code == 422
    assert "the file is larger than 16 MB, the most an import reads" in refused.data.decode()
    far_too_big = upload(client, page, with_media(30), "x.xml")
    assert far_too_big.status_code == 413
    assert "an import reads files up to 16 MB" in far_too_big.data.decode()


def test_a_file_near_the_limit_can_be_previewed_and_confirmed(app, client, bank_file):
    log_in(app, client)
    page = client.get("/instructor/import").data.decode()
    preview = upload(client, page, with_media(15), "big.xml", "technical")
    html = preview.data.decode()
    assert preview.status_code == 200 and "1 question to add" in " ".join(html.split())
    start = html.index("/instructor/import/confirm")
    payload = html[start:].split('name="payload" value="')[1].split('"')[0]
    done = client.post(
        "/instructor/import/confirm",
        data={
            "csrf_token": csrf_token(page),
            "base": html[start:].split('name="base" value="')[1].split('"')[0],
            "payload": payload,
            "area": "technical",
            "filename": "big.xml",
        },
    )
    assert done.status_code == 303 and "te-chart" in bank_file.read_text()


def test_gift_numbers_with_a_decimal_comma_and_a_bad_tolerance_named():
    [q], _ = parse_gift("::C::How much?{#3,5:0,5}")
    assert (q.answer, q.tolerance) == (3.5, 0.5)
    found, skipped = parse_gift("::D::How much?{#3:abc}")
    assert found == [] and skipped[0].reason == "its tolerance 'abc' is not a number"


def test_numbered_and_bulleted_lists_survive():
    text = convert(
        "<p>Steps:</p><ol><li>Check</li><li>Fix</li></ol><ul><li>Note</li></ul>", "html"
    )[0]
    assert text == "Steps:\n\n1. Check\n2. Fix\n\n- Note"
    html = markdown(text)
    assert "<ol>\n<li>Check</li>\n<li>Fix</li>\n</ol>" in html and "<ul>\n<li>Note</li>" in html


def test_odd_html_never_crashes_and_cells_and_code_keep_their_text():
    assert convert("What <![foo[ x", "html")[0] == "What <![foo[ x"  # Python's parser asserted
    [made] = imported(
        xml_quiz(
            '<question type="truefalse"><name><text>Marked</text></name><questiontext '
            'format="html"><text>&lt;![if x]&gt; odd</text></questiontext>'
            '<answer fraction="100"><text>true</text></answer><answer fraction="0">'
            "<text>false</text></answer></question>"
        )
    )[2].made
    assert "odd" in made["prompt"]
    table = convert("<table><tr><td>Jan</td><td>10 | 5</td></tr></table>", "html")[0]
    assert "<th>10 | 5</th>" in markdown(table)
    code = convert("Use <code>a_b</code> and x_y", "html")[0]
    assert "<code>a_b</code> and x_y" in markdown(code)


def test_an_import_that_would_overflow_the_bank_is_refused_alike_by_dry_run_and_import(
    monkeypatch, bank_file, tmp_path
):
    path = tmp_path / "many.gift"
    path.write_text(
        "\n\n".join(f"::Q{n}::{'Which one is right here? ' * 20}{{=a ~b}}" for n in range(4000))
    )
    monkeypatch.setenv("QUIZ_QUESTIONS", str(bank_file))
    before = bank_file.read_text()
    for args in (["--dry-run"], []):
        result = CliRunner().invoke(main, ["import", str(path), "--area", "client", *args])
        assert result.exit_code == 1, args
        assert "these 4000 questions would make the bank about" in result.output
        assert "over the 2 MB a bank file may be" in result.output
    assert bank_file.read_text() == before


def test_a_confirmation_carries_any_file_under_the_limit(app, client, bank_file):
    """URL-safe base64: a file of multi-byte text (whose base64 has many + and /) under 16 MB
    is confirmed, not answered 413."""
    blob = "電子商務の質問" * (15 * 1024 * 1024 // 21)
    data = xml_quiz(
        '<question type="multichoice"><name><text>Wide</text></name>'
        f'<questiontext format="html"><text>Which?</text><file name="n.txt">{blob}</file>'
        '</questiontext><answer fraction="100"><text>a</text></answer>'
        '<answer fraction="0"><text>b</text></answer></question>'
    ).encode()
    assert 15 * 1024 * 1024 < len(data) < 16 * 1024 * 1024
    log_in(app, client)
    page = client.get("/instructor/import").data.decode()
    html = upload(client, page, data, "w.xml", "client").data.decode()
    start = html.index("/instructor/import/confirm")
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html[start:]))
    done = client.post("/instructor/import/confirm", data=fields)
    assert done.status_code == 303 and "cl-wide" in bank_file.read_text()
