"""The walkthroughs of the demo (`make run` loads the same data), in a real browser, from links only, at
desktop and at 390 px: an operator finds an order by its buyer's email, a shop and its orders, an application
and its document; a seller creates and publishes a product with two SKUs, ships an order with a tracking number,
refunds one line after confirming it, and sees the sale in their chart."""

import pytest
from playwright.sync_api import expect

from marketcast.core.db import unit_of_work
from marketcast.scenario import tiktok_us_2024 as story
from tests.support.console import PHONE, assert_fits, log_in

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "marketcast-demo"
OPERATOR, SELLER = "demo@marketcast.local", "hello@austin-candles.example"


@pytest.fixture
def demo():
    with unit_of_work() as session:
        story.load(session)
        story.ensure_demo_operator(session, email=OPERATOR, password=PASSWORD)
        story.ensure_demo_seller(session, password=PASSWORD)


def _width(page) -> str:
    return "phone" if page.viewport_size["width"] < 500 else "desktop"


def _nav(page, label: str) -> None:
    page.locator("header nav a", has_text=label).first.click()


@pytest.mark.parametrize("page", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_operator_walkthrough(demo, live_server, page, screenshot):
    log_in(page, live_server, OPERATOR, "/markets", password=PASSWORD)
    assert_fits(page, "markets")
    # Spain is still planned for 2025-Q1, long past: flagged on the list.
    assert page.locator("tr[data-market=ES] [data-testid=overdue]").inner_text() == "overdue"
    _nav(page, "Orders")
    page.fill("#f-buyer", "maya@buyer.example")
    page.click("[data-testid=filters] button")
    assert "buyer=maya%40buyer.example" in page.url
    assert page.locator("[data-testid=count]").inner_text().endswith("orders")
    assert_fits(page, "orders")
    page.locator("[data-testid=orders] tbody tr a").first.click()
    expect(page.locator("[data-testid=lines] tbody tr").nth(0)).to_be_attached()
    assert "placed" in page.locator("[data-testid=events]").inner_text()
    assert "approved" in page.locator("[data-testid=payments]").inner_text()
    assert_fits(page, "order")
    screenshot(page, f"demo-operator-order-{_width(page)}")

    _nav(page, "Shops")
    page.fill("#f-q", "candle")
    page.click("[data-testid=filters] button")
    page.locator("[data-testid=shops] tbody tr a").first.click()
    assert page.locator("h1").inner_text().startswith("Austin Candle Works")
    expect(page.locator("[data-testid=orders] tbody tr").nth(3)).to_be_attached()
    assert "opened on probation" in page.locator("[data-testid=history]").inner_text()
    assert_fits(page, "shop")
    screenshot(page, f"demo-operator-shop-{_width(page)}")

    _nav(page, "Applications")
    page.select_option("#f-type", "cross_border")
    page.click("[data-testid=filters] button")
    page.locator("[data-testid=applications] tbody tr a").first.click()
    link = page.locator("[data-testid=documents] [data-testid=download]").first
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith("-business-licence.pdf")
    # Served as an attachment the browser may not sniff (an upload can be a PDF that is also HTML).
    served = page.request.get(f"{live_server}{link.get_attribute('href')}")
    assert served.headers["content-disposition"].startswith("attachment;")
    assert served.headers["x-content-type-options"] == "nosniff"
    assert open(path, "rb").read(5) == b"%PDF-"
    assert_fits(page, "application")
    screenshot(page, f"demo-operator-application-{_width(page)}")


@pytest.mark.parametrize("page", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_seller_walkthrough(demo, live_server, page, screenshot):
    log_in(page, live_server, SELLER, "/shops", password=PASSWORD)
    page.locator("[data-testid=shops] tbody tr a").first.click()
    shop_url = page.url
    page.click("[data-testid=new-product]")
    page.fill("#f-title", "Beeswax taper pair")
    for i, (code, price, stock) in enumerate([("TAPER-WHITE", "12.00", "10"), ("TAPER-GOLD", "14.50", "6")]):
        page.fill(f"#f-skus-{i}-code", code)
        page.fill(f"#f-skus-{i}-price", price)
        page.fill(f"#f-skus-{i}-stock", stock)
    page.click("[data-testid=product-form] button[type=submit]")
    page.click("[data-testid=publish-form] button")
    assert page.locator("[data-testid=product-status]").inner_text() == "live"
    expect(page.locator("[data-testid=skus] tbody tr")).to_have_count(2)
    assert_fits(page, "product")

    page.locator("[data-testid=crumbs] a").last.click()  # back to the shop
    expect(page).to_have_url(shop_url)
    page.locator("[data-testid=orders] tbody tr", has_text="paid").last.locator("a").first.click()
    # The carrier field offers the usual carriers: its list attribute names the datalist beside it.
    expect(page.locator("#f-carrier")).to_have_attribute("placeholder", "UPS")
    assert page.locator("#f-carrier").evaluate("input => input.list && input.list.id") == "carriers"
    page.fill("#f-carrier", "USPS")
    page.fill("#f-tracking_number", "9400 1000 0000 0000 0000 00")
    page.click("[data-testid=ship-form] button")
    assert page.locator("[data-testid=status]").inner_text() == "shipped"
    page.locator("[data-testid=lines] input[type=number]").first.fill("1")
    page.click("[data-testid=refund-form] button[type=submit]")
    amount = page.locator("[data-testid=refund-amount]").inner_text()
    assert_fits(page, "refund preview")
    page.click("[data-testid=confirm-form] button[type=submit]")
    assert f"Refunded {amount}" in page.locator("[data-testid=flash]").inner_text()
    assert_fits(page, "order")
    screenshot(page, f"demo-seller-order-{_width(page)}")

    page.click("[data-testid=crumbs] a >> nth=1")  # back to the shop
    page.click("[data-testid=sales-link]")
    page.wait_for_url("**/sales**")  # count() does not wait for the navigation
    days = page.locator("[data-testid=sales] tbody tr")
    assert days.count() >= 1 and "No sales" not in days.first.inner_text()  # the demo's sales, today's among them
    assert "Refunds" in page.locator("[data-testid=gmv-chart] svg").inner_html()
    assert_fits(page, "sales")
    screenshot(page, f"demo-seller-sales-{_width(page)}")


def test_operator_suspends_a_shop_delists_a_product_and_reads_a_seller(demo, live_server, page, screenshot):
    log_in(page, live_server, OPERATOR, "/markets", password=PASSWORD)
    _nav(page, "Shops")
    page.fill("#f-seller", "brooklyn")
    page.click("[data-testid=filters] button")
    page.locator("[data-testid=shops] tbody tr a").first.click()
    shop_url = page.url
    page.click("[data-testid=suspend-form] button")  # no reason: the browser's own check stops it first
    page.evaluate("document.querySelector('[data-testid=suspend-form] input[name=reason]').removeAttribute('required')")
    page.click("[data-testid=suspend-form] button")
    assert page.url == shop_url and "reason" in page.locator("[data-testid=error-reason]").inner_text()
    page.fill("[data-testid=suspend-form] input[name=reason]", "chargebacks under review")
    page.click("[data-testid=suspend-form] button")
    assert "suspended" in page.locator("h1").inner_text()
    assert "chargebacks under review" in page.locator("[data-testid=history]").inner_text()
    page.fill("[data-testid=reinstate-form] input[name=reason]", "review closed")
    page.click("[data-testid=reinstate-form] button")
    assert "active" in page.locator("h1").inner_text() or "probation" in page.locator("h1").inner_text()
    screenshot(page, "demo-operator-shop-reinstated")

    _nav(page, "Products")
    page.fill("#f-q", "mug")
    page.click("[data-testid=filters] button")
    page.locator("[data-testid=products] tbody tr a").first.click()
    page.fill("[data-testid=delist-form] input[name=reason]", "listing copies another shop's photos")
    page.click("[data-testid=delist-form] button")
    assert page.locator("[data-testid=product-status]").inner_text() == "delisted"

    _nav(page, "Sellers")
    page.fill("#f-q", "shenzhen")
    page.click("[data-testid=filters] button")
    page.locator("[data-testid=sellers] tbody tr a").first.click()
    assert "tax id" in page.locator("[data-testid=kyb]").inner_text()
    expect(page.locator("[data-testid=documents] tbody tr a")).to_have_count(1)
    expect(page.locator("[data-testid=applications] tbody tr")).to_have_count(1)
    screenshot(page, "demo-operator-seller")
