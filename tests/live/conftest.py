"""Live fixtures: a live US market, a shop with live products, creators, buyers, and the HTTP steps of a LIVE
(sessions, bag, pin, deals, buying from a deal). The shop and creator rows come from the shared helpers."""

import uuid
from datetime import timedelta

import pytest

from marketcast.core import clock
from marketcast.live import gate
from tests.affiliate.conftest import write_creator
from tests.support.commerce import write_product
from tests.support.orders import APPROVE

START = "2030-01-01T12:00:00Z"


@pytest.fixture(autouse=True)
def _fresh_gate():
    gate.reset()
    yield
    gate.reset()


@pytest.fixture
def shop(make_shop) -> dict:
    return make_shop()


@pytest.fixture
def product(db, shop):
    """product(price=1000, stock=100, shop_id=<the shop>) -> (product id, sku id)."""

    def _make(price: int = 1000, stock: int = 100, shop_id: str | None = None, status: str = "live"):
        sku = write_product(db, shop_id=shop_id or shop["id"], stock=[stock], prices=[price], status=status)[0]
        from marketcast.catalog.models import Sku

        with db(write=False) as s:
            return s.get(Sku, sku).product_id, sku

    return _make


@pytest.fixture
def make_creator(db, make_user, live_markets):
    def _make(status: str = "active") -> dict:
        email = f"creator-{uuid.uuid4().hex[:8]}@example.com"
        user_id, headers = make_user("creator", email=email)
        return {"id": write_creator(db, user_id=user_id, status=status), "user_id": user_id, "headers": headers}

    return _make


@pytest.fixture
def make_buyer(make_user):
    def _make() -> dict:
        user_id, headers = make_user("buyer")
        return {"user_id": user_id, "headers": headers}

    return _make


@pytest.fixture
def buyer(make_buyer) -> dict:
    return make_buyer()


class Steps:
    """The HTTP calls of a LIVE, each asserting its expected status."""

    def __init__(self, client):
        self.client = client

    def call(self, method: str, path: str, headers: dict | None, expect: int = 200, **kwargs):
        r = self.client.request(method, f"/api/v1{path}", headers=headers or {}, **kwargs)
        assert expect is None and r.status_code < 400 or r.status_code == expect, r.text
        return r.json() if r.content else None

    def session(self, host: dict, *, creator: bool = False, expect: int = 201, **body):
        body.setdefault("market", "US")
        body.setdefault("title", "Candles at noon")
        body.setdefault("host", {"creator_id": host["id"]} if creator else {"shop_id": host["id"]})
        body.setdefault("scheduled_start", START)
        body.setdefault("playback_url", "https://stream.example.com/live/1.m3u8")
        return self.call("POST", "/live/sessions", host["headers"], expect, json=body)

    def add(self, host: dict, session_id: str, product_id: str, expect: int = 200):
        return self.call("POST", f"/live/sessions/{session_id}/bag", host["headers"], expect,
                         json={"product_id": product_id})

    def pin(self, host: dict, session_id: str, product_id: str | None, expect: int = 200):
        return self.call("POST", f"/live/sessions/{session_id}/pin", host["headers"], expect,
                         json={"product_id": product_id})

    def move(self, host: dict, session_id: str, verb: str, expect: int = 200):
        return self.call("POST", f"/live/sessions/{session_id}/{verb}", host["headers"], expect)

    def live_with(self, host: dict, product_id: str, **body) -> dict:
        s = self.session(host, **body)
        self.add(host, s["id"], product_id)
        return self.move(host, s["id"], "start")

    def deal(self, host: dict, session_id: str, sku_id: str, expect: int = 201, **body):
        body.setdefault("sku_id", sku_id)
        body.setdefault("deal_price", {"amount": 500, "currency": "USD"})
        body.setdefault("allotment", 10)
        body.setdefault("per_buyer_limit", 1)
        body.setdefault("countdown_seconds", 10)
        body.setdefault("duration_minutes", 5)
        return self.call("POST", f"/live/sessions/{session_id}/deals", host["headers"], expect, json=body)

    def start_deal(self, host: dict, deal_id: str, expect: int = 200):
        return self.call("POST", f"/live/deals/{deal_id}/start", host["headers"], expect)

    def end_deal(self, host: dict, deal_id: str, expect: int = 200):
        return self.call("POST", f"/live/deals/{deal_id}/end", host["headers"], expect)

    def get_deal(self, deal_id: str, headers: dict | None = None):
        return self.call("GET", f"/live/deals/{deal_id}", headers)

    def buy(self, buyer: dict, sku_id: str, deal_id: str, quantity: int = 1, expect: int = 201):
        return self.call("POST", "/orders", {**buyer["headers"], "Idempotency-Key": uuid.uuid4().hex}, expect,
                         json={"lines": [{"sku_id": sku_id, "quantity": quantity, "deal_id": deal_id}]})

    def pay(self, buyer: dict, order_id: str):
        return self.call("POST", f"/orders/{order_id}/pay", buyer["headers"], json={"card_number": APPROVE})


@pytest.fixture
def steps(client) -> Steps:
    return Steps(client)


@pytest.fixture
def open_deal(steps, shop, product, at):
    """open_deal(allotment=10, per_buyer_limit=1, stock=100, price=1000) -> (deal, sku id, session): a live session
    of the shop with a deal whose countdown is over, the clock frozen inside its time (the test's `clock`)."""

    def _make(allotment: int = 10, per_buyer_limit: int = 1, stock: int = 100, price: int = 1000, **body):
        clock.set_now(at(2030, 1, 1, 12))
        pid, sku = product(price=price, stock=stock)
        live = steps.live_with(shop, pid)
        deal = steps.deal(shop, live["id"], sku, allotment=allotment, per_buyer_limit=per_buyer_limit, **body)
        steps.start_deal(shop, deal["id"])
        clock.set_now(at(2030, 1, 1, 12) + timedelta(seconds=deal["countdown_seconds"]))
        return deal, sku, live

    return _make
