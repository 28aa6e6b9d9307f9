"""The report and My results in Chromium: charts, readiness, calibration, trend, recovery,
deletion, printing, accessibility, and the report without JavaScript."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfReader

from quiz.store import Store

pytestmark = pytest.mark.browser

PROFILE = {
    "rate-technical": "5",
    "rate-business": "2",
    "rate-analytical": "3",
    "rate-client": "4",
    "bg-degree": "bachelor",
    "bg-field": "business",
    "bg-experience": "y4-5",
    "bg-roles": "marketing-analyst",
    "bg-hours": "sometimes",
}


def finish_attempt(context: BrowserContext, server, pick: int = 0) -> str:
    """Take a whole attempt through the context's own cookies (fast, no clicking); its token."""
    http = context.request
    token = re.search(r'"X-CSRFToken": "([^"]+)"', http.get(server.url("/")).text()).group(1)
    about = http.post(server.url("/start"), form={"csrf_token": token})
    base = about.url.removesuffix("/about")
    http.post(f"{base}/about", form={"csrf_token": token, **PROFILE})
    n = 1
    page = http.get(f"{base}/q/1").text()
    total = int(re.search(r"of (\d+)", page).group(1))
    for n in range(1, total + 1):
        values = re.findall(r'name="answer" value="(\d+)"', page)
        answer = values[min(pick, len(values) - 1)] if values else str(2 + pick)
        page = http.post(
            f"{base}/q/{n}",
            form={"csrf_token": token, "nav": "next", "answer": answer},
            headers={"HX-Request": "true"},
        ).text()
    http.post(f"{base}/finish", form={"csrf_token": token})
    return base.rsplit("/", 1)[1]


def test_report_shows_chart_table_readiness_and_calibration(context, page: Page, server, axe):
    token = finish_attempt(context, server)
    page.goto(server.url(f"/a/{token}/result"))
    expect(page.locator(".area-chart .area-row")).to_have_count(4)
    expect(page.locator(".area-chart .area-track rect.bar")).to_have_count(4)
    expect(page.locator(".area-chart .key-swatch")).to_have_count(3)  # the bands in the key
    expect(page.locator(".area-chart path.self-rating")).to_have_count(5)  # four ratings and key
    table = page.get_by_role("table", name="Score, band and self-rating in each area")
    expect(table).to_be_hidden()  # behind its disclosure
    page.get_by_text("The same figures as a table").click()
    expect(table).to_be_visible()
    expect(page.get_by_role("heading", name="Readiness for the role")).to_be_visible()
    expect(page.get_by_text("one to three years away")).to_be_visible()
    expect(page.get_by_role("heading", name="How well you know your strengths")).to_be_visible()
    expect(page.locator(".calibration li")).to_have_count(4)
    expect(page.get_by_role("button", name="Print or save as PDF")).to_be_visible()
    axe(page)

    # Narrowing the review swaps only the review, and the URL follows.
    all_items = page.locator(".review-item").count()
    page.evaluate("window.stayed = true")
    page.get_by_role("link", name=re.compile(r"Only the ones I missed")).click()
    expect(page).to_have_url(re.compile(r"show=missed$"))
    expect(page.locator(".review-right")).to_have_count(0)
    assert page.locator(".review-item").count() < all_items
    assert page.evaluate("window.stayed") is True
    axe(page)


def test_report_without_javascript(no_js_page: Page, browser, server):
    token = finish_attempt(no_js_page.context, server)
    page = no_js_page
    page.goto(server.url(f"/a/{token}/result"))
    expect(page.locator(".area-chart")).to_be_visible()
    expect(page.get_by_role("button", name="Print or save as PDF")).to_be_hidden()
    page.get_by_role("link", name=re.compile(r"Only the ones I missed")).click()
    expect(page).to_have_url(re.compile(r"show=missed$"))
    expect(page.locator(".review-right")).to_have_count(0)
    page.get_by_role("navigation").get_by_role("link", name="My results").click()
    expect(page.get_by_role("heading", name="My results")).to_be_visible()


def test_trend_appears_after_two_finished_attempts(context, page: Page, server, axe):
    finish_attempt(context, server, pick=1)
    page.goto(server.url("/me/"))
    expect(page.get_by_text("Finish a second attempt")).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(0)
    finish_attempt(context, server, pick=0)
    page.reload()
    expect(page.get_by_role("heading", name="Your progress")).to_be_visible()
    expect(page.locator("svg.chart polyline")).to_have_count(5)
    expect(page.locator("table.attempts tbody tr")).to_have_count(2)
    axe(page)


def test_recovery_link_works_in_a_fresh_browser(context, page: Page, browser, server, axe):
    token = finish_attempt(context, server)
    page.goto(server.url("/me/"))
    link = page.get_by_role("textbox", name="Private link").input_value()
    assert re.fullmatch(rf"{server.url('/me/recover/')}[A-Za-z0-9_-]{{32}}", link)
    fresh = browser.new_context()
    other = fresh.new_page()
    other.goto(server.url("/me/"))
    expect(other.get_by_text("This browser has no attempts yet")).to_be_visible()
    other.goto(link)
    axe(other)
    other.get_by_role("button", name="Show my results here").click()
    expect(other.get_by_text("Your results are now available in this browser.")).to_be_visible()
    expect(other.locator(f'a[href="/a/{token}/result"]')).to_be_visible()
    fresh.close()


def test_deleting_an_attempt_and_all_data(context, page: Page, server, axe):
    first = finish_attempt(context, server)
    second = finish_attempt(context, server, pick=1)
    page.goto(server.url("/me/"))
    page.get_by_role("link", name="Delete attempt #1").click()
    expect(page.get_by_role("heading", name="Delete this attempt?")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("The attempt and its answers are deleted.")).to_be_visible()
    store = Store(server.app.config["DATABASE"])
    try:
        assert store.attempt(first) is None and store.attempt(second) is not None
        page.get_by_role("link", name="Delete all my data now").click()
        page.get_by_role("button", name="Delete").click()
        expect(page.get_by_text("Deleted all your data: 1 attempt.")).to_be_visible()
        assert store.db["attempts"].count == 0 and store.db["responses"].count == 0
        assert store.db["takers"].count == 0
    finally:
        store.close()


def test_report_prints_cleanly_to_pdf(context, page: Page, server):
    token = finish_attempt(context, server)
    page.goto(server.url(f"/a/{token}/result"))
    page.emulate_media(media="print")
    for selector in (".site-header", ".site-footer", ".filter", "[data-print]"):
        assert not page.locator(selector).first.is_visible(), selector
    # In print the area table stands in for the chart, whole on one page.
    table = page.locator("table.scores").first
    assert table.is_visible() and not page.locator(".area-chart").is_visible()
    assert table.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert len(pdf.pages) >= 2
    for expected in (
        "Your score in each area",
        "Readiness for the role",
        "Review of every question",
        "Your learning plan",
    ):
        assert expected in text
    for absent in (
        "My results",
        "Print or save as PDF",
        "Skip to content",
        "Only the ones I missed",
    ):
        assert absent not in text
    table_page = next(
        p.extract_text() for p in pdf.pages if "Score, band and self-rating" in p.extract_text()
    )
    for label in ("Technical", "Business", "Analytical", "Client-facing", "90% interval"):
        assert label in table_page  # the whole table is on one page
