"""The patterns every console page shares, in a real browser: lists with counts and previous / next links whose
filters stay in the URL, refused forms that keep the browser on the page's own URL, the console's 404 page, and
pages that do not scroll sideways at 390 px."""

import pytest
from playwright.sync_api import expect

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.markets import rules
from marketcast.markets import service as markets
from tests.support.console import PASSWORD, PHONE, assert_fits, log_in

pytestmark = pytest.mark.browser


def _codes(n: int) -> list[str]:
    """The first `n` country codes in order, leaving out the ones the tests name (ES, US)."""
    return sorted(rules._COUNTRIES - {"ES", "US"})[:n]


@pytest.fixture
def many_markets(make_user, at):
    """55 planned markets (AD…), one of them (ES) with a window long past; an operator."""
    with clock.frozen(at(2024, 1, 1)), unit_of_work() as session:
        for code in _codes(55):
            markets.create(session, code=code, name=f"Market {code}", currency="USD", timezone="UTC",
                           launch_window="2030-Q1", actor=SYSTEM)
        markets.create(session, code="ES", name="Spain", currency="EUR", timezone="Europe/Madrid",
                       launch_window="2025-Q1", actor=SYSTEM)
    make_user("operator", email="ops@example.com", password=PASSWORD)


def test_a_list_pages_with_a_count_and_keeps_its_filters_in_the_url(many_markets, live_server, page, screenshot):
    log_in(page, live_server, "ops@example.com", "/markets")
    page.select_option("#f-status", "planned")
    page.click("[data-testid=filters] button")
    assert "status=planned" in page.url
    assert page.locator("[data-testid=count]").first.inner_text() == "1–50 of 56 markets"
    expect(page.locator("[data-testid=markets] tbody tr")).to_have_count(50)
    expect(page.locator("[data-testid=prev]")).to_have_count(0)
    page.locator("[data-testid=next]").first.click()
    assert page.locator("[data-testid=count]").first.inner_text() == "51–56 of 56 markets"
    assert "status=planned" in page.url and page.locator("[data-testid=next]").count() == 0
    shared = page.url
    page.locator("[data-testid=prev]").first.click()
    assert page.locator("[data-testid=count]").first.inner_text() == "1–50 of 56 markets"
    page.goto(shared)  # a link to a page of a filtered list opens on the same rows
    assert page.locator("[data-testid=count]").first.inner_text() == "51–56 of 56 markets"
    assert page.locator("select#f-status").input_value() == "planned"


def test_a_passed_launch_window_is_flagged_overdue(many_markets, live_server, page, screenshot):
    log_in(page, live_server, "ops@example.com", "/markets")
    page.goto(f"{live_server}/markets?status=planned&page_token=")
    page.locator("[data-testid=next]").first.click()
    assert page.locator("tr[data-market=ES] [data-testid=overdue]").inner_text() == "overdue"
    other = _codes(55)[-1]
    expect(page.locator(f"tr[data-market={other}] [data-testid=overdue]")).to_have_count(0)  # 2030-Q1 is ahead
    page.click("tr[data-market=ES] a")
    assert "2025-Q1 has passed" in page.locator("[data-testid=overdue]").inner_text()
    screenshot(page, "market-overdue")


def test_a_refused_form_stays_on_the_page_url_and_a_reload_resends_nothing(many_markets, live_server, page):
    log_in(page, live_server, "ops@example.com", "/markets")
    page.fill("#new-code", "ES")
    page.fill("#new-name", "Spain again")
    page.click("[data-testid=create-form] button")
    # The refusal comes back as a new page: wait for it rather than look at the one being left.
    expect(page.locator("[data-testid=error-code], [data-testid=problem]").first).to_be_visible()
    assert page.url == f"{live_server}/markets"
    assert page.locator("#new-name").input_value() == "Spain again"  # what was typed is kept
    page.reload()  # a GET: no "resend the form?" and the error has been shown once
    assert page.locator("[data-testid=problem]").count() + page.locator("[data-testid=error-code]").count() == 0


def test_unknown_console_paths_and_markets_get_the_console_404(many_markets, live_server, page, client):
    log_in(page, live_server, "ops@example.com", "/markets")
    response = page.goto(f"{live_server}/no/such/page")
    assert response.status == 404 and page.locator("h1").inner_text() == "Page not found"
    assert "<pre" not in page.content() and "Marketcast" in page.title()
    response = page.goto(f"{live_server}/policies?market=ZZ")
    assert response.status == 404 and "market 'ZZ' does not exist" in page.locator("[data-testid=problem]").inner_text()
    api = client.get("/api/v1/no/such/thing", headers={"accept": "text/html"})
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")


PAGES = ["/markets", "/markets/ES", "/policies?market=US", "/policies/seller.min_age?market=US", "/applications",
         "/shops", "/orders", "/products", "/sellers", "/reports/gmv", "/webhooks", "/no/such/page"]


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_no_operator_page_scrolls_sideways_on_a_phone(many_markets, live_server, page, screenshot):
    with unit_of_work() as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       launch_window="2023-09", actor=SYSTEM)
    log_in(page, live_server, "ops@example.com", "/markets")
    for path in PAGES:
        page.goto(f"{live_server}{path}")
        assert_fits(page, path)
    page.goto(f"{live_server}/markets")
    screenshot(page, "phone-markets")
