"""Editing a product (PATCH /products/{id}): the create checks, SKUs added never removed, the listing follows;
an operator's delisting needs a reason that the event carries."""

import pytest

from tests.catalog.test_catalog_api import API, create, events, live_product, sku


@pytest.fixture
def shop(make_shop):
    return make_shop("active", "US")


def test_owner_edits_title_prices_and_adds_skus(client, db, shop):
    product = live_product(client, shop)
    first, second = product["skus"]
    r = client.patch(f"{API}/products/{product['id']}", headers=shop["headers"], json={
        "title": "Linen shirt, washed", "prices": [{"sku_id": first["id"], "amount": 900}],
        "new_skus": [sku("SHIRT-XL", 2700, stock=4)]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["title"] == "Linen shirt, washed" and out["min_price"] == {"amount": 900, "currency": "USD"}
    assert {s["code"]: s["price"]["amount"] for s in out["skus"]} == {
        first["code"]: 900, second["code"]: second["price"]["amount"], "SHIRT-XL": 2700}
    assert client.get(f"{API}/products", params={"q": "washed"}).json()["items"][0]["id"] == product["id"]
    assert [e["title"] for e in events(db, "product.updated")] == ["Linen shirt, washed"]


def test_bad_edits_are_422_with_the_field_and_change_nothing(client, db, shop, make_shop):
    product = create(client, shop)
    url = f"{API}/products/{product['id']}"
    for payload, field, code in (
            ({"new_skus": [sku(product["skus"][0]["code"])]}, "skus.0.code", "duplicate_sku_code"),
            ({"new_skus": [sku("NEW", currency="EUR")]}, "skus.0.price.currency", "wrong_currency"),
            ({"prices": [{"sku_id": "sku_01nosuchsku0000000000000", "amount": 5}]}, "prices.0", "unknown_sku"),
            ({"title": "  "}, "title", None)):
        r = client.patch(url, headers=shop["headers"], json=payload)
        assert r.status_code == 422 and r.json()["field"] == field, (payload, r.text)
        if code:
            assert r.json()["code"] == code
    assert client.patch(url, headers=make_shop()["headers"], json={"title": "mine"}).status_code == 403
    assert client.get(url, headers=shop["headers"]).json() == product
    assert events(db, "product.updated") == []


def test_an_operator_delists_with_a_reason(client, db, shop, operator):
    product = live_product(client, shop)
    url = f"{API}/products/{product['id']}/delist"
    r = client.post(url, headers=operator)
    assert (r.status_code, r.json()["code"]) == (422, "reason_required")
    r = client.post(url, headers=operator, json={"reason": "counterfeit listing"})
    assert r.status_code == 200 and r.json()["status"] == "delisted"
    assert [(e["reason"], e["by"]) for e in events(db, "product.delisted")] == [("counterfeit listing", "operator")]
