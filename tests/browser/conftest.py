"""Browser tests: the real app served on 127.0.0.1 by a werkzeug server thread, driven by Playwright with
Debian's Chromium (`apt-get install -y chromium`; `.ci/run` installs it; never `playwright install`).

Screenshots of each step (and of the page at a failure) go to $CALLBOT_ARTIFACTS, default `test-artifacts/`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from callbot.runtime import ServerThread
from tests.web.conftest import PASSWORD

CHROMIUM = os.environ.get("CALLBOT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("CALLBOT_ARTIFACTS") or Path(__file__).resolve().parents[2] / "test-artifacts")
PHONE = {"width": 390, "height": 844}  # an iPhone 12–15 screen in CSS pixels
LAPTOP = {"width": 1280, "height": 800}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Keep each phase's report on the test item, so the page fixture knows at teardown whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set CALLBOT_CHROMIUM)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One Chromium per test process (each pytest-xdist worker has its own)."""
    chromium = playwright.chromium.launch(executable_path=CHROMIUM)
    yield chromium
    chromium.close()


@pytest.fixture
def live(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The test app served over real HTTP on 127.0.0.1; its base URL."""
    server = ServerThread(app).start()
    yield server.url
    server.stop()


def _artifact_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.nodeid.split("::")[-1]).strip("-")


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context (its own cookies) at a given viewport; on failure each open page
    is saved as a screenshot."""
    contexts = []

    def open_page(viewport: dict[str, int] = LAPTOP, **options: object) -> Page:
        context = browser.new_context(
            viewport=viewport,  # type: ignore[arg-type]
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            accept_downloads=True,
            **options,  # type: ignore[arg-type]
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    failed = getattr(request.node, "report_call", None)
    for number, context in enumerate(contexts):
        if failed is not None and failed.failed:
            for page in context.pages:
                save_screenshot(page, f"{_artifact_name(request)}-FAILED-{number}")
        context.close()


def save_screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot in the artefacts directory."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Save a step of this test as `<test>-<step>.png` in the artefacts directory."""

    def take(page: Page, step: str) -> Path:
        return save_screenshot(page, f"{_artifact_name(request)}-{step}")

    return take


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person does."""
    page.goto(f"{base_url}/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def horizontal_overflow(page: Page) -> list[str]:
    """The elements that stick out past the right edge of the viewport (empty when the page does not scroll
    sideways)."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth <= width) return [];
          const out = [];
          for (const el of document.body.querySelectorAll('*')) {
            const box = el.getBoundingClientRect();
            if (box.right > width + 1 && box.width > 0) {
              out.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
                       + ' right=' + Math.round(box.right));
            }
          }
          return out.length ? out.slice(0, 10) : ['<html> scrollWidth ' + document.documentElement.scrollWidth];
        }"""
    )
