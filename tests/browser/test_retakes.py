"""Retakes and practice in Chromium: a fresh set of questions, instant explanations."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .test_report import finish_attempt

pytestmark = pytest.mark.browser

HEADING = "#question-heading"
SCORED = ".review-item:not(.review-unscored) .prompt"


def scored_prompts(page: Page, server, token: str) -> list[str]:
    page.goto(server.url(f"/a/{token}/result?expand=1"))  # every question open
    return page.locator(SCORED).all_inner_texts()


@pytest.mark.full_bank
def test_a_retake_shows_mostly_new_questions(context: BrowserContext, page: Page, server):
    first = scored_prompts(page, server, finish_attempt(context, server))
    page.goto(server.url("/"))
    page.get_by_role("button", name="Start the assessment").click()
    page.get_by_role("button", name="Continue to the questions").click()
    expect(page.locator(HEADING)).to_contain_text("Question 1 of 56")
    shown = page.locator("#prompt").inner_text()
    page.get_by_role("button", name="Review and finish").first.click()
    page.get_by_role("button", name="Finish and see my result").click()
    expect(page.get_by_role("heading", name="Review of every question")).to_be_visible()
    page.goto(page.url + "?expand=1")
    second = page.locator(SCORED).all_inner_texts()
    assert len(first) == len(second) == 48 and shown in second
    repeated = set(first) & set(second)
    assert len(repeated) <= len(second) / 3  # the bound; the bundled pools give none
    assert repeated == set()


def test_practice_explains_each_answer_with_htmx(page: Page, server, axe):
    page.goto(server.url("/"))
    page.get_by_role("button", name="Practise with instant feedback").click()
    page.get_by_role("button", name="Continue to the questions").click()
    page.evaluate("window.loadedOnce = true")
    for n in (1, 2):
        expect(page.locator(HEADING)).to_have_text(re.compile(rf"^Practice · Question {n} of "))
        page.locator("input[name=answer]").first.check()
        page.get_by_role("button", name="Check my answer").click()
        feedback = page.locator("#feedback-heading")
        expect(feedback).to_have_text(re.compile(r"^(Right|Partly right|Not right)"))
        expect(feedback).to_be_focused()  # a screen reader hears the verdict first
        expect(page.locator(".feedback .explanation")).not_to_be_empty()
        if n == 1:
            axe(page)
        page.get_by_role("button", name="Next", exact=True).click()
    assert page.evaluate("window.loadedOnce") is True  # htmx swapped every step


def test_practice_explains_each_answer_without_javascript(no_js_page: Page, server):
    page = no_js_page
    page.goto(server.url("/"))
    page.get_by_role("button", name="Practise with instant feedback").click()
    page.get_by_role("button", name="Continue to the questions").click()
    expect(page.locator(HEADING)).to_have_text(re.compile(r"^Practice · Question 1 of "))
    page.locator("input[name=answer]").first.check()
    page.get_by_role("button", name="Check my answer").click()
    expect(page.locator("#feedback-heading")).to_have_text(
        re.compile(r"^(Right|Partly right|Not right)")
    )
    expect(page.locator(".feedback .explanation")).not_to_be_empty()
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(HEADING)).to_have_text(re.compile(r"^Practice · Question 2 of "))
    expect(page.locator("#feedback-heading")).to_have_count(0)
