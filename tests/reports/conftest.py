import pytest

from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.markets import service as markets
from marketcast.reports import service


@pytest.fixture
def markets3():
    """Live markets US (USD), MX (MXN) and PR (USD: two markets sharing a currency)."""
    with unit_of_work() as session:
        for code, currency in (("US", "USD"), ("MX", "MXN"), ("PR", "USD")):
            markets.create(session, code=code, name=code, currency=currency, timezone="UTC", status="live",
                           actor=SYSTEM)


@pytest.fixture
def sale():
    """sale(market, shop, amount, at, units=1, currency=None): one committed record_sale."""
    currencies = {"US": "USD", "MX": "MXN", "PR": "USD"}

    def _sale(market, shop_id, amount, at, units=1, currency=None, orders=1):
        with unit_of_work() as session:
            service.record_sale(session, market=market, shop_id=shop_id, currency=currency or currencies[market],
                                amount=amount, units=units, orders=orders, at=at)

    return _sale


@pytest.fixture
def refund():
    currencies = {"US": "USD", "MX": "MXN", "PR": "USD"}

    def _refund(market, shop_id, amount, at, units=1):
        with unit_of_work() as session:
            service.record_refund(session, market=market, shop_id=shop_id, currency=currencies[market],
                                  amount=amount, units=units, at=at)

    return _refund


@pytest.fixture
def make_shop():
    """make_shop(owner_user_id, market) -> shop id: a seller profile (if needed) and an active shop, written
    directly: how shops come to be is the sellers package's business, not what these tests are about."""
    from sqlalchemy import select

    from marketcast.core import clock
    from marketcast.core.ids import new_id
    from marketcast.sellers.models import Seller, Shop

    def _make(owner_user_id: str, market: str) -> str:
        now = clock.now()
        with unit_of_work() as session:
            seller = session.scalar(select(Seller).where(Seller.owner_user_id == owner_user_id))
            if seller is None:
                seller = Seller(id=new_id("sel"), owner_user_id=owner_user_id, legal_name="Acme", country="US",
                                entity_type="company", tax_id="12-3456789", beneficial_owners=[],
                                contact_email=f"{owner_user_id}@example.com", contact_phone="+15550000000",
                                created_at=now)
                session.add(seller)
                session.flush()
            shop = Shop(id=new_id("shp"), seller_id=seller.id, owner_user_id=owner_user_id, market=market,
                        shop_type="local", mode="pop", status="active", name=f"Acme {market}",
                        contact_email=f"{owner_user_id}-{market}@example.com", contact_phone="+15550000001",
                        paid_orders=0, created_at=now)
            session.add(shop)
            return shop.id

    return _make
