"""What a stranger may read: a live SKU's price and availability, but not its reserved and sold units (they tell
a shop's sales); who changed a market or a policy, but not the operator's email. (Found in an attack: both were
shown to anonymous readers.)"""

from tests.support.commerce import write_product


def test_a_stranger_sees_no_reserved_or_sold_units(client, db, make_shop, make_user):
    shop = make_shop()
    sku = write_product(db, shop_id=shop["id"], stock=[5])[0]
    for headers in ({}, make_user("buyer")[1]):
        body = client.get(f"/api/v1/skus/{sku}", headers=headers).json()
        assert body["available"] == 5 and body["reserved"] is None and body["sold"] is None
    owner = client.get(f"/api/v1/skus/{sku}", headers=shop["headers"]).json()
    assert (owner["reserved"], owner["sold"]) == (0, 0)


def test_strangers_see_operator_not_the_operators_email(client, db, make_user):
    _, ops = make_user("operator", email="alice.ops@example.com")
    r = client.post("/api/v1/markets", headers=ops, json={"code": "PT", "name": "Portugal", "currency": "EUR",
                                                           "timezone": "Europe/Lisbon"})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/policies/live.bag.max_products/versions", headers=ops,
                    json={"market": "PT", "value": 60, "effective_from": "2031-01-01T00:00:00Z", "reason": "smaller"})
    assert r.status_code == 201, r.text
    reads = ["/api/v1/markets/PT/history", "/api/v1/policies/live.bag.max_products/versions?market=PT",
             "/api/v1/policies/live.bag.max_products/explain?market=PT&at=2031-06-01T00:00:00Z"]
    buyer = make_user("buyer")[1]
    for path in reads:
        for headers in ({}, buyer):
            text = client.get(path, headers=headers).text
            assert "alice.ops@example.com" not in text and '"operator"' in text, (path, text[:300])
        assert "alice.ops@example.com" in client.get(path, headers=ops).text
