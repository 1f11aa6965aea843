"""Seller and operator pages in a real browser: the review queue with decisions explained, approving with an
override, a shop's stock, an order refunded with restock, and the GMV report."""

import pytest
from playwright.sync_api import expect

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.markets import service as markets
from tests.support.console import PASSWORD, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(client, make_user):
    """A live US market, an operator, a seller with an application (contact in use → ineligible), a buyer."""
    with unit_of_work() as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       launch_window="2023-09", actor=SYSTEM)
        markets.transition(session, code="US", status="live", reason="launch", actor=SYSTEM)
    make_user("operator", email="ops@example.com", password=PASSWORD)
    _, seller = make_user("seller", email="shop@example.com", password=PASSWORD)
    _, buyer = make_user("buyer")
    r = client.post("/api/v1/sellers", headers=seller, json={
        "legal_name": "Blue Mug Co", "entity_type": "company", "country": "US", "tax_id": "12-3456789",
        "contact": {"email": "hello@bluemug.example", "phone": "+1 555 010 0000"}})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/applications", headers=seller, json={
        "market": "US", "shop_type": "local", "shop_name": "Blue Mug",
        # 16 years old today: under the minimum age of 18, the one failed rule.
        "representative": {"name": "Ann Lee", "date_of_birth": f"{clock.now().year - 16}-01-01"},
        "contact": {"email": "hello@bluemug.example", "phone": "+1 555 010 0000"},
        "business_address": {"country": "US", "line1": "1 Main St", "city": "Austin", "postal_code": "73301"}})
    assert r.status_code == 201, r.text
    return {"seller": seller, "buyer": buyer, "application": r.json()}


def test_operator_reviews_and_approves_with_override(world, live_server, page, screenshot):
    app_id = world["application"]["id"]
    assert world["application"]["decision"]["outcome"] == "ineligible"
    log_in(page, live_server, "ops@example.com", "/markets")
    page.goto(f"{live_server}/applications?market=US")
    assert "representative_age" in page.locator(f"tr[data-application={app_id}]").inner_text()
    page.click(f"tr[data-application={app_id}] a")
    explanation = page.locator("[data-testid=explanation]").inner_text()
    assert "representative age: failed" in explanation and "seller.min_age" in explanation
    screenshot(page, "application-decision")
    page.fill("#approve-reason", "approved without override")
    page.click("[data-testid=approve-form] button")
    assert "override" in page.locator("[data-testid=problem]").inner_text()
    page.check("input[name=override][value=representative_age]")
    page.fill("#approve-reason", "guardian co-signed; documents checked")
    page.click("[data-testid=approve-form] button")
    assert "probation" in page.locator("[role=status]").inner_text()
    history = page.locator("[data-testid=decisions]").inner_text()
    assert "overrode representative_age" in history and "ops@example.com" in history
    screenshot(page, "application-approved")


def test_seller_stock_refund_and_gmv(world, client, live_server, page, screenshot, make_user):
    app_id = world["application"]["id"]
    _, ops = make_user("operator")
    r = client.post(f"/api/v1/applications/{app_id}/approve", headers=ops,
                    json={"reason": "checked", "override_rules": ["representative_age"]})
    shop_id = r.json()["shop_id"]
    r = client.post(f"/api/v1/shops/{shop_id}/products", headers=world["seller"], json={
        "title": "Blue mug", "description": "350 ml",
        "skus": [{"code": "MUG-B", "price": {"amount": 1500, "currency": "USD"}, "stock": 5, "attributes": {}}]})
    assert r.status_code == 201, r.text
    product = r.json()
    sku_id = product["skus"][0]["id"]
    assert client.post(f"/api/v1/products/{product['id']}/publish", headers=world["seller"]).status_code == 200
    r = client.post("/api/v1/orders", headers={**world["buyer"], "Idempotency-Key": "k-1"},
                    json={"lines": [{"sku_id": sku_id, "quantity": 2}]})
    assert r.status_code == 201, r.text
    order_id = r.json()["id"]
    r = client.post(f"/api/v1/orders/{order_id}/pay", headers=world["buyer"], json={"card_number": "4242424242424242"})
    assert r.status_code == 200, r.text

    log_in(page, live_server, "shop@example.com", "/shops")
    page.click("[data-testid=shops] a")
    row = page.locator(f"tr[data-sku={sku_id}]")
    assert row.locator("[data-testid=available]").inner_text() == "3"
    row.locator("input[name=available]").fill("10")
    row.locator("button").click()
    assert page.locator(f"tr[data-sku={sku_id}] [data-testid=available]").inner_text() == "10"
    screenshot(page, "shop-stock")

    page.click(f"tr[data-order={order_id}] a")
    page.locator("[data-testid=lines] input[type=number]").fill("1")
    page.check("input[name=restock]")
    page.click("[data-testid=refund-form] button[type=submit]")
    # A preview first: the amount to confirm, nothing refunded yet.
    assert page.locator("[data-testid=refund-amount]").inner_text() == "15.00 USD"
    assert client.get(f"/api/v1/orders/{order_id}", headers=world["buyer"]).json()["refunded"]["amount"] == 0
    screenshot(page, "order-refund-preview")
    confirm_url = page.url
    page.click("[data-testid=confirm-form] button[type=submit]")
    assert "15.00 USD" in page.locator("[data-testid=refunded]").inner_text()
    assert page.url == f"{live_server}/orders/{order_id}"  # post/redirect/get: a reload resends nothing
    screenshot(page, "order-refunded")
    # The confirmation sent a second time (a double click, a page kept open) still says what was refunded
    # when it was drawn: refused, not refunded twice, and the browser is back on the order's own page.
    page.goto(confirm_url)
    page.evaluate("document.querySelector('[data-testid=confirm-form] input[name=refunded]').value = '0'")
    page.click("[data-testid=confirm-form] button[type=submit]")
    assert "refunded meanwhile" in page.locator("[data-testid=problem]").inner_text()
    assert page.url == f"{live_server}/orders/{order_id}"
    assert "15.00 USD" in page.locator("[data-testid=refunded]").inner_text()
    assert client.get(f"/api/v1/skus/{sku_id}").json()["available"] == 11  # restocked

    page.click("form[action='/logout'] button")
    log_in(page, live_server, "ops@example.com", "/markets")
    page.goto(f"{live_server}/reports/gmv")
    assert page.locator("[data-testid=net-US]").inner_text() == "15.00 USD"  # 30.00 sold − 15.00 refunded
    chart = page.locator("[data-testid=chart-US] svg")
    labels = chart.locator("text").all_text_contents()
    # Drawn by the charting library: axis titles, a legend, ticks; one bar mark per day and series.
    assert {"Day (UTC)", "Amount (USD)", "GMV", "Refunds"} <= set(labels), labels
    assert chart.locator("[aria-roledescription=bar]").count() == 30 * 2  # the 30 days up to the sale
    screenshot(page, "gmv-report")


def test_operator_simulates_a_seller_policy_before_scheduling(world, live_server, page, screenshot):
    log_in(page, live_server, "ops@example.com", "/markets")
    page.goto(f"{live_server}/policies/seller.min_age?market=US")
    page.fill("#sim_value", "16")  # the applicant's representative is 16
    page.click("[data-testid=simulate-form] button")
    result = page.locator("[data-testid=simulation]").inner_text()
    assert "1 would move" in result and "Nothing was changed" in result
    assert page.locator("[data-move='ineligible->eligible'] td").nth(1).inner_text() == "1"
    expect(page.locator("body")).to_contain_text("Blue Mug")
    screenshot(page, "policy-simulation")
    page.goto(f"{live_server}/applications/{world['application']['id']}")
    assert page.locator("[data-testid=outcome]").inner_text() == "ineligible"  # the simulation wrote nothing
