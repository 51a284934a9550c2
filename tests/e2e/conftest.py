"""Browser tests: Playwright drives Debian's chromium, headless, against the app served by
pytest-django's live server (a real HTTP server on the test database).

Screenshots of the main pages go to artifacts/screenshots/ (the README names the folder; CI
keeps it as an artifact). A missing chromium fails the run (`make test` installs it first).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests make
# between browser steps are synchronous all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PASSWORD = "a-browser-test-password"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's chromium is not at {CHROMIUM}: run `make browser` (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, live_server, user) -> None:
    """Signs `user` in through the sign-in page (their password set to PASSWORD)."""
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


# Every violation the page reports, as the page sees it: the event fires for what the policy
# blocks or would block, whatever the console says.
LISTEN = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ` +
    `${event.sourceFile || document.location.pathname}:${event.lineNumber} ${event.sample}`
  );
});
"""


@pytest.fixture
def violations(page: Page) -> Iterator[list[str]]:
    """What the browser refused: securitypolicyviolation events and the console's CSP lines."""
    seen: list[str] = []

    def violation(text: str) -> None:
        seen.append(text)

    page.expose_function("cspViolation", violation)
    page.add_init_script(LISTEN)

    def console(message: ConsoleMessage) -> None:
        if "content security policy" in message.text.lower():
            seen.append(f"console: {message.text}")

    page.on("console", console)
    yield seen
