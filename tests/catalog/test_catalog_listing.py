"""The public listing: filters, pagination, and how many SQL statements a read costs."""

import pytest
from sqlalchemy import event

from marketcast.core.db import get_engine

API = "/api/v1"


class Statements:
    """SQL statements sent on the engine while active, transaction control left out (SQLite sends BEGIN itself)."""

    def __init__(self):
        self.sql: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            self.sql.append(" ".join(statement.split()))

    def __enter__(self):
        event.listen(get_engine(), "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(get_engine(), "before_cursor_execute", self._record)


def make(client, shop, title, amount, *, description="", publish=True, currency="USD"):
    r = client.post(f"{API}/shops/{shop['id']}/products", headers=shop["headers"], json={
        "title": title, "description": description,
        "skus": [{"code": "A", "price": {"amount": amount, "currency": currency}, "stock": 5},
                 {"code": "B", "price": {"amount": amount + 500, "currency": currency}, "stock": 5}]})
    assert r.status_code == 201, r.text
    product_id = r.json()["id"]
    if publish:
        assert client.post(f"{API}/products/{product_id}/publish", headers=shop["headers"]).status_code == 200
    return product_id


@pytest.fixture
def catalog(client, make_shop):
    """Two US shops with live products and one draft."""
    first, second = make_shop("active", "US"), make_shop("probation", "US")
    ids = {
        "shirt": make(client, first, "Linen Shirt", 2500, description="Breathable, for summer"),
        "hat": make(client, first, "Straw Hat", 1500, description="100% straw_woven"),
        "mug": make(client, second, "Coffee Mug", 900, description="Ceramic; holds a SHIRT? no"),
        "lamp": make(client, second, "Desk Lamp", 4000),
        "draft": make(client, first, "Secret Shirt", 100, publish=False),
    }
    return {"first": first, "second": second, **ids}


def titles(client, **params) -> list[str]:
    r = client.get(f"{API}/products", params=params)
    assert r.status_code == 200, r.text
    return [p["title"] for p in r.json()["items"]]


def test_only_live_products_in_id_order(client, catalog):
    r = client.get(f"{API}/products").json()
    assert [p["id"] for p in r["items"]] == [catalog[k] for k in ("shirt", "hat", "mug", "lamp")]
    assert r["next_page_token"] is None
    assert r["items"][0]["min_price"] == {"amount": 2500, "currency": "USD"}


def test_filters(client, catalog):
    assert titles(client, shop_id=catalog["second"]["id"]) == ["Coffee Mug", "Desk Lamp"]
    assert titles(client, market="us", q="SHIRT") == ["Linen Shirt", "Coffee Mug"]  # title or description
    assert titles(client, market="ES") == []
    assert titles(client, min_price=1500, max_price=2500) == ["Linen Shirt", "Straw Hat"]
    assert titles(client, max_price=899) == []
    assert titles(client, shop_id="shp_unknown") == [] and titles(client, shop_id="no such id") == []


def test_search_wildcards_are_literal(client, catalog):
    assert titles(client, q="100%") == ["Straw Hat"]
    assert titles(client, q="%") == ["Straw Hat"]
    assert titles(client, q="r_w") == []  # as a wildcard it would match "straw"
    assert titles(client, q="straw_w") == ["Straw Hat"]


def test_pages(client, catalog):
    seen, token = [], None
    while True:
        params = {"page_size": 3} | ({"page_token": token} if token else {})
        page = client.get(f"{API}/products", params=params).json()
        seen += [p["title"] for p in page["items"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == ["Linen Shirt", "Straw Hat", "Coffee Mug", "Desk Lamp"]


@pytest.mark.parametrize("params", [{"min_price": 10, "max_price": 9}, {"min_price": -1}, {"page_size": 0},
                                    {"page_size": 201}, {"market": "USA"}, {"q": "x" * 101}, {"q": "a\x00b"},
                                    {"page_token": "garbage"}, {"min_price": 10**13}])
def test_bad_listing_queries_are_422(client, catalog, params):
    r = client.get(f"{API}/products", params=params)
    assert r.status_code == 422, r.text


def test_listing_costs_one_statement_signed_in_or_not(client, catalog):
    params = {"market": "US", "q": "shirt", "min_price": 100, "max_price": 10_000, "page_size": 10}
    with Statements() as anonymous:
        assert client.get(f"{API}/products", params=params).status_code == 200
    assert len(anonymous.sql) == 1, anonymous.sql
    assert anonymous.sql[0].upper().startswith("SELECT") and "FROM PRODUCTS" in anonymous.sql[0].upper()
    with Statements() as signed_in:
        assert client.get(f"{API}/products", params=params, headers=catalog["first"]["headers"]).status_code == 200
    # The listing is the same for everyone, so it does not even look the token up.
    assert signed_in.sql == anonymous.sql


def test_a_sku_costs_one_statement_plus_the_token_lookup(client, catalog):
    sku_id = client.get(f"{API}/products/{catalog['shirt']}").json()["skus"][0]["id"]
    with Statements() as anonymous:
        assert client.get(f"{API}/skus/{sku_id}").status_code == 200
    assert len(anonymous.sql) == 1, anonymous.sql
    with Statements() as signed_in:
        assert client.get(f"{API}/skus/{sku_id}", headers=catalog["first"]["headers"]).status_code == 200
    # A seller costs one more: whether the shop is theirs (then they see reserved and sold).
    assert len(signed_in.sql) == 3, signed_in.sql
    assert "API_TOKENS" in signed_in.sql[0].upper() and signed_in.sql[1] == anonymous.sql[0]


def test_a_product_page_costs_two_statements(client, catalog):
    with Statements() as anonymous:
        assert client.get(f"{API}/products/{catalog['shirt']}").status_code == 200
    assert len(anonymous.sql) == 2, anonymous.sql  # the product, then its SKUs
