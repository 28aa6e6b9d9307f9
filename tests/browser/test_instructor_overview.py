"""Issue 16, point 7 in Chromium: the dashboard's overview, one attempt opened from the
results list and back again by keyboard, an instructor header without the taker's "My
results", editor fields as wide as what they hold, and a refused save that lists every
problem; with axe-core and at phone widths."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from quiz.accounts import hash_password
from quiz.demo import attempts as demo_attempts
from quiz.store import Store

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
WIDTHS = (320, 360, 390, 768)
STATUS_422 = (
    "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"
)


@pytest.fixture
def seeded(server):
    """40 finished demonstration attempts over the last three weeks, and an instructor."""
    bank = server.app.extensions["quiz.bank"].current()
    now = datetime.now(UTC)
    made = []
    for n, attempt in enumerate(demo_attempts(bank, 40, 3)):
        started = now - timedelta(days=n % 21, hours=1)
        attempt["started_at"] = started.isoformat(timespec="seconds")
        attempt["finished_at"] = (started + timedelta(minutes=20)).isoformat(timespec="seconds")
        made.append(attempt)
    store = Store(server.app.config["DATABASE"])
    try:
        store.add_finished_attempts(bank.scheme_version, made)
        store.set_instructor("ann", hash_password(PASSWORD))
    finally:
        store.close()
    return made


def log_in(page: Page, server) -> None:
    page.goto(server.url("/instructor/login"))
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()


# The page's width, the viewport's, and the outermost elements that pass the viewport.
WIDE = """() => {
  const limit = document.documentElement.clientWidth;
  const wide = [...document.body.querySelectorAll("*")].filter(
    (el) => el.getBoundingClientRect().right > limit + 0.5);
  const culprits = wide.filter((el) => !wide.includes(el.parentElement)).slice(0, 5).map(
    (el) => el.tagName.toLowerCase() + [...el.classList].map((c) => "." + c).join(""));
  return [document.documentElement.scrollWidth, limit, culprits];
}"""


def fits_every_width(page: Page, axe) -> None:
    """Nothing scrolls sideways at the phone and tablet widths; axe finds nothing at 390."""
    wide = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        scroll, client, culprits = page.evaluate(WIDE)
        if scroll > client:
            wide.append(f"{width} px: the page is {scroll} px wide: {culprits}")
        if width == 390:
            axe(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert wide == [], f"{page.url} scrolls sideways: {wide}"


def test_overview_then_an_attempt_and_back_by_keyboard(page: Page, server, seeded, axe):
    log_in(page, server)
    axe(page)
    activity = page.locator("table.overview-activity")
    expect(activity.get_by_role("row", name=re.compile("^Finished"))).to_be_visible()
    mix = page.locator("table.verdict-mix")
    expect(mix).to_be_visible()
    # Each bar is as long as its share (of the bar's whole track).
    for row in mix.locator("tbody tr").all():
        share = int(row.locator(".share-text").inner_text().rstrip("%"))
        track = row.locator("rect.share-track").bounding_box()["width"]
        fill = row.locator("rect.share-fill").bounding_box()["width"]
        assert abs(fill / track * 100 - share) <= 1, (share, fill, track)
    flagged = page.get_by_role("region", name="Questions the statistics flag")
    expect(flagged.get_by_role("link", name="Item statistics")).to_be_visible()
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("link", name="My results")).to_have_count(0)
    fits_every_width(page, axe)

    page.get_by_role("navigation", name="Instructor").get_by_role("link", name="Results").click()
    page.get_by_label("Status").select_option("finished")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"status=finished"))
    link = page.get_by_role("link", name=re.compile(r"^Attempt \d+$")).first
    number = re.search(r"/attempts/(\d+)\?", link.get_attribute("href")).group(1)
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/instructor/attempts/{number}\?"))
    expect(page.locator("h1")).to_be_visible()
    expect(page.get_by_role("navigation", name="Instructor")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("score in each area"))).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("link", name="My results")).to_have_count(0)
    expect(page.get_by_role("main").get_by_role("link", name="My results")).to_have_count(0)
    fits_every_width(page, axe)

    back = page.get_by_role("link", name="Back to results")
    back.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/instructor/results\?status=finished&sort=started"))
    expect(page.get_by_role("heading", name="Results", exact=True)).to_be_visible()


def test_an_unfinished_attempt_and_an_unknown_one(page: Page, server, seeded, axe):
    log_in(page, server)
    http = page.context.request
    token = re.search(r'"X-CSRFToken": "([^"]+)"', http.get(server.url("/")).text()).group(1)
    http.post(server.url("/start"), form={"csrf_token": token})
    store = Store(server.app.config["DATABASE"])
    try:
        running = store.db.execute("SELECT max(id) FROM attempts").fetchone()[0]
    finally:
        store.close()
    page.goto(server.url(f"/instructor/attempts/{running}"))
    expect(page.get_by_text("In progress: 0 of")).to_be_visible()
    fits_every_width(page, axe)
    response = page.goto(server.url("/instructor/attempts/987654"))
    assert response.status == 404
    expect(page.get_by_text("There is no attempt 987654")).to_be_visible()
    # The browser logs the 404 itself.
    page.console_errors[:] = [e for e in page.console_errors if "404 (NOT FOUND)" not in e]


def widths(page: Page, labels: list[str]) -> dict[str, float]:
    return {label: page.get_by_label(label, exact=True).bounding_box()["width"] for label in labels}


def test_editor_fields_are_as_wide_as_what_they_hold(page: Page, server, seeded, axe):
    log_in(page, server)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url("/instructor/questions/an-aov"))
    found = widths(page, ["Id", "Weight", "Answer", "Tolerance", "Unit", "Prompt"])
    form = page.locator("#question-form").bounding_box()["width"]
    for number in ("Weight", "Answer", "Tolerance", "Unit"):
        assert found[number] <= 9 * 16 + 1, found  # about 9 rem: a number and its unit
    assert 9 * 16 < found["Id"] <= 24 * 16 + 1, found  # an id: medium
    assert found["Prompt"] >= form - 2, (found, form)  # prose: the whole form
    fits_every_width(page, axe)

    page.goto(server.url("/instructor/settings"))
    found = widths(page, ["Title", "Strength band from (%)", "Adequate band from (%)"])
    assert found["Strength band from (%)"] <= 9 * 16 + 1 < found["Title"], found
    rule = page.locator("fieldset.verdict-row").first
    overall = rule.get_by_label("Overall at least (%)").bounding_box()["width"]
    rule_id = rule.get_by_label("Id", exact=True).bounding_box()["width"]
    summary = rule.get_by_label("Summary").bounding_box()["width"]
    assert overall <= 9 * 16 + 1 < rule_id <= 24 * 16 + 1 < summary
    fits_every_width(page, axe)


def test_a_refused_raw_save_lists_all_three_problems(page: Page, server, seeded, axe):
    log_in(page, server)
    page.get_by_role("link", name="Raw file").click()
    editor = page.get_by_label("questions.yaml")
    text = editor.input_value()
    broken = text.replace("  - id: an-aov\n", "  - id: an-conversion-rate\n", 1)
    broken = broken.replace("    difficulty: easy\n", "    difficulty: simple\n", 1)
    broken = broken.replace("    area: client\n", "    area: clients\n", 1)
    editor.fill(broken)
    live = page.locator("#problems li")
    expect(live).to_have_count(3)  # checked as it is typed (htmx)
    page.get_by_role("button", name="Save the file").click()
    expect(
        page.get_by_role("heading", name="Not saved: the bank would have problems")
    ).to_be_visible()
    problems = page.locator("#save-problems li")
    expect(problems).to_have_count(3)
    for text_, want in zip(
        problems.all_inner_texts(),
        [
            "'difficulty' must be one of",
            "duplicate id (first used on line",
            "unknown area 'clients'",
        ],
        strict=True,
    ):
        assert re.match(r"questions\.yaml:\d+: ", text_) and want in text_, text_
    assert "difficulty: simple" not in Path(server.app.config["QUESTIONS"]).read_text()
    axe(page)
    page.console_errors.remove(STATUS_422)
