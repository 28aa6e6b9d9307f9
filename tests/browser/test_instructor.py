"""Instructors in Chromium: edit a question and see versions at work, conflicts, a broken raw
save, the statistics page, and accessibility of every instructor page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from quiz import bundled
from quiz.accounts import hash_password
from quiz.bank import load
from quiz.store import Store

from .test_report import finish_attempt

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture
def instructor(server):
    store = Store(server.app.config["DATABASE"])
    store.set_instructor("ann", hash_password(PASSWORD))
    store.close()
    return "ann"


def log_in(
    page: Page, server, path: str = "/instructor/", heading: str = "The question bank"
) -> None:
    """Open ``path`` as ann, through the login page it leads to, until ``heading`` shows."""
    page.goto(server.url(path))
    expect(page.get_by_role("heading", name="Instructor login")).to_be_visible()
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


LCP = "Up to what **Largest Contentful Paint** (LCP) is a product page rated *good*?"


@pytest.fixture
def every_question(bank_file):
    """The bundled bank without its draw, so that every attempt has the edited question.
    Listed before ``server`` so that the server starts with it."""
    bank_file.write_text(bank_file.read_text().replace("  draw: 12 ", "  # draw: 12 "))


@pytest.mark.full_bank
def test_an_edit_reaches_new_attempts_while_a_running_one_keeps_its_version(
    every_question, browser, page: Page, server, instructor
):
    # A taker starts before the edit.
    taker = browser.new_context()
    running = taker.new_page()
    running.goto(server.url("/"))
    running.get_by_role("button", name="Start the assessment").click()
    running.get_by_role("button", name="Continue to the questions").click()
    expect(running.get_by_text("Largest Contentful Paint")).to_be_visible()

    log_in(page, server)
    page.get_by_role("link", name="Questions").click()
    page.get_by_role("searchbox", name="Search").fill("te-lcp-good")
    total = len(load(bundled("questions.yaml")).questions)
    expect(page.get_by_role("status").filter(has_text=f"of {total} questions")).to_have_text(
        f"1 of {total} questions."
    )
    page.get_by_role("link", name="te-lcp-good", exact=True).click()
    prompt = page.get_by_label("Prompt")
    expect(prompt).to_have_value(re.compile("Largest Contentful Paint"))
    prompt.fill("Up to what LCP is a product page rated *good* by Google?")
    expect(page.locator("#problems")).to_have_text("No problems found.")  # live validation
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_contain_text("Up to what LCP is a product page rated")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved question te-lcp-good.")).to_be_visible()

    fresh = browser.new_context().new_page()
    fresh.goto(server.url("/"))
    fresh.get_by_role("button", name="Start the assessment").click()
    fresh.get_by_role("button", name="Continue to the questions").click()
    expect(fresh.get_by_text("Up to what LCP is a product page rated")).to_be_visible()

    running.reload()
    expect(running.get_by_text("Largest Contentful Paint")).to_be_visible()
    expect(running.get_by_text("rated good by Google")).to_have_count(0)
    taker.close()
    fresh.context.close()


def test_a_conflicting_save_is_refused(browser, page: Page, server, instructor):
    log_in(page, server)
    other = browser.new_context().new_page()
    log_in(other, server)
    for p in (page, other):
        p.goto(server.url("/instructor/questions/an-aov"))
    other.get_by_label("Unit").fill("EUR")
    other.get_by_role("button", name="Save").click()
    expect(other.get_by_text("Saved question an-aov.")).to_be_visible()

    page.get_by_label("Unit").fill("euros")
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_role("heading", name="Someone saved the bank after you opened this page")
    ).to_be_visible()
    expect(page.locator(".diff")).to_contain_text('+    unit: "EUR"')
    expect(page.get_by_label("Unit")).to_have_value("euros")
    page.console_errors.remove(
        "Failed to load resource: the server responded with a status of 409 (CONFLICT)"
    )
    other.context.close()


def test_a_broken_raw_save_is_refused_with_its_line(page: Page, server, instructor):
    log_in(page, server)
    page.get_by_role("link", name="Raw file").click()
    editor = page.get_by_label("questions.yaml")
    text = editor.input_value()
    broken = text.replace("    answer: 43.2\n", "", 1)
    line = broken[: broken.index("- id: an-uptime-999")].count("\n") + 1
    editor.fill(broken)
    expected = f"questions.yaml:{line}: question 'an-uptime-999': numeric question needs 'answer'"
    expect(page.locator("#problems")).to_contain_text(expected)  # checked as it is typed
    page.get_by_role("button", name="Save the file").click()
    expect(
        page.get_by_role("heading", name="Not saved: the bank would have problems")
    ).to_be_visible()
    expect(page.locator("#save-problems")).to_contain_text(expected)
    assert "    answer: 43.2\n" in Path(server.app.config["QUESTIONS"]).read_text()
    page.console_errors.remove(
        "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"
    )


def test_statistics_after_a_few_attempts_and_accessibility(
    browser, context, page: Page, server, instructor, axe
):
    for pick in (0, 1, 0):
        taker = browser.new_context()
        finish_attempt(taker, server, pick=pick)
        taker.close()
    store = Store(server.app.config["DATABASE"])
    drawn = store.db.execute(
        "SELECT DISTINCT version_hash FROM attempt_items JOIN question_versions "
        "ON hash = version_hash WHERE json_extract(body, '$.weight') > 0"
    ).fetchall()
    store.close()
    log_in(page, server)
    axe(page)
    page.get_by_role("navigation", name="Instructor").get_by_role("link", name="Statistics").click()
    expect(page.get_by_text("Over 3 finished attempts")).to_be_visible()
    whole = page.locator("table.stats").first.locator("tr", has_text="Whole test")
    expect(whole.locator("td").first).to_have_text("3")
    # Each attempt drew its own questions: a question's figures rest on those that had it.
    rows = page.locator("table.items tbody tr")
    expect(rows).to_have_count(len(drawn))
    for cell in rows.locator("td:nth-of-type(2)").all_inner_texts():  # Attempts
        assert re.fullmatch(r"[123] \(tentative\)", cell.strip()), cell
    axe(page)
    for name in (
        "Overview",
        "Questions",
        "Settings and feedback",
        "Raw file",
        "Revisions",
        "Import and export",
        "Results",
    ):
        page.get_by_role("navigation", name="Instructor").get_by_role("link", name=name).click()
        expect(page.locator("h1")).to_be_visible()
        axe(page)
    page.goto(server.url("/instructor/questions/te-lcp-good"))
    axe(page)
    page.goto(server.url("/instructor/questions/new?type=judgement"))
    axe(page)
    page.goto(server.url("/instructor/revisions/1"))
    axe(page)
    page.get_by_role("button", name=re.compile("Log out")).click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    axe(page)


def test_the_results_list_narrowed_to_a_cohort(page: Page, server, instructor, axe):
    from ..test_cohort_filters import seed  # the cohort tests' seeding, on this server's app

    store = Store(server.app.config["DATABASE"])
    spring = store.create_cohort("ann", "Spring intake", "s" * 32)
    store.create_cohort("ann", "Autumn intake", "a" * 32)
    store.close()
    inside = seed(server.app, [0.3, 0.8], "Spring", spring)
    seed(server.app, [0.5, 0.6, 0.9], "Outside", rng_seed=2)
    log_in(page, server)
    page.goto(server.url("/instructor/results"))
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(5)
    page.get_by_label("Cohort").select_option(label="Spring intake")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Attempts in the cohort")).to_be_visible()
    expect(page.get_by_role("link", name="Spring intake")).to_have_attribute(
        "href", f"/instructor/cohorts/{spring}"
    )
    expect(rows).to_have_count(2)
    ids = [int(t.strip().split()[-1]) for t in rows.locator("th").all_inner_texts()]
    assert sorted(ids) == sorted(inside)
    assert f"cohort={spring}" in page.url
    axe(page)
