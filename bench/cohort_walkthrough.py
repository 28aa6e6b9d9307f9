"""Issue 18's walk-through in Chromium: a coach creates a cohort, three people take the
assessment through its invitation link, and the coach reads the cohort's page.

    .venv/bin/python bench/cohort_walkthrough.py             # or: make walkthrough

Runs the app on 127.0.0.1 with a fresh database and the bundled bank (bench/screenshots.py's
Server, with the local htmx copy when the browser tests fetched one), seeds other takers'
finished attempts (``--others``, 300 by default, as ``quiz seed-demo`` does) so that the
cohort can be compared with all takers, and creates the instructor account in the store.
Then, in Chromium (/usr/bin/chromium, or the one QUIZ_CHROMIUM names), by clicking:

1. the coach logs in at /instructor/login, opens Cohorts, fills in "New cohort" and reads
   the invitation link on the cohort's page;
2. Avery (desktop, answers mostly rightly), Blake (desktop, more than half) and Casey (a
   390x844 phone, mostly wrongly), each in a browser context of their own, open the link,
   agree, start, give their name on About you, answer every question on its page and
   finish, and each sees their result;
3. the coach reloads the cohort's page, which is printed (its figures, from the DOM) and
   taken whole at 1280 and 390 px wide into docs/screenshots/cohort-desktop.png and
   cohort-phone.png (and the invitation on Casey's phone, invitation-phone.png).

Exits 1 when a step fails: a page that does not come, a server error (its traceback is
printed), a console error, or a cohort page without its three members' finished attempts.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screenshots import (  # noqa: E402  (bench/ is on the path only now)
    CHROMIUM_ARGS,
    DESKTOP,
    INSTRUCTOR,
    PASSWORD,
    PHONE,
    ROOT,
    Server,
    _new_context,
    _values,
    local_htmx,
    seed,
)

from quiz import attempts  # noqa: E402
from quiz.accounts import hash_password  # noqa: E402
from quiz.bank import Numeric  # noqa: E402
from quiz.store import Store  # noqa: E402

COMMAND = ".venv/bin/python bench/cohort_walkthrough.py"
COHORT = "Spring 2027 intake"
DESCRIPTION = "Northern e-commerce bootcamp, week 1: before the first class."
HEADING = "#question-heading"
CONSENT = "I agree that the cohort's instructors see this attempt"
TIMEOUT = 20_000  # ms for each expectation: the machine is shared


@dataclass
class Taker:
    name: str
    right: float  # the share of questions answered rightly
    device: str  # "desktop" or "phone"
    seed: int


TAKERS = (
    Taker("Avery", 0.97, "desktop", 11),
    Taker("Blake", 0.7, "desktop", 12),
    Taker("Casey", 0.15, "phone", 13),
)


class Failed(Exception):
    """A step of the walk-through did not do what it should."""


class Walk:
    """What the walk-through saw go wrong on the way: server errors, console errors."""

    def __init__(self) -> None:
        self.server_errors: list[str] = []
        self.console: list[str] = []
        self.started = time.perf_counter()
        self.pages: dict[str, Page] = {}  # open pages, shot when a step fails
        self.shot = False

    def step(self, text: str) -> None:
        print(f"[{time.perf_counter() - self.started:6.1f} s] {text}", flush=True)

    def watch(self, page: Page, who: str) -> Page:
        """Record the page's console errors, uncaught exceptions and 5xx answers."""
        page.set_default_timeout(TIMEOUT)
        self.pages[who] = page
        page.on("close", lambda _: self.pages.pop(who, None))
        page.on(
            "console",
            lambda m: (
                self.console.append(f"{who}: {m.text} ({page.url})") if m.type == "error" else None
            ),
        )
        page.on("pageerror", lambda e: self.console.append(f"{who}: uncaught {e} ({page.url})"))
        page.on(
            "response",
            lambda r: (
                self.console.append(f"{who}: HTTP {r.status} for {r.request.method} {r.url}")
                if r.status >= 500
                else None
            ),
        )
        return page

    def shoot_failure(self) -> None:
        """Each open page as it was when a step failed, outside the repository (once)."""
        if self.shot:
            return
        self.shot = True
        for who, page in list(self.pages.items()):
            path = Path(tempfile.gettempdir()) / f"cohort-walkthrough-failed-{who}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                print(f"  {who}'s page ({page.url}) when it failed: {path}")
            except Exception as exc:  # the page may be gone with its browser
                print(f"  no screenshot of {who}'s page: {exc}")

    def check_clean(self, where: str) -> None:
        if self.server_errors or self.console:
            for line in self.console:
                print(f"  browser: {line}")
            raise Failed(f"errors during {where} (the browser's above, the server's below)")


class _Collect(logging.Handler):
    """Keeps the app's ERROR records (Flask logs an unhandled exception with its traceback)."""

    def __init__(self, walk: Walk):
        super().__init__(logging.ERROR)
        self.walk = walk

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.walk.server_errors.append(text)


def prepare(server: Server, others: int) -> None:
    """Other takers' finished attempts and the instructor account, in the store."""
    if others:
        seed(server, others)  # also creates the instructor
        return
    store = Store(server.app.config["DATABASE"])
    try:
        store.set_instructor(INSTRUCTOR, hash_password(PASSWORD))
    finally:
        store.close()


def coach_creates_cohort(walk: Walk, page: Page, server: Server) -> str:
    """Log in, open Cohorts, create the cohort by clicking; the invitation link."""
    walk.step(f"Coach logs in at {server.url('/instructor/login')} as {INSTRUCTOR!r}")
    page.goto(server.url("/instructor/login"))
    page.get_by_label("Username").fill(INSTRUCTOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name=re.compile("^Log out"))).to_be_visible()

    walk.step("Coach opens Cohorts from the instructor menu")
    page.get_by_role("navigation", name="Instructor").get_by_role("link", name="Cohorts").click()
    expect(page.get_by_role("heading", name="Cohorts", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/instructor/cohorts$"))

    walk.step(f"Coach fills in New cohort ({COHORT!r}, a description, the assessment)")
    form = page.locator("#new-cohort")
    form.get_by_label("Name").fill(COHORT)
    form.get_by_label("Description (optional)").fill(DESCRIPTION)
    form.get_by_label("The assessment (scored, with a verdict)").check()
    form.get_by_role("button", name="Create the cohort").click()
    expect(page.get_by_role("heading", name=COHORT, level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/instructor/cohorts/\d+$"))
    expect(page.get_by_role("status").filter(has_text="Created the cohort")).to_be_visible()
    link = page.locator("#invitation-link")
    expect(link).to_have_attribute("readonly", "")
    invitation = link.input_value()
    if not re.fullmatch(re.escape(server.url("/c/")) + r"[A-Za-z0-9_-]{32}", invitation):
        raise Failed(f"the invitation link is not /c/<32-character token>: {invitation!r}")
    walk.step(f"Coach reads the invitation link: {invitation}  (cohort page {page.url})")
    return invitation


def _answer(page: Page, item, right: bool, n: int) -> None:
    """Answer the question on screen as ``item`` says is right or wrong, waiting for each
    save that the change sends (htmx) so that the saves arrive in order."""
    values = _values(item, right)

    def saved(response) -> bool:
        return response.request.method == "POST" and response.url.endswith(f"/q/{n}")

    if isinstance(item.question, Numeric):
        with page.expect_response(saved):
            page.fill("#answer", values[0])
            page.keyboard.press("Tab")  # a typed number is saved when the field is left
    else:
        for value in values:
            with page.expect_response(saved):
                page.locator(f"input[name=answer][value='{value}']").check()
    expect(page.locator("#save-status")).to_have_text("Answer saved.")


def take_through_link(
    walk: Walk, browser, server: Server, invitation: str, taker: Taker, out: Path
) -> tuple[str, str]:
    """One taker, in a fresh browser context, from the link to the result: (the
    attempt's token, the verdict's label)."""
    phone = taker.device == "phone"
    viewport = PHONE if phone else DESKTOP
    context = _new_context(browser, viewport=viewport, is_mobile=phone, has_touch=phone)
    try:
        page = walk.watch(context.new_page(), taker.name)
        size = f"{viewport['width']}x{viewport['height']}"
        walk.step(f"{taker.name} ({taker.device} {size}) opens the invitation link")
        page.goto(invitation)
        expect(page.get_by_role("heading", level=1)).to_have_text(COHORT)
        expect(page.get_by_text("Who sees your results")).to_be_visible()
        if phone:
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / "invitation-phone.png"), full_page=True)
            walk.step(f"  screenshot {out / 'invitation-phone.png'}")

        walk.step(f"{taker.name} ticks the consent box and starts in the cohort")
        page.get_by_label(CONSENT).check()
        page.get_by_role("button", name=re.compile("in the cohort")).click()
        expect(page.get_by_role("heading", name="About you")).to_be_visible()
        found = re.search(r"/a/([A-Za-z0-9_-]{32})/about$", page.url)
        if not found:
            raise Failed(f"{taker.name} is not on an attempt's About you: {page.url}")
        token = found.group(1)

        page.get_by_label("Display name").fill(taker.name)
        page.get_by_role("button", name="Continue to the questions").click()
        expect(page.locator(HEADING)).to_contain_text("Question 1 of")
        total = int(re.search(r"of (\d+)", page.inner_text(HEADING)).group(1))

        store = Store(server.app.config["DATABASE"])
        rng = random.Random(taker.seed)
        rightly = 0
        try:
            attempt = attempts.load(store, token)
            if attempt.total != total:
                raise Failed(f"the page says {total} questions, the attempt has {attempt.total}")
            walk.step(
                f"{taker.name} answers all {total} questions on their pages "
                f"(about {taker.right:.0%} rightly)"
            )
            for n in range(1, total + 1):
                expect(page.locator(HEADING)).to_have_text(
                    re.compile(rf"^Question {n} of {total} · ")
                )
                right = rng.random() < taker.right
                rightly += right
                _answer(page, attempts.item(store, attempt, n), right, n)
                last = n == total
                page.get_by_role(
                    "button", name="Review and finish" if last else "Next", exact=True
                ).click()
                if not last:
                    expect(page.locator(HEADING)).to_have_text(
                        re.compile(rf"^Question {n + 1} of ")
                    )
        finally:
            store.close()

        expect(page.get_by_role("heading", name="Review and finish", level=1)).to_be_visible()
        expect(page.get_by_text(f"You have answered all {total} questions.")).to_be_visible()
        walk.step(f"{taker.name} answered {rightly} of {total} meaning to be right; finishes")
        page.get_by_role("button", name="Finish and see my result").click()
        expect(page.get_by_text(f"{taker.name}, your result")).to_be_visible()
        expect(page).to_have_url(re.compile(rf"/a/{token}/result$"))
        headline = page.locator("#verdict-heading").inner_text().strip()
        overall = page.locator(".overall-score strong").inner_text().strip()

        store = Store(server.app.config["DATABASE"])
        try:
            attempt = attempts.load(store, token)
            cohort_id = store.db.execute(
                "SELECT cohort_id FROM attempts WHERE token = ?", [token]
            ).fetchone()[0]
        finally:
            store.close()
        if attempt.finished_at is None or cohort_id is None:
            raise Failed(f"{taker.name}'s attempt is not finished in the cohort")
        label = next((v.label for v in attempt.scheme.verdicts if v.id == attempt.verdict_id), "—")
        walk.step(
            f"{taker.name} sees the result page: “{headline}”, overall {overall} "
            f"(stored verdict: {label})"
        )
        walk.check_clean(f"{taker.name}'s attempt")
        return token, label
    except Exception:
        walk.shoot_failure()
        raise
    finally:
        context.close()


# The cohort page's figures, read from the DOM.
READ_PAGE = """() => {
  const text = e => e ? e.innerText.replace(/\\s+/g, ' ').trim() : null;
  const rows = sel => [...document.querySelectorAll(sel + ' tbody tr')]
    .map(tr => [...tr.querySelectorAll('th, td')].map(text));
  const counts = {};
  document.querySelectorAll('.cohort-counts > div')
    .forEach(d => { counts[text(d.querySelector('dt'))] = text(d.querySelector('dd')); });
  const weakest = [...document.querySelectorAll('.cohort-results h4')].map(h => {
    const list = h.nextElementSibling;
    return [text(h), list && list.matches('ul') ? list.children.length : 0];
  });
  const results = document.querySelector('#results-heading');
  return {
    counts,
    judged: results ? text(results.nextElementSibling) : null,
    settled: text(document.querySelector('.verdict-mix + .hint')),
    mix: rows('.verdict-mix'),
    areas: rows('.cohort-areas'),
    weakest,
    compare: rows('.cohort-compare'),
    compare_text: text(document.querySelector('#compare-heading + p')),
    members: rows('.cohort-members'),
    qr: !!document.querySelector('.qr-figure svg'),
    tab: text(document.querySelector('.subnav [aria-current="page"]')),
  };
}"""

# What does not fit a phone's width: how far the page scrolls sideways, each strip that
# scrolls sideways in its own box (tables, the instructor's tabs) with what starts out of
# view, and anything else that sticks out past the screen's edge.
OVERFLOW = """() => {
  const doc = document.documentElement;
  const text = e => e.innerText.replace(/\\s+/g, ' ').trim();
  const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const out = {page: doc.scrollWidth - doc.clientWidth, strips: [], wide: []};
  document.querySelectorAll('body *').forEach(e => {
    if (!scrolls(e) || e.scrollWidth <= e.clientWidth) return;
    const edge = e.getBoundingClientRect().right;
    const label = e.getAttribute('aria-labelledby');
    const name = label ? text(document.getElementById(label))
      : e.getAttribute('aria-label') || e.closest('[aria-label]')?.getAttribute('aria-label')
      || e.tagName.toLowerCase();
    const items = e.querySelectorAll(e.querySelector('thead') ? 'thead th' : 'a');
    const hidden = [...items].filter(i => i.getBoundingClientRect().right > edge + 1).map(text);
    out.strips.push([name, e.scrollWidth - e.clientWidth, hidden]);
  });
  document.querySelectorAll('body *').forEach(e => {
    const box = e.getBoundingClientRect();
    let up = e.parentElement;
    while (up && !scrolls(up)) up = up.parentElement;
    if (box.width && box.right > doc.clientWidth + 1 && !up)
      out.wide.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' right=' +
        Math.round(box.right));
  });
  return out;
}"""


def read_cohort_page(walk: Walk, page: Page, expected: dict[str, str]) -> None:
    """Print the cohort page's figures; Failed unless the three members finished."""
    figures = page.evaluate(READ_PAGE)
    counts = figures["counts"]
    print("  So far: " + "; ".join(f"{k}: {v}" for k, v in counts.items()))
    print(f"  Results: {figures['judged']}")
    print("  Verdicts:")
    for row in figures["mix"]:
        print("    " + " | ".join(row))
    if figures["settled"]:
        print(f"    ({figures['settled']})")
    print("  Each area (area | mean (90% interval) | members by band | lowest–highest member):")
    for row in figures["areas"]:
        print("    " + " | ".join(row))
    print(
        "  Weakest areas (questions listed): "
        + ", ".join(f"{n} ({k})" for n, k in figures["weakest"])
    )
    print(f"  Compared with all takers: {figures['compare_text']}")
    for row in figures["compare"]:
        print("    " + " | ".join(row))
    print("  Members (member | verdict | overall (90% interval) | latest attempt | attempts):")
    for row in figures["members"]:
        print("    " + " | ".join(row))
    print(f"  QR code drawn: {figures['qr']}")
    print(f"  Instructor tab marked as the current page: {figures['tab'] or 'none'}")

    problems = []
    for key in ("Attempts started", "Attempts finished", "Members"):
        if counts.get(key) != "3":
            problems.append(f"{key} is {counts.get(key)!r}, not 3")
    members = {row[0]: row for row in figures["members"]}
    if sorted(members) != sorted(expected):
        problems.append(f"the members are {sorted(members)}, not {sorted(expected)}")
    for name, label in expected.items():
        row = members.get(name)
        if not row:
            continue
        if not row[3].startswith("finished"):
            problems.append(f"{name}'s latest attempt reads {row[3]!r}, not finished")
        # The label, or when the verdict is not settled the verdicts left open and the label.
        if not re.fullmatch(
            re.escape(label) + "|Undecided: .+ \\(most likely " + re.escape(label) + "\\)", row[1]
        ):
            problems.append(f"{name}'s verdict reads {row[1]!r}; the attempt's is {label!r}")
    if sum(int(row[1]) for row in figures["mix"]) != 3:
        problems.append(f"the verdict mix does not add up to 3 members: {figures['mix']}")
    if problems:
        raise Failed("the cohort's page: " + "; ".join(problems))
    walk.step("The cohort's page shows 3 members, each with a finished attempt and a verdict")


def coach_reads_cohort(
    walk: Walk, browser, page: Page, context: BrowserContext, expected: dict[str, str], out: Path
) -> None:
    walk.step("Coach reloads the cohort's page")
    response = page.reload()
    if response is None or response.status != 200:
        raise Failed(f"the cohort's page answered {response and response.status}")
    walk.check_clean("the cohort's page")
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    page.wait_for_load_state("networkidle")
    read_cohort_page(walk, page, expected)

    desktop = out / "cohort-desktop.png"
    page.screenshot(path=str(desktop), full_page=True)
    walk.step(
        f"  screenshot {desktop} (1280 px wide, whole page, "
        f"{page.evaluate('document.documentElement.scrollHeight')} px tall)"
    )

    # The same session on a phone: a context of its own with the coach's cookies.
    phone_context = _new_context(
        browser,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        storage_state=context.storage_state(),
    )
    try:
        phone = walk.watch(phone_context.new_page(), "coach (phone)")
        phone.goto(page.url)
        expect(phone.get_by_role("heading", name="Members")).to_be_visible()
        phone.wait_for_load_state("networkidle")
        overflow = phone.evaluate(OVERFLOW)
        shot = out / "cohort-phone.png"
        phone.screenshot(path=str(shot), full_page=True)
        walk.step(
            f"  screenshot {shot} (390 px wide, whole page, "
            f"{phone.evaluate('document.documentElement.scrollHeight')} px tall)"
        )
        print(f"  At 390 px the page scrolls sideways by {max(overflow['page'], 0)} px; inside it:")
        for name, by, hidden in overflow["strips"]:
            print(f"    {name!r} scrolls sideways by {by} px; starts out of view: {hidden}")
        for element in overflow["wide"][:10]:
            print(f"    sticks out past the screen's edge: {element}")
        walk.check_clean("the cohort's page on a phone")
    except Exception:
        walk.shoot_failure()
        raise
    finally:
        phone_context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--others",
        type=int,
        default=300,
        help="other takers' finished attempts seeded first (0: the cohort's takers alone)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    walk = Walk()
    log = logging.getLogger("quiz")
    log.setLevel(logging.WARNING)
    log.addHandler(_Collect(walk))
    chromium = os.environ.get("QUIZ_CHROMIUM", "/usr/bin/chromium")
    print(f"$ {COMMAND} {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    try:
        with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
            server = Server(Path(folder))
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                htmx = local_htmx()
                walk.step(
                    f"App on {server.url()} with a fresh database ({folder}/quiz.db), the "
                    f"bundled bank, htmx {'from ' + htmx if htmx else 'blocked (no local copy)'}"
                )
                prepare(server, args.others)
                walk.step(
                    f"Seeded {args.others} other takers' finished attempts; instructor "
                    f"account {INSTRUCTOR!r} created in the store"
                )
                coach = _new_context(browser, viewport=DESKTOP)
                page = walk.watch(coach.new_page(), "coach")
                expect.set_options(timeout=TIMEOUT)
                invitation = coach_creates_cohort(walk, page, server)
                walk.check_clean("creating the cohort")
                expected = {}
                for taker in TAKERS:
                    _, label = take_through_link(walk, browser, server, invitation, taker, args.out)
                    expected[taker.name] = label
                labels = set(expected.values())
                if len(labels) < len(expected):
                    walk.step(f"Note: the verdicts do not all differ: {expected}")
                coach_reads_cohort(walk, browser, page, coach, expected, args.out)
                coach.close()
            except Exception:
                walk.shoot_failure()
                raise
            finally:
                browser.close()
                server.stop()
    except Exception as exc:  # every failure is a step's: say which, and exit 1
        walk.step(f"FAILED: {type(exc).__name__}: {exc}")
        if not isinstance(exc, Failed):
            traceback.print_exc(file=sys.stdout)
        for text in walk.server_errors:
            print("  server error:\n" + "\n".join("    " + t for t in text.splitlines()))
        return 1
    walk.step(f"Done: the walk-through passed in {time.perf_counter() - walk.started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
