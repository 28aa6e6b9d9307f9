"""The test blueprint (quiz.blueprint) and `quiz blueprint`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from quiz import blueprint, bundled
from quiz.bank import load, parse
from quiz.cli import main

from .helpers import SMALL_BANK

BLUEPRINT = """
blueprint:
  - {id: site-speed, duty: Creating and maintaining the site, name: Speed}
  - {id: security, duty: Creating and maintaining the site, name: Security}
  - {id: budget, duty: Supervising the department, name: Budget}
"""


def tagged_bank_text() -> str:
    text = SMALL_BANK.read_text().replace("\nquestions:\n", "\n" + BLUEPRINT + "\nquestions:\n")
    text = text.replace("  - id: te-lcp-good\n", "  - id: te-lcp-good\n    topics: [site-speed]\n")
    return text.replace(
        "  - id: te-pci-never-store\n",
        "  - id: te-pci-never-store\n    topics: [security, site-speed]\n",
    )


def test_each_topic_lists_its_scored_questions_in_bank_order():
    bank = parse(tagged_bank_text())
    found = blueprint.questions_by_topic(bank)
    assert [q.id for q in found["site-speed"]] == ["te-lcp-good", "te-pci-never-store"]
    assert [q.id for q in found["security"]] == ["te-pci-never-store"]
    assert found["budget"] == []


def test_the_table_names_each_duty_once_and_marks_a_topic_without_questions():
    lines = blueprint.table(parse(tagged_bank_text())).splitlines()
    assert lines[0] == (
        "| Duty | Topic | Technical | Business | Analytical | Client-facing | Questions |"
    )
    assert lines[2] == (
        "| Creating and maintaining the site | Speed | 2 | 0 | 0 | 0 | "
        "`te-lcp-good`, `te-pci-never-store` |"
    )
    assert lines[3].startswith("|  | Security | 1 |")
    assert lines[4] == "| Supervising the department | Budget | 0 | 0 | 0 | 0 | **none** |"


def test_topics_leave_the_question_version_unchanged():
    plain_bank = parse(SMALL_BANK.read_text())
    tagged = parse(tagged_bank_text())
    assert tagged.versions["te-lcp-good"] == plain_bank.versions["te-lcp-good"]


def test_the_command_prints_the_table_or_says_there_is_none(tmp_path):
    path = tmp_path / "questions.yaml"
    path.write_text(tagged_bank_text())
    result = CliRunner().invoke(main, ["blueprint", str(path)])
    assert result.exit_code == 0 and "| Supervising the department | Budget |" in result.output
    result = CliRunner().invoke(main, ["blueprint", str(SMALL_BANK)])
    assert result.exit_code == 1 and "the bank has no blueprint" in result.output


def test_the_guide_shows_the_bundled_bank_s_blueprint_as_it_is():
    guide = (Path(__file__).parent.parent / "docs" / "question-bank.md").read_text()
    bank = load(bundled("questions.yaml"))
    assert blueprint.table(bank) in guide, "paste the output of `quiz blueprint` into the guide"
