"""Benefits flow into finance: a self-broadcast shop with enough effective live hours qualifies, is explained, and
pays a lower referral fee the next period; its reward lands as a benefit entry; one with too few hours is told
how far it fell short. A clawback takes the reward and the fees the discount saved back as one new entry, and the
discount stops applying; every refusal changes nothing."""

import uuid

import pytest
from sqlalchemy import func, select

from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.db import unit_of_work
from marketcast.finance.models import FeeDiscount, LedgerEntry
from marketcast.programs import jobs
from marketcast.scenario.us_live import Broadcast, broadcast
from tests.support.commerce import write_product

APPROVE = "4242424242424242"


def live(shop: dict, start, minutes: int, viewers: int = 20) -> None:
    """A self-broadcast LIVE of the shop, with viewers throughout (so every minute is effective)."""
    with unit_of_work() as s:
        owner = auth.actor_of(auth.get_user_by_email(s, shop["email"]))
        broadcast(s, owner=owner, shop_id=shop["id"], plan=Broadcast(start, minutes=minutes, viewers=viewers,
                                                                     deal=False),
                  title="Evening LIVE", buyers=[])


def sale(client, buyer: dict, sku: str) -> dict:
    r = client.post("/api/v1/orders", json={"lines": [{"sku_id": sku, "quantity": 1}]},
                    headers={**buyer, "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/orders/{r.json()['id']}/pay", json={"card_number": APPROVE}, headers=buyer)
    assert r.status_code == 200, r.text
    return r.json()


def fee_of(order_id: str) -> LedgerEntry:
    with unit_of_work(write=False) as s:
        return s.scalar(select(LedgerEntry).where(LedgerEntry.order_id == order_id,
                                                  LedgerEntry.kind == "referral_fee"))


def benefits_of(shop_id: str) -> list[int]:
    with unit_of_work(write=False) as s:
        return list(s.scalars(select(LedgerEntry.amount).where(LedgerEntry.shop_id == shop_id,
                                                               LedgerEntry.kind == "benefit")
                              .order_by(LedgerEntry.occurred_at, LedgerEntry.id)))


@pytest.fixture
def plan(db, client, create, make_shop, make_user, us_operator, at):
    """The support plan from April 2024: 2 effective live hours and 2 sessions a month; 2 points off the next
    month's referral fee and a $500 pool for the top 5 by unique viewers. "host" broadcasts twice 90 minutes in
    April, "short" twice 45 (viewers join after the first minute, so 178 and 88 effective minutes); both sell one $10
    order in April and in May."""
    with clock.frozen(at(2024, 3, 20)):
        program = create(criteria=[{"metric": "effective_live_hours", "min": 2}, {"metric": "live_sessions", "min": 2}],
                         benefits=[{"kind": "referral_fee_discount_bps", "value": 200},
                                   {"kind": "reward_pool", "amount": {"amount": 50_000, "currency": "USD"},
                                    "rank_by": "unique_viewers", "top_n": 5}])
    shops = {name: make_shop() for name in ("host", "short")}
    skus = {name: write_product(db, shop_id=shop["id"], stock=[100], prices=[1000])[0] for name, shop in shops.items()}
    with clock.frozen(at(2024, 3, 25)):
        for shop in shops.values():
            r = client.post(f"/api/v1/programs/{program['id']}/enrollments", json={"shop_id": shop["id"]},
                            headers=us_operator)
            assert r.status_code == 201, r.text
    live(shops["host"], at(2024, 4, 5, 18), 90)
    live(shops["host"], at(2024, 4, 12, 18), 90)
    live(shops["short"], at(2024, 4, 6, 18), 45)
    live(shops["short"], at(2024, 4, 13, 18), 45)
    buyer = make_user("buyer")[1]
    orders = {}
    with clock.frozen(at(2024, 4, 20)):
        orders["april"] = {name: sale(client, buyer, sku) for name, sku in skus.items()}
    with clock.frozen(at(2024, 5, 2)):
        assert jobs.close_periods() == 1
    with clock.frozen(at(2024, 5, 10)):
        orders["may"] = {name: sale(client, buyer, sku) for name, sku in skus.items()}
    return program, shops, skus, orders, buyer


def test_a_qualifying_host_pays_a_lower_fee_next_month_and_gets_its_reward(client, plan, us_operator):
    program, shops, _, orders, _ = plan
    r = client.get(f"/api/v1/programs/{program['id']}/standings?period=2024-04-01", headers=us_operator)
    by = {i["shop_id"]: i for i in r.json()["items"]}
    host, short = by[shops["host"]["id"]], by[shops["short"]["id"]]
    assert host["qualifies"] and host["explanation"].startswith("2.97 of 2 effective live hours; 2 sessions of 2")
    assert not short["qualifies"] and short["needed"]["effective_live_hours"] == 0.53
    assert "1.47 of 2 effective live hours (0.53 short)" in short["explanation"]
    # April's fee is the market's rate for both; in May the host pays 2 points less, the other shop the same.
    april_host, april_short = fee_of(orders["april"]["host"]["id"]), fee_of(orders["april"]["short"]["id"])
    may_host, may_short = fee_of(orders["may"]["host"]["id"]), fee_of(orders["may"]["short"]["id"])
    base = april_host.meta["referral_bps"]
    assert april_short.meta["referral_bps"] == base and may_short.meta["referral_bps"] == base
    assert may_host.meta["referral_bps"] == base - 200 and may_host.meta["discount_id"]
    assert may_host.amount - april_host.amount == 20  # 2% of $10 less
    assert benefits_of(shops["host"]["id"]) == [50_000] and benefits_of(shops["short"]["id"]) == []
    # The seller's own view shows the credit in the ledger's benefit kind.
    items = client.get(f"/api/v1/shops/{shops['host']['id']}/ledger?kind=benefit",
                       headers=shops["host"]["headers"]).json()["items"]
    assert [i["amount"]["amount"] for i in items] == [50_000]


def test_closing_again_books_nothing_twice(plan, at):
    _, shops, _, _, _ = plan
    with clock.frozen(at(2024, 5, 3)):
        assert jobs.close_periods() == 0
    with unit_of_work(write=False) as s:
        assert s.scalar(select(func.count()).select_from(FeeDiscount)
                        .where(FeeDiscount.shop_id == shops["host"]["id"])) == 1
    assert benefits_of(shops["host"]["id"]) == [50_000]


def _clawback(client, program, headers, expect: int, **body):
    r = client.post(f"/api/v1/programs/{program['id']}/clawbacks", headers=headers,
                    json={"period": "2024-04-01", "reason": "fake orders found", **body})
    assert r.status_code == expect, r.text
    return r.json()


def test_a_clawback_takes_back_the_reward_and_what_the_discount_saved(client, plan, us_operator, at):
    program, shops, skus, _, buyer = plan
    host = shops["host"]["id"]
    with clock.frozen(at(2024, 5, 15)):
        out = _clawback(client, program, us_operator, 201, shop_id=host)
    assert out["reward_reversed"] == {"amount": 50_000, "currency": "USD"}
    assert out["fees_saved_reversed"] == {"amount": 20, "currency": "USD"}  # the May order's 2 points
    assert out["reversed"]["amount"] == 50_020 and out["fee_discount_withdrawn"] and out["ledger_entry_id"]
    assert benefits_of(host) == [50_000, -50_020]
    # From now on the discount no longer applies; the fee already charged is not rewritten.
    with clock.frozen(at(2024, 5, 20)):
        later = sale(client, buyer, skus["host"])
    assert fee_of(later["id"]).meta["discount_id"] is None
    standings = client.get(f"/api/v1/programs/{program['id']}/standings?period=2024-04-01",
                           headers=us_operator).json()["items"]
    assert [i["clawed_back"] for i in standings if i["shop_id"] == host] == [True]
    # Once only.
    with clock.frozen(at(2024, 5, 21)):
        again = _clawback(client, program, us_operator, 409, shop_id=host)
    assert again["code"] == "already_clawed_back" and benefits_of(host) == [50_000, -50_020]


@pytest.mark.parametrize("case, expect, code", [
    ("no benefit", 409, "nothing_to_claw_back"),
    ("open period", 409, "period_not_closed"),
    ("no reason", 422, "reason_required"),
    ("not enrolled", 404, "standing_not_found"),
    ("seller", 403, None),
])
def test_a_refused_clawback_changes_nothing(client, plan, us_operator, make_shop, at, case, expect, code):
    program, shops, _, _, _ = plan
    body = {"shop_id": shops["short"]["id"] if case == "no benefit" else shops["host"]["id"]}
    headers = shops["host"]["headers"] if case == "seller" else us_operator
    if case == "open period":
        body["period"] = "2024-05-15"
    if case == "no reason":
        body["reason"] = "  "
    if case == "not enrolled":
        body["shop_id"] = make_shop()["id"]
    with clock.frozen(at(2024, 5, 15)):
        got = _clawback(client, program, headers, expect, **body)
    if code:
        assert got["code"] == code
    assert benefits_of(shops["host"]["id"]) == [50_000]
    with unit_of_work(write=False) as s:
        assert s.scalar(select(func.count()).select_from(FeeDiscount).where(FeeDiscount.revoked_at.is_not(None))) == 0
