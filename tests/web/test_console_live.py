"""LIVE in two browsers at once: a host (the shop's owner) schedules a session, fills the bag, goes live, pins and
opens a flash deal from the control panel; a viewer (a buyer) watching the room sees the pin, the deal's countdown
open, buys and pays, and the host's counters move; another buyer takes the last unit and the viewer's button says
"Sold out". Neither page is reloaded for what the other side did. Then both pages at phone width. And a buyer's
page with its poll made an hour long still hears the pin and the units through the room's WebSocket."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.markets import service as markets
from tests.support.commerce import write_product, write_shop
from tests.support.console import PASSWORD, PHONE, assert_fits, log_in

pytestmark = pytest.mark.browser
APPROVE = "4242424242424242"
UPDATE_MS = 15_000  # a poll is every 2 s; a loaded machine gets more
EXTERNAL = re.compile(r"^(?![a-z]+://(127\.0\.0\.1|localhost)[:/])[a-z]+://")  # as the `page` fixture refuses


@pytest.fixture
def world(make_user, client):
    with unit_of_work() as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       status="live", actor=SYSTEM)
    seller_id, seller = make_user("seller", email="host@example.com", password=PASSWORD)
    shop_id = write_shop(unit_of_work, user_id=seller_id, email="host@example.com")
    sku_id = write_product(unit_of_work, shop_id=shop_id, stock=[20], prices=[2000])[0]
    _, buyer = make_user("buyer", email="viewer@example.com", password=PASSWORD)
    _, other = make_user("buyer", email="other@example.com")
    product_id = client.get(f"/api/v1/skus/{sku_id}").json()["product_id"]
    return {"shop_id": shop_id, "sku_id": sku_id, "product_id": product_id, "seller": seller, "other": other}


def _not_reloaded(page) -> None:
    page.evaluate("window.__stayed = true")


def _still_same_page(page) -> bool:
    return page.evaluate("window.__stayed === true")


def test_host_and_viewer_in_two_browsers(world, browser, live_server, client, screenshot):
    host_ctx, viewer_ctx = browser.new_context(), browser.new_context()
    for ctx in (host_ctx, viewer_ctx):
        ctx.set_default_timeout(UPDATE_MS)
        ctx.route(EXTERNAL, lambda route: route.abort())
    host, viewer = host_ctx.new_page(), viewer_ctx.new_page()
    try:
        _run(world, host, viewer, live_server, client, screenshot)
    finally:
        host_ctx.close()
        viewer_ctx.close()


def _run(world, host, viewer, base, client, screenshot):
    # The host schedules a LIVE; a refused form keeps the browser on the page, the error beside its field.
    log_in(host, base, "host@example.com", "/shops")
    host.click("header nav a:has-text('My LIVEs')")
    form = host.locator("[data-testid=new-session]")
    form.locator("#f-title").fill("Candles at noon")
    form.locator("#f-playback_url").fill("ftp://stream.example.com/x")
    form.locator("button").click()
    assert host.url.endswith("/live/hosting")
    expect(host.locator("[data-testid=error-playback_url]")).to_be_visible()
    form.locator("#f-playback_url").fill("https://stream.example.com/live/noon.mp4")
    form.locator("button").click()
    host.wait_for_url("**/control")
    session_id = host.url.rsplit("/", 2)[-2]
    host.fill("#f-product_id", world["product_id"])
    host.click("[data-testid=bag-form] button")
    expect(host.locator(f"[data-testid=bag] tr[data-product={world['product_id']}]")).to_be_visible()
    host.click("[data-testid=start-form] button")
    assert "live" in host.locator("[data-testid=session-status]").inner_text()

    # The viewer finds it in the market's list and opens the room: nothing pinned yet.
    log_in(viewer, base, "viewer@example.com")
    viewer.click("header nav a:has-text('Live now')")
    viewer.click(f"[data-testid=sessions] tr[data-session={session_id}] a")
    viewer.wait_for_url(f"**/live/{session_id}")
    expect(viewer.locator("[data-testid=no-pin]")).to_be_visible()
    assert viewer.locator("video[data-testid=player]").get_attribute("src").endswith("noon.mp4")
    _not_reloaded(viewer)

    # The host pins: the viewer sees it without a reload.
    host.click(f"[data-testid=bag] tr[data-product={world['product_id']}] [data-testid=pin]")
    viewer.locator("[data-testid=pinned-title]").filter(has_text="Mug").wait_for()
    assert viewer.locator("[data-testid=pinned]").is_visible() and _still_same_page(viewer)

    # A deal with a price not below the SKU's is refused beside its field; then one of 2 units at $5.
    deal_form = host.locator("[data-testid=deal-form]")
    deal_form.locator("[id='f-deal_price-amount']").fill("25.00")
    deal_form.locator("button[type=submit]").click()
    expect(host.locator("[data-testid='error-deal_price.amount']")).to_be_visible()
    deal_form = host.locator("[data-testid=deal-form]")
    deal_form.locator("[id='f-deal_price-amount']").fill("5.00")
    deal_form.locator("#f-allotment").fill("2")
    deal_form.locator("button[type=submit]").click()
    expect(host.locator("[data-testid=deals] tr[data-deal]")).to_have_count(1)
    _not_reloaded(host)

    # The viewer sees the countdown; business time jumps past it and the button opens, still without a reload.
    viewer.locator("[data-testid=countdown]").filter(has_text="opens in").wait_for()
    assert viewer.locator("[data-testid=buy]").is_disabled()
    clock.set_offset(timedelta(seconds=11))
    viewer.locator("[data-testid=buy]").filter(has_text="Buy now").wait_for()
    assert "5.00 USD" in viewer.locator("[data-testid=buy]").inner_text() and _still_same_page(viewer)
    assert viewer.locator("[data-testid=units-left]").inner_text() == "2"
    screenshot(viewer, "live-room-deal-open")

    # The viewer buys (the room's checkout, then pays in the room); the host's counters move without a reload.
    viewer.click("[data-testid=buy]")
    viewer.locator("[data-testid=pay]").wait_for()
    viewer.fill("#f-card_number", APPROVE)
    viewer.click("[data-testid=pay-button]")
    assert "Paid" in viewer.locator("[data-testid=flash]").inner_text()
    host.locator("[data-testid=figure-units_sold]").filter(has_text="1").wait_for()
    host.locator("[data-testid=figure-orders]").filter(has_text="1").wait_for()  # the session's paid orders
    assert host.locator("[data-testid=figure-gmv]").inner_text() == "5.00 USD"  # one unit at the deal price
    assert host.locator("[data-testid=deals] [data-testid=deal-units-left]").inner_text() == "1"
    assert _still_same_page(host)
    screenshot(host, "live-control-panel")

    # Another buyer takes the last unit through the API: the viewer's button says so and cannot be pressed.
    _not_reloaded(viewer)
    deal_id = host.locator("[data-testid=deals] tr[data-deal]").get_attribute("data-deal")
    bought = client.post("/api/v1/orders", headers={**world["other"], "Idempotency-Key": uuid.uuid4().hex},
                         json={"lines": [{"sku_id": world["sku_id"], "quantity": 1, "deal_id": deal_id}]})
    assert bought.status_code == 201, bought.text
    viewer.locator("[data-testid=buy]").filter(has_text="Sold out").wait_for()
    assert viewer.locator("[data-testid=buy]").is_disabled()
    assert viewer.locator("[data-testid=units-left]").inner_text() == "0" and _still_same_page(viewer)
    host.locator("[data-testid=figure-units_sold]").filter(has_text="2").wait_for()
    screenshot(viewer, "live-room-sold-out")

    # Phone width: neither page scrolls sideways.
    for page, name in ((viewer, "live-room-phone"), (host, "live-control-phone")):
        page.set_viewport_size(PHONE)
        page.reload()
        assert_fits(page, name)
        screenshot(page, name)


def test_lists_for_viewers_hosts_and_operators(world, make_user, page, live_server, client):
    make_user("operator", email="ops@example.com", password=PASSWORD)
    made = client.post("/api/v1/live/sessions", headers=world["seller"], json={
        "market": "US", "title": "Evening mugs", "host": {"shop_id": world["shop_id"]},
        "scheduled_start": (clock.now() + timedelta(hours=1)).isoformat(),
        "playback_url": "https://video.example.com/watch?v=abc"}).json()
    # Scheduled: in the host's and the operator's lists, not yet among the sessions live now.
    page.goto(f"{live_server}/live")
    expect(page.locator(f"tr[data-session={made['id']}]")).to_have_count(0)
    log_in(page, live_server, "ops@example.com")
    page.goto(f"{live_server}/live/sessions?status=scheduled")
    expect(page.locator(f"tr[data-session={made['id']}]")).to_be_visible()
    page.click(f"tr[data-session={made['id']}] a")
    assert "Evening mugs" in page.locator("h1").inner_text()
    client.post(f"/api/v1/live/sessions/{made['id']}/bag", headers=world["seller"],
                json={"product_id": world["product_id"]})
    client.post(f"/api/v1/live/sessions/{made['id']}/start", headers=world["seller"])
    page.click("form[action='/logout'] button")
    page.goto(f"{live_server}/live")  # anonymous: the room is public once live, with a link out to the stream
    page.click(f"tr[data-session={made['id']}] a")
    assert page.locator("[data-testid=player] a").get_attribute("href").startswith("https://video.example.com/")
    expect(page.locator("[data-testid=buy-login]")).to_be_visible()
    page.set_viewport_size(PHONE)
    assert_fits(page, "live room, anonymous")


def test_the_room_is_told_through_its_socket_not_the_poll(world, page, live_server, client, monkeypatch):
    """The poll is made an hour long: what the buyer's page learns (the host's pin, the units a purchase took) can
    only come from the room's WebSocket, which rings (a `pin` and a `deal` frame) and the page reads its state."""
    from marketcast.web import live as live_pages

    monkeypatch.setattr(live_pages, "POLL_SECONDS", 3600)
    seller = world["seller"]
    made = client.post("/api/v1/live/sessions", headers=seller, json={
        "market": "US", "title": "Socket mugs", "host": {"shop_id": world["shop_id"]},
        "scheduled_start": (clock.now() + timedelta(hours=1)).isoformat(),
        "playback_url": "https://stream.example.com/live/socket.mp4"}).json()
    session_id = made["id"]
    for path in ("bag", "start"):
        r = client.post(f"/api/v1/live/sessions/{session_id}/{path}", headers=seller,
                        json={"product_id": world["product_id"]} if path == "bag" else None)
        assert r.status_code == 200, r.text
    deal = client.post(f"/api/v1/live/sessions/{session_id}/deals", headers=seller, json={
        "sku_id": world["sku_id"], "deal_price": {"amount": 500, "currency": "USD"}, "allotment": 3,
        "per_buyer_limit": 1, "countdown_seconds": 10, "duration_minutes": 10}).json()
    assert client.post(f"/api/v1/live/deals/{deal['id']}/start", headers=seller).status_code == 200
    clock.set_offset(timedelta(seconds=11))  # business time past the countdown: open when the page is drawn

    frames: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload))))
    log_in(page, live_server, "viewer@example.com")
    page.goto(f"{live_server}/live/{session_id}")
    room = page.locator("[data-testid=room]")
    assert room.get_attribute("data-poll-seconds") == "3600"
    page.locator("[data-testid=room][data-socket=open]").wait_for(timeout=UPDATE_MS)
    assert page.locator("[data-testid=units-left]").inner_text() == "3"
    assert page.locator("[data-testid=no-pin]").is_visible()
    _not_reloaded(page)

    r = client.post(f"/api/v1/live/sessions/{session_id}/pin", headers=seller,
                    json={"product_id": world["product_id"]})
    assert r.status_code == 200, r.text
    page.locator("[data-testid=pinned-title]").filter(has_text="Mug").wait_for(timeout=UPDATE_MS)
    bought = client.post("/api/v1/orders", headers={**world["other"], "Idempotency-Key": uuid.uuid4().hex},
                         json={"lines": [{"sku_id": world["sku_id"], "quantity": 1, "deal_id": deal["id"]}]})
    assert bought.status_code == 201, bought.text
    page.locator("[data-testid=units-left]").filter(has_text="2").wait_for(timeout=UPDATE_MS)
    assert _still_same_page(page)
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "snapshot" and "pin" in kinds
    assert {"id": deal["id"], "units_left": 2} in [f["data"] for f in frames if f["type"] == "deal"]
