"""Affiliate fixtures: a live US market, a shop with live products, creators (rows written directly: how a
creator's status comes to be is the creators area's business), buyers, and the HTTP steps of a sale."""

import uuid
from datetime import date

import pytest

from marketcast.core import clock
from marketcast.core.ids import new_id
from marketcast.creators.models import Creator
from tests.support.commerce import write_product

APPROVE = "4242424242424242"


def write_creator(db, *, user_id: str, market: str = "US", status: str = "active", followers: int = 20_000) -> str:
    now = clock.now()
    with db() as s:
        creator = Creator(id=new_id("crt"), user_id=user_id, market=market, handle=f"c.{uuid.uuid4().hex[:10]}",
                          date_of_birth=date(1995, 5, 5), followers=followers, followers_as_of=now,
                          affiliate_status=status, failed_rules="", status_changed_at=now,
                          pilot_started_at=now if status == "pilot" else None, created_at=now)
        s.add(creator)
        return creator.id


@pytest.fixture
def shop(make_shop) -> dict:
    return make_shop()


@pytest.fixture
def product(db, shop):
    """product(price=1000, stock=100, status="live", shop_id=<the shop>) -> (product id, sku id)."""

    def _make(price: int = 1000, stock: int = 100, status: str = "live", shop_id: str | None = None):
        sku = write_product(db, shop_id=shop_id or shop["id"], stock=[stock], prices=[price], status=status)[0]
        from marketcast.catalog.models import Sku

        with db(write=False) as s:
            return s.get(Sku, sku).product_id, sku

    return _make


@pytest.fixture
def make_creator(db, make_user, live_markets):
    """make_creator(status="active", market="US", email=None) -> dict(id, user_id, headers, email)."""

    def _make(status: str = "active", market: str = "US", email: str | None = None) -> dict:
        email = email or f"creator-{uuid.uuid4().hex[:8]}@example.com"
        user_id, headers = make_user("creator", email=email)
        return {"id": write_creator(db, user_id=user_id, market=market, status=status), "user_id": user_id,
                "headers": headers, "email": email}

    return _make


@pytest.fixture
def creator(make_creator) -> dict:
    return make_creator()


@pytest.fixture
def make_buyer(make_user):
    def _make(email: str | None = None) -> dict:
        user_id, headers = make_user("buyer", email=email)
        return {"user_id": user_id, "headers": headers}

    return _make


@pytest.fixture
def buyer(make_buyer) -> dict:
    return make_buyer()


class Steps:
    """The HTTP calls of the affiliate flows, each asserting its expected status."""

    def __init__(self, client):
        self.client = client

    def call(self, method: str, path: str, headers: dict, expect: int = 200, **kwargs):
        r = self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
        assert r.status_code == expect, r.text
        return r.json() if r.content else None

    def collaboration(self, shop: dict, expect: int = 201, **body):
        body.setdefault("kind", "open")
        body.setdefault("commission_rate_bps", 1000)
        return self.call("POST", f"/shops/{shop['id']}/collaborations", shop["headers"], expect, json=body)

    def join(self, creator: dict, collaboration_id: str, verb: str = "join", expect: int = 200):
        return self.call("POST", f"/collaborations/{collaboration_id}/{verb}", creator["headers"], expect)

    def link(self, creator: dict, product_id: str, expect: int = 201):
        return self.call("POST", f"/creators/{creator['id']}/links", creator["headers"], expect,
                         json={"product_id": product_id})

    def click(self, buyer: dict, token: str, expect: int = 201):
        return self.call("POST", f"/links/{token}/clicks", buyer["headers"], expect)

    def order(self, buyer: dict, lines: list[tuple[str, int]], attribution: dict | None = None, expect: int = 201):
        body = {"lines": [{"sku_id": sku, "quantity": qty} for sku, qty in lines]}
        if attribution is not None:
            body["attribution"] = attribution
        return self.call("POST", "/orders", {**buyer["headers"], "Idempotency-Key": uuid.uuid4().hex}, expect,
                         json=body)

    def pay(self, buyer: dict, order_id: str):
        return self.call("POST", f"/orders/{order_id}/pay", buyer["headers"], json={"card_number": APPROVE})

    def sale(self, buyer: dict, lines: list[tuple[str, int]], attribution: dict | None = None) -> dict:
        return self.pay(buyer, self.order(buyer, lines, attribution)["id"])

    def deliver(self, shop: dict, order_id: str):
        self.call("POST", f"/orders/{order_id}/ship", shop["headers"],
                  json={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
        return self.call("POST", f"/orders/{order_id}/deliver", shop["headers"])

    def refund(self, shop: dict, order_id: str, line_id: str, quantity: int):
        return self.call("POST", f"/orders/{order_id}/refunds",
                         {**shop["headers"], "Idempotency-Key": uuid.uuid4().hex}, 201,
                         json={"lines": [{"line_id": line_id, "quantity": quantity}]})

    def commissions(self, creator: dict, **params):
        return self.call("GET", f"/creators/{creator['id']}/commissions", creator["headers"], params=params)["items"]


@pytest.fixture
def steps(client) -> Steps:
    return Steps(client)
