"""Browser fixtures: a live server on 127.0.0.1, Chromium driven by Playwright, axe-core.

Chromium is Debian's (/usr/bin/chromium) or the one QUIZ_CHROMIUM names. A missing
browser fails these tests: it never skips them.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

from quiz import create_app

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("QUIZ_CHROMIUM", "/usr/bin/chromium")
    if not os.access(path, os.X_OK):
        pytest.fail(
            f"No Chromium at {path}: install Debian's chromium (apt-get install chromium) "
            "or point QUIZ_CHROMIUM at one."
        )
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class LiveServer:
    """The app served by werkzeug in a thread; can be stopped and started again on its port."""

    def __init__(self, config: dict):
        self.config = config
        self.port = 0
        self._server = None
        self.start()

    def start(self) -> None:
        self.app = create_app(self.config)
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def server(tmp_path: Path, bank_file: Path, htmx_file: Path):
    live = LiveServer(
        {
            "DATABASE": str(tmp_path / "quiz.db"),
            "QUESTIONS": str(bank_file),
            "SECRET_KEY": "browser-tests",
            "HTMX_FILE": str(htmx_file),
        }
    )
    yield live
    live.stop()


@pytest.fixture
def context(browser):
    context = browser.new_context()
    yield context
    context.close()


@pytest.fixture
def page(context) -> Page:
    """A page that fails the test on any console error, CSP violations included."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    yield page
    assert errors == [], f"console errors: {errors}"


@pytest.fixture
def no_js_page(browser) -> Page:
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def axe(axe_file: Path):
    source = axe_file.read_text()

    def check(page: Page) -> None:
        # Evaluated through the DevTools protocol, which the page's CSP does not govern.
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(source)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
        )
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
            for v in result["violations"]
        ]
        assert violations == [], f"axe violations on {page.url}:\n" + "\n".join(violations)

    return check
