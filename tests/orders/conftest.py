"""Orders fixtures: a live US market, shops (rows written directly: how a shop comes to be is the sellers
area's business), live products with SKUs and stock, buyers, and helpers to check out and pay over HTTP."""

import uuid

import pytest
from sqlalchemy import func, select

from marketcast.orders.models import Order
from marketcast.reports.models import GmvDaily
from tests.support.commerce import write_product
from tests.support.orders import APPROVE


@pytest.fixture
def shop(make_shop) -> dict:
    return make_shop()


@pytest.fixture
def make_skus(db, shop):
    """make_skus(*stock, prices=None, status="live", shop_id=<the shop>) -> SKU ids of one product."""

    def _make(*stock: int, prices: list[int] | None = None, status: str = "live", shop_id: str | None = None):
        return write_product(db, shop_id=shop_id or shop["id"], stock=list(stock), prices=prices, status=status)

    return _make


@pytest.fixture
def buyer(make_user) -> dict:
    user_id, headers = make_user("buyer")
    return {"user_id": user_id, "headers": headers}


@pytest.fixture
def order_count(db):
    def _count() -> int:
        with db(write=False) as s:
            return s.scalar(select(func.count()).select_from(Order))

    return _count


@pytest.fixture
def gmv_totals(db):
    """gmv_totals(shop_id) -> (gmv, refunds) summed over the shop's daily rollups."""

    def _read(shop_id: str) -> tuple[int, int]:
        with db(write=False) as s:
            sums = select(func.coalesce(func.sum(GmvDaily.gmv), 0), func.coalesce(func.sum(GmvDaily.refunds), 0))
            row = s.execute(sums.where(GmvDaily.shop_id == shop_id)).one()
            return int(row[0]), int(row[1])

    return _read


@pytest.fixture
def place(client):
    """place(headers, [(sku_id, qty), …], key=None) -> the response of POST /orders (a fresh key by default)."""

    def _place(headers: dict, lines: list[tuple[str, int]], key: str | None = None):
        body = {"lines": [{"sku_id": sku, "quantity": qty} for sku, qty in lines]}
        return client.post("/api/v1/orders", json=body,
                           headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex})

    return _place


@pytest.fixture
def paid_order(place, client, buyer, make_skus):
    """paid_order(*quantities) -> (order json, sku ids): one product with a SKU per quantity (stock 10 each), paid."""

    def _make(*quantities: int) -> tuple[dict, list[str]]:
        skus = make_skus(*([10] * len(quantities)))
        r = place(buyer["headers"], list(zip(skus, quantities, strict=True)))
        assert r.status_code == 201, r.text
        paid = client.post(f"/api/v1/orders/{r.json()['id']}/pay", json={"card_number": APPROVE},
                           headers=buyer["headers"])
        assert paid.status_code == 200, paid.text
        return paid.json(), skus

    return _make
