"""Browser tests: the app served by uvicorn on a free local port, driven by Chromium through Playwright.

- `live_server` (in tests/conftest.py): the base URL ("http://127.0.0.1:<port>") of the app serving the test
  database; one per pytest(-xdist) worker process, so the app shares the worker's database and clock.
- `browser` (one per worker) and `page` (a fresh context per test; screenshotted when the test fails).
- `screenshot(page, name)`: saves test-artifacts/screenshots/<name>.png and returns the path.

Chromium is MARKETCAST_TEST_CHROMIUM or /usr/bin/chromium; without it browser tests are skipped, and
fail when CI=true. Mark browser tests with `@pytest.mark.browser`."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

IN_CI = os.environ.get("CI", "").lower() == "true"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Tests stay hermetic: any request that leaves the machine (CDNs, fonts, telemetry) is refused.
EXTERNAL = re.compile(r"^(?![a-z]+://(127\.0\.0\.1|localhost)[:/])[a-z]+://")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    path = os.environ.get("MARKETCAST_TEST_CHROMIUM", "/usr/bin/chromium")
    if not os.access(path, os.X_OK):
        _unavailable(f"Chromium not found at {path} (set MARKETCAST_TEST_CHROMIUM)")
    from playwright.sync_api import Error, sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
    except Error as exc:
        playwright.stop()
        _unavailable(f"Chromium at {path} did not start: {exc}")
    yield browser
    browser.close()
    playwright.stop()


def _save(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    # A screenshot is evidence, not the assertion: a loaded machine gets longer than the page's 10 s default.
    page.screenshot(path=str(path), full_page=True, timeout=60_000)
    return path


@pytest.fixture
def screenshot():
    return _save


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Remembered so `page` can tell whether the test body failed.
    setattr(item, f"report_{report.when}", report)
    return report


DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def page(browser, request):
    """A desktop page; parametrize the test with `viewport` (indirect, e.g. console_support.PHONE) for another."""
    viewport = getattr(request, "param", None) or DESKTOP
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)  # an assertion on a page waits for it (a click does not wait for the load)
    context.route(EXTERNAL, lambda route: route.abort())
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        try:
            _save(page, f"FAILED-{request.node.name}")
        except Exception:  # the page may be gone; the failure itself is what matters
            pass
    context.close()
