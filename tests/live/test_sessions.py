"""LIVE sessions over HTTP: lifecycle, bag, pin, and every refusal naming its field with nothing changed."""

from marketcast.core import clock
from marketcast.policies import service as policies


def test_a_shop_session_goes_live_with_its_bag_and_ends(steps, shop, product, client):
    pid, _ = product()
    s = steps.session(shop)
    assert s["status"] == "scheduled" and s["host"] == {"kind": "shop", "shop_id": shop["id"], "creator_id": None}
    assert client.get(f"/api/v1/live/sessions/{s['id']}").status_code == 404  # not public before it is live
    steps.add(shop, s["id"], pid)
    live = steps.move(shop, s["id"], "start")
    assert live["status"] == "live" and live["started_at"] and [b["product_id"] for b in live["bag"]] == [pid]
    assert client.get(f"/api/v1/live/sessions/{s['id']}").json()["status"] == "live"
    listed = client.get("/api/v1/live/sessions", params={"market": "US", "status": "live"}).json()["items"]
    assert [x["id"] for x in listed] == [s["id"]]
    ended = steps.move(shop, s["id"], "end")
    assert ended["status"] == "ended" and ended["ended_at"]
    steps.move(shop, s["id"], "end", expect=409)


def test_going_live_with_an_empty_bag_is_refused(steps, shop):
    s = steps.session(shop)
    r = steps.move(shop, s["id"], "start", expect=409)
    assert r["code"] == "empty_bag"
    assert steps.call("GET", f"/live/sessions/{s['id']}", shop["headers"])["status"] == "scheduled"


def test_a_scheduled_session_is_cancelled_not_ended(steps, shop):
    s = steps.session(shop)
    assert steps.move(shop, s["id"], "end", expect=409)["code"] == "invalid_session_status"
    assert steps.move(shop, s["id"], "cancel")["status"] == "cancelled"


def test_bag_add_remove_reorder_pin(steps, shop, product):
    a, b, c = (product()[0] for _ in range(3))
    s = steps.session(shop)
    for pid in (a, b, c):
        steps.add(shop, s["id"], pid)
    again = steps.add(shop, s["id"], a)  # already there: nothing changes
    assert [x["product_id"] for x in again["bag"]] == [a, b, c]
    r = steps.call("PUT", f"/live/sessions/{s['id']}/bag/order", shop["headers"], json={"product_ids": [c, a, b]})
    assert [x["product_id"] for x in r["bag"]] == [c, a, b]
    bad = steps.call("PUT", f"/live/sessions/{s['id']}/bag/order", shop["headers"], 422, json={"product_ids": [c, a]})
    assert bad["code"] == "invalid_bag_order" and bad["field"] == "product_ids"
    assert steps.pin(shop, s["id"], a)["pinned_product_id"] == a
    second = steps.pin(shop, s["id"], b, expect=409)
    assert second["code"] == "another_product_pinned" and second["field"] == "product_id"
    assert steps.pin(shop, s["id"], None)["pinned_product_id"] is None
    assert steps.pin(shop, s["id"], b)["pinned_product_id"] == b
    removed = steps.call("DELETE", f"/live/sessions/{s['id']}/bag/{b}", shop["headers"])
    assert removed["pinned_product_id"] is None and [x["product_id"] for x in removed["bag"]] == [c, a]
    missing = steps.call("DELETE", f"/live/sessions/{s['id']}/bag/{b}", shop["headers"], 422)
    assert missing["code"] == "product_not_in_bag"


def test_pinning_a_product_outside_the_bag_is_refused(steps, shop, product):
    a, b = product()[0], product()[0]
    s = steps.session(shop)
    steps.add(shop, s["id"], a)
    r = steps.pin(shop, s["id"], b, expect=422)
    assert r["code"] == "product_not_in_bag" and r["field"] == "product_id"


def test_the_bag_holds_at_most_the_policy(steps, shop, product, db, at):
    _set_policy(db, "live.bag.max_products", 2, at)
    pids = [product()[0] for _ in range(3)]
    s = steps.session(shop)
    steps.add(shop, s["id"], pids[0])
    steps.add(shop, s["id"], pids[1])
    r = steps.add(shop, s["id"], pids[2], expect=409)
    assert r["code"] == "bag_full" and r["field"] == "product_id" and r["limit"] == 2
    assert len(steps.call("GET", f"/live/sessions/{s['id']}", shop["headers"])["bag"]) == 2


def test_another_shops_product_and_another_sellers_session(steps, shop, make_shop, product):
    other = make_shop()
    foreign, _ = product(shop_id=other["id"])
    s = steps.session(shop)
    r = steps.add(shop, s["id"], foreign, expect=422)
    assert r["code"] == "unknown_product" and r["field"] == "product_id"
    assert steps.add(other, s["id"], foreign, expect=404)["code"] == "live_session_not_found"


def test_a_session_names_its_market_and_an_http_url(steps, shop):
    assert steps.session(shop, market="ES", expect=422)["field"] == "market"
    assert steps.session(shop, playback_url="ftp://x", expect=422)["field"] == "playback_url"


def test_a_pilot_creator_hosts_at_most_the_weekly_limit(steps, make_creator, shop, product, db, at, client):
    clock.set_now(at(2030, 1, 1, 12))  # a Tuesday
    _set_policy(db, "creator.pilot.weekly_shoppable_lives", 1, at)
    pilot = make_creator(status="pilot")
    pid, _ = product()
    collab = steps.call("POST", f"/shops/{shop['id']}/collaborations", shop["headers"], 201,
                        json={"kind": "open", "commission_rate_bps": 1000, "product_ids": [pid]})
    steps.call("POST", f"/collaborations/{collab['id']}/join", pilot["headers"])
    first = steps.live_with(pilot, pid, creator=True)
    assert first["host"]["kind"] == "creator"
    second = steps.session(pilot, creator=True)
    steps.add(pilot, second["id"], pid)
    r = steps.move(pilot, second["id"], "start", expect=409)
    assert r["code"] == "pilot_weekly_limit" and r["policy_key"] == "creator.pilot.weekly_shoppable_lives"
    assert steps.call("GET", f"/live/sessions/{second['id']}", pilot["headers"])["status"] == "scheduled"
    clock.set_now(at(2030, 1, 7, 12))  # the next Monday: a new week
    assert steps.move(pilot, second["id"], "start")["status"] == "live"


def test_a_creator_bags_only_products_their_collaborations_offer(steps, make_creator, product):
    creator = make_creator()
    pid, _ = product()
    s = steps.session(creator, creator=True)
    r = steps.add(creator, s["id"], pid, expect=409)
    assert r["code"] == "product_not_offered" and r["field"] == "product_id"


def _set_policy(db, key, value, at=None):
    from marketcast.core.auth.actor import SYSTEM

    with clock.frozen(clock.now()), db() as s:
        policies.schedule(s, key=key, market="US", value=value, effective_from=clock.now(), reason="test",
                          actor=SYSTEM)
