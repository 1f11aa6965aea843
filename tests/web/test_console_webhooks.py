"""Webhooks in the console: subscribe (the secret shown once), see a failed delivery's attempts, redeliver."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketcast.core import clock, outbox
from marketcast.core.db import unit_of_work
from marketcast.markets.events import MarketLaunched
from marketcast.webhooks import jobs
from marketcast.webhooks.models import WebhookDelivery
from tests.support.console import PASSWORD, log_in

pytestmark = pytest.mark.browser


def test_subscribe_see_attempts_and_redeliver(make_user, live_server, page, screenshot, settings_env):
    make_user("operator", email="ops@example.com", password=PASSWORD)
    log_in(page, live_server, "ops@example.com", "/markets")
    page.goto(f"{live_server}/webhooks")
    page.fill("#url", "not a url")
    page.fill("#event_types", "market.*")
    page.click("[data-testid=subscribe-form] button")
    expect(page.locator("[data-testid=error-url]")).to_be_visible()
    page.fill("#url", "http://127.0.0.1:9/hooks")
    page.fill("#event_types", "market.*, market.paused")  # not a type: the form says which entry
    page.click("[data-testid=subscribe-form] button")
    assert "'market.paused' matches no event type" in page.locator("[data-testid=error-event_types]").inner_text()
    # The known types are folded until asked for, and unfolded beside an event-type error.
    assert page.locator("[data-testid=event-types]").get_attribute("open") is not None
    assert "order.paid" in page.locator("[data-testid=event-types]").inner_text()
    # Nothing listens on port 9 of this machine: every attempt fails at once.
    page.fill("#url", "http://127.0.0.1:9/hooks")
    page.fill("#event_types", "market.*, policy.effective")
    page.click("[data-testid=subscribe-form] button")
    assert "whsec_" in page.locator("[data-testid=secret]").inner_text()
    page.goto(f"{live_server}/webhooks")
    expect(page.locator("[data-testid=secret]")).to_have_count(0)  # shown once only

    with unit_of_work() as session:
        outbox.emit(session, MarketLaunched(market="ES", user_id="usr_1", email="a@example.com", old_window=None,
                                            launched_at=clock.now()), market="ES")
    settings_env(MARKETCAST_WEBHOOK_RETRY_SCHEDULE="")  # no retries: the first failure is final
    jobs.fan_out()
    assert jobs.deliver_due() == 1
    page.click("[data-testid=subscriptions] a")
    row = page.locator("[data-testid=deliveries] tr[data-delivery]")
    assert "failed" in row.inner_text() and "#1" in row.inner_text()
    screenshot(page, "webhook-deliveries")
    row.locator("button").click()
    assert "redelivery" in page.locator("[role=status]").inner_text()
    with unit_of_work(write=False) as session:
        assert session.scalar(select(WebhookDelivery.status)) == "pending"
