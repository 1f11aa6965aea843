"""GET /api/v1/reports/gmv and /reports/gmv/trailing: shapes, validation, and who may read what."""

import pytest

from marketcast.core import clock

URL = "/api/v1/reports/gmv"
RANGE = {"from": "2024-07-01", "to": "2024-07-31"}


@pytest.fixture
def world(markets3, make_user, make_shop, sale, refund, at):
    """Seller ann has a US shop and an MX shop; bob has a US shop. Sales in July 2024."""
    ann_id, ann = make_user("seller")
    bob_id, bob = make_user("seller")
    shops = {"ann_us": make_shop(ann_id, "US"), "ann_mx": make_shop(ann_id, "MX"), "bob_us": make_shop(bob_id, "US")}
    sale("US", shops["ann_us"], 12_345, at(2024, 7, 1, 10), units=3)
    sale("US", shops["bob_us"], 1_000, at(2024, 7, 1, 11))
    sale("MX", shops["ann_mx"], 99_900, at(2024, 7, 2, 12), units=2)
    refund("US", shops["ann_us"], 345, at(2024, 7, 5, 9))
    return {"ann": ann, "bob": bob, "shops": shops}


def test_operator_reads_by_day_with_money_objects_and_only_the_key_in_use(client, operator, world):
    r = client.get(URL, params={**RANGE, "group_by": "day"}, headers=operator)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"], body["group_by"], body["next_page_token"]) == (
        "2024-07-01", "2024-07-31", "day", None)
    assert body["items"][0] == {
        "day": "2024-07-01", "currency": "USD", "gmv": {"amount": 13_345, "currency": "USD"},
        "refunds": {"amount": 0, "currency": "USD"}, "net_gmv": {"amount": 13_345, "currency": "USD"},
        "orders": 2, "units": 4, "units_refunded": 0}
    assert [(i["day"], i["currency"], i["net_gmv"]["amount"]) for i in body["items"]] == [
        ("2024-07-01", "USD", 13_345), ("2024-07-02", "MXN", 99_900), ("2024-07-05", "USD", -345)]


def test_group_by_shop_and_market(client, operator, world):
    shops = world["shops"]
    items = client.get(URL, params={**RANGE, "group_by": "shop"}, headers=operator).json()["items"]
    assert {i["shop_id"]: i["net_gmv"]["amount"] for i in items} == {
        shops["ann_us"]: 12_000, shops["ann_mx"]: 99_900, shops["bob_us"]: 1_000}
    assert all("day" not in i and "market" not in i for i in items)
    items = client.get(URL, params={**RANGE, "group_by": "market"}, headers=operator).json()["items"]
    assert [(i["market"], i["gmv"]["amount"], i["refunds"]["amount"]) for i in items] == [
        ("MX", 99_900, 0), ("US", 13_345, 345)]


def test_pages(client, operator, world):
    r = client.get(URL, params={**RANGE, "page_size": 2}, headers=operator).json()
    assert len(r["items"]) == 2 and r["next_page_token"]
    r2 = client.get(URL, params={**RANGE, "page_size": 2, "page_token": r["next_page_token"]}, headers=operator)
    assert [i["day"] for i in r2.json()["items"]] == ["2024-07-05"] and r2.json()["next_page_token"] is None


def test_default_range_is_the_30_days_ending_today(client, operator, world, at):
    with clock.frozen(at(2024, 7, 30, 12)):
        body = client.get(URL, headers=operator).json()
    assert (body["from"], body["to"]) == ("2024-07-01", "2024-07-30")
    assert len(body["items"]) == 3


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2024-01-01", "to": "2025-01-01"}, "to"),  # 367 days
    ({"from": "2024-07-02", "to": "2024-07-01"}, "to"),
    ({"from": "2024-13-01", "to": "2024-07-01"}, "from"),
    ({"group_by": "week"}, "group_by"),
    ({"market": "USA"}, "market"),
    ({"shop_id": "x" * 33}, "shop_id"),
    ({"page_size": 0}, "page_size"),
    ({"page_token": "!!"}, "page_token"),
])
def test_bad_queries_are_422_with_the_field(client, operator, params, field):
    r = client.get(URL, params=params, headers=operator)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field


def test_a_full_leap_year_is_allowed(client, operator):
    assert client.get(URL, params={"from": "2024-01-01", "to": "2024-12-31"}, headers=operator).status_code == 200


def test_unknown_market_is_404(client, operator, markets3):
    r = client.get(URL, params={"market": "ZZ"}, headers=operator)
    assert r.status_code == 404 and r.json()["code"] == "market_not_found"


# --- who may read what ---------------------------------------------------------------------------------------------

def test_anonymous_is_401(client, world):
    for url in (URL, URL + "/trailing?shop_id=" + world["shops"]["ann_us"]):
        r = client.get(url)
        assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("role", ["buyer", "creator"])
def test_buyers_and_creators_are_403(client, make_user, world, role):
    headers = make_user(role)[1]
    r = client.get(URL, params={**RANGE, "shop_id": world["shops"]["ann_us"]}, headers=headers)
    assert r.status_code == 403 and r.json()["code"] == "wrong_role"


def test_market_limited_operator_without_market_gets_only_theirs(client, make_user, world):
    mx_ops = make_user("operator", markets=["MX"])[1]
    items = client.get(URL, params={**RANGE, "group_by": "market"}, headers=mx_ops).json()["items"]
    assert [i["market"] for i in items] == ["MX"]
    items = client.get(URL, params={**RANGE, "group_by": "day"}, headers=mx_ops).json()["items"]
    assert [(i["day"], i["currency"]) for i in items] == [("2024-07-02", "MXN")]
    assert client.get(URL, params={**RANGE, "market": "mx"}, headers=mx_ops).status_code == 200


def test_market_limited_operator_asking_for_another_market_or_shop_is_403(client, make_user, world):
    mx_ops = make_user("operator", markets=["MX"])[1]
    r = client.get(URL, params={**RANGE, "market": "US"}, headers=mx_ops)
    assert r.status_code == 403 and r.json()["code"] == "market_out_of_scope"
    r = client.get(URL, params={**RANGE, "shop_id": world["shops"]["ann_us"]}, headers=mx_ops)
    assert r.status_code == 403 and r.json()["code"] == "market_out_of_scope"
    r = client.get(URL + "/trailing", params={"shop_id": world["shops"]["bob_us"]}, headers=mx_ops)
    assert r.status_code == 403 and r.json()["code"] == "market_out_of_scope"


def test_seller_reads_their_own_shop_only(client, world):
    ann, shops = world["ann"], world["shops"]
    r = client.get(URL, params={**RANGE, "shop_id": shops["ann_us"], "group_by": "shop"}, headers=ann)
    assert r.status_code == 200
    assert [(i["shop_id"], i["net_gmv"]["amount"]) for i in r.json()["items"]] == [(shops["ann_us"], 12_000)]
    r = client.get(URL, params={**RANGE, "shop_id": shops["bob_us"]}, headers=ann)
    assert r.status_code == 403 and r.json()["code"] == "not_owner"
    r = client.get(URL, params=RANGE, headers=ann)  # the whole marketplace is not a seller's to see
    assert r.status_code == 422 and r.json()["code"] == "shop_id_required"
    r = client.get(URL, params={**RANGE, "market": "US"}, headers=ann)
    assert r.status_code == 422 and r.json()["code"] == "shop_id_required"


def test_unknown_shop_is_404(client, operator, world):
    r = client.get(URL, params={"shop_id": "shp_nope"}, headers=operator)
    assert r.status_code == 404 and r.json()["code"] == "shop_not_found"


def test_trailing(client, operator, world, at):
    shops = world["shops"]
    with clock.frozen(at(2025, 6, 30, 12)):
        r = client.get(URL + "/trailing", params={"shop_id": shops["ann_us"]}, headers=world["ann"])
        assert r.status_code == 200, r.text
        assert r.json() == {"shop_id": shops["ann_us"], "days": 365,
                            "net_gmv": {"amount": 12_000, "currency": "USD"}}
        r = client.get(URL + "/trailing", params={"shop_id": shops["ann_us"], "days": 361}, headers=operator)
        assert r.json()["net_gmv"] == {"amount": -345, "currency": "USD"}  # 2024-07-05 .. 2025-06-30
    r = client.get(URL + "/trailing", params={"shop_id": shops["ann_mx"], "at": "2024-07-01T23:00:00Z"},
                   headers=world["ann"])
    assert r.json()["net_gmv"] == {"amount": 0, "currency": "MXN"}  # nothing yet: the market's currency
    r = client.get(URL + "/trailing", params={"shop_id": shops["bob_us"]}, headers=world["ann"])
    assert r.status_code == 403 and r.json()["code"] == "not_owner"


def test_trailing_of_a_shop_that_never_sold_is_zero_in_its_markets_currency(client, operator, markets3, make_user,
                                                                             make_shop):
    shop_id = make_shop(make_user("seller")[0], "MX")
    r = client.get(URL + "/trailing", params={"shop_id": shop_id}, headers=operator)
    assert r.json()["net_gmv"] == {"amount": 0, "currency": "MXN"}


@pytest.mark.parametrize(("params", "field"), [
    ({"days": 0}, "days"), ({"days": 367}, "days"), ({"at": "yesterday"}, "at"),
    ({"at": "0001-01-01T00:00:00+05:00"}, "at"),
])
def test_trailing_bad_queries_are_422(client, operator, world, params, field):
    r = client.get(URL + "/trailing", params={"shop_id": world["shops"]["ann_us"], **params}, headers=operator)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field


def test_trailing_needs_a_shop_id(client, operator):
    r = client.get(URL + "/trailing", headers=operator)
    assert r.status_code == 422 and r.json()["field"] == "shop_id"
