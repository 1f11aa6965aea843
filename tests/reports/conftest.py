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
