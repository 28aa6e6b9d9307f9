"""The adaptive mode in Chromium: a whole attempt with htmx on a phone, and without JavaScript.

An adaptive attempt has no fixed length: the server adds the next question each time
the taker presses Next on the last one, or sends them to the finish screen.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.adaptive]

HEADING = "#question-heading"
# "Question 14 · Technical · between 32 and 80 in all": no "of N" in an adaptive attempt.
ADAPTIVE_HEADING = re.compile(
    r"^Question \d+ · .+ · (between|usually) (\d+) (and|to) (\d+) in all$"
)
NEXT_STOP = re.compile(r"/a/[\w-]+/(q/\d+|finish)$")


@pytest.fixture
def new_page(browser):
    """Pages in contexts of their own, made with the options given, that record console
    errors as ``page`` does; closed after the test."""
    contexts = []

    def make(**options) -> Page:
        contexts.append(browser.new_context(**options))
        page = contexts[-1].new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.console_errors = errors
        return page

    yield make
    for context in contexts:
        context.close()


def start(page: Page, server) -> None:
    page.goto(server.url("/"))
    expect(page.locator("#covers-heading + p")).to_contain_text("are chosen as you answer")
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.get_by_role("heading", name="About you")).to_be_visible()


def answer(page: Page, kind: str, *, other: bool = False, htmx: bool) -> None:
    """Answer the question on screen as a taker would: the first option, the first
    box, the number 1, the middle of the Likert scale; ``other`` gives another answer."""
    if kind == "numeric":
        page.fill("#answer", "2" if other else "1")
        page.keyboard.press("Tab")  # a typed number is saved when the field is left
    elif kind == "likert":
        page.locator("input[name=answer]").nth(3 if other else 2).check()
    else:  # single or multiple: the first option, or the second instead
        boxes = page.locator("input[name=answer]")
        if other:
            if kind == "multiple":
                boxes.first.uncheck()
            boxes.nth(1).check()
        else:
            boxes.first.check()
    if htmx:
        expect(page.locator("#save-status")).to_have_text("Answer saved.")


def on_question(page: Page, n: int) -> str:
    """Check that question ``n`` of an adaptive attempt is on screen; its type."""
    expect(page.locator(HEADING)).to_have_text(re.compile(rf"^Question {n} · "))
    assert page.url.endswith(f"/q/{n}"), page.url
    expect(page.locator(HEADING)).to_have_text(ADAPTIVE_HEADING)
    assert page.locator("progress").count() == 0
    expect(page.get_by_role("button", name="Next", exact=True)).to_be_visible()
    return page.locator("form.question").get_attribute("data-type")


def length_range(page: Page) -> tuple[int, int]:
    """The fewest and most questions the attempt asks, as its question heading says."""
    found = ADAPTIVE_HEADING.fullmatch(page.inner_text(HEADING))
    return int(found.group(2)), int(found.group(4))


def press(page: Page, name: str) -> None:
    url = page.url
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_url(lambda u: u != url and NEXT_STOP.search(u) is not None)


def check_result(page: Page) -> None:
    verdict = page.locator("h1#verdict-heading")
    expect(verdict).to_be_visible()
    assert verdict.get_attribute("data-verdict")
    assert re.fullmatch(r"\d\.\d\d", verdict.get_attribute("data-confidence") or "")
    expect(page.locator(".verdict .eyebrow")).to_contain_text("Adaptive ·")
    expect(page.get_by_role("heading", name="Review of every question")).to_be_visible()


def test_adaptive_attempt_with_htmx_on_a_phone(new_page, server, axe):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    start(page, server)
    page.get_by_label("Display name").fill("Robin")
    page.get_by_role("button", name="Continue to the questions").click()
    page.evaluate("window.loadedOnce = true")

    def fits() -> None:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{page.url} scrolls sideways at 390 px"
        )

    kinds: list[str] = []
    went_back = checked_axe = False
    on_question(page, 1)
    fewest, most = length_range(page)
    n = 1
    while not page.url.endswith("/finish"):
        assert n <= most, f"question {n} of an attempt of at most {most}"
        kind = on_question(page, n)
        kinds.append(kind)
        if n > 1:  # focus moved to the new question, as in a fixed form
            expect(page.locator(HEADING)).to_be_focused()
        fits()
        if not checked_axe and kind != "likert":
            axe(page)
            checked_axe = True
        if not went_back and n >= 10 and kinds[n - 3] != "likert":
            # Question n is the last one asked. Go back two, change that scored answer,
            # then Next twice: back at question n, the same question, none added.
            prompt = page.inner_text("#prompt")
            press(page, "Back")
            on_question(page, n - 1)
            press(page, "Back")
            on_question(page, n - 2)
            answer(page, kinds[n - 3], other=True, htmx=True)
            press(page, "Next")
            on_question(page, n - 1)
            press(page, "Next")
            on_question(page, n)
            assert page.inner_text("#prompt") == prompt
            went_back = True
        answer(page, kind, htmx=True)
        press(page, "Next")
        n += 1

    expect(page.get_by_role("heading", name="Review and finish")).to_be_visible()
    assert went_back, f"the attempt ended after only {n - 1} questions"
    assert fewest <= n - 1 <= most, f"{n - 1} questions asked, not {fewest} to {most}"
    expect(
        page.get_by_text(f"You have answered all {n - 1} questions asked so far.")
    ).to_be_visible()
    assert "likert" in kinds and len(set(kinds)) >= 3, kinds
    assert page.evaluate("window.loadedOnce") is True  # htmx all the way, no page load
    fits()
    page.get_by_role("button", name="Finish and see my result").click()
    check_result(page)
    expect(page.locator(".verdict .eyebrow")).to_contain_text("Robin, your result")
    fits()
    assert page.console_errors == []
    axe(page)


def test_adaptive_attempt_without_javascript(new_page, server):
    page = new_page(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    start(page, server)
    page.get_by_role("button", name="Continue to the questions").click()
    on_question(page, 1)
    fewest, most = length_range(page)
    n = 1
    while not page.url.endswith("/finish"):
        assert n <= most, f"question {n} of an attempt of at most {most}"
        answer(page, on_question(page, n), htmx=False)
        press(page, "Next")
        n += 1
    expect(page.get_by_role("heading", name="Review and finish")).to_be_visible()
    assert fewest <= n - 1 <= most, f"{n - 1} questions asked, not {fewest} to {most}"
    expect(
        page.get_by_text(f"You have answered all {n - 1} questions asked so far.")
    ).to_be_visible()
    page.get_by_role("button", name="Finish and see my result").click()
    check_result(page)
