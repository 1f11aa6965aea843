from datetime import UTC, datetime

import pytest

from marketcast.core import clock

FOLLOWERS = "creator.affiliate.min_followers"
GMV = "seller.cross_border.min_external_gmv"
BASE = "/api/v1/policies"
JUNE_10 = datetime(2024, 6, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def june():
    with clock.frozen(JUNE_10):
        yield


def body(**over):
    return {"market": "US", "value": 1000, "effective_from": "2024-07-01T00:00:00Z", "reason": "Lowered threshold",
            **over}


def test_registry_is_public(client):
    r = client.get(BASE)
    assert r.status_code == 200
    items = {i["key"]: i for i in r.json()["items"]}
    assert items[FOLLOWERS] == {"key": FOLLOWERS, "type": "int", "unit": "followers", "nullable": False,
                                "default": 5000, "min": 0, "max": None, "choices": None,
                                "meaning": items[FOLLOWERS]["meaning"]}
    assert items[GMV]["type"] == "money" and items[GMV]["nullable"] is True and items[GMV]["default"] is None


def test_schedule_then_read_before_and_after(client, operator, us_es):
    r = client.post(f"{BASE}/{FOLLOWERS}/versions", json=body(), headers=operator)
    assert r.status_code == 201, r.text
    version = r.json()
    assert version["id"].startswith("pol_") and version["status"] == "scheduled" and version["value"] == 1000
    now = client.get(f"{BASE}/{FOLLOWERS}", params={"market": "us"}).json()
    assert (now["value"], now["source"], now["next"]["version_id"]) == (5000, "default", version["id"])
    later = client.get(f"{BASE}/{FOLLOWERS}", params={"market": "US", "at": "2024-08-01"}).json()
    assert (later["value"], later["version_id"], later["source"]) == (1000, version["id"], "market")
    assert later["set_by"] == "operator" and later["reason"] == "Lowered threshold"  # no email for strangers
    assert later["explanation"].startswith("creator.affiliate.min_followers for US on 2024-08-01 is 1000 followers")


def test_money_none_through_the_api(client, operator, us_es):
    money = {"amount": 200_000_000, "currency": "USD"}
    assert client.post(f"{BASE}/{GMV}/versions", json=body(value=money), headers=operator).status_code == 201
    r = client.post(f"{BASE}/{GMV}/versions", json=body(value=None, effective_from="2025-01-01T00:00:00Z"),
                    headers=operator)
    assert r.status_code == 201 and r.json()["value"] is None
    assert client.get(f"{BASE}/{GMV}", params={"market": "US", "at": "2024-08-01"}).json()["value"] == money
    late = client.get(f"{BASE}/{GMV}", params={"market": "US", "at": "2025-02-01"}).json()
    assert late["value"] is None and late["source"] == "market"


@pytest.mark.parametrize("path, params, status, code, field", [
    (f"{BASE}/no.such.key", {}, 404, "policy_not_found", None),
    (f"{BASE}/{FOLLOWERS}", {"at": "yesterday"}, 422, "validation_error", "at"),
    (f"{BASE}/{FOLLOWERS}", {"market": "USA"}, 422, "validation_error", "market"),
    (f"{BASE}/{FOLLOWERS}", {"market": "FR"}, 404, "market_not_found", None),
    (f"{BASE}/in-force", {"at": "2024-13-01"}, 422, "validation_error", "at"),
    (f"{BASE}/in-force", {"at": "0001-01-01T00:00:00+05:00"}, 422, "validation_error", "at"),
    (f"{BASE}/no.such.key/versions", {}, 404, "policy_not_found", None),
    (f"{BASE}/no.such.key/explain", {}, 404, "policy_not_found", None),
])
def test_bad_reads(client, us_es, path, params, status, code, field):
    r = client.get(path, params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code and r.json().get("field") == field


@pytest.mark.parametrize("over, status, code, field", [
    ({"value": -1}, 422, "invalid_policy_value", "value"),
    ({"value": "1000"}, 422, "invalid_policy_value", "value"),
    ({"value": None}, 422, "invalid_policy_value", "value"),
    ({"effective_from": "2024-06-01T00:00:00Z"}, 422, "effective_from_in_past", "effective_from"),
    ({"effective_from": "soon"}, 422, "validation_error", "effective_from"),
    ({"effective_from": "0001-01-01T00:00:00+05:00"}, 422, "validation_error", "effective_from"),
    ({"market": "USA"}, 422, "validation_error", "market"),
    ({"market": "FR"}, 404, "market_not_found", None),
    ({"reason": ""}, 422, "validation_error", "reason"),
    ({"surprise": 1}, 422, "validation_error", "surprise"),
    ({"reason": "nul\x00byte"}, 422, "invalid_text", "reason"),  # core.text_guard, before the route
])
def test_bad_writes_name_the_field_and_change_nothing(client, operator, us_es, snapshot, over, status, code, field):
    r = client.post(f"{BASE}/{FOLLOWERS}/versions", json=body(**over), headers=operator)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code and r.json().get("field") == field
    assert snapshot() == ([], 0)


def test_money_in_the_wrong_currency_for_the_market(client, operator, us_es):
    r = client.post(f"{BASE}/{GMV}/versions", json=body(value={"amount": 5, "currency": "EUR"}), headers=operator)
    assert r.status_code == 422 and r.json()["field"] == "value"
    r = client.post(f"{BASE}/{GMV}/versions", json=body(market=None, value={"amount": 5, "currency": "EUR"}),
                    headers=operator)
    assert r.status_code == 201


def test_unknown_key_on_write_is_404(client, operator, us_es):
    r = client.post(f"{BASE}/no.such.key/versions", json=body(), headers=operator)
    assert r.status_code == 404 and r.json()["code"] == "policy_not_found"


def test_same_instant_twice_is_409(client, operator, us_es):
    assert client.post(f"{BASE}/{FOLLOWERS}/versions", json=body(), headers=operator).status_code == 201
    r = client.post(f"{BASE}/{FOLLOWERS}/versions", json=body(value=2000), headers=operator)
    assert r.status_code == 409 and r.json()["code"] == "policy_version_exists"


def test_who_may_schedule(client, make_user, us_es, snapshot):
    _, seller = make_user("seller")
    _, es_ops = make_user("operator", markets=["ES"])
    url = f"{BASE}/{FOLLOWERS}/versions"
    denied = [
        (None, body(), 401, "unauthenticated"),
        (seller, body(), 403, "wrong_role"),
        (es_ops, body(), 403, "market_out_of_scope"),
        (es_ops, body(market=None), 403, "market_out_of_scope"),
    ]
    for headers, payload, status, code in denied:
        r = client.post(url, json=payload, headers=headers or {})
        assert (r.status_code, r.json()["code"]) == (status, code)
    assert snapshot() == ([], 0)
    r = client.post(url, json=body(market="ES"), headers=es_ops)
    assert r.status_code == 201 and r.json()["market"] == "ES"


def test_who_may_withdraw(client, make_user, operator, us_es, snapshot):
    version_id = client.post(f"{BASE}/{FOLLOWERS}/versions", json=body(), headers=operator).json()["id"]
    _, seller = make_user("seller")
    _, es_ops = make_user("operator", markets=["ES"])
    _, us_ops = make_user("operator", markets=["US"], email="us-ops@example.com")
    url = f"{BASE}/versions/{version_id}/withdraw"
    before = snapshot()
    for headers, status, code in [(None, 401, "unauthenticated"), (seller, 403, "wrong_role"),
                                  (es_ops, 403, "market_out_of_scope")]:
        r = client.post(url, json={"reason": "no"}, headers=headers or {})
        assert (r.status_code, r.json()["code"]) == (status, code)
    assert snapshot() == before
    r = client.post(url, json={"reason": ""}, headers=us_ops)
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = client.post(url, json={"reason": "postponed"}, headers=us_ops)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["withdrawn_by"], r.json()["withdraw_reason"]) == (
        "withdrawn", "us-ops@example.com", "postponed")
    r = client.post(f"{BASE}/versions/pol_nope/withdraw", json={"reason": "x"}, headers=operator)
    assert (r.status_code, r.json()["code"]) == (404, "policy_version_not_found")
    r = client.post(f"{BASE}/versions/pol%00x/withdraw", json={"reason": "x"}, headers=operator)
    assert (r.status_code, r.json()["code"]) == (422, "invalid_text")


def test_withdrawing_an_effective_version_is_409_and_nothing_changes(client, operator, us_es, snapshot):
    version_id = client.post(f"{BASE}/{FOLLOWERS}/versions", json=body(), headers=operator).json()["id"]
    before = snapshot()
    with clock.frozen(datetime(2024, 7, 2, tzinfo=UTC)):
        r = client.post(f"{BASE}/versions/{version_id}/withdraw", json={"reason": "oops"}, headers=operator)
    assert r.status_code == 409 and r.json()["code"] == "policy_version_in_effect"
    assert snapshot() == before


def test_versions_explain_and_in_force(client, operator, us_es):
    g = client.post(f"{BASE}/{FOLLOWERS}/versions", json=body(market=None, value=3000,
                                                             effective_from="2024-06-15T00:00:00Z"),
                    headers=operator).json()["id"]
    us = client.post(f"{BASE}/{FOLLOWERS}/versions", json=body(), headers=operator).json()["id"]
    r = client.get(f"{BASE}/{FOLLOWERS}/versions", params={"market": "US", "at": "2024-06-20"})
    assert [(i["id"], i["status"]) for i in r.json()["items"]] == [(us, "scheduled")]
    r = client.get(f"{BASE}/{FOLLOWERS}/versions", params={"market": "US", "at": "2024-06-20", "include_global": True})
    assert [(i["id"], i["status"]) for i in r.json()["items"]] == [(g, "in_force"), (us, "scheduled")]
    r = client.get(f"{BASE}/{FOLLOWERS}/explain", params={"market": "US", "at": "2024-07-05"})
    assert r.status_code == 200
    out = r.json()
    assert out["resolved"]["version_id"] == us and f"before that 3000 ({g})" in out["explanation"]
    assert [(i["id"], i["status"]) for i in out["timeline"]] == [(g, "superseded"), (us, "in_force")]
    r = client.get(f"{BASE}/in-force", params={"market": "ES", "at": "2024-07-05"})
    items = {i["key"]: i for i in r.json()["items"]}
    assert items[FOLLOWERS]["value"] == 3000 and items[FOLLOWERS]["source"] == "global"
    assert items["live.bag.max_products"] == {**items["live.bag.max_products"], "value": 100, "source": "default"}
