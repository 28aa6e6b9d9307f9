"""Every page at phone and tablet widths, with axe-core; and pages that do not wait for
the CDN that serves htmx.

One seeded server and one browser context serve the whole module: the tour below
prepares a taker's attempts (finished with and without missed questions, in progress,
practice) and an instructor account, then each test opens one page, narrows the
viewport to 320, 360, 390 and 768 px and checks that nothing scrolls sideways, and
runs axe-core once.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from quiz import bundled
from quiz.accounts import hash_password
from quiz.bank import question_from_body
from quiz.demo import attempts as demo_attempts
from quiz.store import Store

from ..helpers import right_values, wrong_values
from .conftest import WCAG, LiveServer

pytestmark = pytest.mark.browser

WIDTHS = (320, 360, 390, 768)
AXE_WIDTH = 390
PASSWORD = "correct horse battery"
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# The elements whose right edge passes the viewport, outermost first: those whose
# parent does not pass it too. Elements inside a container that clips or scrolls
# sideways are left out: they cannot widen the page.
OVERFLOW = """() => {
  const limit = Math.min(window.innerWidth, document.documentElement.clientWidth);
  const width = document.documentElement.scrollWidth;
  if (width <= limit) return {width, limit, culprits: []};
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = new Set();
  const hidden = new Set();  // past the edge, but inside a container that clips
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > limit + 0.5) (clipped(el) ? hidden : wide).add(el);
  }
  // Text that runs out of its element (a word, a date that cannot break).
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const parent = node.parentElement;
    if (range.getBoundingClientRect().right > limit + 0.5 && !clipped(parent) &&
        getComputedStyle(parent).overflowX === "visible") wide.add(parent);
  }
  if (wide.size === 0) hidden.forEach((el) => wide.add(el));  // then name those
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    [...el.classList].map((c) => "." + c).join("");
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      parts.unshift(name(e));
    }
    return parts.join(" > ");
  };
  const culprits = [...wide]
    .filter((el) => !wide.has(el.parentElement))
    .slice(0, 8)
    .map((el) => {
      const box = el.getBoundingClientRect();
      const text = (el.innerText || "").trim().replace(/\\s+/g, " ").slice(0, 40);
      const edge = `right edge ${Math.round(box.right)} px, ${Math.round(box.width)} px wide`;
      return `${path(el)} [${edge}] "${text}"`;
    });
  return {width, limit, culprits};
}"""


@dataclass
class Tour:
    """The seeded server, the taker's browser context and the URL of each page."""

    server: LiveServer
    context: BrowserContext
    page: Page
    urls: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _post(context: BrowserContext, url: str, pairs: list[tuple[str, str]], follow: bool = True):
    return context.request.post(
        url, data=urlencode(pairs), headers=FORM, max_redirects=20 if follow else 0
    )


def _start(tour: Tour, mode: str | None = None) -> tuple[str, str]:
    """Start an attempt with the context's cookies, About you filled in: (its URL path,
    the CSRF token)."""
    context, server = tour.context, tour.server
    csrf = CSRF.search(context.request.get(server.url("/")).text()).group(1)
    about = _post(context, server.url("/start"), [("csrf_token", csrf), ("mode", mode or "")])
    base = about.url.removesuffix("/about").split(str(server.port), 1)[1]
    profile = [("rate-technical", "4"), ("bg-degree", "bachelor"), ("bg-field", "business")]
    _post(context, server.url(f"{base}/about"), [("csrf_token", csrf), *profile])
    return base, csrf


def _items(tour: Tour, base: str) -> list[dict]:
    store = Store(tour.server.app.config["DATABASE"])
    try:
        return store.items(store.attempt(base.rsplit("/", 1)[1])["id"])
    finally:
        store.close()


def _answer(tour: Tour, base: str, csrf: str, chooser: Callable, upto: int | None = None) -> None:
    """Answer the attempt's questions (the first ``upto`` of them) with ``chooser(item)``."""
    for item in _items(tour, base)[:upto]:
        values = [("answer", v) for v in chooser(item)]
        _post(
            tour.context,
            tour.server.url(f"{base}/q/{item['position']}"),
            [("csrf_token", csrf), ("nav", "next"), *values],
            follow=False,
        )


def _finish(tour: Tour, base: str, csrf: str) -> None:
    _post(tour.context, tour.server.url(f"{base}/finish"), [("csrf_token", csrf)])


def _some_wrong(item) -> list[str]:
    """Right on two questions in three, wrong on the third."""
    return wrong_values(item) if item["position"] % 3 == 0 else right_values(item)


COHORT_TOKEN = "k" * 32


def _seed(server: LiveServer) -> int:
    """Finished attempts of other takers (the results list, the statistics), an
    instructor account, and a cohort of hers that twelve of those attempts belong to
    (its page then shows every part of its results); returns the cohort's id."""
    bank = server.app.extensions["quiz.bank"].current()
    store = Store(server.app.config["DATABASE"])
    try:
        store.add_finished_attempts(bank.scheme_version, demo_attempts(bank, 40, seed=3))
        store.set_instructor("ann", hash_password(PASSWORD))
        cohort = store.create_cohort(
            "ann",
            # One long word: a name must wrap on a phone, not widen the page.
            "Kundenbetreuungsteamleiterausbildung_Frühjahr_2027",
            COHORT_TOKEN,
            description="The May bootcamp",
        )
        with store.transaction():
            store.db.execute(
                "UPDATE attempts SET cohort_id = ? WHERE id IN "
                "(SELECT id FROM attempts ORDER BY id LIMIT 12)",
                [cohort],
            )
        return cohort
    finally:
        store.close()


@pytest.fixture(scope="module")
def tour(browser, tmp_path_factory, htmx_file):
    folder = tmp_path_factory.mktemp("layout")
    shutil.copy(bundled("questions.yaml"), folder / "questions.yaml")
    server = LiveServer(
        {
            "DATABASE": str(folder / "quiz.db"),
            "QUESTIONS": str(folder / "questions.yaml"),
            "SECRET_KEY": "layout-tests",
            "HTMX_FILE": str(htmx_file),
            "START_LIMIT_PER_TAKER": 10**6,
            "START_LIMIT_PER_ADDRESS": 10**6,
        }
    )
    cohort = _seed(server)
    # A phone: overlay scrollbars and touch, so each width is all the page gets.
    context = browser.new_context(
        viewport={"width": WIDTHS[0], "height": 800}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    tour = Tour(server, context, page)
    page.on("console", lambda m: tour.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: tour.errors.append(str(e)))

    missed, csrf = _start(tour)
    _answer(tour, missed, csrf, _some_wrong)
    _finish(tour, missed, csrf)
    perfect, csrf = _start(tour)
    _answer(tour, perfect, csrf, right_values)
    _finish(tour, perfect, csrf)
    practice, _ = _start(tour, "practice")
    running, csrf = _start(tour)
    _answer(tour, running, csrf, right_values, upto=5)  # the rest stays unanswered

    urls = tour.urls
    urls["about you"] = f"{running}/about"
    for item in _items(tour, running):
        kind = question_from_body(item["body"]).type
        urls.setdefault(f"{kind} question", f"{running}/q/{item['position']}")
    urls["practice question"] = f"{practice}/q/1"
    urls["review and finish"] = f"{running}/finish"
    urls["result with missed questions"] = f"{missed}/result"
    urls["result without missed questions"] = f"{perfect}/result"
    urls["delete an attempt"] = f"{missed}/delete"
    urls["delete all my data"] = "/me/delete"
    me = context.request.get(server.url("/me/")).text()
    urls["recover"] = re.search(r'value="https?://[^/]+(/me/recover/[^"]+)"', me).group(1)
    urls["my results"] = "/me/"
    urls["landing, returning taker"] = "/"
    urls["error 404"] = "/a/" + "x" * 32
    urls["cohort invitation"] = f"/c/{COHORT_TOKEN}"
    urls["cohort page"] = f"/instructor/cohorts/{cohort}"
    urls["delete a cohort"] = f"/instructor/cohorts/{cohort}/delete"
    yield tour
    context.close()
    server.stop()


# axe-core takes about a second per thousand elements on these machines: a long list
# (158 questions, a diff of the whole bank) is checked on its first rows, which the
# same template made as the rest.
AXE_LEAVES_OUT = ["tbody tr:nth-child(n+13)", ".diff > span:nth-child(n+60)"]


@pytest.fixture(scope="module")
def axe_source(axe_file) -> str:
    return axe_file.read_text()


def check_axe(page: Page, source: str) -> None:
    """Zero axe-core violations (the WCAG tags of conftest.WCAG) on the page, long lists
    checked on their first rows."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)  # through the DevTools protocol, which the CSP does not govern
    result = page.evaluate(
        """([tags, exclude]) => axe.run(
             {include: [["html"]], exclude: exclude.map((s) => [s])},
             {runOnly: {type: "tag", values: tags}})""",
        [WCAG, AXE_LEAVES_OUT],
    )
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
    ]
    if violations:
        pytest.fail(f"axe violations on {page.url}:\n" + "\n".join(violations))


@pytest.fixture
def visit(tour: Tour, axe_source):
    """Open a page and check it at every width; fail with the elements that stick out."""

    def check(page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        problems = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            found = page.evaluate(OVERFLOW)
            if found["culprits"] or found["width"] > found["limit"]:
                problems.append(
                    f"at {width} px the page is {found['width']} px wide:\n    "
                    + "\n    ".join(found["culprits"])
                )
            if width == AXE_WIDTH:
                check_axe(page, axe_source)
        if problems:  # pytest.fail: an assert's message would be cut short
            pytest.fail(f"{name} ({page.url}) scrolls sideways\n  " + "\n  ".join(problems))

    return check


TAKER_PAGES = [
    "about you",
    "single question",
    "multiple question",
    "numeric question",
    "likert question",
    "review and finish",
    "result with missed questions",
    "result without missed questions",
    "my results",
    "landing, returning taker",
    "delete an attempt",
    "delete all my data",
    "recover",
    "cohort invitation",
]


@pytest.mark.parametrize("name", TAKER_PAGES)
def test_taker_page_fits_every_width(tour: Tour, visit, name):
    tour.errors.clear()
    tour.page.goto(tour.server.url(tour.urls[name]))
    visit(tour.page, name)
    assert tour.errors == []


def test_error_page_fits_every_width(tour: Tour, visit):
    tour.errors.clear()
    response = tour.page.goto(tour.server.url(tour.urls["error 404"]))
    assert response.status == 404
    expect(tour.page.get_by_role("heading", name="Not found")).to_be_visible()
    visit(tour.page, "error 404")
    assert [e for e in tour.errors if "404" not in e] == []


def test_practice_feedback_fits_every_width(tour: Tour, visit):
    tour.errors.clear()
    page = tour.page
    page.goto(tour.server.url(tour.urls["practice question"]))
    if page.locator("#answer").count():
        page.fill("#answer", "2")
    else:
        page.locator("input[name=answer]").first.check()
    page.get_by_role("button", name="Check my answer").click()
    expect(page.locator(".feedback")).to_be_visible()
    visit(page, "practice question with feedback")
    assert tour.errors == []


def test_landing_and_login_fit_every_width_for_a_new_visitor(browser, tour: Tour, visit):
    context = browser.new_context(is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(tour.server.url("/"))
        expect(page.get_by_role("button", name="Start the assessment")).to_be_visible()
        visit(page, "landing")
        page.goto(tour.server.url("/instructor/login"))
        visit(page, "instructor login")
    finally:
        context.close()


def test_the_landing_page_leads_with_a_sentence_the_start_button_and_the_time(browser, tour):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(tour.server.url("/"))
        lead = page.locator(".hero .lead")
        expect(lead).to_have_text(re.compile(r"^Find out in about \d+ minutes how you measure up"))
        start = page.get_by_role("button", name="Start the assessment")
        # All of it on the first screen of a phone, before the role and the pay.
        assert start.bounding_box()["y"] + start.bounding_box()["height"] <= 844
        assert page.locator("#role-heading").bounding_box()["y"] > 844
        expect(page.locator(".returning")).to_have_count(0)  # nothing to resume yet
    finally:
        context.close()


def test_a_returning_taker_sees_the_last_result_and_a_resume_button(tour: Tour):
    page = tour.page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(tour.server.url("/"))
    returning = page.locator(".returning")
    # The newest attempt in progress first (the practice one, older, after it).
    resume = returning.get_by_role("link", name="Continue your assessment")
    expect(resume).to_have_count(2)
    expect(resume.first).to_have_attribute("href", tour.urls["about you"].removesuffix("/about"))
    # The newest finished assessment: the one answered all right.
    last = returning.locator(".last")
    expect(last).to_contain_text("Your last result")
    expect(last.locator(".last-score")).to_have_text(re.compile(r"^\d+%$"))
    expect(last.get_by_role("link", name="See the report")).to_have_attribute(
        "href", tour.urls["result without missed questions"]
    )
    # Below the start, which is secondary while an attempt waits to be resumed.
    hero = page.locator(".hero").bounding_box()
    assert returning.bounding_box()["y"] > hero["y"] + hero["height"] - 1
    expect(page.get_by_role("button", name="Start the assessment")).not_to_have_class(
        re.compile(r"\bprimary\b")
    )


FOCUS_RING = """() => {
  const style = getComputedStyle(document.activeElement);
  return [style.outlineStyle, style.outlineWidth, style.boxShadow];
}"""


def test_the_keyboard_focus_shows_a_ring(browser, tour: Tour):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(tour.server.url("/instructor/login"))
        seen = set()
        for _ in range(12):
            page.keyboard.press("Tab")
            kind = page.evaluate("document.activeElement.tagName.toLowerCase()")
            if kind in seen or kind == "body":
                continue
            seen.add(kind)
            style, width, shadow = page.evaluate(FOCUS_RING)
            assert (style, width) == ("solid", "3px") and shadow != "none", (kind, style, width)
        assert {"a", "input", "button"} <= seen
    finally:
        context.close()


@pytest.fixture(scope="module")
def instructor(tour: Tour):
    """The tour's context, logged in as an instructor; the paths of a question's edit
    form and of one revision (made by saving that question)."""
    page = tour.page
    page.goto(tour.server.url("/instructor/login"))
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="The question bank")).to_be_visible()
    # A weighted single-choice question: the widest edit form (a score column).
    bank = tour.server.app.extensions["quiz.bank"].current()
    weighted = next(
        q
        for q in bank.questions
        if q.type == "single" and len({getattr(o, "score", None) for o in q.options}) > 2
    )
    edit = f"/instructor/questions/{weighted.id}"
    page.goto(tour.server.url(edit))
    explanation = page.get_by_label("Explanation")
    explanation.fill(explanation.input_value() + " Edited for the layout tests.")
    page.get_by_label("What changed?").fill("A revision for the layout tests")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(f"Saved question {weighted.id}.")).to_be_visible()
    page.goto(tour.server.url("/instructor/revisions"))
    revision = page.locator("table.revisions tbody a").first.get_attribute("href")
    return {
        "question edit form": edit,
        "one revision": revision,
        **{name: tour.urls[name] for name in ("cohort page", "delete a cohort")},
    }


INSTRUCTOR_PAGES = {
    "overview": "/instructor/",
    "questions list": "/instructor/questions",
    "question edit form": None,
    "raw editor": "/instructor/raw",
    "settings": "/instructor/settings",
    "import and export": "/instructor/import",
    "revisions": "/instructor/revisions",
    "one revision": None,
    "results list": "/instructor/results",
    "statistics": "/instructor/statistics",
    "cohorts list": "/instructor/cohorts",
    "cohort page": None,
    "delete a cohort": None,
}


@pytest.mark.parametrize("name", INSTRUCTOR_PAGES)
def test_instructor_page_fits_every_width(tour: Tour, instructor, visit, name):
    tour.errors.clear()
    tour.page.goto(tour.server.url(INSTRUCTOR_PAGES[name] or instructor[name]))
    visit(tour.page, name)
    assert tour.errors == []


GIFT = (
    "::Checkout steps::Which of these shortens a checkout with many steps that lose "
    "buyers at the address form?{=Address autocomplete ~A longer form ~A captcha}\n\n"
    "::Uptime::How many minutes of downtime a month does 99.9% uptime allow?{#43.2:0.1}\n"
)


def test_import_preview_fits_every_width(tour: Tour, instructor, visit, tmp_path):
    tour.errors.clear()
    page = tour.page
    page.goto(tour.server.url("/instructor/import"))
    gift = tmp_path / "questions.gift"
    gift.write_text(GIFT)
    page.get_by_label(re.compile(r"^File")).set_input_files(str(gift))
    page.get_by_label("Area for questions whose category matches none").select_option("technical")
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("button", name=re.compile(r"^Import 2 questions"))).to_be_visible()
    visit(page, "import preview")
    assert tour.errors == []


# --- htmx's CDN does not answer -------------------------------------------------------


@pytest.fixture
def cdn_server(tmp_path, bank_file):
    """A server that points pages at htmx's CDN, as in production."""
    live = LiveServer(
        {
            "DATABASE": str(tmp_path / "quiz.db"),
            "QUESTIONS": str(bank_file),
            "SECRET_KEY": "browser-tests",
        }
    )
    yield live
    live.stop()


@pytest.mark.parametrize("failure", ["hangs", "refuses"])
def test_pages_work_with_plain_forms_when_the_cdn_does_not_answer(browser, cdn_server, failure):
    context = browser.new_context()
    held = []  # requests left hanging: never answered until the context closes
    if failure == "hangs":
        context.route("https://cdn.jsdelivr.net/**", lambda route: held.append(route))
    else:
        context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort("failed"))
    page = context.new_page()
    try:
        # The page is usable long before a browser would give up on the script.
        page.goto(cdn_server.url("/"), wait_until="commit")
        start = page.get_by_role("button", name="Start the assessment")
        expect(start).to_be_visible(timeout=3000)
        assert page.evaluate("typeof window.htmx") == "undefined"
        start.click()
        expect(page.get_by_role("heading", name="About you")).to_be_visible(timeout=3000)
        page.get_by_role("button", name="Continue to the questions").click()
        heading = page.locator("#question-heading")
        expect(heading).to_contain_text("Question 1 of", timeout=3000)
        if page.locator("#answer").count():
            page.fill("#answer", "2")
        else:
            page.locator("input[name=answer]").first.check()
        page.get_by_role("button", name="Next", exact=True).click()
        expect(heading).to_contain_text("Question 2 of", timeout=3000)
        page.get_by_role("button", name="Back", exact=True).click()
        expect(heading).to_contain_text("Question 1 of", timeout=3000)
        # The answer reached the server by the plain form post.
        answered = page.locator("input[name=answer]:checked, #answer:not([value=''])")
        expect(answered).to_have_count(1)
        if failure == "hangs":
            assert held, "the page never asked the CDN for htmx"
    finally:
        context.close()
