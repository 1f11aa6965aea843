"""Products over HTTP: creation, publishing, delisting, visibility, stock, and who may do each."""

import pytest
from sqlalchemy import func, select

from marketcast.catalog.models import Product, Sku
from marketcast.core.outbox import OutboxEvent

API = "/api/v1"


def body(*skus, title="Linen Shirt", description="Breathable summer shirt") -> dict:
    skus = skus or ({"code": "SHIRT-M", "price": {"amount": 2500, "currency": "USD"}, "stock": 10,
                     "attributes": {"size": "M"}},
                    {"code": "SHIRT-L", "price": {"amount": 1999, "currency": "USD"}, "stock": 3,
                     "attributes": {"size": "L"}})
    return {"title": title, "description": description, "skus": list(skus)}


def sku(code="X", amount=1000, currency="USD", stock=1) -> dict:
    return {"code": code, "price": {"amount": amount, "currency": currency}, "stock": stock}


def create(client, shop, payload=None, headers=None):
    r = client.post(f"{API}/shops/{shop['id']}/products", json=payload or body(), headers=headers or shop["headers"])
    assert r.status_code == 201, r.text
    return r.json()


def live_product(client, shop, payload=None):
    product = create(client, shop, payload)
    r = client.post(f"{API}/products/{product['id']}/publish", headers=shop["headers"])
    assert r.status_code == 200, r.text
    return r.json()


def events(db, type_: str) -> list[dict]:
    with db(write=False) as s:
        return [e.data for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type == type_)
                                          .order_by(OutboxEvent.id))]


def state(db) -> tuple:
    """Everything a denied write must leave untouched."""
    with db(write=False) as s:
        products = sorted((p.id, p.status) for p in s.scalars(select(Product)))
        skus = sorted((k.id, k.available, k.reserved, k.sold) for k in s.scalars(select(Sku)))
        return products, skus, s.scalar(select(func.count()).select_from(OutboxEvent))


@pytest.fixture
def shop(make_shop):
    return make_shop("active", "US")


@pytest.fixture
def strangers(make_user, make_shop):
    """Callers who may not write to `shop`, with the status and code each must get."""
    other_seller = make_shop("active", "US")
    return [
        ("anonymous", {}, 401, "unauthenticated"),
        ("buyer", make_user("buyer")[1], 403, "not_owner"),
        ("other seller", other_seller["headers"], 403, "not_owner"),
        ("operator of ES only", make_user("operator", markets=["ES"])[1], 403, "market_out_of_scope"),
    ]


# --- create -----------------------------------------------------------------------------------------------

def test_owner_creates_a_draft_with_skus_in_the_market_currency(client, shop):
    product = create(client, shop)
    assert product["status"] == "draft" and product["market"] == "US" and product["shop_id"] == shop["id"]
    assert product["min_price"] == {"amount": 1999, "currency": "USD"}
    assert product["published_at"] is None
    by_code = {s["code"]: s for s in product["skus"]}
    assert set(by_code) == {"SHIRT-M", "SHIRT-L"}
    assert all(s["id"].startswith("sku_") for s in product["skus"])
    assert by_code["SHIRT-M"]["available"] == 10 and by_code["SHIRT-M"]["attributes"] == {"size": "M"}
    got = client.get(f"{API}/products/{product['id']}", headers=shop["headers"]).json()
    assert got == product


def test_who_may_create_a_product(client, db, shop, strangers, make_user):
    before = state(db)
    for who, headers, status, code in strangers:
        r = client.post(f"{API}/shops/{shop['id']}/products", json=body(), headers=headers)
        assert (r.status_code, r.json()["code"]) == (status, code), who
    assert state(db) == before
    us_operator = make_user("operator", markets=["US"])[1]
    created = create(client, shop, headers=us_operator)
    assert created["shop_id"] == shop["id"]


@pytest.mark.parametrize(("payload", "field"), [
    (body(sku(currency="EUR")), "skus.0.price.currency"),
    (body(sku("A"), sku("B", currency="EUR")), "skus.1.price.currency"),
    (body(sku("A"), sku("A")), "skus.1.code"),
    ({"title": "x", "skus": []}, "skus"),
    (body(*[sku(f"C{i}") for i in range(51)]), "skus"),
    (body(sku(amount=0)), "skus.0.price.amount"),
    (body(sku(stock=-1)), "skus.0.stock"),
    (body(sku(currency="usd")), "skus.0.price.currency"),
    (body(title="   "), "title"),
    (body(title="nul\x00byte"), "title"),
    ({**body(), "extra": 1}, "extra"),
])
def test_bad_products_are_422_with_the_field(client, db, shop, payload, field):
    r = client.post(f"{API}/shops/{shop['id']}/products", json=payload, headers=shop["headers"])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
    assert state(db)[0] == []


def test_unknown_shop_is_404(client, operator):
    r = client.post(f"{API}/shops/shp_doesnotexist/products", json=body(), headers=operator)
    assert (r.status_code, r.json()["code"]) == (404, "shop_not_found")
    r = client.post(f"{API}/shops/not%20an%20id%00/products", json=body(), headers=operator)
    assert (r.status_code, r.json()["code"]) == (422, "invalid_text")  # core.text_guard, before the route


def test_closed_shop_cannot_add_products(client, make_shop):
    closed = make_shop("closed")
    r = client.post(f"{API}/shops/{closed['id']}/products", json=body(), headers=closed["headers"])
    assert (r.status_code, r.json()["code"]) == (409, "shop_closed")


# --- publish and delist -----------------------------------------------------------------------------------

def test_publish_makes_it_public_once(client, db, shop):
    product = create(client, shop)
    assert client.get(f"{API}/products/{product['id']}").status_code == 404
    r = client.post(f"{API}/products/{product['id']}/publish", headers=shop["headers"])
    assert r.status_code == 200 and r.json()["status"] == "live" and r.json()["published_at"]
    assert client.get(f"{API}/products/{product['id']}").json()["status"] == "live"
    again = client.post(f"{API}/products/{product['id']}/publish", headers=shop["headers"])
    assert again.status_code == 200 and again.json()["published_at"] == r.json()["published_at"]
    published = events(db, "product.published")
    assert [(e["product_id"], e["shop_id"], e["market"]) for e in published] == [(product["id"], shop["id"], "US")]


def test_who_may_publish(client, db, shop, strangers):
    product = create(client, shop)
    before = state(db)
    for who, headers, status, code in strangers:
        r = client.post(f"{API}/products/{product['id']}/publish", headers=headers)
        assert (r.status_code, r.json()["code"]) == (status, code), who
    assert state(db) == before


@pytest.mark.parametrize(("status", "market", "code"), [
    ("applying", "US", "shop_cannot_sell"),
    ("suspended", "US", "shop_cannot_sell"),
    ("active", "ES", "market_not_live"),
])
def test_only_shops_that_may_sell_publish(client, db, make_shop, status, market, code):
    blocked = make_shop(status, market)
    currency = "EUR" if market == "ES" else "USD"
    product = create(client, blocked, body(sku(currency=currency)))
    before = state(db)
    r = client.post(f"{API}/products/{product['id']}/publish", headers=blocked["headers"])
    assert (r.status_code, r.json()["code"]) == (409, code)
    assert state(db) == before


def test_a_shop_on_probation_publishes(client, make_shop):
    on_probation = make_shop("probation")
    assert live_product(client, on_probation)["status"] == "live"


def test_delist_takes_it_off_sale(client, db, shop, strangers):
    product = live_product(client, shop)
    before = state(db)
    for who, headers, status, code in strangers:
        r = client.post(f"{API}/products/{product['id']}/delist", headers=headers)
        assert (r.status_code, r.json()["code"]) == (status, code), who
    assert state(db) == before
    r = client.post(f"{API}/products/{product['id']}/delist", headers=shop["headers"])
    assert r.status_code == 200 and r.json()["status"] == "delisted"
    assert client.get(f"{API}/products/{product['id']}").status_code == 404
    assert client.get(f"{API}/products").json()["items"] == []
    assert [e["product_id"] for e in events(db, "product.delisted")] == [product["id"]]
    # Publishing again brings it back.
    assert client.post(f"{API}/products/{product['id']}/publish", headers=shop["headers"]).json()["status"] == "live"


def test_a_draft_cannot_be_delisted(client, db, shop):
    product = create(client, shop)
    r = client.post(f"{API}/products/{product['id']}/delist", headers=shop["headers"])
    assert (r.status_code, r.json()["code"]) == (409, "product_not_live")
    assert events(db, "product.delisted") == []


def test_drafts_are_seen_only_by_their_owner_and_operators(client, shop, make_shop, make_user, operator):
    product = create(client, shop)
    url = f"{API}/products/{product['id']}"
    assert client.get(url, headers=shop["headers"]).status_code == 200
    assert client.get(url, headers=operator).status_code == 200
    for headers in ({}, make_shop()["headers"], make_user("buyer")[1], make_user("operator", markets=["ES"])[1]):
        r = client.get(url, headers=headers)
        assert (r.status_code, r.json()["code"]) == (404, "product_not_found")
    assert client.get(f"{API}/products/prd_nope").status_code == 404


# --- stock ------------------------------------------------------------------------------------------------

def test_owner_sets_available_and_everyone_hears(client, db, shop, strangers):
    product = live_product(client, shop)
    sku_id = product["skus"][0]["id"]
    before = state(db)
    for who, headers, status, code in strangers:
        r = client.patch(f"{API}/skus/{sku_id}", json={"available": 99}, headers=headers)
        assert (r.status_code, r.json()["code"]) == (status, code), who
    assert state(db) == before
    r = client.patch(f"{API}/skus/{sku_id}", json={"available": 42}, headers=shop["headers"])
    assert r.status_code == 200, r.text
    assert r.json() == {"id": sku_id, "product_id": product["id"], "code": product["skus"][0]["code"],
                        "price": product["skus"][0]["price"], "available": 42, "reserved": 0, "sold": 0}
    assert client.get(f"{API}/skus/{sku_id}").json()["available"] == 42
    changed = events(db, "inventory.changed")
    assert [(e["sku_id"], e["available"]) for e in changed] == [(sku_id, 42)]


@pytest.mark.parametrize("payload", [{"available": -1}, {"available": 10**9 + 1}, {"available": "many"}, {},
                                     {"available": 1, "reserved": 0}])
def test_bad_stock_is_422(client, db, shop, payload):
    sku_id = create(client, shop)["skus"][0]["id"]
    before = state(db)
    r = client.patch(f"{API}/skus/{sku_id}", json=payload, headers=shop["headers"])
    assert r.status_code == 422
    assert state(db) == before


def test_skus_of_unlisted_products_are_private(client, shop, operator):
    sku_id = create(client, shop)["skus"][0]["id"]
    assert client.get(f"{API}/skus/{sku_id}").status_code == 404
    assert client.get(f"{API}/skus/{sku_id}", headers=shop["headers"]).json()["available"] in (10, 3)
    assert client.get(f"{API}/skus/{sku_id}", headers=operator).status_code == 200
    r = client.patch(f"{API}/skus/sku_nope", json={"available": 1}, headers=shop["headers"])
    assert (r.status_code, r.json()["code"]) == (404, "sku_not_found")
