"""The question navigator, flags for review, the skip note and the about-you page in
Chromium: with htmx, without JavaScript, by keyboard alone, at phone widths, with axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

HEADING = "#question-heading"
WIDTHS = (320, 360, 390, 768)


@pytest.fixture
def new_page(browser):
    """Pages in contexts of their own, made with the options given, that fail the test on
    a console error (CSP violations included), as the ``page`` fixture does."""
    made = []

    def make(**options) -> Page:
        context = browser.new_context(**options)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        made.append((context, errors))
        return page

    yield make
    for context, errors in made:
        context.close()
        assert errors == [], f"console errors: {errors}"


def begin(page: Page, server) -> None:
    """Start an assessment and go past the about-you page to question 1."""
    page.goto(server.url("/"))
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.get_by_role("heading", name="About you")).to_be_visible()
    page.get_by_role("button", name="Continue to the questions").click()
    expect(page.locator(HEADING)).to_contain_text("Question 1 of")


def entry(page: Page, n: int):
    """The navigator's link to question ``n``, whatever its state."""
    return page.get_by_role("link", name=re.compile(rf"^Question {n}, "))


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"{page.url} is {width} px wide in a {inner} px window"


def number_on_screen(page: Page) -> int:
    return int(re.search(r"Question (\d+)", page.inner_text(HEADING)).group(1))


def go_to_numeric(page: Page) -> int:
    """Press Next (nothing chosen) until a question asks for a number; its number."""
    n = number_on_screen(page)
    while not page.locator("#answer").count():
        page.get_by_role("button", name="Next", exact=True).click()
        n += 1
        expect(page.locator(HEADING)).to_contain_text(f"Question {n} of")
    return n


# --- with htmx ---------------------------------------------------------------------------


def test_navigator_and_flags_with_htmx_on_a_desktop(new_page, server, axe):
    page = new_page(viewport={"width": 1280, "height": 800})
    begin(page, server)
    page.evaluate("window.loadedOnce = true")
    navigator = page.locator("#navigator")
    # Beside the question on a wide screen, open (static/app.js), grouped by area.
    expect(navigator).to_have_attribute("open", "")
    expect(page.locator("#navigator-summary")).to_have_text("Questions: 0 of 16 answered")
    expect(page.locator(".nav-area")).to_have_text(
        ["Technical", "Business", "Analytical", "Client-facing"]
    )
    expect(entry(page, 1)).to_have_attribute("aria-current", "page")
    form_box, nav_box = page.locator("form.question").bounding_box(), navigator.bounding_box()
    assert nav_box["x"] >= form_box["x"] + form_box["width"]  # beside, not below
    axe(page)

    # Answer question 1 (saved on change), then jump to question 6 from the navigator.
    page.locator("input[name=answer]").first.check()
    expect(page.locator("#save-status")).to_have_text("Answer saved.")
    page.get_by_role("link", name="Question 6, not answered").click()
    expect(page.locator(HEADING)).to_contain_text("Question 6 of 16")
    expect(page.locator(HEADING)).to_be_focused()
    assert page.url.endswith("/q/6")
    expect(page.get_by_role("link", name="Question 1, answered")).to_be_visible()
    expect(entry(page, 6)).to_have_attribute("aria-current", "page")
    expect(page.locator("#navigator")).to_have_attribute("open", "")  # still open

    # A number typed and not yet saved survives the flag: the form is not swapped.
    n = go_to_numeric(page)
    page.fill("#answer", "12.5")
    page.evaluate("document.querySelector('#answer').dataset.same = 'yes'")
    page.get_by_role("button", name="Flag for review").click()
    expect(page.get_by_role("button", name="Remove flag")).to_be_focused()
    expect(page.locator(".flag-state")).to_have_text("Flagged for review.")
    expect(page.get_by_role("link", name=f"Question {n}, answered, flagged")).to_be_visible()
    expect(page.locator("#navigator-summary")).to_contain_text("1 flagged")
    expect(page.locator("#announcer")).to_have_text(f"Question {n} flagged for review.")
    expect(page.locator("#answer")).to_have_value("12.5")
    assert page.evaluate("document.querySelector('#answer').dataset.same") == "yes"

    page.get_by_role("button", name="Remove flag").click()
    expect(page.get_by_role("button", name="Flag for review")).to_be_focused()
    expect(page.get_by_role("link", name=f"Question {n}, answered")).to_be_visible()
    expect(page.locator("#announcer")).to_have_text(f"Flag removed from question {n}.")
    page.get_by_role("button", name="Flag for review").click()
    expect(page.locator(".flag-state")).to_be_visible()

    # Review and finish lists the flagged question, linked back to it.
    page.locator(".nav-finish a").click()
    expect(page.get_by_role("heading", name="Review and finish")).to_be_focused()
    flagged = page.locator(".flagged-list")
    expect(flagged.get_by_role("link")).to_have_text([re.compile(rf"^Question {n} · ")])
    axe(page)
    flagged.get_by_role("link").click()
    expect(page.locator(HEADING)).to_contain_text(f"Question {n} of 16")
    assert page.evaluate("window.loadedOnce") is True  # no page load all along


def test_next_swaps_the_question_and_updates_the_navigator_in_place(new_page, server):
    """After an answer htmx swaps only the question; the navigator is the same element,
    its changed entries replaced out of band, and those entries still lead somewhere."""
    page = new_page(viewport={"width": 1280, "height": 800})
    begin(page, server)
    page.evaluate("document.getElementById('navigator').dataset.same = 'yes'")
    # Every text the announcer is given (it is cleared first, then set).
    page.evaluate(
        """window.announced = [];
        new MutationObserver(() => {
          const text = document.getElementById('announcer').textContent;
          if (text) window.announced.push(text);
        }).observe(document.getElementById('announcer'), {childList: true, subtree: true})"""
    )
    page.locator("input[name=answer]").first.check()
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(HEADING)).to_contain_text("Question 2 of 16")
    expect(page.locator(HEADING)).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Question 2 of 16 · "))
    expect(page.locator("#announcer")).to_have_text(re.compile(r"^Question 2 of 16 · "))
    page.wait_for_timeout(300)
    assert len(page.evaluate("window.announced")) == 1  # once, not once per swapped element
    assert page.url.endswith("/q/2")
    expect(page.locator("#navigator-summary")).to_have_text("Questions: 1 of 16 answered")
    expect(page.get_by_role("link", name="Question 1, answered")).not_to_have_attribute(
        "aria-current", "page"
    )
    expect(entry(page, 2)).to_have_attribute("aria-current", "page")
    expect(page.locator(".nav-q.is-current")).to_have_count(1)
    assert page.evaluate("document.getElementById('navigator').dataset.same") == "yes"
    # A flag, then Next: the list stays in step (the flag response updates the marks the
    # form sends), so only the two entries change, and they are right.
    page.get_by_role("button", name="Flag for review").click()
    expect(page.get_by_role("link", name="Question 2, not answered, flagged")).to_be_visible()
    page.evaluate("document.getElementById('nav-q-9').dataset.same = 'yes'")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(HEADING)).to_contain_text("Question 3 of 16")
    # Entry 9 did not change: the same element, so the list was not sent whole.
    assert page.evaluate("document.getElementById('nav-q-9').dataset.same") == "yes"
    expect(page.get_by_role("link", name="Question 2, not answered, flagged")).to_be_visible()
    expect(page.locator("#navigator-summary")).to_have_text(
        "Questions: 1 of 16 answered, 1 flagged"
    )
    assert page.evaluate("document.getElementById('navigator').dataset.same") == "yes"
    # The swapped-in entry is a boosted link like the others: back to question 1.
    page.get_by_role("link", name="Question 1, answered").click()
    expect(page.locator(HEADING)).to_contain_text("Question 1 of 16")
    expect(page.locator("input[name=answer]").first).to_be_checked()
    assert page.evaluate("document.getElementById('navigator').dataset.same") is None  # reloaded


def test_skip_note_is_shown_and_announced_once_with_htmx(page: Page, server):
    begin(page, server)
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(HEADING)).to_contain_text("Question 2 of")
    note = "Question 1 was skipped; you can come back to it from the question list."
    expect(page.locator(".skip-note")).to_have_text(note)
    expect(page.locator("#announcer")).to_have_text(
        re.compile(rf"^Question 2 of 16 · .+\. {re.escape(note)}$")
    )
    # The link in the note leads to the list.
    page.locator(".skip-note a").click()
    expect(page.locator("#navigator")).to_be_in_viewport()
    # Answering, then Next: no note.
    page.locator("input[name=answer]").first.check()
    expect(page.locator("#save-status")).to_have_text("Answer saved.")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(HEADING)).to_contain_text("Question 3 of")
    expect(page.locator(".skip-note")).to_have_count(0)
    page.reload()
    expect(page.locator(".skip-note")).to_have_count(0)


def test_in_practice_a_flag_keeps_an_unchecked_choice(new_page, server):
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(server.url("/"))
    page.get_by_role("button", name="Practise with instant feedback").click()
    page.get_by_role("button", name="Continue to the questions").click()
    expect(page.locator(HEADING)).to_contain_text("Practice · Question 1 of")
    page.locator("input[name=answer]").nth(1).check()
    page.get_by_role("button", name="Flag for review").click()
    expect(page.get_by_role("button", name="Remove flag")).to_be_visible()
    expect(page.locator("input[name=answer]").nth(1)).to_be_checked()
    expect(page.locator("#feedback-heading")).to_have_count(0)  # not checked for the taker
    page.locator("#navigator > summary").click()
    expect(page.get_by_role("link", name="Question 1, not answered, flagged")).to_be_visible()


# --- without JavaScript -------------------------------------------------------------------------


def test_navigator_flags_and_skip_note_without_javascript(no_js_page: Page, server):
    page = no_js_page
    begin(page, server)
    navigator = page.locator("#navigator")
    expect(navigator).not_to_have_attribute("open", "")  # a closed disclosure
    expect(entry(page, 3)).to_be_hidden()
    page.locator("#navigator > summary").click()
    expect(entry(page, 3)).to_be_visible()
    entry(page, 3).click()
    expect(page.locator(HEADING)).to_contain_text("Question 3 of 16")

    # The flag posts the form: a choice made comes back with the flag.
    page.locator("input[name=answer]").first.check()
    page.get_by_role("button", name="Flag for review").click()
    expect(page.locator(HEADING)).to_contain_text("Question 3 of 16")
    assert page.url.endswith("/q/3")
    expect(page.get_by_role("button", name="Remove flag")).to_be_visible()
    expect(page.locator("input[name=answer]").first).to_be_checked()
    page.locator("#navigator > summary").click()
    expect(page.get_by_role("link", name="Question 3, answered, flagged")).to_be_visible()

    # Next with nothing chosen on question 4: question 5 says so, once.
    page.get_by_role("button", name="Next", exact=True).click()
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(HEADING)).to_contain_text("Question 5 of 16")
    expect(page.locator(".skip-note")).to_contain_text("Question 4 was skipped")
    page.reload()
    expect(page.locator(".skip-note")).to_have_count(0)

    page.get_by_role("button", name="Review and finish").first.click()
    expect(page.get_by_role("heading", name="Flagged for review")).to_be_visible()
    page.locator(".flagged-list").get_by_role("link").click()
    expect(page.locator(HEADING)).to_contain_text("Question 3 of 16")
    page.get_by_role("button", name="Remove flag").click()
    expect(page.get_by_role("button", name="Flag for review")).to_be_visible()


def test_about_you_asks_the_field_only_with_a_degree_without_javascript(no_js_page: Page, server):
    page = no_js_page
    page.goto(server.url("/"))
    page.get_by_role("button", name="Start the assessment").click()
    field = page.get_by_role("group", name="The field of that degree")
    expect(field).to_be_hidden()
    page.get_by_label("No degree").check()
    expect(field).to_be_hidden()
    page.get_by_label("Bachelor's degree").check()
    expect(field).to_be_visible()
    field.get_by_label("Marketing").check()
    page.get_by_role("radiogroup", name="Technical").get_by_label("4").check()
    page.get_by_role("button", name="Continue to the questions").click()
    expect(page.locator(HEADING)).to_contain_text("Question 1 of")
    page.get_by_role("button", name="Back", exact=True).click()
    expect(field.get_by_label("Marketing")).to_be_checked()
    expect(page.get_by_role("radiogroup", name="Technical").get_by_label("4")).to_be_checked()
    # Changing to "No degree" hides the field again; the server drops what it held.
    page.get_by_label("No degree").check()
    expect(field).to_be_hidden()
    page.get_by_role("button", name="Continue to the questions").click()
    page.get_by_role("button", name="Back", exact=True).click()
    expect(page.get_by_label("No degree")).to_be_checked()
    page.get_by_label("Master's degree or higher").check()
    expect(field.get_by_label("Marketing")).not_to_be_checked()


# --- by keyboard alone ----------------------------------------------------------------------------


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_navigator_and_flag_by_keyboard_alone(new_page, server):
    page = new_page(viewport={"width": 390, "height": 844})
    begin(page, server)
    # On a phone the navigator is closed: Tab to it, open it with Enter.
    tab_to(page, "#navigator > summary")
    page.keyboard.press("Enter")
    expect(page.locator("#navigator")).to_have_attribute("open", "")
    tab_to(page, "a[aria-label^='Question 4,']")
    page.keyboard.press("Enter")
    expect(page.locator(HEADING)).to_contain_text("Question 4 of 16")
    expect(page.locator(HEADING)).to_be_focused()

    # Space flags, Enter takes the flag off; focus stays on the toggle.
    tab_to(page, "#flag-button")
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Remove flag")).to_be_focused()
    expect(page.get_by_role("link", name="Question 4, not answered, flagged")).to_be_attached()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Flag for review")).to_be_focused()
    expect(page.get_by_role("link", name="Question 4, not answered")).to_be_attached()
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Remove flag")).to_be_focused()

    # The navigator's Review and finish link, by keyboard too.
    tab_to(page, ".nav-finish a")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Review and finish")).to_be_focused()
    expect(page.locator(".flagged-list")).to_contain_text("Question 4")


# --- phone widths, one screen, accessibility ------------------------------------------------------


def test_pages_fit_every_phone_width_and_pass_axe(new_page, server, axe):
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(server.url("/"))
    page.get_by_role("button", name="Start the assessment").click()
    about_url = page.url
    page.get_by_label("Master's degree or higher").check()  # the follow-up shows
    axe(page)
    page.get_by_role("button", name="Continue to the questions").click()
    page.get_by_role("button", name="Next", exact=True).click()  # a skip note on question 2
    expect(page.locator(".skip-note")).to_be_visible()
    page.get_by_role("button", name="Flag for review").click()
    expect(page.locator(".flag-state")).to_be_visible()
    page.locator("#navigator > summary").click()
    expect(entry(page, 2)).to_be_visible()
    question_url = page.url
    axe(page)
    page.goto(question_url.rsplit("/q/", 1)[0] + "/finish")
    expect(page.locator(".flagged-list")).to_be_visible()
    axe(page)
    finish_url = page.url

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for url in (about_url, question_url, finish_url):
            page.goto(url)
            page.wait_for_load_state()
            if url == question_url:
                if not page.locator("#navigator[open]").count():
                    page.locator("#navigator > summary").click()
                expect(entry(page, 16)).to_be_visible()
            fits(page)


def test_about_you_fits_one_desktop_screen(new_page, server):
    page = new_page(viewport={"width": 1280, "height": 800})
    page.goto(server.url("/"))
    page.get_by_role("button", name="Start the assessment").click()
    button = page.get_by_role("button", name="Continue to the questions")
    # Everything, the button included, within the first 800 pixels; no scrolling needed.
    assert button.bounding_box()["y"] + button.bounding_box()["height"] <= 800
    assert page.locator("form.about").bounding_box()["height"] < 800
    # With a degree, its field shows too; the button stays in view.
    page.get_by_label("Bachelor's degree").check()
    expect(page.get_by_role("group", name="The field of that degree")).to_be_visible()
    assert button.bounding_box()["y"] + button.bounding_box()["height"] <= 800
    page.get_by_label("No degree").check()
    # Card options as the questions have: at least 44 pixels high (WCAG 2.5.5 touch size).
    heights = page.locator("form.about .option").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height).filter(h => h > 0)"
    )
    assert len(heights) == 4 * 5 + 3 + 5 + 6 + 3  # the field of a degree waits for one
    assert min(heights) >= 44
    fits(page)
