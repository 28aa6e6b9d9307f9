"""The taker's journey through Flask's test client, on a real SQLite file."""

from __future__ import annotations

import os
import re

import pytest

from quiz import attempts, create_app, measurement, timing
from quiz.bank import load, question_from_body
from quiz.store import Store
from quiz.text import markdown

from .helpers import (
    Taker,
    answer_all,
    count_responses,
    csrf_token,
    items,
    right_values,
    wrong_values,
)

HX = {"HX-Request": "true"}


# --- landing, start, about -----------------------------------------------------


def test_landing_page_explains_the_role_and_offers_assessment_and_practice(client, bank_file):
    html = client.get("/").data.decode()
    minutes = timing.minutes(timing.expected_seconds(load(bank_file)))
    assert "Start the assessment" in html and "Practise with instant feedback" in html
    assert html.count('action="/start"') == 2 and html.count('name="mode" value="practice"') == 1
    for fact in (
        "supervise the e-commerce department",
        "$92,000",
        "$61,000 and $113,000 (US dollars)",
        "Pay in the United States",
        "six to seven years",
        "marketing analyst",
        f"Find out in about {minutes} minutes",
        "What is stored",
    ):
        assert fact in html
    for area in ("Technical", "Business", "Analytical", "Client-facing"):
        assert f"<dt>{area}</dt>" in html


def test_start_creates_an_attempt_with_an_unguessable_token(client):
    taker = Taker(client)
    token = taker.start()
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)  # 24 random bytes = 192 bits
    assert client.get(f"/a/{token}/about").status_code == 200


def test_profile_is_saved_and_refilled(app, client, taker):
    response = client.post(
        f"{taker.base}/about",
        data={
            "csrf_token": taker.csrf,
            "display_name": "  Ann   Lee ",
            "rate-technical": "4",
            "rate-analytical": "2",
            "bg-degree": "master",
            "bg-roles": ["forecaster", "ecommerce-sales"],
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == f"{taker.base}/q/1"
    html = client.get(f"{taker.base}/about").data.decode()
    assert 'value="Ann Lee"' in html
    assert re.search(r'name="rate-technical" value="4"\s*checked', html)
    assert re.search(r'name="bg-roles" value="forecaster"\s*checked', html)
    assert re.search(r'name="bg-roles" value="ecommerce-sales"\s*checked', html)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("rate-technical", "9", "Rate each area from 1 to 5."),
        ("bg-degree", "phd-in-magic", "Choose from the options given"),
        ("display_name", "x" * 61, "Please keep your name to 60 characters."),
    ],
)
def test_bad_profile_input_is_refused_and_kept(client, taker, field, value, message):
    response = client.post(
        f"{taker.base}/about",
        data={
            "csrf_token": taker.csrf,
            "display_name": "Kept",
            field: value,
        },
    )
    assert response.status_code == 400
    html = response.data.decode()
    assert message in html
    if field != "display_name":
        assert 'value="Kept"' in html


# --- answering -----------------------------------------------------------------


def test_question_page_shows_progress_and_no_answer_key(app, client, taker):
    first = items(app, taker.token)[0]
    q = question_from_body(first["body"])
    html = taker.page(1)
    total = len(items(app, taker.token))
    assert f"Question 1 of {total} · Technical" in html
    assert q.explanation[:40] not in html
    # No attribute or script carries the key (prompts themselves may say "score").
    assert not re.search(r"(correct|score|weight)\w*\s*[=:]", html, re.I)
    for item in items(app, taker.token):
        page = taker.page(item["position"])
        assert question_from_body(item["body"]).explanation[:40] not in page


def test_complete_attempt_without_javascript(app, client, taker):
    answer_all(app, taker)
    assert taker.client.get(f"{taker.base}/finish").status_code == 200
    response = taker.finish()
    assert response.status_code == 303 and response.headers["Location"] == f"{taker.base}/result"
    html = client.get(f"{taker.base}/result").data.decode()
    assert 'data-verdict="strong-fit"' in html and "Overall score: <strong>" in html
    store = Store(app.config["DATABASE"])
    try:
        done = attempts.load(store, taker.token)
    finally:
        store.close()
    shown = measurement.shown_probability(done.scores.confidence)  # rounded as the page does
    assert f'data-confidence="{shown:.2f}"' in html
    assert "90% interval" in html
    for item in items(app, taker.token):
        assert markdown(question_from_body(item["body"]).explanation) in html
    assert html.count('class="review-item') == len(items(app, taker.token))


def test_all_wrong_gives_the_last_verdict(app, client, taker):
    answer_all(app, taker, wrong_values)
    taker.finish()
    html = client.get(f"{taker.base}/result").data.decode()
    assert 'data-verdict="not-yet"' in html and "Overall score: <strong>" in html
    assert "Right answer" in html and "Your answer" in html


def test_navigation_with_back_next_and_finish(app, taker):
    total = len(items(app, taker.token))
    assert taker.post(1, nav="back").headers["Location"] == f"{taker.base}/about"
    assert taker.post(1, nav="next").headers["Location"] == f"{taker.base}/q/2"
    assert taker.post(3, nav="back").headers["Location"] == f"{taker.base}/q/2"
    assert taker.post(2, nav="finish").headers["Location"] == f"{taker.base}/finish"
    assert taker.post(total, nav="next").headers["Location"] == f"{taker.base}/finish"


def test_finish_page_lists_unanswered_questions(app, client, taker):
    all_items = items(app, taker.token)
    taker.post(1, right_values(all_items[0]))
    html = client.get(f"{taker.base}/finish").data.decode()
    assert f"You have answered 1 of {len(all_items)} questions." in html
    assert f'href="{taker.base}/q/1"' not in html
    assert f'href="{taker.base}/q/2"' in html


def test_saved_answer_is_shown_again(app, taker):
    item = items(app, taker.token)[0]
    value = right_values(item)[0]
    taker.post(1, value)
    assert re.search(rf'name="answer" value="{value}"\s*checked', taker.page(1))


def test_double_submit_and_double_finish_are_harmless(app, client, taker):
    item = items(app, taker.token)[0]
    taker.post(1, right_values(item))
    taker.post(1, right_values(item))
    assert count_responses(app) == 1
    first, second = taker.finish(), taker.finish()
    assert first.status_code == second.status_code == 303
    assert client.get(f"{taker.base}/result").status_code == 200


def test_answers_after_finish_are_refused_and_change_nothing(app, client, taker):
    item = items(app, taker.token)[0]
    taker.post(1, right_values(item))
    taker.finish()
    response = taker.post(1, wrong_values(item))
    assert response.status_code == 409
    assert "This attempt is finished" in response.data.decode()
    assert items(app, taker.token)[0]["score"] == 1.0
    assert client.post(f"{taker.base}/about", data={"csrf_token": taker.csrf}).status_code == 409


def test_clearing_an_answer(app, taker):
    multiple = next(i for i in items(app, taker.token) if i["body"]["type"] == "multiple")
    taker.post(multiple["position"], right_values(multiple))
    assert count_responses(app) == 1
    taker.post(multiple["position"], None)
    assert count_responses(app) == 0


# --- bad input -----------------------------------------------------------------


def numeric_item(app, taker):
    return next(i for i in items(app, taker.token) if i["body"]["type"] == "numeric")


def test_a_non_number_is_refused_and_kept_in_the_field(app, taker):
    item = numeric_item(app, taker)
    response = taker.post(item["position"], "about forty")
    assert response.status_code == 400
    html = response.data.decode()
    assert "is not a number. Enter a number such as 43.2." in html
    assert 'value="about forty"' in html and 'aria-invalid="true"' in html
    assert count_responses(app) == 0


def test_an_unknown_option_is_refused(app, taker):
    response = taker.post(1, "17")
    assert response.status_code == 400
    assert "That option is not one of this question&#39;s choices." in response.data.decode()
    assert count_responses(app) == 0


@pytest.mark.parametrize(
    "path, message",
    [
        ("/q/99", "This attempt has no question 99"),
        ("/q/0", "This attempt has no question 0"),
    ],
)
def test_a_question_not_in_the_attempt_is_404(taker, path, message):
    response = taker.client.post(taker.base + path, data={"csrf_token": taker.csrf, "answer": "0"})
    assert response.status_code == 404 and message in response.data.decode()
    assert taker.client.get(taker.base + path).status_code == 404


@pytest.mark.parametrize("token", ["A" * 32, "short", "x" * 300, "%00"])
def test_unknown_tokens_are_404(client, token):
    for path in ("", "/about", "/q/1", "/finish", "/result"):
        response = client.get(f"/a/{token}{path}")
        assert response.status_code == 404
        assert "There is no attempt at this address" in response.data.decode()


def test_unknown_navigation_is_400(taker):
    response = taker.post(1, nav="sideways")
    assert (
        response.status_code == 400
        and "Use the Back, Next or Finish buttons" in response.data.decode()
    )


@pytest.mark.parametrize("token", [None, "forged"])
def test_missing_or_wrong_csrf_token_is_400_and_saves_nothing(app, taker, token):
    data = {"answer": right_values(items(app, taker.token)[0]), "nav": "next"}
    if token:
        data["csrf_token"] = token
    response = taker.client.post(f"{taker.base}/q/1", data=data)
    assert response.status_code == 400
    assert "did not come from this site, so nothing was saved" in response.data.decode()
    assert count_responses(app) == 0
    assert taker.client.post("/start", data={}).status_code == 400


def test_csrf_token_in_the_htmx_header_is_accepted(app, taker):
    value = right_values(items(app, taker.token)[0])
    response = taker.client.post(
        f"{taker.base}/q/1",
        data={"answer": value, "nav": "save"},
        headers={**HX, "X-CSRFToken": taker.csrf},
    )
    assert response.status_code == 200 and count_responses(app) == 1


def test_huge_body_is_413(app, taker):
    response = taker.client.post(
        f"{taker.base}/q/1", data={"csrf_token": taker.csrf, "answer": "1" * 200_000}
    )
    assert response.status_code == 413
    assert "too large" in response.data.decode()
    assert count_responses(app) == 0


def test_wrong_method_is_405_with_a_sentence(client):
    response = client.get("/start")
    assert response.status_code == 405
    assert "does not accept that kind of request" in response.data.decode()


# --- htmx ----------------------------------------------------------------------


def test_htmx_navigation_returns_the_next_question_block(app, taker):
    value = right_values(items(app, taker.token)[0])
    response = taker.client.post(
        f"{taker.base}/q/1",
        headers=HX,
        data={"csrf_token": taker.csrf, "answer": value, "nav": "next"},
    )
    assert response.status_code == 200
    html = response.data.decode()
    assert "<html" not in html and "<title>Question 2 of" in html
    assert 'id="question-heading"' in html and "Question 2 of" in html
    assert response.headers["HX-Push-Url"] == f"{taker.base}/q/2"
    assert "HX-Request" in response.headers["Vary"]
    assert count_responses(app) == 1


def test_htmx_back_from_the_first_and_finish_blocks(taker):
    back = taker.client.post(
        f"{taker.base}/q/1", headers=HX, data={"csrf_token": taker.csrf, "nav": "back"}
    )
    assert (
        back.headers["HX-Push-Url"] == f"{taker.base}/about" and "About you" in back.data.decode()
    )
    done = taker.client.post(
        f"{taker.base}/q/1", headers=HX, data={"csrf_token": taker.csrf, "nav": "finish"}
    )
    assert done.headers["HX-Push-Url"] == f"{taker.base}/finish"
    assert "Review and finish" in done.data.decode()


def test_htmx_autosave_returns_only_the_status(app, taker):
    item = numeric_item(app, taker)
    url = f"{taker.base}/q/{item['position']}"
    ok = taker.client.post(
        url, headers=HX, data={"csrf_token": taker.csrf, "nav": "save", "answer": "12"}
    )
    assert ok.status_code == 200 and ok.data.decode().strip() == "Answer saved."
    assert "HX-Push-Url" not in ok.headers
    bad = taker.client.post(
        url, headers=HX, data={"csrf_token": taker.csrf, "nav": "save", "answer": "twelve"}
    )
    assert bad.status_code == 400 and "is not a number" in bad.data.decode()
    assert "<form" not in bad.data.decode()


def test_htmx_get_returns_a_block_and_history_restore_the_whole_page(taker):
    block = taker.client.get(f"{taker.base}/q/2", headers=HX).data.decode()
    assert "<html" not in block and "Question 2 of" in block
    page = taker.client.get(
        f"{taker.base}/q/2", headers={**HX, "HX-History-Restore-Request": "true"}
    ).data.decode()
    assert page.lstrip().startswith("<!doctype html>")


def test_htmx_errors_are_blocks_too(taker):
    response = taker.client.post(f"{taker.base}/q/99", headers=HX, data={"csrf_token": taker.csrf})
    assert response.status_code == 404
    assert "<html" not in response.data.decode() and "no question 99" in response.data.decode()


# --- resuming ----------------------------------------------------------------


def test_resume_goes_to_the_last_screen(app, taker):
    taker.post(1, right_values(items(app, taker.token)[0]))
    taker.post(2, nav="next")
    taker.page(3)
    response = taker.client.get(taker.base)
    assert response.status_code == 303 and response.headers["Location"] == f"{taker.base}/q/3"


def test_landing_page_offers_to_continue_only_to_the_same_browser(app, client, taker):
    assert f'href="{taker.base}"' in client.get("/").data.decode()
    stranger = app.test_client()
    assert f'href="{taker.base}"' not in stranger.get("/").data.decode()
    taker.finish()
    assert f'href="{taker.base}"' not in client.get("/").data.decode()


def test_an_attempt_survives_a_server_restart(app, taker, tmp_path, bank_file):
    item = items(app, taker.token)[0]
    taker.post(1, right_values(item))
    restarted = create_app(
        {
            "TESTING": True,
            "DATABASE": app.config["DATABASE"],
            "QUESTIONS": str(bank_file),
            "SECRET_KEY": "test-secret",
        }
    )
    client = restarted.test_client()
    client.set_cookie("session", taker.client.get_cookie("session").value)
    assert f'href="{taker.base}"' in client.get("/").data.decode()
    html = client.get(f"{taker.base}/q/1").data.decode()
    assert re.search(rf'value="{right_values(item)[0]}"\s*checked', html)
    response = client.post(
        f"{taker.base}/q/1", data={"csrf_token": csrf_token(html), "nav": "next"}
    )
    assert response.status_code == 303


# --- versions --------------------------------------------------------------------


def touch(path, text: str) -> None:
    """Write the bank and move its stamp on, as a later save would."""
    path.write_text(text)
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


def test_editing_the_bank_never_changes_a_started_or_finished_attempt(app, client, bank_file):
    # Every attempt gets every question, so that one question can be followed.
    touch(bank_file, bank_file.read_text().replace("  draw: 12 ", "  # draw: 12 "))
    done, running = Taker(client), Taker(client)
    done.start()
    answer_all(app, done)
    done.finish()
    running.start()

    def report():  # the page without its CSRF token, which is signed with the time
        html = client.get(f"{done.base}/result").data.decode()
        return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)

    before = report()

    text = bank_file.read_text()
    old = "Up to what **Largest Contentful Paint** (LCP) is a product page rated *good*?"
    touch(bank_file, text.replace(old, "Which LCP is *good*, edited?"))

    fresh = Taker(client)
    fresh.start()
    assert "edited?" in fresh.page(1)
    assert "edited?" not in running.page(1) and "Largest Contentful Paint" in running.page(1)
    assert report() == before


def test_a_broken_bank_at_start_up_is_a_503_not_a_crash(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("questions: [\n")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "q.db"),
            "QUESTIONS": str(broken),
            "SECRET_KEY": "k",
        }
    )
    client = app.test_client()
    landing = client.get("/")
    assert landing.status_code == 200 and "being updated" in landing.data.decode()
    response = client.post("/start", data={"csrf_token": csrf_token(landing.data)})
    assert response.status_code == 503
    assert "The assessment is being updated" in response.data.decode()


# --- practice mode ----------------------------------------------------------------------


def test_practice_shows_right_or_wrong_and_the_explanation_after_each_answer(app, client):
    taker = Taker(client)
    taker.start("practice")
    first, second = items(app, taker.token)[:2]
    page = taker.page(1)
    assert "Practice · Question 1 of" in page and "Check my answer" in page
    assert question_from_body(first["body"]).explanation[:40] not in page
    # Without JavaScript: the check redirects back to the question, now with feedback.
    response = taker.post(1, right_values(first), nav="check")
    assert response.status_code == 303 and response.headers["Location"] == f"{taker.base}/q/1"
    page = taker.page(1)
    assert '<h2 id="feedback-heading"' in page and ">Right</h2>" in page
    assert markdown(question_from_body(first["body"]).explanation) in page
    assert ">Next</button>" in page and "Check my answer" not in page
    # Checking nothing asks for an answer and keeps the question open.
    empty = taker.post(3, nav="check")
    assert empty.status_code == 422 and "Choose an answer to check it" in empty.data.decode()
    # A wrong answer says so, and shows the right one.
    response = taker.post(2, wrong_values(second), nav="check")
    page = taker.page(2)
    assert ">Not right</h2>" in page and "<dt>Right answer</dt>" in page
    assert markdown(question_from_body(second["body"]).explanation) in page
    # With htmx the same request answers with the page itself, feedback included.
    fragment = client.post(
        f"{taker.base}/q/2",
        data={"csrf_token": taker.csrf, "nav": "check", "answer": right_values(second)},
        headers=HX,
    )
    html = fragment.data.decode()
    assert fragment.status_code == 200 and "<!doctype" not in html.lower()
    assert (
        ">Right</h2>" in html and markdown(question_from_body(second["body"]).explanation) in html
    )


def test_practice_is_labelled_and_never_compared_or_counted(app, client):
    from .helpers import analysis

    result = Taker(client).complete(app, "practice")
    assert "Practice · " in result and "practice is never compared" in result
    history = client.get("/me/").data.decode()
    assert 'class="tag">Practice</' in history
    with app.test_request_context():
        assert analysis()["attempts"] == 0  # not in the item statistics
    store = Store(app.config["DATABASE"])
    try:
        assert store.percentile_counts(1.0) == (0, 0, 0)  # nor in the percentiles
        assert store.db.execute("SELECT count(*) FROM item_sums").fetchone()[0] == 0
    finally:
        store.close()
    # The assessment that follows is the taker's first one, and is compared.
    html = Taker(client).complete(app)
    assert "Where you stand" in html and "So far 1 has." in html


def test_an_attempt_finished_before_the_measurement_still_shows_its_result(app, client, taker):
    """Attempts kept from before migration 10 have raw scores and no intervals."""
    store = Store(app.config["DATABASE"])
    try:
        attempt = attempts.load(store, taker.token)
        store.finish(attempt.id, 0.8, "strong-fit", {"technical": 0.8, "business": 0.8})
    finally:
        store.close()
    html = client.get(f"{taker.base}/result").data.decode()
    assert 'data-verdict="strong-fit"' in html and 'data-confidence=""' in html
    assert "90% interval" not in html and "Overall score: <strong>80%</strong>" in html


def test_a_legal_question_says_which_law_it_assumes(app, client, bank_file):
    text = bank_file.read_text()
    bank_file.write_text(
        text.replace(
            "  - id: te-pci-never-store\n", "  - id: te-pci-never-store\n    jurisdiction: US\n"
        )
    )
    html = client.get("/").data.decode()
    assert "Questions about law say which law they assume: US law in 1." in html
    taker = Taker(client)
    taker.start()
    pages = [taker.page(n) for n in range(1, taker.total() + 1)]
    [legal] = [p for p in pages if "Assumes US law" in p]
    assert "may your shop <strong>never</strong> store" in legal


# --- someone else's private link (issue 15, point 9) ---------------------------------


def test_someone_elses_link_says_before_the_button_that_this_browsers_attempts_move(app):
    owner = Taker(app.test_client())
    owner.start()
    link = re.search(r"/me/recover/[^\"]+", owner.client.get("/me/").data.decode()).group(0)

    visitor = Taker(app.test_client())
    visitor.start()
    visitor.start()
    html = visitor.client.get(link).data.decode()
    warning = html.find("This browser already has 2 attempts of its own")
    assert warning != -1
    assert "move into the history of whoever this link belongs to" in html
    assert "If someone else sent you this link, press Cancel" in html
    assert warning < html.index("Show my results here")

    # A browser with no attempts of its own, or the owner's own, moves nothing: no warning.
    assert "of its own" not in app.test_client().get(link).data.decode()
    assert "of its own" not in owner.client.get(link).data.decode()
