"""Faults: a killed server, read-only and full storage, a bank file that breaks while serving,
hostile YAML, and backups."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from quiz import create_app
from quiz.cli import main
from quiz.store import Store, integrity

from .helpers import Taker, csrf_token, items, log_in, right_values
from .test_cli import free_port, wait_for

HX = {"HX-Request": "true"}


def server_env(tmp_path: Path, bank_file: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("QUIZ_")},
        "QUIZ_DATABASE": str(tmp_path / "quiz.db"),
        "QUIZ_QUESTIONS": str(bank_file),
        "QUIZ_SECRET_KEY": "reliability-test-secret-key-of-32-bytes",
        "QUIZ_INSTANCE_PATH": str(tmp_path),
    }


def gunicorn(env: dict[str, str], port: int, **popen) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "quiz:create_app()",
        ],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **popen,
    )
    wait_for(f"http://127.0.0.1:{port}/healthz", 30)
    return server


def kill(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(10)


# --- a killed server -------------------------------------------------------------------


def take(base: str, acked: list, opened: list, stop: threading.Event) -> None:
    """A taker answering as fast as the server lets it; records every acknowledged answer."""
    session = requests.Session()
    try:
        token = re.search(r'"X-CSRFToken": "([^"]+)"', session.get(base + "/").text).group(1)
        start = session.post(base + "/start", data={"csrf_token": token}, allow_redirects=False)
        attempt = start.headers["Location"].split("/")[2]
        opened.append(attempt)
        page = session.get(f"{base}/a/{attempt}/q/1").text
        n = 1
        while not stop.is_set():
            values = re.findall(r'name="answer" value="(\d+)"', page)
            answer = values[-1] if values else "7"
            response = session.post(
                f"{base}/a/{attempt}/q/{n}",
                headers=HX,
                data={"csrf_token": token, "nav": "next", "answer": answer},
                timeout=10,
            )
            if response.status_code != 200:
                return
            acked.append((attempt, n, answer))
            page, n = response.text, n + 1
            if "Review and finish" in page and "Question" not in page:
                return
    except requests.RequestException:
        return  # the server died under us


def test_sigkill_under_load_loses_no_acknowledged_answer(tmp_path, bank_file):
    env = server_env(tmp_path, bank_file)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = gunicorn(env, port)
    acked: list = []
    opened: list = []
    stop = threading.Event()
    takers = [threading.Thread(target=take, args=(base, acked, opened, stop)) for _ in range(6)]
    for t in takers:
        t.start()
    deadline = time.monotonic() + 30
    while len(acked) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    kill(server)  # mid-load, no warning
    stop.set()
    for t in takers:
        t.join(15)
    assert len(acked) >= 60

    database = tmp_path / "quiz.db"
    assert integrity(database) == "ok"
    store = Store(database)
    try:
        for attempt, n, _ in acked:
            row = store.attempt(attempt)
            assert store.items(row["id"], n)[0]["answer"] is not None, (attempt, n)
        last, totals = {}, {}
        for attempt, n, _ in acked:
            last[attempt] = max(last.get(attempt, 0), n)
            totals[attempt] = store.attempt(attempt)["total"]
    finally:
        store.close()

    server = gunicorn(env, port)
    try:
        for attempt, n in last.items():
            resumed = requests.get(f"{base}/a/{attempt}", allow_redirects=False)
            assert resumed.status_code == 303
            location = resumed.headers["Location"]
            finish = totals[attempt] + 1  # the review-and-finish screen
            at = finish if location.endswith("/finish") else int(location.rsplit("/", 1)[1])
            # The screen after the last acknowledged answer; one further when the next
            # answer was saved but the kill cut off its acknowledgement.
            assert n + 1 <= at <= n + 2, (attempt, n, at)
        # (Only now open pages: showing a question records it as the current screen.)
        for attempt, n, value in acked[-6:]:
            page = requests.get(f"{base}/a/{attempt}/q/{n}").text
            if 'inputmode="decimal"' in page:  # a number, shown in its field
                assert f'value="{value}"' in page
            else:  # an option, shown ticked
                assert re.search(rf'value="{value}"\s*checked', page), (attempt, n, value)
    finally:
        kill(server)


# --- storage that cannot be written ---------------------------------------------------


@pytest.mark.full_bank
def test_a_full_database_gives_a_clear_error_and_keeps_what_was_saved(app, client):
    taker = Taker(client)
    taker.start()
    first = items(app, taker.token)[0]
    assert taker.post(1, right_values(first)).status_code == 303
    connection = app.extensions["quiz.connections"].store.db
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
    statuses = set()
    for n in range(2, 12):
        statuses.add(taker.post(n, right_values(items(app, taker.token)[n - 1])).status_code)
        if 503 in statuses:
            break
    response = client.post("/start", data={"csrf_token": taker.csrf})
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert "its storage is full. Everything saved before is safe" in response.data.decode()
    connection.execute("PRAGMA max_page_count = 1073741823")
    assert items(app, taker.token)[0]["answer"] is not None
    assert client.get("/healthz").status_code == 200


def read_only_server(data: Path, env: dict[str, str], port: int) -> subprocess.Popen:
    """`quiz serve` on a data folder it can read but not write.

    Root ignores file modes, so as root the folder is bind-mounted read-only in a
    mount namespace of the server's own (it vanishes with the server); otherwise the
    folder and files are made read-only.
    """
    serve = [sys.executable, "-m", "quiz.cli", "serve", "--port", str(port)]
    if os.geteuid() == 0:
        script = f'mount --bind "{data}" "{data}" && mount -o remount,bind,ro "{data}" && exec "$@"'
        command = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
            *serve,
        ]
    else:
        for path in data.iterdir():
            path.chmod(0o444)
        data.chmod(0o555)
        command = serve
    return subprocess.Popen(
        command,
        env=env,
        start_new_session=True,
        cwd="/",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_read_only_database_serves_pages_and_refuses_writes_clearly(tmp_path, bank_file):
    data = tmp_path / "data"
    data.mkdir()
    env = {**server_env(tmp_path, bank_file), "QUIZ_DATABASE": str(data / "quiz.db")}
    app = create_app(
        {"DATABASE": env["QUIZ_DATABASE"], "QUESTIONS": str(bank_file), "SECRET_KEY": "reliability"}
    )
    taker = Taker(app.test_client())
    taker.start()
    del app
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = read_only_server(data, env, port)
    try:
        assert b"Start the assessment" in wait_for(base + "/", 30)  # it started and reads
        session = requests.Session()
        token = csrf_token(session.get(base + "/").text)
        response = session.post(base + "/start", data={"csrf_token": token})
        assert response.status_code == 503
        assert "its storage is read-only. Everything saved before is safe" in response.text
        assert session.get(f"{base}/a/{taker.token}/q/1").status_code == 200
        assert server.poll() is None  # still serving: no crash, no restart loop
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
        data.chmod(0o755)
        for path in data.iterdir():
            path.chmod(0o644)


# --- the bank file breaks while serving --------------------------------------------------


@pytest.mark.full_bank
@pytest.mark.parametrize("damage", ["delete", "break"])
def test_a_deleted_or_broken_bank_keeps_the_last_good_one_serving(app, client, bank_file, damage):
    assert client.get("/").status_code == 200
    if damage == "delete":
        bank_file.unlink()
    else:
        bank_file.write_text("questions: [\n")
    taker = Taker(client)
    taker.start()
    assert "Question 1 of 56" in taker.page(1)
    assert app.extensions["quiz.bank"].error is not None


# --- hostile YAML ---------------------------------------------------------------------------


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
    for i in range(9)
)
DEEP = "questions: " + "[" * 50_000 + "]" * 50_000 + "\n"


@pytest.mark.parametrize(
    "text, message",
    [
        (BOMB, "anchors and aliases (&a, *name) are not allowed"),
        (DEEP, "nested more than 20 levels deep"),
    ],
)
def test_hostile_yaml_is_refused_quickly_by_validate(tmp_path, text, message):
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert time.perf_counter() - started < 2
    assert result.exit_code == 1 and message in result.output
    assert result.output.startswith(f"{path}:1: ")


@pytest.mark.parametrize("text, message", [(BOMB, "anchors and aliases"), (DEEP, "nested more")])
def test_hostile_yaml_is_refused_quickly_by_the_raw_editor(app, client, bank_file, text, message):
    log_in(app, client)
    page = client.get("/instructor/raw").data.decode()
    base = re.search(r'name="base" value="([^"]+)"', page).group(1)
    before = bank_file.read_text()
    started = time.perf_counter()
    response = client.post(
        "/instructor/raw", data={"csrf_token": csrf_token(page), "base": base, "text": text}
    )
    assert time.perf_counter() - started < 2
    assert response.status_code == 422 and message in response.data.decode()
    assert bank_file.read_text() == before


# --- backups --------------------------------------------------------------------------------


def test_backup_while_serving_and_restore(tmp_path, bank_file, monkeypatch):
    env = server_env(tmp_path, bank_file)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = gunicorn(env, port)
    acked: list = []
    stop = threading.Event()
    takers = [threading.Thread(target=take, args=(base, acked, [], stop)) for _ in range(3)]
    for t in takers:
        t.start()
    while len(acked) < 20:
        time.sleep(0.05)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    backup = tmp_path / "backup.db"
    result = CliRunner().invoke(main, ["backup", str(backup)])
    stop.set()
    for t in takers:
        t.join(15)
    kill(server)
    assert result.exit_code == 0, result.output
    assert integrity(backup) == "ok"
    copy = sqlite3.connect(backup)
    saved = copy.execute("SELECT count(*) FROM responses").fetchone()[0]
    copy.close()
    assert saved >= 20
    assert saved <= Store(tmp_path / "quiz.db").count_answers()

    # Restore into a fresh place, as after losing the disk.
    fresh = tmp_path / "restored"
    fresh.mkdir()
    monkeypatch.setenv("QUIZ_DATABASE", str(fresh / "quiz.db"))
    result = CliRunner().invoke(main, ["restore", str(backup)])
    assert result.exit_code == 0 and "Restored" in result.output
    app = create_app(
        {
            "DATABASE": str(fresh / "quiz.db"),
            "QUESTIONS": str(bank_file),
            "SECRET_KEY": "reliability",
        }
    )
    attempt = acked[0][0]
    assert app.test_client().get(f"/a/{attempt}/q/1").status_code == 200
    assert Store(fresh / "quiz.db").count_answers() == saved


def test_restore_refuses_a_damaged_backup(tmp_path, monkeypatch):
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    monkeypatch.setenv("QUIZ_DATABASE", str(tmp_path / "quiz.db"))
    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["restore", str(damaged)])
    assert result.exit_code == 1
    assert not (tmp_path / "quiz.db").exists() or integrity(tmp_path / "quiz.db") == "ok"
    shutil.rmtree(tmp_path, ignore_errors=True)
