"""Numbers are JSON integers and dates "YYYY-MM-DD" strings, nothing that merely converts to them; currencies are
ISO 4217. (Found in an attack: JSON `true` counted as quantity 1, "123" was taken for an integer, 0 for a date
of birth, and a market could be made with currency QQQ.)"""

import pytest
from pydantic import ValidationError

from marketcast.creators.schemas import CreatorIn
from marketcast.orders.schemas import CheckoutLineIn
from marketcast.sellers.schemas import OwnerIn
from tests.support.commerce import write_product


@pytest.mark.parametrize("value", [True, "3", 3.0, "three"])
def test_stock_must_be_a_json_integer(client, db, make_shop, value):
    shop = make_shop()
    sku = write_product(db, shop_id=shop["id"], stock=[5])[0]
    r = client.patch(f"/api/v1/skus/{sku}", json={"available": value}, headers=shop["headers"])
    assert r.status_code == 422 and r.json()["field"] == "available", r.text
    assert client.patch(f"/api/v1/skus/{sku}", json={"available": 3}, headers=shop["headers"]).status_code == 200


@pytest.mark.parametrize("value", [True, "1"])
def test_a_quantity_is_an_integer(value):
    with pytest.raises(ValidationError):
        CheckoutLineIn.model_validate({"sku_id": "sku_0123456789", "quantity": value})
    assert CheckoutLineIn.model_validate({"sku_id": "sku_0123456789", "quantity": 1}).quantity == 1


@pytest.mark.parametrize("value", [0, 19900101, True, "01/02/1990"])
def test_a_date_of_birth_is_an_iso_date_string(value):
    with pytest.raises(ValidationError):
        CreatorIn.model_validate({"market": "US", "handle": "maya.makes", "date_of_birth": value})
    with pytest.raises(ValidationError):
        OwnerIn.model_validate({"name": "Ann", "date_of_birth": value, "ownership_bp": 10000})
    assert str(OwnerIn.model_validate({"name": "Ann", "date_of_birth": "1990-01-02",
                                       "ownership_bp": 10000}).date_of_birth) == "1990-01-02"


def test_a_market_currency_is_iso_4217(client, operator):
    body = {"code": "PT", "name": "Portugal", "timezone": "Europe/Lisbon"}
    r = client.post("/api/v1/markets", json=body | {"currency": "QQQ"}, headers=operator)
    assert r.status_code == 422 and r.json()["field"] == "currency", r.text
    assert client.post("/api/v1/markets", json=body | {"currency": "eur"}, headers=operator).json()["currency"] == "EUR"
