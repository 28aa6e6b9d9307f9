"""Screenshots of the product for docs/screenshots/, and the result page's height.

Runs the app on 127.0.0.1 with a fresh database and the bundled bank, finishes
attempts through HTTP, seeds realistic attempts for the instructor pages
(``quiz.demo``, as ``quiz seed-demo`` does), and drives Chromium (/usr/bin/chromium,
or the one QUIZ_CHROMIUM names) with Playwright.

    make screenshots                         # PNGs into docs/screenshots/
    python bench/screenshots.py --heights    # the result page's height, in CSS pixels

Taker pages are taken 1280 px wide (desktop) and 390 px wide (phone); instructor
pages on the desktop only. Each shot is the first screen of the page (the viewport),
not the whole page.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import BrowserContext, Page, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from quiz import attempts, bundled, create_app
from quiz.accounts import hash_password
from quiz.answers import plain_number
from quiz.bank import Likert, Multiple, Numeric, Single
from quiz.demo import attempts as demo_attempts
from quiz.store import Store

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars"]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
INSTRUCTOR, PASSWORD = "demo", "a demonstration password"
PROFILE = {
    "display_name": "Robin",
    "rate-technical": "4",
    "rate-business": "3",
    "rate-analytical": "3",
    "rate-client": "4",
    "bg-degree": "bachelor",
    "bg-field": "business",
    "bg-experience": "y4-5",
    "bg-roles": "marketing-analyst",
    "bg-hours": "sometimes",
}


def local_htmx() -> str | None:
    """The htmx copy the browser tests fetched into .pytest_cache, if there is one: the
    pages then load nothing from the CDN."""
    found = sorted(ROOT.glob(".pytest_cache/d/npm/htmx.org-*/htmx.min.js"))
    return str(found[-1]) if found else None


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # one line per request is noise here
        pass


class Server:
    """The app served by werkzeug in a daemon thread on a free port of 127.0.0.1."""

    def __init__(self, folder: Path):
        config = {
            "DATABASE": str(folder / "quiz.db"),
            "QUESTIONS": str(bundled("questions.yaml")),
            "SECRET_KEY": "screenshots-" + "x" * 32,
            "START_LIMIT_PER_TAKER": 10**6,
            "START_LIMIT_PER_ADDRESS": 10**6,
        }
        if local_htmx():
            config["HTMX_FILE"] = local_htmx()
        self.app = create_app(config)
        self._server = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def seed(server: Server, count: int) -> None:
    """``count`` realistic finished attempts (quiz.demo) and an instructor account."""
    bank = server.app.extensions["quiz.bank"].current()
    store = Store(server.app.config["DATABASE"])
    try:
        store.add_finished_attempts(bank.scheme_version, demo_attempts(bank, count, seed=7))
        store.set_instructor(INSTRUCTOR, hash_password(PASSWORD))
    finally:
        store.close()


def start_attempt(context: BrowserContext, server: Server) -> tuple[str, str]:
    """Start an attempt and fill in About you with the context's cookies: (its URL, the
    CSRF token)."""
    http = context.request
    token = CSRF.search(http.get(server.url("/")).text()).group(1)
    about = http.post(server.url("/start"), form={"csrf_token": token})
    base = about.url.removesuffix("/about")
    http.post(f"{base}/about", form={"csrf_token": token, **PROFILE})
    return base, token


def _values(item, right: bool) -> list[str]:
    """Form values answering ``item`` (a quiz.attempts.Item) rightly or wrongly."""
    q, order = item.question, list(item.option_order)
    if isinstance(q, Single):
        best = max(range(len(q.options)), key=q.option_score)
        chosen = best if right else next(i for i in order if i != best)
        return [str(order.index(chosen))]
    if isinstance(q, Multiple):
        chosen = q.correct_indexes if right else [i for i in order if i not in q.correct_indexes]
        return [str(order.index(i)) for i in sorted(chosen)[: 1 if not right else None]]
    if isinstance(q, Numeric):
        return [plain_number(q.answer if right else q.answer * 1.5 + 1)]
    if isinstance(q, Likert):
        return ["4" if right else "2"]
    raise TypeError(type(q).__name__)


def finish_attempt(
    context: BrowserContext, server: Server, right: float = 0.7, seed: int = 1
) -> str:
    """Take and finish a whole attempt with the context's cookies (HTTP, no clicking),
    answering about ``right`` (0..1) of the questions rightly, the rest wrongly, in an
    order fixed by ``seed``. Returns the attempt's token."""
    http = context.request
    base, token = start_attempt(context, server)
    code = base.rsplit("/", 1)[1]
    store = Store(server.app.config["DATABASE"])
    rng = random.Random(seed)
    try:
        attempt = attempts.load(store, code)
        for n in range(1, attempt.total + 1):
            item = attempts.item(store, attempt, n)
            form = [("csrf_token", token), ("nav", "next")]
            form += [("answer", v) for v in _values(item, rng.random() < right)]
            http.post(
                f"{base}/q/{n}",
                data=urlencode(form),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                max_redirects=0,  # the next question's page is not needed
            )
    finally:
        store.close()
    http.post(f"{base}/finish", form={"csrf_token": token})
    return code


def heights(browser, server: Server, runs: int) -> list[dict[int, int]]:
    """document.documentElement.scrollHeight of the result page, in CSS pixels, at 1280
    and 390 px wide, for ``runs`` finished attempts (about 70% answered rightly); each
    attempt draws its own questions, so the heights differ by a few per cent. Printed."""
    context = _new_context(browser, viewport=DESKTOP)
    page = context.new_page()
    print("Result page of a finished attempt of the bundled bank (scrollHeight, CSS px):")
    measured = []
    for run in range(runs):
        token = finish_attempt(context, server, seed=run + 1)
        out = {}
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": DESKTOP["height"]})
            page.goto(server.url(f"/a/{token}/result"))
            out[width] = page.evaluate("document.documentElement.scrollHeight")
        store = Store(server.app.config["DATABASE"])
        try:
            attempt = attempts.load(store, token)
        finally:
            store.close()
        print(
            f"  {attempt.total} questions, overall {attempt.overall:.0%}: "
            f"{out[1280]:>6} px at 1280 px wide, {out[390]:>6} px at 390 px wide"
        )
        measured.append(out)
    context.close()
    return measured


def _new_context(browser, **options) -> BrowserContext:
    """A browser context; without a local htmx it never waits for the CDN (the pages look
    the same without htmx, and a machine may be offline)."""
    context = browser.new_context(**options)
    if not local_htmx():
        context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    return context


def _shot(page: Page, out: Path, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / f"{name}.png"))
    print(f"  {name}.png")


def _scroll_to(page: Page, pattern: str) -> None:
    """Scroll so that the first heading matching ``pattern`` (a regular expression) is at
    the top of the screen."""
    heading = page.locator("h2, h3").filter(has_text=re.compile(pattern, re.I)).first
    heading.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 16)")


def taker_shots(browser, server: Server, out: Path, device: str, viewport: dict) -> None:
    """Landing, a question, the result's top and its review, and My results."""
    phone = device == "phone"
    context = _new_context(browser, viewport=viewport, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.goto(server.url("/"))
    _shot(page, out, f"landing-{device}")

    base, _ = start_attempt(context, server)
    page.goto(f"{base}/q/1")
    page.locator("input[name=answer]").first.check()
    _shot(page, out, f"question-{device}")

    finish_attempt(context, server, right=0.5, seed=2)
    token = finish_attempt(context, server, right=0.75, seed=3)
    page.goto(server.url(f"/a/{token}/result"))
    _shot(page, out, f"result-{device}")
    _scroll_to(page, r"review")
    _shot(page, out, f"review-{device}")

    page.goto(server.url("/me/"))
    _shot(page, out, f"my-results-{device}")
    context.close()


def instructor_shots(browser, server: Server, out: Path) -> None:
    """The instructor's overview and the item statistics, on the desktop."""
    context = _new_context(browser, viewport=DESKTOP)
    page = context.new_page()
    page.goto(server.url("/instructor/"))
    page.get_by_label("Username").fill(INSTRUCTOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/instructor/$"))
    _shot(page, out, "instructor-overview-desktop")
    page.goto(server.url("/instructor/statistics"))
    _shot(page, out, "statistics-desktop")
    context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heights", action="store_true", help="only measure the result page")
    parser.add_argument("--runs", type=int, default=3, help="attempts measured with --heights")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--attempts", type=int, default=300, help="demo attempts seeded for the instructor pages"
    )
    args = parser.parse_args(argv)
    logging.getLogger("quiz").setLevel(logging.WARNING)
    chromium = os.environ.get("QUIZ_CHROMIUM", "/usr/bin/chromium")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        server = Server(Path(folder))
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            if args.heights:
                heights(browser, server, args.runs)
            else:
                args.out.mkdir(parents=True, exist_ok=True)
                seed(server, args.attempts)
                print(f"Screenshots in {args.out}:")
                taker_shots(browser, server, args.out, "desktop", DESKTOP)
                taker_shots(browser, server, args.out, "phone", PHONE)
                instructor_shots(browser, server, args.out)
        finally:
            browser.close()
            server.stop()
    print(f"Done in {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
