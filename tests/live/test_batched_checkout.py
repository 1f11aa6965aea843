"""The batched checkout (orders.batch, docs/adr/0025): many buyers' orders of one line (a flash deal's, or a SKU's)
in one transaction, answered as the ordinary checkout would answer each, and at a cost that does not grow with
them."""

import asyncio
import uuid
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from marketcast.core import idempotency
from marketcast.core.errors import DomainError
from marketcast.core.idempotency import IdempotencyKey
from marketcast.live.models import DealBuyer, FlashDeal
from marketcast.orders import batch
from marketcast.orders.models import Order, OrderLine
from tests.orders.test_checkout_api import counting

OPERATION = "POST /api/v1/orders"


def _ask(buyer: dict, sku: str, deal_id: str | None, key: str | None = None) -> batch.Ask:
    body = {"lines": [{"sku_id": sku, "quantity": 1} | ({"deal_id": deal_id} if deal_id else {})]}
    token = buyer["headers"]["Authorization"].partition(" ")[2]
    return batch.Ask(token, key or uuid.uuid4().hex, idempotency.request_hash(OPERATION, body))


def _place(db, sku: str, deal_id: str | None, asks: list[batch.Ask]) -> list[batch.Result]:
    with db() as s:
        return batch.place(s, line=(sku, 1, deal_id), asks=asks)


def _codes(results) -> Counter:
    return Counter(r.status if isinstance(r, idempotency.Answer) else r.code if isinstance(r, DomainError)
                   else "alone" for r in results)


def test_a_batch_sells_the_units_there_are_and_refuses_the_rest_each_alone(db, steps, open_deal, make_buyer,
                                                                           counters, shop):
    deal, sku, _ = open_deal(allotment=5, per_buyer_limit=1, stock=20, stock_buckets=1)
    buyers = [make_buyer() for _ in range(12)]
    results = _place(db, sku, deal["id"], [_ask(b, sku, deal["id"]) for b in buyers])
    assert _codes(results) == {201: 5, "deal_sold_out": 7}
    won = [r.body["id"] for r in results if isinstance(r, idempotency.Answer)]
    with db(write=False) as s:
        assert s.scalar(select(func.count()).select_from(OrderLine).where(OrderLine.deal_id == deal["id"])) == 5
        assert set(s.scalars(select(Order.id).where(Order.id.in_(won)))) == set(won)
        assert {row.units for row in s.scalars(select(DealBuyer))} == {1}  # the losers' counts were given back
        assert s.scalar(select(func.count()).select_from(DealBuyer)) == 5
        stored = list(s.scalars(select(IdempotencyKey)))
        assert sorted(k.response_body["id"] for k in stored) == sorted(won)  # the losers' keys are free again
        assert {k.state for k in stored} == {"done"}
    assert steps.get_deal(deal["id"])["units_left"] == 0
    steps.end_deal(shop, deal["id"])
    with db(write=False) as s:
        row = s.get(FlashDeal, deal["id"])
        assert (row.sold, row.returned) == (5, 0)
    assert counters([sku])[sku] == (15, 5, 0)


def test_a_batch_of_a_hot_sku_sells_its_stock_and_refuses_the_rest_out_of_stock(db, product, make_buyer, counters):
    _, sku = product(stock=5)
    results = _place(db, sku, None, [_ask(make_buyer(), sku, None) for _ in range(12)])
    assert _codes(results) == {201: 5, "out_of_stock": 7}
    assert counters([sku])[sku] == (0, 5, 0)
    with db(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 5
        assert s.scalar(select(func.count()).select_from(IdempotencyKey)) == 5


def test_a_buyer_at_the_limit_is_refused_and_the_others_of_the_batch_are_served(db, steps, open_deal, make_buyer):
    deal, sku, _ = open_deal(allotment=10, per_buyer_limit=1)
    greedy, others = make_buyer(), [make_buyer() for _ in range(3)]
    steps.buy(greedy, sku, deal["id"])
    results = _place(db, sku, deal["id"], [_ask(greedy, sku, deal["id"])] + [_ask(b, sku, deal["id"]) for b in others])
    assert isinstance(results[0], DomainError) and results[0].code == "per_buyer_limit"
    assert _codes(results[1:]) == {201: 3}
    assert steps.get_deal(deal["id"])["units_left"] == 6


def test_what_is_not_plainly_new_is_left_to_the_ordinary_checkout(db, steps, open_deal, make_buyer, make_user):
    deal, sku, _ = open_deal(allotment=10)
    seen, twice, fresh = make_buyer(), make_buyer(), make_buyer()
    key = uuid.uuid4().hex
    first = _place(db, sku, deal["id"], [_ask(seen, sku, deal["id"], key)])
    assert _codes(first) == {201: 1}
    _, seller = make_user("seller")
    asks = [_ask(seen, sku, deal["id"], key),  # its key was used: a replay, the ordinary way answers it
            batch.Ask("mc_not-a-token", uuid.uuid4().hex, "h"),
            _ask({"headers": seller}, sku, deal["id"]),
            _ask(twice, sku, deal["id"]), _ask(twice, sku, deal["id"]),  # one checkout per buyer per batch
            _ask(fresh, sku, deal["id"])]
    results = _place(db, sku, deal["id"], asks)
    assert [_codes([r]) for r in results] == [{"alone": 1}, {"alone": 1}, {"alone": 1}, {201: 1}, {"alone": 1},
                                              {201: 1}]
    assert steps.get_deal(deal["id"])["units_left"] == 7


def test_a_refusal_shared_by_the_batch_writes_nothing_and_leaves_each_to_the_ordinary_way(db, steps, open_deal,
                                                                                         make_buyer, shop):
    deal, sku, _ = open_deal(allotment=10)
    steps.end_deal(shop, deal["id"])
    results = _place(db, sku, deal["id"], [_ask(make_buyer(), sku, deal["id"]) for _ in range(3)])
    assert _codes(results) == {"alone": 3}
    with db(write=False) as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
        assert s.scalar(select(func.count()).select_from(Order)) == 0


def test_in_a_batch_the_buyer_who_clicked_a_creators_link_is_attributed_and_only_they(db, client, steps, open_deal,
                                                                                       make_buyer, make_creator,
                                                                                       shop):
    from tests.affiliate.conftest import Steps as AffiliateSteps

    deal, sku, _ = open_deal(allotment=10)
    affiliate = AffiliateSteps(client)
    collab = affiliate.collaboration(shop, product_ids=[deal["product_id"]], commission_rate_bps=1200)
    creator = make_creator()
    affiliate.join(creator, collab["id"])
    clicked, others = make_buyer(), [make_buyer() for _ in range(2)]
    affiliate.click(clicked, affiliate.link(creator, deal["product_id"])["token"])
    results = _place(db, sku, deal["id"], [_ask(b, sku, deal["id"]) for b in (others[0], clicked, others[1])])
    lines = [r.body["lines"][0] for r in results]
    assert [line["attribution"] for line in lines[::2]] == [None, None]
    assert lines[1]["attribution"] == {"creator_id": creator["id"], "source": "link",
                                       "collaboration_id": collab["id"], "commission_rate_bps": 1200}


@pytest.mark.parametrize("of", ["deal", "sku"])
def test_a_batch_costs_the_same_statements_for_two_buyers_as_for_twenty(db, open_deal, make_buyer, of):
    deal, sku, _ = open_deal(allotment=40, stock=100, stock_buckets=1)
    deal_id = deal["id"] if of == "deal" else None
    _place(db, sku, deal_id, [_ask(make_buyer(), sku, deal_id)])  # warms what the process caches
    cost = []
    for n in (2, 20):
        asks = [_ask(make_buyer(), sku, deal_id) for _ in range(n)]
        with counting() as statements:
            assert _codes(_place(db, sku, deal_id, asks)) == {201: n}
        cost.append(len(statements))
    assert cost[0] == cost[1], cost


@pytest.mark.slow
def test_concurrent_checkouts_of_one_deal_share_batches_and_sell_exactly_the_units(app, open_deal, make_buyer, db,
                                                                                  monkeypatch):
    """Through the route: checkouts arriving while a batch runs form the next one (the lane), and the answers are
    the ordinary checkout's (201, or 409 deal_sold_out / per_buyer_limit), a replay included."""
    deal, sku, _ = open_deal(allotment=15, per_buyer_limit=1, stock=50)
    buyers = [make_buyer() for _ in range(30)]
    sizes = []
    real_run = batch.run
    monkeypatch.setattr(batch, "run", lambda line, asks: sizes.append(len(asks)) or real_run(line, asks))
    body = {"lines": [{"sku_id": sku, "quantity": 1, "deal_id": deal["id"]}]}
    keys = [uuid.uuid4().hex for _ in buyers]

    async def everyone():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            def post(i):
                return c.post("/api/v1/orders", json=body,
                              headers={**buyers[i % 30]["headers"], "Idempotency-Key": keys[i % 30]})
            first = await asyncio.gather(*(post(i) for i in range(30)))
            again = await asyncio.gather(*(post(i) for i in range(3)))  # retries of the first three
            return first, again

    first, again = asyncio.run(everyone())
    outcomes = Counter((r.status_code, r.json().get("code") if r.status_code >= 400 else None) for r in first)
    assert outcomes == {(201, None): 15, (409, "deal_sold_out"): 15}, outcomes
    assert max(sizes) > 1, sizes  # they did share batches
    for before, retry in zip(first[:3], again, strict=True):
        assert retry.status_code == before.status_code
        if before.status_code == 201:
            assert retry.json() == before.json() and retry.headers["Idempotent-Replayed"] == "true"
    with db(write=False) as s:
        per_buyer = Counter(s.scalars(select(Order.buyer_id).join(OrderLine, OrderLine.order_id == Order.id)
                                      .where(OrderLine.deal_id == deal["id"])))
    assert sum(per_buyer.values()) == 15 and max(per_buyer.values()) == 1


def test_a_lane_answers_every_waiting_checkout_and_is_gone_once_idle(monkeypatch):
    """The lane itself, with the database replaced: checkouts that arrive while a batch runs form the next one;
    a batch that fails fails each of its checkouts (as each alone would), and an idle lane is dropped."""
    import threading

    import anyio

    calls, release = [], threading.Event()

    def fake_run(line, asks):
        calls.append([a.key for a in asks])
        if len(calls) == 1:
            release.wait(5)  # the first batch is in the database while the others arrive
        if any(a.key == "boom" for a in asks):
            raise RuntimeError("the database went away")
        return [idempotency.Answer(201, {"key": a.key}) for a in asks]

    monkeypatch.setattr(batch, "run", fake_run)

    async def scenario():
        limiter = anyio.CapacityLimiter(4)
        line = ("sku_1", 1, "dea_1")
        first = asyncio.create_task(batch.submit(line, batch.Ask("t", "a", "h"), limiter=limiter))
        await asyncio.sleep(0.05)
        rest = [asyncio.create_task(batch.submit(line, batch.Ask("t", k, "h"), limiter=limiter))
                for k in ("b", "c", "boom")]
        await asyncio.sleep(0.05)
        release.set()
        answers = await asyncio.gather(first, *rest, return_exceptions=True)
        return answers, dict(batch._lanes.get(asyncio.get_running_loop(), {}))

    answers, lanes = asyncio.run(scenario())
    assert calls == [["a"], ["b", "c", "boom"]]
    assert answers[0].body == {"key": "a"}
    assert all(isinstance(a, RuntimeError) for a in answers[1:])
    assert lanes == {}
