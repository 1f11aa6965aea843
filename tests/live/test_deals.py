"""Flash deals over HTTP: terms refused with the field named and nothing changed, the lifecycle, buying at the
deal's price within its limits, units back from expired orders and from ended deals exactly once, the worker's
clock, attribution to a hosting creator, and the sold-out gate answering without the database."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketcast.core import clock
from marketcast.live import jobs
from marketcast.live.models import FlashDeal
from marketcast.orders import jobs as order_jobs


def _deals(db) -> int:
    with db(write=False) as s:
        return s.scalar(select(func.count()).select_from(FlashDeal))


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"deal_price": {"amount": 1000, "currency": "USD"}}, "deal_price_not_below", "deal_price.amount"),
    ({"deal_price": {"amount": 500, "currency": "EUR"}}, "wrong_currency", "deal_price.currency"),
    ({"countdown_seconds": 9}, "countdown_out_of_bounds", "countdown_seconds"),
    ({"countdown_seconds": 301}, "countdown_out_of_bounds", "countdown_seconds"),
    ({"duration_minutes": 21}, "duration_out_of_bounds", "duration_minutes"),
    ({"per_buyer_limit": 11}, "validation_error", "per_buyer_limit"),
    ({"starts_at": "2029-12-31T00:00:00Z"}, "starts_in_past", "starts_at"),
])
def test_bad_terms_are_refused_naming_the_field(steps, shop, product, counters, db, at, change, code, field):
    clock.set_now(at(2030, 1, 1, 12))
    pid, sku = product(price=1000, stock=50)
    live = steps.live_with(shop, pid)
    r = steps.deal(shop, live["id"], sku, expect=422, **change)
    assert (r["code"], r["field"]) == (code, field)
    assert counters([sku])[sku] == (50, 0, 0) and _deals(db) == 0


def test_a_sku_outside_the_bag_and_an_allotment_beyond_stock(steps, shop, product, counters, db):
    pid, sku = product(stock=5)
    _, outside = product()
    live = steps.live_with(shop, pid)
    r = steps.deal(shop, live["id"], outside, expect=422)
    assert (r["code"], r["field"]) == ("product_not_in_bag", "sku_id")
    r = steps.deal(shop, live["id"], sku, allotment=6, expect=409)
    assert (r["code"], r["field"]) == ("out_of_stock", "allotment")
    assert counters([sku])[sku] == (5, 0, 0) and _deals(db) == 0


@pytest.mark.parametrize("buckets", [1, 8])
def test_a_deal_sells_at_its_price_within_its_limits(steps, open_deal, make_buyer, counters, client, buckets):
    deal, sku, live = open_deal(allotment=2, per_buyer_limit=1, stock=10, stock_buckets=buckets)
    assert counters([sku])[sku] == (8, 2, 0)  # the allotment left the SKU's available stock
    first, second, third = make_buyer(), make_buyer(), make_buyer()
    order = steps.buy(first, sku, deal["id"])
    line = order["lines"][0]
    assert (line["unit_price"], line["deal_id"], line["live_session_id"]) == (500, deal["id"], live["id"])
    assert order["total"] == {"amount": 500, "currency": "USD"}
    assert steps.buy(first, sku, deal["id"], expect=409)["code"] == "per_buyer_limit"
    assert steps.buy(second, sku, deal["id"], quantity=2, expect=409)["code"] == "per_buyer_limit"
    steps.buy(second, sku, deal["id"])
    assert steps.buy(third, sku, deal["id"], expect=409)["code"] == "deal_sold_out"
    seen = steps.get_deal(deal["id"])
    assert (seen["status"], seen["units_left"], seen["sold"]) == ("sold_out", 0, 2)
    steps.pay(first, order["id"])
    assert counters([sku])[sku] == (8, 1, 1)  # paying is the catalog's reserved -> sold, as for any order


def test_the_unpaid_deal_order_expires_on_the_deals_timer_and_its_unit_comes_back(steps, open_deal, make_buyer,
                                                                                   at):
    deal, sku, _ = open_deal(allotment=1, duration_minutes=20)
    buyer, other = make_buyer(), make_buyer()
    order = steps.buy(buyer, sku, deal["id"])
    assert steps.buy(other, sku, deal["id"], expect=409)["code"] == "deal_sold_out"
    opened = at(2030, 1, 1, 12) + timedelta(seconds=10)
    assert order["expires_at"].startswith((opened + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    clock.set_now(opened + timedelta(minutes=5, seconds=1))
    assert order_jobs.expire_orders() == 1
    back = steps.get_deal(deal["id"])
    assert (back["status"], back["units_left"], back["sold"]) == ("open", 1, 0)
    from marketcast.live import gate

    gate.reset()  # another process's sold-out mark lapses within seconds; this test does not wait for it
    steps.buy(buyer, sku, deal["id"])  # the buyer's count came back too


@pytest.mark.parametrize("buckets", [1, 8])
def test_ending_twice_returns_the_units_once(steps, open_deal, make_buyer, counters, shop, buckets):
    deal, sku, _ = open_deal(allotment=5, stock=20, stock_buckets=buckets)
    steps.buy(make_buyer(), sku, deal["id"])
    ended = steps.end_deal(shop, deal["id"])
    assert (ended["status"], ended["units_left"], ended["returned"], ended["sold"]) == ("ended", 0, 4, 1)
    again = steps.end_deal(shop, deal["id"])
    assert again["returned"] == 4
    assert jobs.advance_deals() == 0
    assert counters([sku])[sku] == (19, 1, 0)
    assert steps.buy(make_buyer(), sku, deal["id"], expect=409)["code"] == "deal_not_open"


def test_a_cancelled_order_after_the_deal_ended_gives_its_unit_to_the_sku(steps, open_deal, make_buyer, counters,
                                                                          shop):
    deal, sku, _ = open_deal(allotment=3, stock=10)
    buyer = make_buyer()
    order = steps.buy(buyer, sku, deal["id"])
    steps.end_deal(shop, deal["id"])
    assert counters([sku])[sku] == (9, 1, 0)
    steps.call("POST", f"/orders/{order['id']}/cancel", buyer["headers"])
    assert counters([sku])[sku] == (10, 0, 0)
    seen = steps.get_deal(deal["id"])
    assert (seen["sold"], seen["returned"], seen["units_left"]) == (0, 3, 0)


def test_the_worker_moves_a_scheduled_deal_on_time_and_only_once(steps, shop, product, counters, at, make_buyer):
    clock.set_now(at(2030, 1, 1, 12))
    pid, sku = product(stock=10)
    live = steps.live_with(shop, pid)
    deal = steps.deal(shop, live["id"], sku, allotment=4, countdown_seconds=30, duration_minutes=1,
                      starts_at="2030-01-01T12:01:00Z")
    assert deal["status"] == "scheduled" and deal["opens_at"].startswith("2030-01-01T12:01:30")
    assert steps.buy(make_buyer(), sku, deal["id"], expect=409)["code"] == "deal_not_open"
    clock.set_now(at(2030, 1, 1, 12, 1, 5))
    assert jobs.advance_deals() == 1 and jobs.advance_deals() == 0
    assert steps.get_deal(deal["id"])["status"] == "counting_down"
    clock.set_now(at(2030, 1, 1, 12, 1, 31))
    steps.buy(make_buyer(), sku, deal["id"])  # open by the clock, before the worker wrote it
    assert jobs.advance_deals() == 1
    clock.set_now(at(2030, 1, 1, 12, 2, 31))
    assert steps.get_deal(deal["id"])["status"] == "ended"  # by the clock; the units go back with the worker
    assert counters([sku])[sku] == (6, 4, 0)
    assert jobs.advance_deals() == 1 and jobs.advance_deals() == 0
    assert counters([sku])[sku] == (9, 1, 0)


def test_starting_a_deal_twice_is_refused(steps, shop, product):
    pid, sku = product()
    live = steps.live_with(shop, pid)
    deal = steps.deal(shop, live["id"], sku)
    assert steps.start_deal(shop, deal["id"])["status"] == "counting_down"
    assert steps.start_deal(shop, deal["id"], expect=409)["code"] == "deal_not_startable"


def test_ending_the_session_ends_its_deals_and_returns_their_units(steps, open_deal, counters, shop, make_buyer):
    deal, sku, live = open_deal(allotment=5, stock=5)
    steps.buy(make_buyer(), sku, deal["id"])
    steps.move(shop, live["id"], "end")
    assert steps.get_deal(deal["id"])["status"] == "ended"
    assert counters([sku])[sku] == (4, 1, 0)


def test_a_product_with_a_running_deal_stays_in_the_bag(steps, open_deal, shop):
    deal, _, live = open_deal()
    r = steps.call("DELETE", f"/live/sessions/{live['id']}/bag/{deal['product_id']}", shop["headers"], 409)
    assert (r["code"], r["field"]) == ("product_has_deal", "product_id")


def test_deal_lines_that_name_no_such_deal_or_mix_prices(steps, open_deal, product, buyer, client):
    deal, sku, _ = open_deal()
    _, other_sku = product()
    assert steps.buy(buyer, sku, "dea_nope", expect=422)["field"] == "lines.0.deal_id"
    assert steps.buy(buyer, other_sku, deal["id"], expect=422)["code"] == "unknown_deal"
    r = client.post("/api/v1/orders", headers={**buyer["headers"], "Idempotency-Key": "mix-1"},
                    json={"lines": [{"sku_id": sku, "quantity": 1},
                                    {"sku_id": sku, "quantity": 1, "deal_id": deal["id"]}]})
    assert r.status_code == 422 and r.json()["code"] == "deal_line_mixed"


def test_a_deal_is_not_open_while_its_session_is_not_live(steps, shop, product, buyer, at):
    clock.set_now(at(2030, 1, 1, 12))
    pid, sku = product()
    s = steps.session(shop)
    steps.add(shop, s["id"], pid)
    deal = steps.deal(shop, s["id"], sku)
    steps.start_deal(shop, deal["id"])  # a deal may count down before the LIVE starts
    clock.set_now(at(2030, 1, 1, 12, 0, 11))
    assert steps.buy(buyer, sku, deal["id"], expect=409)["code"] == "deal_not_open"


def test_a_creator_hosted_deal_is_attributed_to_the_creator_at_their_rate(steps, shop, product, make_creator,
                                                                          buyer, at):
    clock.set_now(at(2030, 1, 1, 12))
    pid, sku = product(price=2000)
    creator = make_creator()
    collab = steps.call("POST", f"/shops/{shop['id']}/collaborations", shop["headers"], 201,
                        json={"kind": "open", "commission_rate_bps": 1500, "product_ids": [pid]})
    steps.call("POST", f"/collaborations/{collab['id']}/join", creator["headers"])
    live = steps.live_with(creator, pid, creator=True)
    deal = steps.deal(creator, live["id"], sku, deal_price={"amount": 1500, "currency": "USD"})
    steps.start_deal(creator, deal["id"])
    clock.set_now(at(2030, 1, 1, 12, 0, 11))
    line = steps.buy(buyer, sku, deal["id"])["lines"][0]
    assert line["attribution"] == {"creator_id": creator["id"], "source": "live", "collaboration_id": collab["id"],
                                   "commission_rate_bps": 1500}
    assert line["unit_price"] == 1500 and line["live_session_id"] == live["id"]


def test_the_sold_out_gate_answers_without_the_database(steps, open_deal, make_buyer, monkeypatch, client):
    deal, sku, _ = open_deal(allotment=1)
    steps.buy(make_buyer(), sku, deal["id"])
    late = make_buyer()
    assert steps.buy(late, sku, deal["id"], expect=409)["code"] == "deal_sold_out"  # the database says so once

    def no_database(*args, **kwargs):
        raise AssertionError("the gate should have answered")

    from marketcast.core import web_deps

    monkeypatch.setattr(web_deps, "unit_of_work", no_database)
    r = steps.buy(make_buyer(), sku, deal["id"], expect=409)
    assert r["code"] == "deal_sold_out" and r["deal_id"] == deal["id"]


def test_a_sell_out_that_rolls_back_marks_nothing_and_tells_no_viewer(steps, open_deal, make_buyer):
    """The gate's marks and the room's messages are queued on the checkout's transaction (core.realtime's
    after-commit queue): a checkout that took the last unit and then failed leaves the deal open everywhere."""
    from marketcast.core import realtime
    from marketcast.core.errors import Conflict
    from marketcast.live import gate
    from marketcast.live.rooms import room_of
    from marketcast.orders import hooks

    deal, sku, live = open_deal(allotment=1)

    def fails_after_the_take(session, held):
        raise Conflict("a later step failed", code="out_of_stock")

    # After the live area's: the unit was taken, then undone (the batched take's savepoint, then the order's own).
    for hook in (hooks.held_stock, hooks.held_stock_many):
        hook.subscribe(fails_after_the_take)
    try:
        assert steps.buy(make_buyer(), sku, deal["id"], expect=409)["code"] == "out_of_stock"
    finally:
        for hook in (hooks.held_stock, hooks.held_stock_many):
            hook._handlers.remove(fails_after_the_take)
    assert not gate.is_marked(deal["id"])
    room = realtime.hub().rooms.get(room_of(live["id"]))
    assert not [m for m in (room.buffer if room else ()) if m.type == "deal" and m.data.get("units_left") == 0]
    assert steps.get_deal(deal["id"])["units_left"] == 1
    steps.buy(make_buyer(), sku, deal["id"])
    assert gate.is_marked(deal["id"])  # the committed sell-out marks it


def test_a_bucketed_deal_sells_exactly_its_units_and_gives_the_rest_back_once(steps, open_deal, make_buyer,
                                                                              counters, shop):
    from marketcast.live import gate

    deal, sku, _ = open_deal(allotment=5, stock=12, stock_buckets=3)
    assert deal["stock_buckets"] == 3 and deal["units_left"] == 5
    buyers = [make_buyer() for _ in range(7)]
    answers = [steps.buy(b, sku, deal["id"], expect=None) for b in buyers[:5]]
    assert all("id" in a for a in answers)
    for b in buyers[5:]:
        assert steps.buy(b, sku, deal["id"], expect=409)["code"] == "deal_sold_out"
    seen = steps.get_deal(deal["id"])
    assert (seen["status"], seen["units_left"], seen["sold"]) == ("sold_out", 0, 5)
    steps.call("POST", f"/orders/{answers[0]['id']}/cancel", buyers[0]["headers"])
    seen = steps.get_deal(deal["id"])
    assert (seen["status"], seen["units_left"], seen["sold"]) == ("open", 1, 4)
    gate.reset()
    steps.buy(buyers[5], sku, deal["id"])
    steps.call("POST", f"/orders/{answers[1]['id']}/cancel", buyers[1]["headers"])
    ended = steps.end_deal(shop, deal["id"])
    assert (ended["status"], ended["units_left"], ended["sold"], ended["returned"]) == ("ended", 0, 4, 1)
    assert steps.end_deal(shop, deal["id"])["returned"] == 1
    assert counters([sku])[sku] == (8, 4, 0)


def test_a_retry_of_a_deal_order_that_succeeded_is_replayed_after_the_sell_out(steps, open_deal, make_buyer,
                                                                               client):
    deal, sku, _ = open_deal(allotment=1)
    buyer = make_buyer()
    body = {"lines": [{"sku_id": sku, "quantity": 1, "deal_id": deal["id"]}]}
    first = client.post("/api/v1/orders", json=body, headers={**buyer["headers"], "Idempotency-Key": "k-1"})
    assert first.status_code == 201
    assert steps.buy(make_buyer(), sku, deal["id"], expect=409)["code"] == "deal_sold_out"  # marked now
    again = client.post("/api/v1/orders", json=body, headers={**buyer["headers"], "Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/orders", json=body, headers={**buyer["headers"], "Idempotency-Key": "k-2"})
    assert other.status_code == 409 and other.json()["code"] == "deal_sold_out"


@pytest.mark.redis
def test_the_sold_out_mark_and_the_replays_travel_through_redis(steps, open_deal, make_buyer, client, redis_url,
                                                                settings_env, monkeypatch):
    from marketcast.core import web_deps
    from marketcast.live import gate

    settings_env(MARKETCAST_REDIS_URL=redis_url)
    deal, sku, _ = open_deal(allotment=1)
    buyer = make_buyer()
    body = {"lines": [{"sku_id": sku, "quantity": 1, "deal_id": deal["id"]}]}
    first = client.post("/api/v1/orders", json=body, headers={**buyer["headers"], "Idempotency-Key": "r-1"})
    assert first.status_code == 201
    gate.reset()  # as if the next requests reached another process: it knows only what Redis says
    again = client.post("/api/v1/orders", json=body, headers={**buyer["headers"], "Idempotency-Key": "r-1"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    gate.reset()

    def no_database(*args, **kwargs):
        raise AssertionError("the gate should have answered")

    monkeypatch.setattr(web_deps, "unit_of_work", no_database)
    r = steps.buy(make_buyer(), sku, deal["id"], expect=409)
    assert r["code"] == "deal_sold_out"
