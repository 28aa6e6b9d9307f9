"""A cohort's invitation in Chromium (issue 18): open the link, agree, start, reach About
you — with htmx and without JavaScript; axe on the invitation and on My results with a
cohort attempt; nothing scrolls sideways on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from quiz.store import Store

pytestmark = pytest.mark.browser

TOKEN = "Inv1tat10n_t0ken-0123456789abcde"
NAME = "Spring 2027 intake of the Northern e-commerce bootcamp"
NO_SIDEWAYS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def make_cohort(server, **fields) -> int:
    store = Store(server.config["DATABASE"])
    try:
        return store.create_cohort(
            "coach", NAME, TOKEN, description="Week 1: before the first class.", **fields
        )
    finally:
        store.close()


def cohort_of_attempts(server) -> list:
    store = Store(server.config["DATABASE"])
    try:
        return [r[0] for r in store.db.execute("SELECT cohort_id FROM attempts").fetchall()]
    finally:
        store.close()


def journey(page: Page, server, open_link: bool = True) -> None:
    if open_link:
        page.goto(server.url(f"/c/{TOKEN}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(page.get_by_text("Who sees your results")).to_be_visible()
    page.get_by_role("button", name=re.compile("in the cohort")).click()
    # Not agreed yet: refused, and the page says why.
    expect(page.get_by_role("alert")).to_contain_text("tick the box")
    if hasattr(page, "console_errors"):  # the refusal is expected
        page.console_errors.remove(
            "Failed to load resource: the server responded with a status of 422 "
            "(UNPROCESSABLE ENTITY)"
        )
    page.get_by_label("I agree that the cohort's instructors see this attempt").check()
    page.get_by_role("button", name=re.compile("in the cohort")).click()
    expect(page.get_by_role("heading", name="About you")).to_be_visible()
    assert re.search(r"/a/[A-Za-z0-9_-]{32}/about$", page.url)


def test_the_invitation_journey_with_htmx(page: Page, server, axe):
    cohort = make_cohort(server)
    page.goto(server.url(f"/c/{TOKEN}"))
    axe(page)
    page.evaluate("window.loadedOnce = true")
    journey(page, server, open_link=False)
    assert page.evaluate("window.loadedOnce") is True  # htmx swapped the pages in
    assert cohort_of_attempts(server) == [cohort]


def test_the_invitation_journey_without_javascript(no_js_page: Page, server):
    cohort = make_cohort(server)
    journey(no_js_page, server)
    assert cohort_of_attempts(server) == [cohort]


def test_my_results_with_a_cohort_attempt_passes_axe_and_leaving_works(page: Page, server, axe):
    make_cohort(server)
    journey(page, server)
    page.goto(server.url("/me/"))
    expect(page.get_by_text(f"In cohort: {NAME}")).to_be_visible()
    axe(page)
    page.get_by_role("button", name=re.compile("Leave this cohort")).click()
    expect(page.get_by_role("status").first).to_contain_text("You left the cohort")
    expect(page.get_by_text("In cohort:")).to_have_count(0)
    assert cohort_of_attempts(server) == [None]


def test_a_closed_cohort_page_passes_axe(page: Page, server, axe):
    store = Store(server.config["DATABASE"])
    try:
        cohort = store.create_cohort("coach", NAME, TOKEN)
        store.update_cohort(cohort, "coach", closed_at="2020-01-01T00:00:00+00:00")
    finally:
        store.close()
    page.goto(server.url(f"/c/{TOKEN}"))
    expect(page.get_by_text("This cohort is closed")).to_be_visible()
    axe(page)


@pytest.mark.parametrize("width", [320, 360, 390])
def test_nothing_scrolls_sideways_on_a_phone(browser, server, width):
    make_cohort(server)
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto(server.url(f"/c/{TOKEN}"))
        assert page.evaluate(NO_SIDEWAYS), f"the invitation scrolls sideways at {width}px"
        page.get_by_label("I agree that the cohort's instructors see this attempt").check()
        page.get_by_role("button", name=re.compile("in the cohort")).click()
        expect(page.get_by_role("heading", name="About you")).to_be_visible()
        page.goto(server.url("/me/"))
        expect(page.get_by_text(f"In cohort: {NAME}")).to_be_visible()
        assert page.evaluate(NO_SIDEWAYS), f"My results scrolls sideways at {width}px"
    finally:
        context.close()
