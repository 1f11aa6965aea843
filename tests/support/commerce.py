"""Test support shared by the catalog and orders tests: live markets, shops and products written directly
(how a shop comes to be is the sellers area's business), and stock counters. Also imported by the processes
the race tests spawn."""

import uuid

import pytest
from sqlalchemy import select

from marketcast.catalog.models import Product, Sku
from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.ids import new_id
from marketcast.markets import service as markets
from marketcast.sellers.models import Seller, Shop


def write_shop(db, *, user_id: str, email: str, status: str = "active", market: str = "US") -> str:
    now = clock.now()
    with db() as s:
        seller = Seller(id=new_id("sel"), owner_user_id=user_id, legal_name="Acme", entity_type="company",
                        country=market, tax_id="12-3456789", beneficial_owners=[], contact_email=email,
                        contact_phone="+15550000000", created_at=now)
        s.add(seller)
        s.flush()
        shop = Shop(id=new_id("shp"), seller_id=seller.id, owner_user_id=user_id, market=market, shop_type="local",
                    mode="pop", status=status, name="Acme " + market, contact_email=email,
                    contact_phone="+15550000000", probation_started_at=now if status == "probation" else None,
                    paid_orders=0, created_at=now)
        s.add(shop)
        return shop.id


def write_product(db, *, shop_id: str, stock: list[int], prices: list[int] | None = None, status: str = "live",
                  market: str = "US", currency: str = "USD") -> list[str]:
    now = clock.now()
    prices = prices or [1000 + 100 * i for i in range(len(stock))]
    with db() as s:
        product = Product(id=new_id("prd"), shop_id=shop_id, market=market, currency=currency, title="Mug",
                          description="", status=status, min_price=min(prices), search_text="mug",
                          created_at=now, updated_at=now)
        s.add(product)
        s.flush()
        skus = [Sku(id=new_id("sku"), product_id=product.id, shop_id=shop_id, code=f"C{i}", price=price,
                    currency=currency, attributes={}, available=n, reserved=0, sold=0, created_at=now)
                for i, (n, price) in enumerate(zip(stock, prices, strict=True))]
        s.add_all(skus)
        return [sku.id for sku in skus]


@pytest.fixture
def live_markets(db):
    """US live (USD), ES planned (EUR)."""
    with db() as s:
        markets.create(s, code="US", name="United States", currency="USD", timezone="America/New_York",
                       status="live", actor=SYSTEM)
        markets.create(s, code="ES", name="Spain", currency="EUR", timezone="Europe/Madrid", actor=SYSTEM)


@pytest.fixture
def make_shop(db, make_user, live_markets):
    """make_shop(status="active", market="US") -> dict(id, headers, user_id, email) of a shop and its owner."""

    def _make(status: str = "active", market: str = "US") -> dict:
        email = f"seller-{uuid.uuid4().hex[:8]}@example.com"
        user_id, headers = make_user("seller", email=email)
        shop_id = write_shop(db, user_id=user_id, email=email, status=status, market=market)
        return {"id": shop_id, "headers": headers, "user_id": user_id, "email": email}

    return _make


@pytest.fixture
def counters(db):
    """counters(sku_ids) -> {sku_id: (available, reserved, sold)}, read fresh."""

    def _read(sku_ids: list[str]) -> dict[str, tuple[int, int, int]]:
        with db(write=False) as s:
            rows = s.execute(select(Sku.id, Sku.available, Sku.reserved, Sku.sold).where(Sku.id.in_(sku_ids)))
            return {r[0]: (r[1], r[2], r[3]) for r in rows}

    return _read
