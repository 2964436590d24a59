"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

The live server serves the portal and the sandbox stand-ins (SMS gateway, identity provider, registries)
over real sockets, so the portal's outgoing calls go to ``live_server.url``. Celery is eager in the test
process (tests/conftest.py) and the database is transactional, so on_commit callbacks fire on real
commits — in the live server's request threads too. Never run ``playwright install``: the browser is the
distribution's (``apt-get install chromium``)."""

import os
from pathlib import Path

import pytest

from portal.core import http
from tests.enrollment.conftest import _enrollment_settings, world  # noqa: F401 - fixtures reused here

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def portal_url(live_server, settings):
    """Every client of an external system calls the live server's sandbox over a real socket."""
    http.set_transport(None)  # undo the in-process transport of tests/conftest.py
    settings.SITE_URL = live_server.url
    settings.SANDBOX_BASE_URL = sandbox = f"{live_server.url}/sandbox/"
    settings.IDP_URL = f"{sandbox}idp/person/"
    settings.SMS_GATEWAY_URL = f"{sandbox}sms/send/"
    settings.EXCHANGE_BASE_URL = f"{sandbox}exchange/"
    settings.ENROLLMENT_LOOKUP_WORKERS = 1
    return live_server.url


@pytest.fixture
def browser(monkeypatch):
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing: pip install -e '.[dev]'")
    # Playwright's sync API keeps an asyncio loop in this thread; the test's own ORM calls are still
    # synchronous (the live server answers in threads of its own).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def phone_page(browser, request, tmp_path):
    """A phone-sized page (390×844, Chinese); a screenshot is kept when the test fails."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        path = tmp_path / "failure.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot of the failing page: {path}")
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
