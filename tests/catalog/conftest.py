"""Catalog fixtures: the shared live markets, shops and counters, and SKUs with a given stock."""

import pytest

from tests.support.commerce import write_product


@pytest.fixture
def make_skus(db):
    """make_skus(*available, status="live") -> SKU ids of one product (rows written directly, for stock tests)."""

    def _make(*available: int, status: str = "live", shop_id: str = "shp_stock") -> list[str]:
        return write_product(db, shop_id=shop_id, stock=list(available), status=status,
                             prices=[100 + i for i in range(len(available))])

    return _make
