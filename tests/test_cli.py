"""The quiz command."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

from click.testing import CliRunner

from quiz import bundled
from quiz.cli import main
from quiz.store import SCHEMA_VERSION


def test_validate_prints_a_summary_and_exits_0():
    result = CliRunner().invoke(main, ["validate", str(bundled("questions.yaml"))])
    assert result.exit_code == 0
    assert re.search(
        r"questions.yaml: \d+ questions \(technical \d+, business \d+, "
        r"analytical \d+, client \d+; single \d+, multiple \d+, numeric \d+, "
        r"likert \d+\)$",
        result.output.strip(),
    )


def test_strict_validation_passes_on_the_bundled_bank_and_prints_the_counts():
    result = CliRunner().invoke(main, ["validate", "--strict", str(bundled("questions.yaml"))])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[1].split() == [
        "area",
        "single",
        "judgement",
        "multiple",
        "numeric",
        "easy",
        "medium",
        "hard",
        "scored",
        "unscored",
    ]
    assert [line.split()[0] for line in lines[2:7]] == [
        "technical",
        "business",
        "analytical",
        "client",
        "all",
    ]
    for line in lines[2:6]:
        assert int(line.split()[8]) >= 36  # pools of 36 scored questions per area
    # then what test-wise guessing earns: the length strategies within 10 points of chance
    assert lines[7] == "What always picking by length earns, against chance:"
    for line in lines[8:]:
        if "always longest" in line:
            longest, second, chance = (int(n) for n in re.findall(r"(\d+)%", line))
            assert max(longest, second) - chance <= 10, line


def test_validate_defaults_to_quiz_questions(monkeypatch, bank_file):
    monkeypatch.setenv("QUIZ_QUESTIONS", str(bank_file))
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0 and str(bank_file) in result.output


def test_validate_lists_every_problem_and_exits_1(bank_file):
    text = bank_file.read_text()
    text = text.replace("    answer: 43.2\n", "").replace(
        "  shuffle_options: true", "  shufle: true"
    )
    bank_file.write_text(text)
    result = CliRunner().invoke(main, ["validate", str(bank_file)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"{bank_file}:") and "unknown key 'settings.shufle'" in lines[0]
    assert "question 'an-uptime-999': numeric question needs 'answer'" in lines[1]
    assert lines[2] == "2 problems found."


def test_init_db_creates_and_reports_the_schema(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("QUIZ_DATABASE", raising=False)
    result = CliRunner().invoke(main, ["init-db"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"{tmp_path / 'quiz.db'}: schema version {SCHEMA_VERSION}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 20) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_listens_on_the_given_host_and_port(tmp_path):
    port = free_port()
    env = {**os.environ, "QUIZ_INSTANCE_PATH": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "quiz.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz") == b"ok\n"
        assert b"Start the assessment" in wait_for(f"http://127.0.0.1:{port}/")
    finally:
        server.terminate()
        server.wait(10)


def test_seed_demo_makes_strong_and_weak_takers(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("QUIZ_DATABASE", raising=False)
    result = CliRunner().invoke(main, ["seed-demo", "--attempts", "300"])
    assert result.exit_code == 0 and "Added 300 finished attempts" in result.stdout
    from quiz.store import Store

    store = Store(tmp_path / "quiz.db")
    try:
        scores = [r[0] for r in store.db.execute("SELECT overall FROM attempts")]
        verdicts = {r[0] for r in store.db.execute("SELECT DISTINCT verdict FROM attempts")}
        sums = store.item_sums()
    finally:
        store.close()
    assert len(scores) == 300 and min(scores) < 0.35 and max(scores) > 0.8
    assert len(verdicts) >= 4
    from quiz.stats import ItemSums, item_stats

    discriminations = [
        item_stats(
            ItemSums(
                *(r[k] for k in ("n", "max_mark", "sum_x", "sum_x2", "sum_t", "sum_t2", "sum_xt"))
            )
        ).discrimination
        for r in sums
    ]
    assert sum(d > 20 for d in discriminations if d is not None) > len(sums) * 0.8


def test_calibrate_estimates_parameters_from_finished_attempts(tmp_path, monkeypatch):
    import statistics

    from quiz.bank import load
    from quiz.demo import _traits
    from quiz.store import Store

    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("QUIZ_DATABASE", raising=False)
    runner = CliRunner()
    empty = runner.invoke(main, ["calibrate"])
    assert empty.exit_code == 0 and "No finished assessments yet" in empty.stdout
    scored = sum(q.scored for q in load(bundled("questions.yaml")).questions)
    assert runner.invoke(main, ["seed-demo", "--attempts", "600"]).exit_code == 0
    thin = runner.invoke(main, ["calibrate", "--min-responses", "1000"])
    assert f"Calibrated 0 of {scored} question versions" in thin.stdout
    assert thin.stdout.count("provisional: too few answers") == scored
    # each attempt draws a third of every pool: about 200 answers per version
    done = runner.invoke(main, ["calibrate", "--min-responses", "120"])
    assert (
        done.exit_code == 0 and f"Calibrated {scored} of {scored} question versions" in done.stdout
    )
    store = Store(tmp_path / "quiz.db")
    try:
        fitted = store.item_parameters()
        bank = load(bundled("questions.yaml"))
        truth = _traits(bank)
        pairs = [
            (truth[q.id][0], fitted[bank.versions[q.id][0]]["b"])
            for q in bank.questions
            if q.scored
        ]
    finally:
        store.close()
    assert len(fitted) == scored
    # The demo's takers answer by a known difficulty per question: calibration finds it.
    assert statistics.correlation(*zip(*pairs, strict=True)) > 0.8
