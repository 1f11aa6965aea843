"""The finance pages in a real browser: a seller sees the balance, payouts, statements and drills down from a
statement to its orders and entries (CSV too) and the ledger; an operator lists statements across shops with
totals per market, posts an adjustment (a refused one keeps the error beside its field) and marks a payout paid;
every page at desktop and at 390 px width without sideways scrolling."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.finance import jobs
from marketcast.markets import service as markets
from tests.support.commerce import write_product, write_shop
from tests.support.console import PASSWORD, PHONE, assert_fits, log_in

pytestmark = pytest.mark.browser
APPROVE = "4242424242424242"


@pytest.fixture
def world(make_user, client):
    with unit_of_work() as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       status="live", actor=SYSTEM)
    make_user("operator", email="ops@example.com", password=PASSWORD)
    seller_id, seller = make_user("seller", email="shop@example.com", password=PASSWORD)
    shop_id = write_shop(unit_of_work, user_id=seller_id, email="shop@example.com")
    sku_id = write_product(unit_of_work, shop_id=shop_id, stock=[20], prices=[2500])[0]
    _, buyer = make_user("buyer")
    with clock.frozen(datetime(2024, 7, 1, 15, tzinfo=UTC)):
        order = client.post("/api/v1/orders", headers={**buyer, "Idempotency-Key": "finance-console-1"},
                            json={"lines": [{"sku_id": sku_id, "quantity": 4}]}).json()
        paid = client.post(f"/api/v1/orders/{order['id']}/pay", headers=buyer, json={"card_number": APPROVE}).json()
        client.post(f"/api/v1/orders/{order['id']}/ship", headers=seller,
                    json={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
        client.post(f"/api/v1/orders/{order['id']}/deliver", headers=seller)
    with clock.frozen(datetime(2024, 7, 5, 15, tzinfo=UTC)):
        r = client.post(f"/api/v1/orders/{order['id']}/refunds", headers={**seller, "Idempotency-Key": "rf-1"},
                        json={"lines": [{"line_id": paid["lines"][0]["id"], "quantity": 1}]})
        assert r.status_code == 201, r.text
    with clock.frozen(datetime(2024, 7, 22, 12, tzinfo=UTC)):
        assert jobs.close_statements() == 1
    return {"shop_id": shop_id, "order_id": order["id"]}


def test_seller_and_operator_finance_pages(world, live_server, page, screenshot):
    shop_id, order_id = world["shop_id"], world["order_id"]
    log_in(page, live_server, "shop@example.com", "/shops")
    page.goto(f"{live_server}/finance")
    page.wait_for_url(f"{live_server}/shops/{shop_id}/finance")
    # $100.00 sold, $25.00 refunded, 8% fee (−8.00) of which a quarter back (+2.00): 69.00 paid out.
    assert "69.00 USD" in page.locator("[data-testid=paid]").inner_text()
    assert "0.00 USD" in page.locator("[data-testid=pending]").inner_text()
    assert "scheduled" in page.locator("[data-testid=payouts]").inner_text()
    expect(page.locator("[data-testid=pay-form]")).to_have_count(0)  # sellers do not mark payouts paid
    expect(page.locator("[data-testid=adjust-form]")).to_have_count(0)
    screenshot(page, "finance-shop")
    page.locator("[data-testid=statements] a").first.click()
    lines = page.locator("[data-testid=lines]")
    assert "100.00 USD" in lines.locator("[data-line=sales]").inner_text()
    assert "-8.00 USD" in lines.locator("[data-line=fees]").inner_text()
    assert "2.00 USD" in lines.locator("[data-line=fee_refunds]").inner_text()
    assert "69.00 USD" in lines.locator("[data-line=net]").inner_text()
    expect(page.locator(f"[data-testid=orders] [data-order={order_id}]")).to_have_count(1)
    expect(page.locator("[data-testid=entries] tbody tr")).to_have_count(4)
    csv_url = page.locator("[data-testid=csv-link]").get_attribute("href")
    got = page.request.get(f"{live_server}{csv_url}")
    assert got.ok and got.headers["content-type"].startswith("text/csv") and got.text().count("\n") == 5
    screenshot(page, "finance-statement")
    page.locator(f"[data-testid=orders] [data-order={order_id}] a").click()
    page.wait_for_url(f"{live_server}/orders/{order_id}")
    page.goto(f"{live_server}/shops/{shop_id}/finance/ledger?kind=referral_fee")
    expect(page.locator("[data-testid=ledger] tbody tr")).to_have_count(1)
    assert "stated" in page.locator("[data-testid=ledger]").inner_text()

    page.context.clear_cookies()
    log_in(page, live_server, "ops@example.com", "/markets")
    page.goto(f"{live_server}/finance")
    page.wait_for_url(f"{live_server}/finance/statements")
    totals = page.locator("[data-testid=totals] [data-market=US]")
    assert "69.00 USD" in totals.inner_text() and "100.00 USD" in totals.inner_text()
    screenshot(page, "finance-operator-statements")
    page.goto(f"{live_server}/finance/statements?period_from=2024-08-01")
    assert "No statement matches." in page.locator("[data-testid=statements]").inner_text()
    page.goto(f"{live_server}/shops/{shop_id}/finance")
    form = page.locator("[data-testid=adjust-form]")
    form.locator("#f-amount").fill("two dollars")
    form.locator("#f-reason").fill("damaged parcel")
    form.locator("button").click()
    page.wait_for_url(f"{live_server}/shops/{shop_id}/finance")
    assert "not an amount" in page.locator("[data-testid=error-amount]").inner_text()
    assert page.locator("#f-reason").input_value() == "damaged parcel"
    form = page.locator("[data-testid=adjust-form]")
    form.locator("#f-amount").fill("-2.50")
    form.locator("button").click()
    assert "posted" in page.locator("[data-testid=flash]").inner_text()
    assert "-2.50 USD" in page.locator("[data-testid=payable]").inner_text()
    pay = page.locator("[data-testid=pay-form]")
    pay.locator("input[name=reference]").fill("ACH 20240723")
    pay.locator("button").click()
    assert "marked paid" in page.locator("[data-testid=flash]").inner_text()
    assert "ACH 20240723" in page.locator("[data-testid=payouts]").inner_text()


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_finance_pages_fit_a_phone(world, live_server, page, screenshot):
    shop_id = world["shop_id"]
    log_in(page, live_server, "shop@example.com", "/shops")
    page.goto(f"{live_server}/shops/{shop_id}/finance")
    statement = page.locator("[data-testid=statements] a").first.get_attribute("href")
    for path in (f"/shops/{shop_id}/finance", statement, f"/shops/{shop_id}/finance/ledger"):
        page.goto(f"{live_server}{path}")
        assert_fits(page, path)
    screenshot(page, "finance-ledger-phone")
    page.context.clear_cookies()
    log_in(page, live_server, "ops@example.com", "/markets")
    for path in ("/finance/statements", f"/shops/{shop_id}/finance"):
        page.goto(f"{live_server}{path}")
        assert_fits(page, path)
    screenshot(page, "finance-operator-phone")
