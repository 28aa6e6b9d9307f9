"""A taker's whole journey in Chromium: with htmx, without JavaScript, by keyboard alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

HEADING = "#question-heading"


def start(page: Page, server) -> None:
    page.goto(server.url("/"))
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.get_by_role("heading", name="About you")).to_be_visible()


def answer_current(page: Page) -> None:
    """Give some answer to the question on screen."""
    if page.locator("#answer").count():
        page.fill("#answer", "2")
        page.keyboard.press("Tab")  # a typed number is saved when the field is left
    else:
        page.locator("input[name=answer]").first.check()


def total_of(page: Page) -> int:
    return int(re.search(r"of (\d+)", page.inner_text(HEADING)).group(1))


def test_complete_attempt_with_htmx_without_reloading(page: Page, server, axe):
    start(page, server)
    page.get_by_label("Display name").fill("Robin")
    page.get_by_role("button", name="Continue to the questions").click()
    expect(page.locator(HEADING)).to_contain_text("Question 1 of")
    total = total_of(page)
    page.evaluate("window.loadedOnce = true")

    for n in range(1, total + 1):
        expect(page.locator(HEADING)).to_have_text(re.compile(rf"^Question {n} of {total} · "))
        assert page.url.endswith(f"/q/{n}")
        answer_current(page)
        expect(page.locator("#save-status")).to_have_text("Answer saved.")  # saved on change
        page.get_by_role(
            "button", name="Next" if n < total else "Review and finish", exact=True
        ).click()
        if n < total:
            expect(page.locator(HEADING)).to_have_text(re.compile(rf"^Question {n + 1} of "))
            # Focus moved to the new question and its progress was announced.
            expect(page.locator(HEADING)).to_be_focused()
            expect(page.locator("#announcer")).to_have_text(re.compile(rf"^Question {n + 1} of"))
            assert page.title().startswith(f"Question {n + 1} of {total}")

    expect(page.get_by_role("heading", name="Review and finish")).to_be_visible()
    assert page.url.endswith("/finish")
    expect(page.get_by_text(f"You have answered all {total} questions.")).to_be_visible()
    assert page.evaluate("window.loadedOnce") is True  # no page load since question 1

    # The browser's Back button returns to the last question, with its answer.
    page.go_back()
    expect(page.locator(HEADING)).to_have_text(re.compile(rf"^Question {total} of"))
    assert page.url.endswith(f"/q/{total}")
    page.go_back()
    expect(page.locator(HEADING)).to_have_text(re.compile(rf"^Question {total - 1} of"))
    assert page.locator("input[name=answer]:checked, #answer").count() >= 1

    page.goto(server.url(page.url.split(str(server.port))[1].rsplit("/q/", 1)[0] + "/finish"))
    page.get_by_role("button", name="Finish and see my result").click()
    expect(page.get_by_text("Robin, your result")).to_be_visible()
    expect(page.get_by_role("heading", name="Review of every question")).to_be_visible()
    expect(page.locator(".review-item")).to_have_count(total)
    axe(page)


def test_complete_attempt_without_javascript(no_js_page: Page, server):
    page = no_js_page
    start(page, server)
    page.get_by_role("button", name="Continue to the questions").click()
    total = total_of(page)
    for n in range(1, total + 1):
        expect(page.locator(HEADING)).to_have_text(re.compile(rf"^Question {n} of {total}"))
        answer_current(page)
        page.get_by_role(
            "button", name="Next" if n < total else "Review and finish", exact=True
        ).click()
    expect(page.get_by_text(f"You have answered all {total} questions.")).to_be_visible()
    page.get_by_role("button", name="Finish and see my result").click()
    expect(page.get_by_role("heading", name="Your score in each area")).to_be_visible()
    expect(page.locator("table.scores tbody tr")).to_have_count(4)


def test_a_bad_number_without_javascript_keeps_what_was_typed(no_js_page: Page, server):
    page = no_js_page
    start(page, server)
    page.get_by_role("button", name="Continue to the questions").click()
    while not page.locator("#answer").count():
        page.get_by_role("button", name="Next", exact=True).click()
    page.fill("#answer", "lots")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("“lots” is not a number")
    expect(page.locator("#answer")).to_have_value("lots")


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_complete_attempt_by_keyboard_alone(page: Page, server):
    page.goto(server.url("/"))
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="About you")).to_be_visible()
    tab_to(page, "#display_name")
    page.keyboard.type("Kim")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(HEADING)).to_contain_text("Question 1 of")
    total = total_of(page)
    for n in range(1, total + 1):
        expect(page.locator(HEADING)).to_have_text(re.compile(rf"^Question {n} of"))
        if n > 1:
            expect(page.locator(HEADING)).to_be_focused()
        tab_to(page, "[name=answer]")
        if page.evaluate("document.activeElement.type") == "text":
            page.keyboard.type("2")
            page.keyboard.press("Tab")
        else:
            page.keyboard.press("Space")
        expect(page.locator("#save-status")).to_have_text("Answer saved.")
        tab_to(page, "button[value=next]")
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Review and finish")).to_be_focused()
    tab_to(page, "form[action$='/finish'] button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Kim, your result")).to_be_visible()


def test_resume_after_reload_closing_the_tab_and_a_server_restart(context, page: Page, server):
    start(page, server)
    page.get_by_role("button", name="Continue to the questions").click()
    page.locator("input[name=answer]").first.check()
    expect(page.locator("#save-status")).to_have_text("Answer saved.")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(HEADING)).to_contain_text("Question 2 of")

    page.reload()
    expect(page.locator(HEADING)).to_contain_text("Question 2 of")

    # Close the tab; a new one finds the attempt through the cookie.
    page.close()
    tab = context.new_page()
    tab.goto(server.url("/"))
    tab.get_by_role("link", name="Continue your assessment").click()
    expect(tab.locator(HEADING)).to_contain_text("Question 2 of")

    # Restart the server on the same database and port.
    server.stop()
    server.start()
    tab.reload()
    expect(tab.locator(HEADING)).to_contain_text("Question 2 of")
    tab.get_by_role("button", name="Back", exact=True).click()
    expect(tab.locator(HEADING)).to_contain_text("Question 1 of")
    expect(tab.locator("input[name=answer]:checked")).to_have_count(1)
    tab.close()


def test_pages_have_no_accessibility_violations(page: Page, server, axe):
    page.goto(server.url("/"))
    axe(page)
    start(page, server)
    axe(page)
    page.get_by_role("button", name="Continue to the questions").click()
    seen = set()
    total = total_of(page)
    for number in range(1, total + 1):
        # Read the form only once question n is on screen, not the one htmx is replacing.
        expect(page.locator(HEADING)).to_contain_text(f"Question {number} of")
        kind = page.locator("form.question").get_attribute("data-type")
        if kind not in seen:
            seen.add(kind)
            axe(page)
        if len(seen) == 4:
            break
        page.get_by_role("button", name="Next", exact=True).click()
    assert seen == {"single", "multiple", "numeric", "likert"}
    page.get_by_role("button", name="Review and finish").first.click()
    expect(page.get_by_role("heading", name="Review and finish")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Finish and see my result").click()
    expect(page.get_by_role("heading", name="Review of every question")).to_be_visible()
    axe(page)
    page.goto(server.url("/a/" + "x" * 32))
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    axe(page)
    page.console_errors.remove(
        "Failed to load resource: the server responded with a status of 404 (NOT FOUND)"
    )


def test_phone_sized_screen_needs_no_sideways_scrolling(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(server.url("/"))
    page.get_by_role("button", name="Start the assessment").click()
    page.get_by_role("button", name="Continue to the questions").click()
    for number in range(1, 4):
        # Measure only once the question has rendered, not mid-navigation.
        expect(page.locator(HEADING)).to_contain_text(f"Question {number} of")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_role("button", name="Next", exact=True).click()
    context.close()
