"""A seller's day in the console, in a real browser at desktop and phone width: create a product with two SKUs
(a refused form first), publish it, ship an order with its tracking number, refund one line after a
confirmation, and see the sale in their chart."""

import pytest
from playwright.sync_api import expect

from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.markets import service as markets
from tests.support.console import PASSWORD, PHONE, assert_fits, log_in

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def shop(client, make_user):
    """A live US market and an approved local shop owned by shop@example.com; a buyer."""
    with unit_of_work() as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       launch_window="2023-09", actor=SYSTEM)
        markets.transition(session, code="US", status="live", reason="launch", actor=SYSTEM)
    _, seller = make_user("seller", email="shop@example.com", password=PASSWORD)
    _, ops = make_user("operator")
    _, buyer = make_user("buyer", email="bo@example.com")
    contact = {"email": "hello@bluemug.example", "phone": "+1 555 010 0000"}
    assert client.post("/api/v1/sellers", headers=seller, json={
        "legal_name": "Blue Mug Co", "entity_type": "company", "country": "US", "tax_id": "12-3456789",
        "contact": contact}).status_code == 201
    r = client.post("/api/v1/applications", headers=seller, json={
        "market": "US", "shop_type": "local", "shop_name": "Blue Mug",
        "representative": {"name": "Ann Lee", "date_of_birth": "1980-01-01"}, "contact": contact,
        "business_address": {"country": "US", "line1": "1 Main St", "city": "Austin", "postal_code": "73301"}})
    r = client.post(f"/api/v1/applications/{r.json()['id']}/approve", headers=ops, json={"reason": "checked"})
    assert r.status_code == 200, r.text
    return {"id": r.json()["shop_id"], "buyer": buyer}


def _buy(client, buyer, skus: dict[str, str], quantities: dict[str, int]) -> str:
    r = client.post("/api/v1/orders", headers={**buyer, "Idempotency-Key": "console-seller-1"},
                    json={"lines": [{"sku_id": skus[code], "quantity": n} for code, n in quantities.items()]})
    assert r.status_code == 201, r.text
    order_id = r.json()["id"]
    r = client.post(f"/api/v1/orders/{order_id}/pay", headers=buyer, json={"card_number": "4242424242424242"})
    assert r.status_code == 200, r.text
    return order_id


@pytest.mark.parametrize("page", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_seller_creates_publishes_ships_refunds_and_sees_the_sale(shop, client, live_server, page, screenshot):
    width = "phone" if page.viewport_size["width"] < 500 else "desktop"
    log_in(page, live_server, "shop@example.com", "/shops")
    page.click(f"tr[data-shop={shop['id']}] a")
    page.click("[data-testid=new-product]")
    page.fill("#f-title", "Stoneware mug")
    page.fill("#f-description", "350 ml, dishwasher safe")
    for i, (code, price, stock) in enumerate([("MUG-BLUE", "24.00", "5"), ("MUG-BLUE", "26.50", "3")]):
        page.fill(f"#f-skus-{i}-code", code)
        page.fill(f"#f-skus-{i}-price", price)
        page.fill(f"#f-skus-{i}-stock", stock)
    page.click("[data-testid=product-form] button[type=submit]")
    # Refused as the API refuses it, beside the field, on the form's own URL, with what was typed kept.
    assert page.url == f"{live_server}/shops/{shop['id']}/products/new"
    assert "appears twice" in page.locator("[data-testid='error-skus.1.code']").inner_text()
    assert page.locator("#f-skus-1-price").input_value() == "26.50"
    assert_fits(page, "product form")
    screenshot(page, f"seller-product-form-error-{width}")
    page.fill("#f-skus-1-code", "MUG-GREEN")
    page.click("[data-testid=product-form] button[type=submit]")
    assert "saved as a draft" in page.locator("[data-testid=flash]").inner_text()
    page.click("[data-testid=publish-form] button")
    assert page.locator("[data-testid=product-status]").inner_text() == "live"
    assert_fits(page, "product page")
    skus = {row.locator("code").inner_text(): row.get_attribute("data-sku")
            for row in page.locator("[data-testid=skus] tbody tr").all()}
    assert set(skus) == {"MUG-BLUE", "MUG-GREEN"}

    order_id = _buy(client, shop["buyer"], skus, {"MUG-BLUE": 2, "MUG-GREEN": 1})  # 48.00 + 26.50
    page.goto(f"{live_server}/shops/{shop['id']}")
    page.click(f"tr[data-order={order_id}] a")
    page.fill("#f-carrier", "UPS")
    page.fill("#f-tracking_number", "1Z999AA10123456784")
    page.click("[data-testid=ship-form] button")
    assert page.locator("[data-testid=status]").inner_text() == "shipped"
    assert page.locator("[data-testid=tracking]").inner_text() == "1Z999AA10123456784"
    assert "1Z999AA10123456784" in page.locator("[data-testid=events]").inner_text()
    assert client.get(f"/api/v1/orders/{order_id}", headers=shop["buyer"]).json()["carrier"] == "UPS"

    green = page.locator("[data-testid=lines] tbody tr", has_text="Stoneware mug").nth(1)
    green.locator("input[type=number]").fill("1")
    page.click("[data-testid=refund-form] button[type=submit]")
    assert page.locator("[data-testid=refund-amount]").inner_text() in ("26.50 USD", "24.00 USD")
    assert_fits(page, "refund preview")
    screenshot(page, f"seller-refund-preview-{width}")
    page.click("[data-testid=confirm-form] button[type=submit]")
    assert "Refunded" in page.locator("[data-testid=flash]").inner_text()
    assert_fits(page, "order page")
    screenshot(page, f"seller-order-{width}")

    page.goto(f"{live_server}/shops/{shop['id']}")
    page.click("[data-testid=sales-link]")
    expect(page.locator("[data-testid=sales] tbody tr")).to_have_count(1)
    assert "74.50 USD" in page.locator("[data-testid=sales-total]").inner_text()  # the day's GMV
    labels = page.locator("[data-testid=gmv-chart] svg text").all_text_contents()
    assert {"Day (UTC)", "Amount (USD)", "GMV", "Refunds"} <= set(labels)
    expect(page.locator("[data-testid=orders-chart] svg [aria-roledescription=bar]")).to_have_count(30)
    assert_fits(page, "sales page")
    screenshot(page, f"seller-sales-{width}")
