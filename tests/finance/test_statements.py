"""Statements: a paid, delivered and partially refunded order lands on its shop's statement with the fees given
back pro rata, the statement reconciles, nothing is payable before the hold; payouts from the minimum, carried
below it; closing is idempotent and survives a killed run; CSV; operators' listing with totals per market."""

import csv
import io

from sqlalchemy import func, select

from marketcast.core import clock
from marketcast.core.db import unit_of_work
from marketcast.finance import jobs, service
from marketcast.finance.models import ShopPayout, ShopStatement, StatementEntry
from tests.finance.conftest import set_policy


def statements(steps, shop) -> list[dict]:
    return steps.call("GET", f"/shops/{shop['id']}/statements", shop["headers"])["items"]


def money(figure: dict) -> int:
    return figure["amount"]


def test_delivered_partly_refunded_order_on_its_statement(db, steps, make_shop, product, make_buyer, make_creator,
                                                          at):
    with clock.frozen(at(2024, 7, 1, 15)):  # a Monday; weekly periods in New York time
        shop, buyer, creator = make_shop(), make_buyer(), make_creator()
        pid, sku = product(shop, price=2500)
        token = steps.affiliate_link(creator, shop, pid, rate_bps=1000)
        order = steps.sale(buyer, [(sku, 4)], attribution={"link_token": token})  # $100.00
    with clock.frozen(at(2024, 7, 3, 15)):
        steps.deliver(shop, order["id"])
    with clock.frozen(at(2024, 7, 5, 15)):
        steps.refund(shop, order["id"], order["lines"][0]["id"], 1)  # $25.00 back
    # Nothing payable before the hold (15 days after delivery: 2024-07-18 15:00), whatever the worker does.
    for day in (8, 15, 18):
        with clock.frozen(at(2024, 7, day, 14)):
            assert jobs.close_statements() == 0
            assert steps.balance(shop) == {"pending": 10000 - 800 - 1000 - 2500 + 200 + 250, "payable": 0,
                                           "paid": 0, "carried": 0}
    with clock.frozen(at(2024, 7, 18, 15)):
        assert steps.balance(shop)["payable"] == 6150 and steps.balance(shop)["pending"] == 0
        assert jobs.close_statements() == 0  # the week of 15 July has not ended
    with clock.frozen(at(2024, 7, 22, 12)):
        assert jobs.close_statements() == 1
        assert jobs.close_statements() == 0  # a second run closes nothing
        [listed] = statements(steps, shop)
        found = steps.call("GET", f"/shops/{shop['id']}/statements/{listed['id']}", shop["headers"])
        assert steps.balance(shop) == {"pending": 0, "payable": 0, "paid": 6150, "carried": 0}
    lines = {line["line"]: money(line["amount"]) for line in found["lines"]}
    assert lines == {"sales": 10000, "refunds": -2500, "fees": -800, "fee_refunds": 200, "commissions": -750,
                     "benefits": 0, "adjustments": 0}
    # Fees back pro rata: a quarter of the order refunded, a quarter of the 8% fee (800) given back.
    assert sum(lines.values()) == money(found["net"]) == 6150
    assert money(found["carried_in"]) + money(found["net"]) == money(found["paid_out"]) + money(found["carried_out"])
    assert money(found["paid_out"]) == 6150 and found["payout"]["status"] == "scheduled"
    for line in found["lines"]:
        assert sum(money(e["amount"]) for e in line["entries"]) == money(line["amount"])
    assert found["orders"] == [{"order_id": order["id"], "net": {"amount": 6150, "currency": "USD"},
                                "lines": lines}]
    assert found["period_start"].startswith("2024-07-15T04:00") and found["period_end"].startswith("2024-07-22T04:00")
    r = steps.client.get(f"/api/v1/shops/{shop['id']}/statements/{listed['id']}",
                         headers={**shop["headers"], "Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == found["entries"] == 6
    assert sum(int(row["amount"]) for row in rows) == 6150
    assert {row["order_id"] for row in rows} == {order["id"]}


def test_below_the_minimum_the_balance_carries_over(db, steps, make_shop, product, make_buyer, operator, at):
    set_policy(db, "shop.payout.min_amount", {"amount": 5000, "currency": "USD"})
    set_policy(db, "shop.settlement.hold_days", 0)
    with clock.frozen(at(2024, 7, 1, 15)):
        shop, buyer = make_shop(), make_buyer()
        _, sku = product(shop, price=2500)
        first = steps.sale(buyer, [(sku, 1)])
        steps.deliver(shop, first["id"])
    with clock.frozen(at(2024, 7, 8, 15)):
        assert jobs.close_statements() == 1
        steps.deliver(shop, steps.sale(buyer, [(sku, 2)])["id"])
    with clock.frozen(at(2024, 7, 15, 15)):
        assert jobs.close_statements() == 1
    one, two = statements(steps, shop)
    assert (money(one["net"]), money(one["paid_out"]), money(one["carried_out"])) == (2300, 0, 2300)
    assert (money(two["carried_in"]), money(two["net"]), money(two["paid_out"])) == (2300, 4600, 6900)
    assert two["rules"]["min_payout"] == 5000
    payouts = steps.call("GET", f"/shops/{shop['id']}/payouts", shop["headers"])
    assert [(p["statement_id"], money(p["amount"]), p["status"]) for p in payouts] == [(two["id"], 6900, "scheduled")]
    upcoming = steps.call("GET", f"/shops/{shop['id']}/payouts/upcoming", shop["headers"])
    assert [p["id"] for p in upcoming["scheduled"]] == [payouts[0]["id"]]
    path = f"/payouts/{payouts[0]['id']}/paid"
    steps.call("POST", path, shop["headers"], 403, json={"reference": "mine"})
    assert steps.call("POST", path, operator, 422, json={"reference": " "})["field"] == "reference"
    paid = steps.call("POST", path, operator, json={"reference": "ACH 20240716-1"})
    assert (paid["status"], paid["reference"]) == ("paid", "ACH 20240716-1")
    assert steps.call("POST", path, operator, 409, json={"reference": "again"})["code"] == "payout_not_scheduled"
    assert steps.call("POST", "/payouts/spo_nothing/paid", operator, 404, json={"reference": "x"})["code"] == \
        "payout_not_found"


def test_a_killed_run_closes_nothing_and_the_next_closes_once(db, steps, make_shop, product, make_buyer, at):
    set_policy(db, "shop.settlement.hold_days", 0)
    with clock.frozen(at(2024, 7, 1, 15)):
        shops = [make_shop() for _ in range(3)]
        buyer = make_buyer()
        for shop in shops:
            _, sku = product(shop)
            steps.deliver(shop, steps.sale(buyer, [(sku, 1)])["id"])
    with clock.frozen(at(2024, 7, 8, 15)):
        try:
            with unit_of_work() as s:
                assert service.close_due(s) == 3
                raise RuntimeError("the worker is killed before its commit")
        except RuntimeError:
            pass
        with db(write=False) as s:
            assert s.scalar(select(func.count()).select_from(ShopStatement)) == 0
        assert jobs.close_statements() == 3
        assert jobs.close_statements() == 0
    with db(write=False) as s:
        assert s.scalar(select(func.count()).select_from(ShopStatement)) == 3
        assert s.scalar(select(func.count()).select_from(StatementEntry)) == 6
        assert s.scalar(select(func.count()).select_from(ShopPayout)) == 3


def test_statement_errors_and_access(steps, make_shop, operator):
    shop, other = make_shop(), make_shop()
    assert steps.call("GET", f"/shops/{shop['id']}/statements/sst_nothing", shop["headers"], 404)["code"] == \
        "statement_not_found"
    steps.call("GET", f"/shops/{shop['id']}/statements", other["headers"], 403)
    steps.call("GET", "/statements", shop["headers"], 403)
    assert steps.call("GET", "/statements", operator, 422, params={"market": "USA"})["field"] == "market"


def test_operator_lists_statements_across_shops_with_totals(db, steps, make_shop, product, make_buyer, make_user,
                                                            operator, at):
    set_policy(db, "shop.settlement.hold_days", 0)
    with clock.frozen(at(2024, 7, 1, 15)):
        shops, buyer = [make_shop(), make_shop()], make_buyer()
        for shop, price in zip(shops, (1000, 3000), strict=True):
            _, sku = product(shop, price=price)
            steps.deliver(shop, steps.sale(buyer, [(sku, 1)])["id"])
    with clock.frozen(at(2024, 7, 8, 15)):
        assert jobs.close_statements() == 2
    listed = steps.call("GET", "/statements", operator, params={"market": "US"})
    assert len(listed["items"]) == 2
    [total] = listed["totals"]
    assert (total["market"], total["statements"], total["sales"], total["fees"], total["net"]) == \
        ("US", 2, 4000, -320, 3680)
    one = steps.call("GET", "/statements", operator, params={"shop_id": shops[1]["id"]})
    assert [s["shop_id"] for s in one["items"]] == [shops[1]["id"]] and one["totals"][0]["sales"] == 3000
    later = steps.call("GET", "/statements", operator, params={"period_from": "2024-07-08T00:00:00Z"})
    assert later["items"] == [] and later["totals"] == []
    _, spain_only = make_user("operator", markets=["ES"])
    assert steps.call("GET", "/statements", spain_only)["items"] == []
    assert steps.call("GET", "/statements", spain_only, 403, params={"market": "US"})["code"] == \
        "market_out_of_scope"


def test_two_runs_at_once_close_each_period_once(db, steps, make_shop, product, make_buyer, at):
    """Two workers closing at the same moment (threads with their own transactions): each shop's period is
    closed once and every entry is on exactly one statement (PostgreSQL runs them truly at once)."""
    import threading

    set_policy(db, "shop.settlement.hold_days", 0)
    with clock.frozen(at(2024, 7, 1, 15)):
        shops, buyer = [make_shop() for _ in range(4)], make_buyer()
        for shop in shops:
            _, sku = product(shop)
            steps.deliver(shop, steps.sale(buyer, [(sku, 1)])["id"])
    closed, errors = [], []

    def run():
        try:
            closed.append(jobs.close_statements())
        except Exception as exc:  # a run that lost a race may fail as a whole; it must not double anything
            errors.append(exc)

    with clock.frozen(at(2024, 7, 8, 15)):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert jobs.close_statements() == 0
    assert sum(closed) == 4 and not errors, errors
    with db(write=False) as s:
        assert s.scalar(select(func.count()).select_from(ShopStatement)) == 4
        assert s.scalar(select(func.count()).select_from(StatementEntry)) == 8
        assert s.scalar(select(func.count()).select_from(ShopPayout)) == 4
