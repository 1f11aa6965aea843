"""Finance fixtures: a live US market, a shop with a live product, a creator with a collaboration on it,
buyers, dated fee policies, and the HTTP steps of sales, deliveries, refunds and the ledger."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.ids import new_id
from marketcast.creators.models import Creator
from marketcast.policies import service as policies
from tests.support.commerce import write_product

APPROVE = "4242424242424242"


def write_creator(db, *, user_id: str, market: str = "US") -> str:
    now = clock.now()
    with db() as s:
        creator = Creator(id=new_id("crt"), user_id=user_id, market=market, handle=f"c.{uuid.uuid4().hex[:10]}",
                          date_of_birth=date(1995, 5, 5), followers=20_000, followers_as_of=now,
                          affiliate_status="active", failed_rules="", status_changed_at=now, created_at=now)
        s.add(creator)
        return creator.id


def set_policy(db, key: str, value, *, market: str = "US", effective: datetime | None = None) -> None:
    """A market's policy version from `effective` (default 2024-01-02), scheduled the day before."""
    effective = effective or datetime(2024, 1, 2, tzinfo=UTC)
    with clock.frozen(effective - timedelta(days=1)), db() as s:
        policies.schedule(s, key=key, market=market, value=value, effective_from=effective, reason="test",
                          actor=SYSTEM)


@pytest.fixture
def product(db):
    """product(shop, price=1000, stock=1000) -> (product id, sku id)."""

    def _make(shop: dict, price: int = 1000, stock: int = 1000):
        sku = write_product(db, shop_id=shop["id"], stock=[stock], prices=[price])[0]
        from marketcast.catalog.models import Sku

        with db(write=False) as s:
            return s.get(Sku, sku).product_id, sku

    return _make


@pytest.fixture
def make_creator(db, make_user, live_markets):
    def _make() -> dict:
        user_id, headers = make_user("creator")
        return {"id": write_creator(db, user_id=user_id), "user_id": user_id, "headers": headers}

    return _make


@pytest.fixture
def make_buyer(make_user):
    def _make() -> dict:
        user_id, headers = make_user("buyer")
        return {"user_id": user_id, "headers": headers}

    return _make


class Steps:
    """The HTTP calls of the flows, each asserting its expected status."""

    def __init__(self, client):
        self.client = client

    def call(self, method: str, path: str, headers: dict, expect: int = 200, **kwargs):
        r = self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
        assert r.status_code == expect, r.text
        return r.json() if r.content and "json" in r.headers.get("content-type", "") else r.text

    def order(self, buyer: dict, lines: list[tuple[str, int]], attribution: dict | None = None):
        body: dict = {"lines": [{"sku_id": sku, "quantity": qty} for sku, qty in lines]}
        if attribution is not None:
            body["attribution"] = attribution
        return self.call("POST", "/orders", {**buyer["headers"], "Idempotency-Key": uuid.uuid4().hex}, 201,
                         json=body)

    def sale(self, buyer: dict, lines: list[tuple[str, int]], attribution: dict | None = None) -> dict:
        order = self.order(buyer, lines, attribution)
        return self.call("POST", f"/orders/{order['id']}/pay", buyer["headers"], json={"card_number": APPROVE})

    def ship(self, shop: dict, order_id: str):
        return self.call("POST", f"/orders/{order_id}/ship", shop["headers"],
                         json={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})

    def deliver(self, shop: dict, order_id: str):
        self.ship(shop, order_id)
        return self.call("POST", f"/orders/{order_id}/deliver", shop["headers"])

    def refund(self, shop: dict, order_id: str, line_id: str, quantity: int):
        return self.call("POST", f"/orders/{order_id}/refunds",
                         {**shop["headers"], "Idempotency-Key": uuid.uuid4().hex}, 201,
                         json={"lines": [{"line_id": line_id, "quantity": quantity}]})

    def collaboration(self, shop: dict, product_id: str, rate_bps: int = 1000) -> dict:
        return self.call("POST", f"/shops/{shop['id']}/collaborations", shop["headers"], 201,
                         json={"kind": "open", "commission_rate_bps": rate_bps, "product_ids": [product_id]})

    def affiliate_link(self, creator: dict, shop: dict, product_id: str, rate_bps: int = 1000) -> str:
        collab = self.collaboration(shop, product_id, rate_bps)
        self.call("POST", f"/collaborations/{collab['id']}/join", creator["headers"])
        return self.call("POST", f"/creators/{creator['id']}/links", creator["headers"], 201,
                         json={"product_id": product_id})["token"]

    def ledger(self, shop: dict, **params) -> list[dict]:
        return self.call("GET", f"/shops/{shop['id']}/ledger", shop["headers"], params=params)["items"]

    def balance(self, shop: dict) -> dict:
        b = self.call("GET", f"/shops/{shop['id']}/balance", shop["headers"])
        return {k: b[k]["amount"] for k in ("pending", "payable", "paid", "carried")}


@pytest.fixture
def steps(client) -> Steps:
    return Steps(client)
