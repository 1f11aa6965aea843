"""The LIVE room over a real WebSocket: the snapshot first, then the host's pin, the deal's units and the
purchase ticker (no buyer identity) in seq order, then `ended`; a viewer counts in the session's figures. Without
Redis, the deal moves the worker makes in its own process reach the server's rooms all the same."""

import time
from datetime import timedelta

from marketcast.core import clock, realtime
from marketcast.live import jobs, presence, watch
from marketcast.live.rooms import room_of


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


def _kept_statuses(session_id: str, deal_id: str, hub=None) -> list[str]:
    return [m.data["status"] for m in (hub or realtime.hub()).kept(room_of(session_id))
            if m.type == "deal" and m.data.get("id") == deal_id and "status" in m.data]


def test_without_redis_the_workers_deal_moves_reach_the_servers_rooms(steps, shop, product, at, client,
                                                                       monkeypatch):
    """The worker runs in a process of its own: what it publishes goes to its own hub, which no viewer is in. The
    server's presence loop finds the moves in the database (one look a second) and tells its room, once each."""
    realtime.reset_hub()
    watch.reset()
    clock.set_now(at(2030, 1, 1, 12))
    pid, sku = product(stock=10)
    live = steps.live_with(shop, pid)
    deal = steps.deal(shop, live["id"], sku, allotment=4, countdown_seconds=30, duration_minutes=1,
                      starts_at="2030-01-01T12:01:00Z")
    workers_hub = realtime.Hub()

    def the_worker_at(*when):
        clock.set_now(at(2030, 1, 1, *when))
        with monkeypatch.context() as patched:
            patched.setattr(realtime, "hub", lambda: workers_hub)  # what its commits publish to
            assert jobs.advance_deals() == 1

    def told(statuses: list[str]) -> None:
        deadline = time.monotonic() + 15  # the loop looks once a second; a loaded machine takes longer
        while _kept_statuses(live["id"], deal["id"]) != statuses and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _kept_statuses(live["id"], deal["id"]) == statuses

    with client.websocket_connect(f"/api/v1/live/sessions/{live['id']}/ws") as ws:
        first = ws.receive_json()
        assert first["type"] == "snapshot" and first["data"]["deals"][0]["status"] == "scheduled"
        the_worker_at(12, 1, 5)
        told(["counting_down"])
        heard = [_next(ws, "deal")]
        the_worker_at(12, 1, 31)
        told(["counting_down", "open"])
        heard.append(_next(ws, "deal"))
        steps.end_deal(shop, deal["id"])  # by the host, through this process: told by its commit, not again
        heard.append(_next(ws, "deal"))
        time.sleep(2.5)  # two more looks
        told(["counting_down", "open", "ended"])
    assert [m["data"]["status"] for m in heard] == ["counting_down", "open", "ended"]
    assert heard[0]["data"]["seconds_to_open"] == 25 and heard[1]["data"]["units_left"] == 4
    assert first["seq"] < heard[0]["seq"] < heard[1]["seq"] < heard[2]["seq"]
    assert _kept_statuses(live["id"], deal["id"], workers_hub) == ["counting_down", "open"]  # its own, unheard


def test_a_deal_ended_by_the_worker_is_told_without_redis(steps, open_deal, client, monkeypatch):
    realtime.reset_hub()
    watch.reset()
    deal, _, live = open_deal(allotment=2)
    before = _kept_statuses(live["id"], deal["id"])  # the host's start, published before the viewer came
    with client.websocket_connect(f"/api/v1/live/sessions/{live['id']}/ws") as ws:
        assert ws.receive_json()["data"]["deal"]["status"] == "open"  # by the clock: the worker has not run
        clock.set_now(clock.now() + timedelta(minutes=deal["duration_minutes"], seconds=1))
        with monkeypatch.context() as patched:
            patched.setattr(realtime, "hub", lambda: realtime.Hub())
            assert jobs.advance_deals() == 1
        deadline = time.monotonic() + 15
        while _kept_statuses(live["id"], deal["id"]) == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _kept_statuses(live["id"], deal["id"]) == [*before, "ended"]
        ended = _next(ws, "deal")
    assert ended["data"]["status"] == "ended" and ended["data"]["units_left"] == 0
