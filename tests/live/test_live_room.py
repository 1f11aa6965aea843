"""The LIVE room over a real WebSocket: the snapshot first, then the host's pin, the deal's units and the
purchase ticker (no buyer identity) in seq order, then `ended`; a viewer counts in the session's figures."""

from marketcast.core import realtime
from marketcast.live import presence


def _next(ws, type_):
    while True:
        message = ws.receive_json()
        if message["type"] == type_:
            return message


def test_a_viewer_sees_the_pin_the_units_and_the_purchase_then_the_end(steps, open_deal, shop, make_buyer,
                                                                       client):
    realtime.reset_hub()
    deal, sku, live = open_deal(allotment=3)
    with client.websocket_connect(f"/api/v1/live/sessions/{live['id']}/ws") as ws:
        first = ws.receive_json()
        assert first["type"] == "snapshot" and first["data"]["session"]["status"] == "live"
        assert first["data"]["deal"]["units_left"] == 3 and presence.viewers(live["id"]) == 1
        steps.pin(shop, live["id"], deal["product_id"])
        pin = _next(ws, "pin")
        assert pin["data"] == {"product_id": deal["product_id"]} and pin["seq"] > first["seq"]
        buyer = make_buyer()
        steps.pay(buyer, steps.buy(buyer, sku, deal["id"])["id"])
        units = _next(ws, "deal")
        assert units["data"]["units_left"] == 2 and units["seq"] > pin["seq"]
        sale = _next(ws, "purchase")
        assert sale["data"]["deal_id"] == deal["id"] and "buyer" not in str(sale["data"])
        steps.move(shop, live["id"], "end")
        assert _next(ws, "ended")["data"]["status"] == "ended"
    assert presence.viewers(live["id"]) == 0


def test_an_anonymous_viewer_of_a_room_it_may_not_see_must_authenticate(client):
    """No such session, or not public yet: the same 4401 (an anonymous viewer learns nothing of which)."""
    from starlette.websockets import WebSocketDisconnect

    realtime.reset_hub()
    try:
        with client.websocket_connect("/api/v1/live/sessions/lvs_nope/ws") as ws:
            ws.receive_json()
    except WebSocketDisconnect as closed:
        assert closed.code == 4401
    else:
        raise AssertionError("the socket was not closed")
