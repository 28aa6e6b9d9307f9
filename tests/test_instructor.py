"""Instructors: accounts, login, the guard on every route, and the bank editor."""

from __future__ import annotations

import os
import re

import pytest
from click.testing import CliRunner

from quiz import accounts
from quiz.bank import load
from quiz.cli import main
from quiz.store import Store

from .helpers import Taker, csrf_token, form_fields, log_in


@pytest.fixture
def teacher(app, client):
    return log_in(app, client)


def password_hash(app, username):
    store = Store(app.config["DATABASE"])
    try:
        return store.password_hash(username)
    finally:
        store.close()


# --- accounts ------------------------------------------------------------------------


def test_create_instructor_and_set_password_from_stdin(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZ_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("QUIZ_DATABASE", raising=False)
    runner = CliRunner()
    made = runner.invoke(main, ["create-instructor", "ann"], input="correct horse battery\n")
    assert made.exit_code == 0 and "Created instructor ann." in made.stdout
    again = runner.invoke(main, ["create-instructor", "ann"], input="another password1\n")
    assert again.exit_code == 1 and "already exists" in again.output
    changed = runner.invoke(main, ["set-password", "ann"], input="a new long password\n")
    assert changed.exit_code == 0
    assert "Password changed for ann; their sessions have ended." in changed.stdout
    unknown = runner.invoke(main, ["set-password", "bob"], input="a new long password\n")
    assert unknown.exit_code == 1 and "there is no instructor 'bob'" in unknown.output
    short = runner.invoke(main, ["create-instructor", "cy"], input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    bad_name = runner.invoke(main, ["create-instructor", "Not Valid"], input="x" * 12 + "\n")
    assert bad_name.exit_code == 2
    store = Store(tmp_path / "quiz.db")
    assert store.password_hash("ann").startswith("scrypt:")
    store.close()
    admin = runner.invoke(main, ["set-admin", "ann"])
    assert admin.exit_code == 0 and "ann is an administrator" in admin.stdout
    store = Store(tmp_path / "quiz.db")
    assert store.is_admin("ann")
    store.close()
    assert runner.invoke(main, ["set-admin", "ann", "--off"]).exit_code == 0
    store = Store(tmp_path / "quiz.db")
    assert not store.is_admin("ann")
    store.close()
    nobody = runner.invoke(main, ["set-admin", "bob"])
    assert nobody.exit_code == 1 and "there is no instructor 'bob'" in nobody.output
    removed = runner.invoke(main, ["remove-instructor", "ann"])
    assert removed.exit_code == 0 and "Removed instructor ann" in removed.stdout
    gone = runner.invoke(main, ["remove-instructor", "ann"])
    assert gone.exit_code == 1 and "there is no instructor 'ann'" in gone.output


def test_login_logout_and_renewed_session(app, client):
    before = client.get("/instructor/login")
    log_in(app, client)
    page = client.get("/instructor/")
    assert page.status_code == 200 and "The question bank" in page.data.decode()
    # The session was renewed at login: the token from before no longer works.
    stale = client.post("/instructor/logout", data={"csrf_token": csrf_token(before.data)})
    assert stale.status_code == 400
    assert client.get("/instructor/logout").status_code == 405  # logout is a POST
    out = client.post("/instructor/logout", data={"csrf_token": csrf_token(page.data)})
    assert out.status_code == 303
    assert client.get("/instructor/").status_code == 302


def test_wrong_passwords_are_refused_and_then_rate_limited(app, client):
    log_in(app, app.test_client())  # makes the account
    token = csrf_token(client.get("/instructor/login").data)
    for _ in range(5):
        wrong = client.post(
            "/instructor/login",
            data={"csrf_token": token, "username": "ann", "password": "not the password"},
        )
        assert wrong.status_code == 401
        assert "That username and password do not match." in wrong.data.decode()
    right = client.post(
        "/instructor/login",
        data={"csrf_token": token, "username": "ann", "password": "correct horse battery"},
    )
    assert right.status_code == 429
    assert "Too many failed logins. Wait a minute, then try again." in right.data.decode()


def test_failures_are_limited_per_address_too(app, client):
    token = csrf_token(client.get("/instructor/login").data)
    for n in range(accounts.MAX_ADDRESS_FAILURES):
        client.post(
            "/instructor/login",
            data={"csrf_token": token, "username": f"user{n}", "password": "guess-guess"},
        )
    response = client.post(
        "/instructor/login",
        data={"csrf_token": token, "username": "someone-else", "password": "guess-guess"},
    )
    assert response.status_code == 429


def test_every_instructor_route_needs_a_login(app, client):
    walked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/instructor") or rule.endpoint.startswith("auth."):
            continue
        path = (
            rule.rule.replace("<qid>", "te-lcp-good")
            .replace("<int:revision_id>", "1")
            .replace("<int:attempt_id>", "1")
            .replace("<int:cohort_id>", "1")
            .replace("<section>", "general")
        )
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            data = {"csrf_token": csrf_token(client.get("/").data)} if method == "POST" else None
            response = client.open(path, method=method, data=data)
            if method == "GET":
                assert response.status_code == 302, path
                assert response.headers["Location"].startswith("/instructor/login?next=")
            else:
                assert response.status_code == 401, path
            walked += 1
    assert walked >= 20


def test_login_redirects_back_but_never_to_another_site(app, client):
    log_in(app, app.test_client())
    token = csrf_token(client.get("/instructor/login").data)
    response = client.post(
        "/instructor/login",
        data={
            "csrf_token": token,
            "username": "ann",
            "password": "correct horse battery",
            "next": "//evil.example/instructor",
        },
    )
    assert response.headers["Location"] == "/instructor/"


# --- editing questions -------------------------------------------------------------


def edit_form(client, qid):
    html = client.get(f"/instructor/questions/{qid}").data.decode()
    fields = form_fields(html, "question-form")
    values = {
        "id": re.search(r'id="id" name="id" type="text" value="([^"]*)"', html).group(1),
        "area": re.search(r'<option value="([^"]+)" selected>', html).group(1),
        "prompt": re.search(r'name="prompt"[^>]*>([^<]*)</textarea>', html).group(1),
        "explanation": re.search(r'name="explanation"[^>]*>([^<]*)</textarea>', html).group(1),
    }
    return html, {**fields, **values}


@pytest.mark.full_bank
def test_editing_a_question_saves_the_file_keeps_comments_and_records_a_revision(
    app, teacher, bank_file
):
    html, data = edit_form(teacher, "an-aov")
    assert 'name="answer" type="text" inputmode="decimal" value="45"' in html
    data.update(
        answer="45",
        tolerance="0.5",
        unit="€",
        difficulty="easy",
        weight="1",
        message="Accept a rounding to the half euro",
    )
    response = teacher.post("/instructor/questions/an-aov", data=data)
    assert response.status_code == 303, response.data.decode()[-2000:]
    text = bank_file.read_text()
    assert "    tolerance: 0.5\n" in text and "# The question bank of the e-commerce" in text
    revisions = teacher.get("/instructor/revisions").data.decode()
    assert "Accept a rounding to the half euro" in revisions and "ann" in revisions


def test_an_invalid_question_is_refused_with_its_line_and_the_file_is_untouched(
    app, teacher, bank_file
):
    before = bank_file.read_text()
    _, data = edit_form(teacher, "an-aov")
    data.update(answer="forty-five", tolerance="0", unit="€", difficulty="easy")
    response = teacher.post("/instructor/questions/an-aov", data=data)
    assert response.status_code == 422
    html = response.data.decode()
    assert re.search(
        r"questions.yaml:\d+: question &#39;an-aov&#39;: &#39;answer&#39; must be a "
        r"number",
        html,
    )
    assert 'value="forty-five"' in html  # what was typed is still there
    assert bank_file.read_text() == before


def test_a_conflicting_save_is_refused_with_what_changed(app, teacher, bank_file):
    _, data = edit_form(teacher, "an-aov")
    # Someone else saves meanwhile (here: an edit of the file itself).
    bank_file.write_text(bank_file.read_text().replace("minutes: 20", "minutes: 25"))
    data.update(answer="46", tolerance="0", unit="€", difficulty="easy")
    response = teacher.post("/instructor/questions/an-aov", data=data)
    assert response.status_code == 409
    html = response.data.decode()
    assert "Someone saved the bank after you opened this page" in html
    assert '<span class="diff-del">-  minutes: 20' in html
    assert '<span class="diff-add">+  minutes: 25' in html
    assert 'value="46"' in html
    text = bank_file.read_text()
    assert "minutes: 25" in text and "    answer: 45\n" in text
    # Saving again on purpose, from the refreshed form, goes through.
    data["base"] = form_fields(html, "question-form")["base"]
    assert teacher.post("/instructor/questions/an-aov", data=data).status_code == 303
    assert "    answer: 46\n" in bank_file.read_text()


def test_create_duplicate_move_and_delete(app, teacher, bank_file):
    page = teacher.get("/instructor/questions/new?type=likert&area=client").data
    data = form_fields(page, "question-form")
    data.update(
        id="cl-likes-clients",
        area="client",
        weight="0",
        difficulty="easy",
        prompt="I enjoy meeting clients.",
        explanation="The role meets clients often.",
    )
    assert teacher.post("/instructor/questions", data=data).status_code == 303
    assert "  - id: cl-likes-clients\n    area: client\n    type: likert\n" in bank_file.read_text()

    listing = teacher.get("/instructor/questions").data.decode()
    fields = form_fields(listing, "/instructor/questions/cl-likes-clients/duplicate")
    response = teacher.post("/instructor/questions/cl-likes-clients/duplicate", data=fields)
    assert response.headers["Location"] == "/instructor/questions/cl-likes-clients-copy"
    fields = form_fields(
        teacher.get("/instructor/questions").data,
        "/instructor/questions/cl-likes-clients-copy/move",
    )
    teacher.post(
        "/instructor/questions/cl-likes-clients-copy/move", data={**fields, "direction": "up"}
    )
    ids = re.findall(r"  - id: (\S+)", bank_file.read_text())
    assert ids.index("cl-likes-clients-copy") < ids.index("cl-likes-clients")
    confirm = teacher.get("/instructor/questions/cl-likes-clients-copy/delete")
    assert "Delete question cl-likes-clients-copy?" in confirm.data.decode()
    teacher.post(
        "/instructor/questions/cl-likes-clients-copy/delete",
        data=form_fields(confirm.data, "/instructor/questions/cl-likes-clients-copy/delete"),
    )
    assert "cl-likes-clients-copy" not in bank_file.read_text()


def test_list_search_and_filters(teacher):
    html = teacher.get("/instructor/questions?q=pci").data.decode()
    assert "te-pci-never-store" in html and "an-aov" not in html
    html = teacher.get("/instructor/questions?area=analytical&type=numeric").data.decode()
    assert "an-aov" in html and "te-lcp-good" not in html and "an-simpson-mix" not in html
    html = teacher.get("/instructor/questions?difficulty=hard&area=technical").data.decode()
    assert "te-robots-noindex" in html and "te-lcp-good" not in html
    block = teacher.get(
        "/instructor/questions?q=pci", headers={"HX-Request": "true", "HX-Target": "question-list"}
    ).data.decode()
    assert block.lstrip().startswith('<div id="question-list">')


def test_live_validation_and_preview(app, teacher):
    data = {
        **form_fields(teacher.get("/instructor/questions/new?type=numeric").data, "question-form"),
        "id": "an-new",
        "area": "analytical",
        "type": "numeric",
        "prompt": "How many?",
        "explanation": "Because.",
        "answer": "",
        "tolerance": "0",
    }
    problems = teacher.post(
        "/instructor/questions/validate", data=data, headers={"HX-Request": "true"}
    ).data.decode()
    assert "<strong>answer</strong>: &#39;answer&#39; must be a number" in problems
    data["answer"] = "12"
    ok = teacher.post("/instructor/questions/validate", data=data, headers={"HX-Request": "true"})
    assert "No problems found." in ok.data.decode()
    taken = teacher.post("/instructor/questions/validate", data={**data, "id": "an-aov"})
    assert "another question already has the id &#39;an-aov&#39;" in taken.data.decode()
    preview = teacher.post(
        "/instructor/questions/preview", data=data, headers={"HX-Request": "true"}
    ).data.decode()
    assert "Preview: this is how a taker sees the question" in preview
    assert "Question 1 of 1 · Analytical" in preview and 'inputmode="decimal"' in preview
    page = teacher.post("/instructor/questions/preview", data=data).data.decode()
    assert page.lstrip().startswith("<!doctype html>") and "How many?" in page


@pytest.mark.full_bank
def test_raw_editor_validates_refuses_broken_yaml_and_saves(app, teacher, bank_file):
    page = teacher.get("/instructor/raw").data.decode()
    fields = form_fields(page, 'action="/instructor/raw"')
    text = bank_file.read_text()
    broken = text.replace("    answer: 43.2\n", "")
    line = broken[: broken.index("- id: an-uptime-999")].count("\n") + 1
    check = teacher.post("/instructor/raw/validate", data={**fields, "text": broken})
    assert (
        f"questions.yaml:{line}: question &#39;an-uptime-999&#39;: numeric question needs "
        "&#39;answer&#39;"
    ) in check.data.decode()
    refused = teacher.post("/instructor/raw", data={**fields, "text": broken})
    assert (
        refused.status_code == 422
        and "Not saved: the bank would have problems" in refused.data.decode()
    )
    assert bank_file.read_text() == text
    good = text.replace("    single: 45\n", "    single: 50\n")
    assert (
        f"Valid: questions.yaml: {len(load(bank_file).questions)} questions"
        in teacher.post("/instructor/raw/validate", data={**fields, "text": good}).data.decode()
    )
    assert teacher.post("/instructor/raw", data={**fields, "text": good}).status_code == 303
    assert "    single: 50\n" in bank_file.read_text()
    stale = teacher.post("/instructor/raw", data={**fields, "text": good + "\n"})
    assert stale.status_code == 409


@pytest.mark.full_bank
def test_settings_areas_and_verdicts_forms(app, teacher, bank_file):
    page = teacher.get("/instructor/settings").data.decode()
    fields = form_fields(page, "general")
    response = teacher.post(
        "/instructor/settings/general",
        data={
            **fields,
            "title": "Are you ready for e-commerce management?",
            "shuffle_options": "1",
            "strength": "80",
            "adequate": "50",
            "draw": "12",
        },
    )
    assert response.status_code == 303
    text = bank_file.read_text()
    assert "title: Are you ready for e-commerce management?" in text
    # the settings the form does not show are kept
    assert "    numeric: 120         # a calculation\n" in text
    assert "  draw: 12               # scored questions per area, from pools of 37 to 39" in text
    assert "  shuffle_questions: false" in text and "    strength: 80" in text

    fields = form_fields(teacher.get("/instructor/settings").data, "area-client")
    teacher.post(
        "/instructor/settings/area-client",
        data={
            **fields,
            "name": "Client-facing",
            "weight": "2",
            "description": "Clients.",
            "gap-summary": "Work on it.",
            "gap-steps": "Step one\nStep two\n",
            "draw": "10",
        },
    )

    scheme = load(bank_file).scheme
    assert scheme.draw_count("client") == 10 and scheme.draw_count("technical") == 12
    client_area = scheme.dimension("client")
    assert client_area.weight == 2 and client_area.feedback["gap"].next_steps == (
        "Step one",
        "Step two",
    )

    page = teacher.get("/instructor/settings").data.decode()
    fields = form_fields(page, "verdicts")
    rows = int(fields["rows"])
    bad = {
        **fields,
        **{f"id-{i}": "" for i in range(rows)},
        "id-0": "only",
        "label-0": "Only",
        "min_overall-0": "50",
        "summary-0": "Just one.",
    }
    refused = teacher.post("/instructor/settings/verdicts", data=bad)
    assert refused.status_code == 422
    assert "the last verdict must have no conditions" in refused.data.decode()


def test_revisions_show_outside_edits_and_can_be_restored(app, teacher, bank_file):
    teacher.get("/instructor/")  # the app records the file as it finds it
    original = bank_file.read_text()
    bank_file.write_text(original.replace("minutes: 20", "minutes: 35"))
    dashboard = teacher.get("/instructor/").data.decode()
    assert "The file was changed outside the app." in dashboard
    listing = teacher.get("/instructor/revisions").data.decode()
    assert "Changed outside the app" in listing
    first = teacher.get("/instructor/revisions/1").data.decode()
    assert "Restore this revision" in first
    response = teacher.post(
        "/instructor/revisions/1/restore",
        data=form_fields(first, "/instructor/revisions/1/restore"),
    )
    assert response.status_code == 303
    assert bank_file.read_text() == original
    assert "Restored revision 1" in teacher.get("/instructor/revisions").data.decode()
    second = teacher.get("/instructor/revisions/2").data.decode()
    assert '<span class="diff-add">+  minutes: 35' in second


@pytest.mark.full_bank
def test_a_broken_file_is_shown_to_instructors_while_the_last_good_bank_serves(
    app, teacher, bank_file, client
):
    bank_file.write_text(bank_file.read_text().replace("    answer: 43.2\n", ""))
    st = os.stat(bank_file)
    os.utime(bank_file, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    html = teacher.get("/instructor/").data.decode()
    assert "The file on disk has problems" in html
    assert "numeric question needs &#39;answer&#39;" in html
    taker = Taker(app.test_client())
    taker.start()  # takers still start, on the last good bank
    assert "Question 1 of 56" in taker.page(1)


def test_a_save_racing_another_request_keeps_its_real_author(app, teacher, bank_file):
    """Issue 15, point 9: another request that read the file after a save wrote it but
    before the save recorded its revision took the save for a change "outside the app"."""
    import threading

    from quiz.revisions import OUTSIDE, BankRevisions

    html, values = edit_form(teacher, "an-aov")
    BankRevisions(bank_file, Store(app.config["DATABASE"])).current()
    racer: list[threading.Thread] = []
    original_add = Store.add_revision

    def add_revision(self, sha, author, message, text):
        if author == "ann" and not racer:
            # Another request (a page load) looks at the file in the window between the
            # save's write and its record.
            def look():
                other = Store(app.config["DATABASE"])
                try:
                    BankRevisions(bank_file, other).current()
                finally:
                    other.close()

            racer.append(threading.Thread(target=look))
            racer[0].start()
            racer[0].join(0.5)
        return original_add(self, sha, author, message, text)

    Store.add_revision = add_revision
    try:
        response = teacher.post(
            "/instructor/questions/an-aov", data={**values, "answer": "45", "message": "Raced"}
        )
    finally:
        Store.add_revision = original_add
    racer[0].join(10)
    assert response.status_code == 303
    store = Store(app.config["DATABASE"])
    try:
        authors = [(r["author"], r["message"]) for r in store.revisions()]
    finally:
        store.close()
    assert authors[0] == ("ann", "Raced")
    assert (OUTSIDE, "Changed outside the app") not in authors
