"""Issue 15, point 6: the instructor pages survive a bank file deleted, emptied or broken
while the app serves. Takers keep the last good bank; every instructor page says what is
wrong with the file in a sentence and links to the revisions, where restoring the last
good revision writes the file again."""

from __future__ import annotations

import re

import pytest

from .helpers import csrf_token, form_fields, log_in

PAGES = [
    "/instructor/",
    "/instructor/raw",
    "/instructor/revisions",
    "/instructor/questions",
    "/instructor/settings",
    "/instructor/import",
]

SENTENCES = {
    "missing": "is missing",
    "empty": "is empty",
    "invalid": "does not validate",
}


def _break(bank_file, how: str) -> None:
    if how == "missing":
        bank_file.unlink()
    elif how == "empty":
        bank_file.write_text("", encoding="utf-8")
    else:
        bank_file.write_text("settings: [\n", encoding="utf-8")


@pytest.fixture
def served(app, client, bank_file):
    """An instructor logged in after the app served the bank once (its first revision)."""
    log_in(app, client)
    assert client.get("/instructor/").status_code == 200
    return client


@pytest.mark.parametrize("how", ["missing", "empty", "invalid"])
@pytest.mark.parametrize("page", PAGES)
def test_instructor_page_explains_a_broken_bank_file(served, bank_file, page, how):
    _break(bank_file, how)
    response = served.get(page)
    assert response.status_code in (200, 503), response.data[:2000]
    html = response.data.decode()
    assert f"questions.yaml</code> {SENTENCES[how]}" in html
    assert 'href="/instructor/revisions"' in html
    if how == "invalid":
        assert "not valid YAML" in html  # the validator's problem, with its line


@pytest.mark.parametrize("how", ["missing", "empty"])
def test_takers_are_fine_with_a_broken_bank_file(served, bank_file, how):
    _break(bank_file, how)
    assert served.get("/").status_code == 200
    csrf = csrf_token(served.get("/").data)
    assert served.post("/start", data={"csrf_token": csrf}).status_code == 303


def _restore_first_revision(client) -> None:
    page = client.get("/instructor/revisions/1")
    assert page.status_code == 200, page.data[:2000]
    assert "Restore" in page.data.decode()
    fields = form_fields(page.data, "/instructor/revisions/1/restore")
    response = client.post("/instructor/revisions/1/restore", data=fields)
    assert response.status_code == 303, response.data[:2000]


@pytest.mark.parametrize("how", ["missing", "empty", "invalid"])
def test_restoring_a_revision_brings_the_pages_back(served, bank_file, how):
    original = bank_file.read_text(encoding="utf-8")
    _break(bank_file, how)
    assert served.get("/instructor/revisions").status_code == 200
    _restore_first_revision(served)
    assert bank_file.read_text(encoding="utf-8") == original
    for page in PAGES:
        response = served.get(page)
        assert response.status_code == 200, (page, response.data[:2000])
        assert "Restore the last good revision" not in response.data.decode()


def test_raw_editor_saves_a_pasted_bank_over_a_missing_file(served, bank_file):
    original = bank_file.read_text(encoding="utf-8")
    bank_file.unlink()
    page = served.get("/instructor/raw")
    assert page.status_code == 200, page.data[:2000]
    fields = form_fields(page.data, 'action="/instructor/raw"')
    response = served.post("/instructor/raw", data={**fields, "text": original})
    assert response.status_code == 303, response.data[:2000]
    assert bank_file.read_text(encoding="utf-8") == original
    assert served.get("/instructor/questions").status_code == 200
    history = served.get("/instructor/revisions").data.decode()
    assert "Edited the file" in history


def test_raw_editor_refuses_an_invalid_paste_over_a_missing_file(served, bank_file):
    bank_file.unlink()
    fields = form_fields(served.get("/instructor/raw").data, 'action="/instructor/raw"')
    response = served.post("/instructor/raw", data={**fields, "text": "questions: [\n"})
    assert response.status_code == 422
    assert not bank_file.exists()
    assert "questions.yaml</code> is missing" in response.data.decode()


@pytest.mark.parametrize("how", ["missing", "empty", "invalid"])
def test_edits_over_a_broken_bank_file_are_refused_clearly(served, bank_file, how):
    """A form opened before the file broke: its save is a 409 that says why, not a 500."""
    settings = served.get("/instructor/settings")
    fields = form_fields(settings.data, "/instructor/settings/general")
    questions = served.get("/instructor/questions").data.decode()
    qid = re.search(r'action="/instructor/questions/([a-z0-9-]+)/move"', questions)
    _break(bank_file, how)
    posts = [
        ("/instructor/settings/general", {**fields, "title": "New title"}),
        (f"/instructor/questions/{qid.group(1)}/move", {**fields, "direction": "down"}),
        ("/instructor/import", {**fields}),
        ("/instructor/import/confirm", {**fields, "payload": ""}),
    ]
    for url, data in posts:
        response = served.post(url, data=data)
        assert response.status_code == 409, (url, response.status_code, response.data[:2000])
        html = response.data.decode()
        assert f"questions.yaml</code> {SENTENCES[how]}" in html, url
        assert 'href="/instructor/revisions"' in html, url
    if how == "missing":
        assert not bank_file.exists()
