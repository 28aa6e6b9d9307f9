"""Starting on a read-only data folder after a clean stop (no -wal or -shm files left).

The app is set up and used on a writable folder, stopped cleanly (its last connection
closed, so SQLite folds the WAL back into the file and deletes the journals), then
started again in a child process that sees the folder read-only: as root, the folder
bind-mounted read-only in a mount namespace of the child's own (root ignores file
modes); otherwise the folder and its files lose their write bits.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from quiz import create_app
from quiz.accounts import MAX_FAILURES, hash_password
from quiz.store import SCHEMA_VERSION, Store

from .helpers import Taker, answer_all, log_in

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"

# What the child does on the read-only folder: start the app, then read and try to write.
CHILD = r"""
import json, sys
from quiz import create_app
from tests.helpers import csrf_token

given = json.loads(sys.argv[1])
try:
    app = create_app(given["config"])
except Exception as exc:
    print(json.dumps({"start": f"{type(exc).__name__}: {exc}"}))
    sys.exit()
seen = {"start": "ok"}
taker = app.test_client()
taker.set_cookie("session", given["cookie"])
token = given["token"]
me = taker.get("/me/")
seen["me"] = me.status_code
seen["me lists the attempt"] = f"/a/{token}/result" in me.text
seen["result"] = taker.get(f"/a/{token}/result").status_code
csrf = csrf_token(taker.get("/").data)
start = taker.post("/start", data={"csrf_token": csrf})
seen["start attempt"] = [start.status_code, start.headers.get("Retry-After"), start.text]

instructor = app.test_client()
login = instructor.get("/instructor/login")
seen["login page"] = login.status_code
csrf = csrf_token(login.data)
form = {"csrf_token": csrf, "username": "ann", "password": given["password"]}
seen["log in"] = instructor.post("/instructor/login", data=form).status_code
seen["dashboard"] = instructor.get("/instructor/").status_code

intruder = app.test_client()
csrf = csrf_token(intruder.get("/instructor/login").data)
wrong = {**form, "csrf_token": csrf, "password": "wrong"}
seen["wrong passwords"] = [
    intruder.post("/instructor/login", data=wrong).status_code for _ in range(given["tries"])
]
seen["then the right one"] = intruder.post(
    "/instructor/login", data={**form, "csrf_token": csrf}
).status_code
print(json.dumps(seen))
"""


def run_on_read_only_folder(folder: Path, given: dict) -> dict:
    """CHILD run with ``folder`` read-only; what it saw."""
    child = [sys.executable, "-c", CHILD, json.dumps(given)]
    command = child
    if os.geteuid() == 0:
        script = f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}"'
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c"]
        command += [script + ' && exec "$@"', "sh", *child]
    else:
        for path in folder.iterdir():
            path.chmod(0o444)
        folder.chmod(0o555)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=120, check=True, cwd=ROOT
        )
    finally:
        folder.chmod(0o755)
        for path in folder.iterdir():
            path.chmod(0o600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def used_then_stopped_cleanly(data: Path, bank_file: Path, *, record_bank: bool = True) -> dict:
    """An app on ``data`` with a finished attempt and an instructor, stopped cleanly;
    what the child needs to carry on as the same taker and instructor. With
    ``record_bank`` false neither an instructor page nor My results was seen, so the
    bank file is not yet in the history of revisions and the taker has no private link."""
    config = {
        "DATABASE": str(data / "quiz.db"),
        "QUESTIONS": str(bank_file),
        "SECRET_KEY": "read-only-test-secret",
        "BANK_CHECK_SECONDS": 0,
        "TESTING": True,
    }
    app = create_app(config)
    client = app.test_client()
    taker = Taker(client)
    taker.start()
    answer_all(app, taker)
    assert taker.finish().status_code in (302, 303)
    if record_bank:  # the taker's private link is made on their first visit to My results
        assert client.get("/me/").status_code == 200
    if record_bank:  # an instructor's visit records the bank file as the latest revision
        instructor = log_in(app, app.test_client(), "ann", PASSWORD)
        assert instructor.get("/instructor/").status_code == 200
    else:
        store = Store(config["DATABASE"])
        try:
            store.set_instructor("ann", hash_password(PASSWORD))
        finally:
            store.close()
    app.extensions["quiz.connections"].store.close()  # the last connection: a clean stop
    assert sorted(p.name for p in data.iterdir()) == ["quiz.db"]  # no -wal, no -shm
    return {
        "config": config,
        "cookie": client.get_cookie("session").value,
        "token": taker.token,
        "password": PASSWORD,
        "tries": MAX_FAILURES,
    }


def test_after_a_clean_stop_a_read_only_folder_starts_and_serves_the_reading_pages(
    tmp_path, bank_file
):
    data = tmp_path / "data"
    data.mkdir()
    seen = run_on_read_only_folder(data, used_then_stopped_cleanly(data, bank_file))
    assert seen["start"] == "ok"
    assert seen["me"] == 200 and seen["me lists the attempt"]
    assert seen["result"] == 200
    assert seen["login page"] == 200
    assert seen["log in"] == 303
    assert seen["dashboard"] == 200
    status, retry_after, text = seen["start attempt"]
    assert status == 503 and retry_after == "60"
    assert "its storage is read-only. Everything saved before is safe" in text
    # Failed logins cannot be stored, yet the rate limit still holds (in memory).
    assert seen["wrong passwords"] == [401] * MAX_FAILURES
    assert seen["then the right one"] == 429


def test_a_read_only_database_with_an_older_schema_refuses_to_start_with_a_sentence(
    tmp_path, bank_file
):
    data = tmp_path / "data"
    data.mkdir()
    given = used_then_stopped_cleanly(data, bank_file)
    with sqlite3.connect(data / "quiz.db") as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    conn.close()
    assert sorted(p.name for p in data.iterdir()) == ["quiz.db"]
    seen = run_on_read_only_folder(data, given)
    assert seen["start"].startswith("StoreError: ")
    assert f"schema version {SCHEMA_VERSION - 1}" in seen["start"]
    assert f"older than this app needs ({SCHEMA_VERSION})" in seen["start"]
    assert "writable" in seen["start"]


def test_my_results_need_no_write_when_the_taker_has_no_private_link_yet(tmp_path, bank_file):
    data = tmp_path / "data"
    data.mkdir()
    seen = run_on_read_only_folder(
        data, used_then_stopped_cleanly(data, bank_file, record_bank=False)
    )
    assert seen["start"] == "ok"
    assert seen["me"] == 200 and seen["me lists the attempt"]
    assert seen["result"] == 200


def test_the_dashboard_needs_no_write_when_the_bank_file_is_not_yet_a_revision(tmp_path, bank_file):
    data = tmp_path / "data"
    data.mkdir()
    given = used_then_stopped_cleanly(data, bank_file, record_bank=False)
    seen = run_on_read_only_folder(data, given)
    assert seen["log in"] == 303
    assert seen["dashboard"] == 200


def test_the_set_up_itself_serves_normally(tmp_path, bank_file):
    """The clean stop above leaves a database that a writable start takes as it is."""
    data = tmp_path / "data"
    data.mkdir()
    given = used_then_stopped_cleanly(data, bank_file)
    app = create_app(given["config"])
    assert app.test_client().get("/instructor/login").status_code == 200
