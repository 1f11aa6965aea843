"""The console in a real browser: log in, see markets, schedule a policy change, see errors beside fields."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.core.outbox import OutboxEvent
from marketcast.markets import service as markets
from tests.support.console import PASSWORD, log_in

pytestmark = pytest.mark.browser



@pytest.fixture
def seeded(make_user):
    make_user("operator", email="ops@example.com", password=PASSWORD)
    with unit_of_work() as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       launch_window="2023-09", actor=SYSTEM)
        markets.transition(session, code="US", status="live", reason="launch", actor=SYSTEM)
        markets.create(session, code="ES", name="Spain", currency="EUR", timezone="Europe/Madrid",
                       launch_window="2024-07", actor=SYSTEM)


def login(page, base_url):
    page.goto(f"{base_url}/markets")
    assert "/login" in page.url  # pages need a signed-in user
    log_in(page, base_url, "ops@example.com", "/markets")


def test_wrong_password_is_refused(seeded, live_server, page, screenshot):
    page.goto(f"{live_server}/markets")  # sent to sign in first, and back to the markets afterwards
    page.fill("#email", "ops@example.com")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("wrong")
    # Refused on the sign-in page's own URL (post/redirect/get): the email kept, never the password.
    expect(page).to_have_url(f"{live_server}/login?next=%2Fmarkets")
    assert page.locator("#email").input_value() == "ops@example.com" and page.locator("#password").input_value() == ""
    screenshot(page, "login-refused")
    page.reload()  # a GET: nothing resent, the error shown once
    expect(page.locator("[role=alert]")).to_have_count(0)
    page.fill("#password", PASSWORD)
    page.fill("#email", "ops@example.com")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server}/markets")


def test_markets_page_and_reschedule(seeded, live_server, page, screenshot):
    login(page, live_server)
    row = page.locator("tr[data-market=ES]")
    assert "planned" in row.inner_text() and "2024-07" in row.inner_text()
    assert "live" in page.locator("tr[data-market=US]").inner_text()
    screenshot(page, "markets")
    page.click("tr[data-market=ES] a >> nth=0")
    page.fill("#launch_window", "2025-Q1")
    page.fill("#r-reason", "Spain moves to next year")
    page.click("form[action='/markets/ES/reschedule'] button")
    assert "2025-Q1" in page.locator("[role=status]").inner_text()
    history = page.locator("[data-testid=history]").inner_text()
    assert "2024-07 → 2025-Q1" in history and "Spain moves to next year" in history
    page.fill("#launch_window", "2025-Q7")
    page.fill("#r-reason", "typo")
    page.click("form[action='/markets/ES/reschedule'] button")
    expect(page.locator("[data-testid=error-launch_window]")).to_be_visible()
    screenshot(page, "market-history")


def test_schedule_a_policy_change_and_see_errors(seeded, live_server, page, screenshot):
    login(page, live_server)
    page.goto(f"{live_server}/policies/live.bag.max_products?market=US")
    next_year = clock.now().year + 1
    page.fill("#value", "80")
    page.fill("#effective_from", f"{next_year}-01-01T00:00")
    page.fill("#reason", "Smaller LIVE bags")
    page.click("[data-testid=schedule-form] button")
    timeline = page.locator("[data-testid=timeline]").inner_text()
    assert "80" in timeline and "scheduled" in timeline and "Smaller LIVE bags" in timeline
    screenshot(page, "policy-timeline")

    page.fill("#value", "0")  # below the key's minimum of 1
    page.fill("#effective_from", f"{next_year}-02-01T00:00")
    page.fill("#reason", "too small")
    page.click("[data-testid=schedule-form] button")
    expect(page.locator("[data-testid=error-value]")).to_be_visible()
    screenshot(page, "policy-validation-error")

    page.fill("#value", "90")
    page.fill("#effective_from", "2020-01-01T00:00")
    page.fill("#reason", "in the past")
    page.click("[data-testid=schedule-form] button")
    expect(page.locator("[data-testid=error-effective_from]")).to_be_visible()

    page.goto(f"{live_server}/policies?market=US")
    assert "80" in page.locator("tr[data-key='live.bag.max_products']").inner_text()


def test_a_seller_joins_a_waitlist_and_hears_of_the_reschedule(seeded, make_user, live_server, page, screenshot):
    make_user("seller", email="maker@example.com", password=PASSWORD)
    log_in(page, live_server, "maker@example.com", "/shops")
    page.goto(f"{live_server}/markets/ES")
    page.click("[data-testid=waitlist-form] button")
    assert "waitlist" in page.locator("[role=status]").inner_text()
    expect(page.locator("body")).to_contain_text("1 on the waitlist")  # waits for the page, unlike content()
    screenshot(page, "waitlist-joined")
    with unit_of_work() as session:
        markets.reschedule(session, code="ES", launch_window="2025-Q1", reason="moved", actor=SYSTEM)
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "market.launch_rescheduled")).all()
        assert [(e.data["email"], e.data["old_window"], e.data["new_window"]) for e in events] == [
            ("maker@example.com", "2024-07", "2025-Q1")]


def test_a_seller_on_an_operator_page_gets_a_page_not_json(make_user, live_server, page):
    make_user("seller", email="nosy@example.com", password=PASSWORD)
    log_in(page, live_server, "nosy@example.com", "/shops")
    response = page.goto(f"{live_server}/webhooks")
    assert response.status == 403
    assert "operators" in page.locator("[data-testid=problem]").inner_text()
    assert "nosy@example.com" in page.locator("[data-testid=who]").inner_text()
