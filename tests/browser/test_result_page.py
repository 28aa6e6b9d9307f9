"""The result page in Chromium: charts whose words stay readable at every width, a top
that reads at a glance above the fold, a short page and a short printout, the review with
its options, and practice feedback that marks the options the same way."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfReader

from .test_report import finish_attempt

pytestmark = pytest.mark.browser

WIDTHS = (320, 390, 1280)

# Every visible piece of chart text with the size it is drawn at on screen: an HTML
# element's computed font size, an SVG text's font size times its SVG's scale on screen
# (a viewBox shrinks it; the charts here have none around words).
CHART_TEXT = """
selector => {
  const out = [];
  for (const chart of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(chart, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!node.textContent.trim() || el.closest('.visually-hidden, title, desc')) continue;
      const box = el.getBoundingClientRect();
      if (!box.width || !box.height) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      const scale = el instanceof SVGElement ? el.getScreenCTM().a : 1;
      out.push({text: node.textContent.trim(), px: size * scale});
    }
  }
  return out;
}
"""

# The boxes of the self-rating markers and of every piece of text in the area chart.
MARKERS_AND_WORDS = """
() => {
  const box = e => { const r = e.getBoundingClientRect();
    return {l: r.left, r: r.right, t: r.top, b: r.bottom, text: e.textContent.trim()}; };
  const chart = document.querySelector('.area-chart');
  const markers = [...chart.querySelectorAll('.area-track .self-rating')].map(box);
  const words = [...chart.querySelectorAll('span, strong, text, li')]
    .filter(e => !e.closest('.visually-hidden') && !e.querySelector('span, strong, svg'))
    .filter(e => e.textContent.trim()).map(box);
  return {markers, words};
}
"""


def overlaps(a, b) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


def test_chart_words_are_12px_or_more_at_every_width_and_no_marker_covers_them(
    context: BrowserContext, page: Page, server, axe
):
    finish_attempt(context, server, pick=1)
    token = finish_attempt(context, server)  # a second one: My results draws the trend
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(server.url(f"/a/{token}/result"))
        texts = page.evaluate(CHART_TEXT, ".area-chart")
        assert len(texts) >= 4 * 2 + 5  # names, scores, ticks, the key
        small = [t for t in texts if t["px"] < 11.99]
        assert small == [], f"at {width} px: {small}"
        found = page.evaluate(MARKERS_AND_WORDS)
        assert len(found["markers"]) == 4  # every area was rated
        for marker in found["markers"]:
            covered = [w["text"] for w in found["words"] if overlaps(marker, w)]
            assert covered == [], f"at {width} px the self-rating covers {covered}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.goto(server.url("/me/"))
        texts = page.evaluate(CHART_TEXT, ".trend-chart")
        assert {"100%", "0%", "#1", "#2", "Overall"} <= {t["text"] for t in texts}
        small = [t for t in texts if t["px"] < 11.99]
        assert small == [], f"trend at {width} px: {small}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    axe(page)


TOP = (
    "#verdict-heading",
    ".verdict .sure",
    ".glance .overall-score",
    ".glance-readiness",
    ".glance-weakest",
    ".verdict .next-step",
)


@pytest.mark.full_bank
def test_the_top_is_above_the_fold_and_the_page_is_short(context: BrowserContext, page, server):
    """A finished 56-question attempt of the bundled bank, as the tests answer it (the first
    option each time: most questions missed), with the review as it opens: collapsed."""
    token = finish_attempt(context, server)
    heights = {}
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(server.url(f"/a/{token}/result"))
        for selector in TOP:
            box = page.locator(selector).bounding_box()
            assert box and box["y"] + box["height"] <= height, (
                f"{selector} below the fold at {width}"
            )
        expect(page.locator(".review-q[open], .review-rest[open]")).to_have_count(0)
        heights[width] = page.evaluate("document.documentElement.scrollHeight")
    # Before the review was collapsed the page was 35,673 px tall at 1280 and 56,095 px
    # at 390 (every question and explanation open).
    assert heights[1280] < 12_000 and heights[390] < 16_000, heights


@pytest.mark.full_bank
def test_print_is_a_short_report_unless_every_question_is_opened(
    context: BrowserContext, page: Page, server
):
    token = finish_attempt(context, server)
    page.goto(server.url(f"/a/{token}/result"))
    page.emulate_media(media="print")
    for selector in (".site-header", ".filter", "[data-print]", "#standing-heading"):
        assert not page.locator(selector).first.is_visible(), selector
    expect(
        page.get_by_role("table", name="Score, band and self-rating in each area")
    ).to_be_visible()
    short = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    text = "\n".join(p.extract_text() for p in short.pages)
    assert len(short.pages) <= 10  # 34 A4 pages before
    for expected in (
        "Overall score",
        "Weakest area",
        "Score, band and self-rating in each area",
        "Your learning plan",
        "Readiness for the role",
        "questions you missed",
        "Your answer:",
        "Open every question",  # only in the note that says how to print them all
    ):
        assert expected in text, expected
    for absent in ("Where you stand", "How well you know your strengths", "Print or save as PDF"):
        assert absent not in text, absent
    explanation = page.locator(".review-item .explanation").first.text_content().strip()[:40]
    assert explanation
    assert " ".join(explanation.split()) not in " ".join(text.split())

    page.goto(server.url(f"/a/{token}/result?expand=1"))
    page.emulate_media(media="print")
    full = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    text = " ".join(" ".join(p.extract_text() for p in full.pages).split())
    assert len(full.pages) > len(short.pages)
    assert " ".join(explanation.split())[:30] in text
    assert "Your answer:" not in text  # the one-line summaries give way to the questions


def test_the_review_opens_question_by_question_without_javascript(no_js_page: Page, server):
    page = no_js_page
    token = finish_attempt(page.context, server)
    page.goto(server.url(f"/a/{token}/result"))
    first = page.locator(".review-item").first
    expect(first.locator(".explanation")).to_be_hidden()
    expect(first.locator(".review-excerpt")).to_be_visible()
    first.locator("summary").click()
    expect(first.locator(".marked-options, .numeric-review").first).to_be_visible()
    expect(first.locator(".explanation")).to_be_visible()
    rest = page.locator("details.review-rest")
    expect(rest.locator(".review-item").first).to_be_hidden()
    rest.locator("> summary").click()
    expect(rest.locator(".review-item").first).to_be_visible()
    page.get_by_role("link", name="Open every question").click()
    assert page.url.endswith("?expand=1")
    expect(page.locator(".review-q:not([open])")).to_have_count(0)
    expect(page.locator(".explanation").first).to_be_visible()


def test_the_review_marks_options_in_icons_and_words_and_passes_axe(
    context: BrowserContext, page: Page, server, axe
):
    token = finish_attempt(context, server)
    page.goto(server.url(f"/a/{token}/result"))
    axe(page)
    # By keyboard: a question opens from its summary.
    summary = page.locator(".review-item summary").first
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".review-item").first.locator(".explanation")).to_be_visible()
    page.goto(server.url(f"/a/{token}/result?expand=1"))
    picked = page.locator(".marked-option.opt-picked")
    assert picked.count() >= 8
    for i in range(picked.count()):
        notes = picked.nth(i).locator(".opt-notes").inner_text()
        assert notes.startswith("Your pick"), notes
    # Which wrong pick comes first depends on the shuffled order; a weighted single-choice
    # option that earns nothing says so instead of "Not right".
    wrong = page.locator(".marked-option.opt-picked.opt-wrong")
    assert wrong.count() >= 1
    for i in range(wrong.count()):
        expect(wrong.nth(i).locator(".opt-icon")).to_have_text("✗")
        expect(wrong.nth(i).locator(".opt-notes")).to_have_text(
            re.compile(r"^Your pick · (Not right|Worth nothing)")
        )
    expect(page.locator(".marked-option.opt-right .opt-icon").first).to_have_text("✓")
    expect(page.locator(".opt-share").first).to_have_text(re.compile(r"^worth [+\u2212]1"))
    expect(page.locator(".review-unscored .not-scored").first).to_contain_text("Not scored")
    axe(page)
    for width in (320, 360, 390, 768):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width


def test_practice_colours_the_options_after_check_my_answer(page: Page, server, axe):
    page.goto(server.url("/"))
    page.get_by_role("button", name=re.compile("Practise")).click()
    page.get_by_role("button", name="Continue to the questions").click()
    # Move to a choice question, then pick the first option and check it.
    while (
        not page.locator("input[type=checkbox], input[type=radio]").count()
        or page.locator(".likert").count()
    ):
        page.get_by_role("button", name="Skip").click()
    page.locator("input[name=answer]").first.check()
    page.get_by_role("button", name="Check my answer").click()
    expect(page.locator("#feedback-heading")).to_be_focused()
    marked = page.locator("label.option.opt-picked")
    expect(marked).to_have_count(1)
    expect(marked.locator(".opt-notes")).to_contain_text("Your pick")
    assert marked.locator(".opt-icon").inner_text() in ("✓", "✗", "◐")
    expect(page.locator("label.option.opt-right").first.locator(".opt-notes")).to_contain_text(
        re.compile("Right answer|Best answer")
    )
    expect(page.locator(".feedback-cue")).to_contain_text("✓ a right answer")
    background = marked.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    axe(page)
