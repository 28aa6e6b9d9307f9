"""Finding one's way in an attempt: the question navigator, flags for review, the note
after a skipped question, the review-and-finish lists, and the about-you follow-up."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from quiz import attempts
from quiz.bank import load
from quiz.store import Store

from .helpers import SMALL_BANK, Taker, csrf_token, items, right_values

HX = {"HX-Request": "true"}
SCHEME = load(SMALL_BANK).scheme


def state(position, area, answered=False, flagged=False):
    return {"position": position, "area": area, "answered": answered, "flagged": flagged}


def nav_labels(page: str) -> list[str]:
    """The accessible names of the navigator's links, in order."""
    return re.findall(r'class="nav-q[^"]*"\s+href="[^"]+"[^>]*aria-label="([^"]+)"', page)


def in_store(app):
    return Store(app.config["DATABASE"])


def attempt_of(app, token):
    store = in_store(app)
    try:
        return attempts.load(store, token)
    finally:
        store.close()


# --- the navigator as a value -------------------------------------------------------


def test_navigator_groups_by_area_in_the_schemes_order_with_each_state():
    # An adaptive attempt interleaves areas; the navigator groups them all the same.
    states = [
        state(1, "business", answered=True),
        state(2, "technical", flagged=True),
        state(3, "business", answered=True, flagged=True),
        state(4, "technical"),
    ]
    nav = attempts.navigator(SCHEME, states, current=4)
    assert [g.area for g in nav.groups] == ["technical", "business"]  # the scheme's order
    assert [g.name for g in nav.groups] == ["Technical", "Business"]
    assert [[e.position for e in g.entries] for g in nav.groups] == [[2, 4], [1, 3]]
    assert [e.label for e in nav.entries] == [
        "Question 1, answered",
        "Question 2, not answered, flagged",
        "Question 3, answered, flagged",
        "Question 4, not answered",
    ]
    assert [e.current for e in nav.entries] == [False, False, False, True]
    assert (nav.total, nav.answered, nav.flagged) == (4, 2, 2)
    assert nav.summary == "Questions: 2 of 4 answered, 2 flagged"


def test_navigator_without_flags_and_with_an_area_the_scheme_no_longer_has():
    nav = attempts.navigator(SCHEME, [state(1, "gone"), state(2, "client")], current=0)
    assert [(g.area, g.name) for g in nav.groups] == [("client", "Client-facing"), ("gone", "gone")]
    assert not any(e.current for e in nav.entries)
    assert nav.summary == "Questions: 0 of 2 answered"


# --- the store ------------------------------------------------------------------------


def test_a_database_at_version_11_gets_flags_that_start_off(tmp_path):
    store = Store(tmp_path / "old.db")
    try:
        store.migrate(target=11)
        store.db.execute("INSERT INTO schemes (hash, body, created_at) VALUES ('s', '{}', 'now')")
        store.db.execute(
            "INSERT INTO question_versions (hash, question_id, type, area, body, created_at) "
            "VALUES ('v', 'q', 'single', 'technical', '{}', 'now')"
        )
        store.db.execute(
            "INSERT INTO attempts (id, token, taker, scheme_hash, started_at, updated_at) "
            "VALUES (1, 't', 'k', 's', 'now', 'now')"
        )
        store.db.execute(
            "INSERT INTO attempt_items (attempt_id, position, version_hash) VALUES (1, 1, 'v')"
        )
        store.migrate()
        assert store.item_states(1) == [
            {"position": 1, "area": "technical", "answered": 0, "flagged": 0}
        ]
        assert store.set_flag(1, 1, True)
        assert store.item_states(1)[0]["flagged"] == 1
        assert not store.set_flag(1, 2, True)  # no question there
    finally:
        store.close()


# --- the flag, without JavaScript ----------------------------------------------------------


def flag(taker: Taker, n: int, value: str = "1", headers=None, **extra):
    data = {"csrf_token": taker.csrf, "flag": value, **extra}
    return taker.client.post(f"{taker.base}/q/{n}/flag", data=data, headers=headers or {})


def test_flag_and_unflag_without_javascript_come_back_to_the_same_question(app, taker):
    response = flag(taker, 2)
    assert response.status_code == 303 and response.headers["Location"] == f"{taker.base}/q/2"
    page = taker.page(2)
    assert "Flagged for review." in page and ">Remove flag</button>" in page
    assert 'name="flag" value="0"' in page
    assert "Question 2, not answered, flagged" in nav_labels(page)
    assert "Questions: 0 of 16 answered, 1 flagged" in page
    # Another question shows the flag in the navigator only.
    other = taker.page(3)
    assert "Flag for review</button>" in other and "Question 2, not answered, flagged" in other

    assert flag(taker, 2, "0").status_code == 303
    page = taker.page(2)
    assert "Flag for review</button>" in page and "Flagged for review." not in page
    assert "Question 2, not answered" in nav_labels(page)


def test_the_flag_button_comes_after_the_main_button(taker):
    """Enter in a field presses the form's first submit button: it must stay Next."""
    page = taker.page(1)
    form = page[page.index("<form") : page.index("</form>")]
    buttons = re.findall(r"<button[^>]*>", form)
    assert 'value="next"' in buttons[0] and 'name="flag"' in buttons[-1]
    assert f'formaction="{taker.base}/q/1/flag"' in buttons[-1]


def test_flagging_keeps_the_answer_the_form_holds(app, taker):
    item = items(app, taker.token)[0]
    value = right_values(item)
    assert flag(taker, 1, answer=value).status_code == 303
    saved = items(app, taker.token)[0]
    assert saved["answer"] is not None
    assert re.search(rf'name="answer" value="{value[0]}"\s*checked', taker.page(1))
    assert "Question 1, answered, flagged" in nav_labels(taker.page(1))


def test_flagging_with_a_bad_number_flags_and_shows_the_error_with_what_was_typed(app, taker):
    numeric = next(i for i in items(app, taker.token) if i["body"]["type"] == "numeric")
    n = numeric["position"]
    response = flag(taker, n, answer="lots")
    assert response.status_code == 400
    page = response.data.decode()
    assert "is not a number" in page and 'value="lots"' in page
    assert ">Remove flag</button>" in page  # the flag itself was set
    assert items(app, taker.token)[n - 1]["answer"] is None


def test_in_practice_a_choice_not_yet_checked_is_carried_back_not_saved(app, client):
    taker = Taker(client)
    taker.start("practice")
    item = items(app, taker.token)[0]
    value = right_values(item)
    assert flag(taker, 1, answer=value).status_code == 303
    assert items(app, taker.token)[0]["answer"] is None  # saving would check it
    page = taker.page(1)
    assert re.search(rf'name="answer" value="{value[0]}"\s*checked', page)
    assert "feedback-heading" not in page and ">Remove flag</button>" in page
    assert not re.search(r"checked", taker.page(1))  # carried back once only


@pytest.mark.parametrize("value", ["", "2", "yes"])
def test_an_unknown_flag_value_is_400(taker, value):
    assert flag(taker, 1, value).status_code == 400


def test_flag_after_finish_is_409_and_changes_nothing(app, taker):
    taker.finish()
    response = flag(taker, 1)
    assert response.status_code == 409
    assert "This attempt is finished" in response.data.decode()
    assert not any(i["flagged"] for i in items(app, taker.token))


def test_flag_of_another_token_or_question_is_404(client, taker):
    data = {"csrf_token": taker.csrf, "flag": "1"}
    assert client.post(f"/a/{'x' * 32}/q/1/flag", data=data).status_code == 404
    assert client.post("/a/not-a-token/q/1/flag", data=data).status_code == 404
    assert client.post(f"{taker.base}/q/99/flag", data=data).status_code == 404
    assert client.post(f"{taker.base}/q/0/flag", data=data).status_code == 404


def test_flag_without_a_csrf_token_is_400_and_changes_nothing(app, taker):
    response = taker.client.post(f"{taker.base}/q/1/flag", data={"flag": "1"})
    assert response.status_code == 400
    response = taker.client.post(
        f"{taker.base}/q/1/flag", data={"flag": "1", "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert not any(i["flagged"] for i in items(app, taker.token))


# --- the flag, with htmx ----------------------------------------------------------------


def test_htmx_flag_swaps_the_toggle_and_the_navigator_not_the_form(app, taker):
    toggle = {**HX, "HX-Target": "flag-toggle", "X-CSRFToken": taker.csrf}
    response = flag(taker, 3, headers=toggle)
    assert response.status_code == 200
    body = response.data.decode()
    assert "<form" not in body and "question-heading" not in body  # the form stays as it is
    assert body.lstrip().startswith('<span class="flag-state">')
    assert ">Remove flag</button>" in body and 'id="flag-button"' in body
    assert 'data-announce="Question 3 flagged for review."' in body
    assert '<span id="navigator-summary" hx-swap-oob="true">' in body
    assert 'id="navigator-body" class="navigator-body"' in body
    # The summary, the list and the marks the form sends back with its next answer.
    assert body.count('hx-swap-oob="true"') == 3
    assert shown_marks(body) == "0020000000000000"  # question 3 flagged
    assert "Question 3, not answered, flagged" in nav_labels(body)
    assert 'aria-current="page"' in body  # question 3 is still the one on screen

    off = flag(taker, 3, "0", headers=toggle).data.decode()
    assert 'data-announce="Flag removed from question 3."' in off
    assert "Flag for review</button>" in off


def test_a_flag_sent_through_the_forms_own_htmx_post_gets_the_whole_question(taker):
    """A button pressed before htmx took it over posts the form (target #main): the
    answer is saved, the flag set, and the question comes back whole, not a button
    alone in place of the page."""
    headers = {**HX, "HX-Target": "main", "X-CSRFToken": taker.csrf}
    response = flag(taker, 3, headers=headers)
    body = response.data.decode()
    assert response.status_code == 200 and 'id="question-heading"' in body and "<form" in body
    assert ">Remove flag</button>" in body


# --- the navigator on the question page -------------------------------------------------


def test_question_page_navigator_shows_every_state_and_links_every_question(app, taker):
    all_items = items(app, taker.token)
    taker.post(1, right_values(all_items[0]))
    flag(taker, 2)
    page = taker.page(2)
    labels = nav_labels(page)
    assert len(labels) == len(all_items) == 16
    assert labels[:3] == [
        "Question 1, answered",
        "Question 2, not answered, flagged",
        "Question 3, not answered",
    ]
    # One current entry, the question on screen; each entry a link for both kinds of client.
    assert page.count('aria-current="page"') == 1
    assert re.search(r'aria-label="Question 2, not answered, flagged" aria-current="page"', page)
    # (htmx: the list is boosted into #main, which pushes each link's URL.)
    assert re.search(r'<nav id="navigator-body"[^>]* hx-boost="true" hx-target="#main"', page)
    for n in range(1, 17):
        assert f'<li id="nav-q-{n}"><a class="nav-q' in page
        assert f'href="{taker.base}/q/{n}"' in page
    # Grouped by area, each group named.
    groups = re.findall(r'<h2 class="nav-area" id="nav-area-(\w+)">([^<]+)</h2>', page)
    assert groups == [
        ("technical", "Technical"),
        ("business", "Business"),
        ("analytical", "Analytical"),
        ("client", "Client-facing"),
    ]
    assert '<summary><span id="navigator-summary">Questions: 1 of 16 answered, 1 flagged' in page
    assert f'href="{taker.base}/finish"' in page


def test_the_navigator_link_answers_htmx_with_the_page_block(taker):
    response = taker.client.get(f"{taker.base}/q/5", headers=HX)
    body = response.data.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "Question 5 of 16" in body and 'id="navigator"' in body


def test_practice_attempts_have_the_navigator_too(app, client):
    taker = Taker(client)
    taker.start("practice")
    assert len(nav_labels(taker.page(1))) == len(items(app, taker.token))


def shown_marks(page: str) -> str:
    """The navigator's marks that a page's form sends back."""
    return re.search(r'name="marks" id="navigator-marks" value="([0-3]*)"', page).group(1)


def htmx_post(taker, n, marks=None, **data):
    """An htmx post of question ``n``'s form, as the page of question ``n`` (loaded now,
    unless its ``marks`` are given) sends it."""
    marks = shown_marks(taker.page(n)) if marks is None else marks
    return taker.client.post(
        f"{taker.base}/q/{n}",
        headers={**HX, "X-CSRFToken": taker.csrf},
        data={"slot": "question-slot", "marks": marks, **data},
    )


def oob_entries(body: str) -> dict[int, str]:
    """The navigator entries an htmx response swaps out of band: position -> their link."""
    return {
        int(n): link
        for n, link in re.findall(r'<li id="nav-q-(\d+)" hx-swap-oob="true">(<a [^>]*>)', body)
    }


def test_htmx_next_swaps_the_question_and_only_the_entries_that_changed(app, taker):
    all_items = items(app, taker.token)
    flag(taker, 4)
    response = htmx_post(taker, 3, nav="next", answer=right_values(all_items[2]))
    body = response.data.decode()
    assert response.status_code == 200
    # The new question replaces the old one in its slot; the navigator stays in the page.
    assert response.headers["HX-Retarget"] == "#question-slot"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert response.headers["HX-Push-Url"] == f"{taker.base}/q/4"
    assert body.startswith("<title>Question 4 of 16 · ")
    assert 'id="question-heading"' in body and 'id="question-slot"' not in body
    assert 'id="navigator"' not in body and 'id="navigator-body"' not in body
    # Out of band: the summary, question 3 (now answered, no longer current), question 4.
    assert (
        '<span id="navigator-summary" hx-swap-oob="true">Questions: 1 of 16 answered, 1 flagged'
        in body
    )
    entries = oob_entries(body)
    assert sorted(entries) == [3, 4]
    assert 'aria-label="Question 3, answered"' in entries[3] and "aria-current" not in entries[3]
    assert 'class="nav-q is-answered"' in entries[3]
    assert 'aria-label="Question 4, not answered, flagged" aria-current="page"' in entries[4]
    assert 'class="nav-q is-flagged is-current"' in entries[4]
    # The same states as the whole list shows on a page load.
    page = taker.page(4)
    for n, link in entries.items():
        assert f'<li id="nav-q-{n}">{link}' in page

    # Back with the answer taken away: question 4 unanswered again, question 3 current.
    body = htmx_post(taker, 4, nav="back").data.decode()
    entries = oob_entries(body)
    assert 'aria-label="Question 4, not answered, flagged"' in entries[4]
    assert 'aria-label="Question 3, answered" aria-current="page"' in entries[3]
    assert "Questions: 1 of 16 answered, 1 flagged" in body


def test_a_list_another_tab_changed_is_sent_whole(app, taker):
    """Tab A shows question 3; tab B answers question 9 and flags question 10. Tab A's
    Next must not leave 9 and 10 as they were: its marks no longer agree, so the whole
    list comes, as a page load would show it."""
    tab_a = shown_marks(taker.page(3))
    taker.post(9, "1")
    flag(taker, 10)
    body = htmx_post(taker, 3, marks=tab_a, nav="next", answer="0").data.decode()
    assert oob_entries(body) == {}
    assert 'id="navigator-body" class="navigator-body" aria-label' in body
    labels = nav_labels(body)
    assert "Question 9, answered" in labels and "Question 10, not answered, flagged" in labels
    assert "Questions: 2 of 16 answered, 1 flagged" in body
    assert shown_marks(body) == shown_marks(taker.page(4))
    # In step again: the next answer sends two entries.
    assert sorted(oob_entries(htmx_post(taker, 4, nav="next", answer="0").data.decode())) == [4, 5]


def test_marks_agree_with_the_list(app, taker):
    taker.post(2, "1")
    flag(taker, 3)
    flag(taker, 2)
    assert shown_marks(taker.page(1)) == "0320" + "0" * 12
    assert attempts.list_in_step("0320", "0320", ())
    assert attempts.list_in_step("0020", "0320", (2,))  # the entry redrawn anyway
    assert not attempts.list_in_step("0020", "0321", (2,))
    assert not attempts.list_in_step("032", "0320", ())  # the attempt grew
    assert not attempts.list_in_step("", "0320", (1, 2))  # a form without marks


def test_a_page_from_before_the_slot_gets_the_whole_page_block(app, taker):
    """A taker mid-attempt when this layout was deployed: their page has no slot to
    swap into, so Next answers with the page block, navigator and all."""
    response = htmx_post(taker, 1, nav="next", answer="0", slot="")
    body = response.data.decode()
    assert response.status_code == 200 and "HX-Retarget" not in response.headers
    assert 'id="question-slot"' in body and 'id="navigator-body"' in body
    assert "Question 1, answered" in nav_labels(body)


def test_htmx_answers_that_leave_the_questions_get_the_whole_page_block(app, taker):
    """Finish, Back from question 1 and an error keep the usual swap into #main."""
    assert "HX-Retarget" not in htmx_post(taker, 2, nav="finish").headers
    assert "HX-Retarget" not in htmx_post(taker, 1, nav="back").headers
    numeric = next(i for i in items(app, taker.token) if i["body"]["type"] == "numeric")
    error = htmx_post(taker, numeric["position"], nav="next", answer="twelve")
    assert error.status_code == 400 and "HX-Retarget" not in error.headers
    assert 'id="navigator-body"' in error.data.decode()


@pytest.mark.adaptive
def test_an_adaptive_attempt_lists_only_the_questions_asked_so_far(app, client):
    taker = Taker(client)
    taker.start()
    first = attempt_of(app, taker.token)
    assert first.adaptive
    page = taker.page(1)
    assert len(nav_labels(page)) == first.total
    assert "The questions asked so far" in page
    last = items(app, taker.token)[-1]
    assert taker.post(first.total, right_values(last)).status_code == 303
    grown = attempt_of(app, taker.token)
    assert grown.total == first.total + 1
    labels = nav_labels(taker.page(grown.total))
    assert len(labels) == grown.total
    assert f"Question {first.total}, answered" in labels
    # With htmx, an answer that makes the attempt grow brings the whole, longer list.
    body = htmx_post(
        taker, grown.total, nav="next", answer=right_values(items(app, taker.token)[-1])
    ).data.decode()
    assert body.count('hx-swap-oob="true"') == 2  # the summary and the whole list
    assert len(nav_labels(body)) == grown.total + 1
    # Back does not make it grow: two entries change.
    body = htmx_post(taker, grown.total + 1, nav="back").data.decode()
    assert sorted(oob_entries(body)) == [grown.total, grown.total + 1]


# --- the note after a skip ------------------------------------------------------------------

SKIPPED = "Question {} was skipped; you can come back to it from the"


def test_next_with_nothing_chosen_says_once_that_the_question_was_skipped(app, taker):
    response = taker.post(1)  # Next, nothing chosen
    assert response.headers["Location"] == f"{taker.base}/q/2"
    page = taker.page(2)
    assert SKIPPED.format(1) in page
    assert '<a href="#navigator">question list</a>' in page
    # Announced with the progress when htmx swaps the page in; here it is on the page.
    assert re.search(r'data-announce="Question 2 of 16 · [^"]*\. Question 1 was skipped;', page)
    assert SKIPPED.format(1) not in taker.page(2)  # once: a reload does not repeat it


def test_no_note_after_an_answer_back_or_finish(app, taker):
    all_items = items(app, taker.token)
    taker.post(1, right_values(all_items[0]))
    assert "was skipped" not in taker.page(2)
    taker.post(3, nav="back")
    assert "was skipped" not in taker.page(2)
    taker.post(2, nav="finish")
    assert "was skipped" not in taker.client.get(f"{taker.base}/finish").data.decode()


def test_a_note_is_shown_only_on_the_question_it_was_left_for(taker):
    taker.post(1)  # skipped: the note waits for question 2
    assert "was skipped" not in taker.page(5)  # went elsewhere: the note is dropped
    assert "was skipped" not in taker.page(2)


def test_htmx_next_with_nothing_chosen_brings_the_note_and_announces_it(taker):
    response = taker.client.post(
        f"{taker.base}/q/3",
        headers={**HX, "X-CSRFToken": taker.csrf},
        data={"nav": "next"},
    )
    body = response.data.decode()
    assert response.headers["HX-Push-Url"] == f"{taker.base}/q/4"
    assert SKIPPED.format(3) in body
    announce = re.search(r'id="question-heading"[^>]*data-announce="([^"]+)"', body).group(1)
    assert html_lib.unescape(announce).startswith("Question 4 of 16 · ")
    assert "Question 3 was skipped; you can come back to it from the question list." in announce
    # Nothing was kept for a later page load.
    assert "was skipped" not in taker.page(4)


def test_skipping_in_practice_says_so_too(app, client):
    taker = Taker(client)
    taker.start("practice")
    taker.post(1)  # the Skip button
    assert SKIPPED.format(1) in taker.page(2)


# --- review and finish --------------------------------------------------------------------------


def test_finish_page_lists_flagged_and_unanswered_questions_with_links(app, taker):
    all_items = items(app, taker.token)
    for item in all_items:
        if item["position"] != 4:
            taker.post(item["position"], right_values(item))
    flag(taker, 2)
    flag(taker, 4)
    page = taker.client.get(f"{taker.base}/finish").data.decode()
    flagged = page[page.index('id="flagged-heading"') : page.index('id="answers-heading"')]
    assert "You flagged 2 questions to look at again" in flagged
    assert f'href="{taker.base}/q/2"' in flagged and f'href="{taker.base}/q/4"' in flagged
    assert flagged.count("not answered") == 1  # question 4
    rest = page[page.index('id="answers-heading"') :]
    assert "You have answered 15 of 16 questions." in rest
    assert f'href="{taker.base}/q/4"' in rest and f'href="{taker.base}/q/2"' not in rest
    # Both lists come before the Finish button.
    assert page.index('id="flagged-heading"') < page.index("Finish and see my result")


def test_finish_page_without_flags_has_no_flagged_list(taker):
    page = taker.client.get(f"{taker.base}/finish").data.decode()
    assert "flagged-heading" not in page and "Flagged for review" not in page


# --- about you: the field of a degree only with a degree ---------------------------------------


def about(taker: Taker, **fields):
    data = {"csrf_token": taker.csrf, **fields}
    response = taker.client.post(f"{taker.base}/about", data=data)
    assert response.status_code == 303, response.data
    return attempt_of(taker.client.application, taker.token).background


@pytest.mark.parametrize(
    "degree, kept",
    [("bachelor", True), ("master", True), ("none", False), (None, False)],
)
def test_the_field_of_a_degree_is_kept_only_with_a_degree(taker, degree, kept):
    fields = {"bg-field": "marketing", "bg-experience": "y2-3"}
    if degree:
        fields["bg-degree"] = degree
    background = about(taker, **fields)
    assert background.get("field") == ("marketing" if kept else None)
    assert background["experience"] == "y2-3"
    assert background.get("degree") == degree


def test_about_page_uses_card_options_and_marks_the_follow_up(taker):
    page = taker.client.get(f"{taker.base}/about").data.decode()
    # Card-style options, as the questions have, for ratings and background alike.
    assert page.count('class="option scale-option"') == 4 * 5
    assert (
        len(re.findall(r'<label class="option">\s*<input type="(radio|checkbox)" name="bg-', page))
        == 3 + 4 + 5 + 6 + 3
    )
    # A degree opens the field question; "No degree" does not.
    assert re.search(r'name="bg-degree" value="bachelor" data-opens', page)
    assert re.search(r'name="bg-degree" value="master" data-opens', page)
    assert not re.search(r'name="bg-degree" value="none" data-opens', page)
    assert '<fieldset class="bg-item follow-up" data-follows="degree">' in page
    assert page.count("follow-up") == 1
    # Each rating group is named by its area.
    assert 'role="radiogroup" aria-labelledby="rate-technical-name"' in page
    assert csrf_token(page)
