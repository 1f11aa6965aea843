"""The webhooks and events API: validation, secrets, lists and who may do what."""

import base64

import pytest
from sqlalchemy import func, select

from marketcast.core.db import unit_of_work
from marketcast.webhooks import jobs
from marketcast.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.support.webhooks import delivery_of, emit, subscribe, subscription

URL = "https://hooks.example.com/marketcast"


def _count(model) -> int:
    with unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_create_shows_the_secret_once(client, operator):
    r = client.post("/api/v1/webhooks", json={"url": URL, "event_types": ["market.*", "policy.scheduled"],
                                              "description": "ops"}, headers=operator)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"].startswith("whk_") and body["status"] == "active" and body["url"] == URL
    assert body["event_types"] == ["market.*", "policy.scheduled"] and body["created_at"]
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"][len("whsec_"):])) >= 24

    got = client.get(f"/api/v1/webhooks/{body['id']}", headers=operator)
    assert got.status_code == 200 and "secret" not in got.json()
    listed = client.get("/api/v1/webhooks", headers=operator).json()
    assert [s["id"] for s in listed["items"]] == [body["id"]] and "secret" not in listed["items"][0]


@pytest.mark.parametrize("url", ["ftp://example.com/x", "not a url", "http://", "https:///path", "javascript:alert(1)",
                                 "https://exa mple.com/"])
def test_bad_urls_are_422_on_url(client, operator, url):
    r = client.post("/api/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=operator)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "url"
    assert _count(WebhookSubscription) == 0


@pytest.mark.parametrize("event_types", [[], ["Market Paused"], ["market.**"], ["*.paused"], ["market."]])
def test_bad_event_types_are_422(client, operator, event_types):
    r = client.post("/api/v1/webhooks", json={"url": URL, "event_types": event_types}, headers=operator)
    assert r.status_code == 422, r.text
    assert r.json()["field"].startswith("event_types")


def test_unknown_fields_are_422(client, operator):
    r = client.post("/api/v1/webhooks", json={"url": URL, "event_types": ["*"], "secret": "mine"}, headers=operator)
    assert r.status_code == 422 and r.json()["field"] == "secret"


def test_update_and_delete(client, operator):
    sub_id, _ = subscribe(URL, ["*"])
    r = client.patch(f"/api/v1/webhooks/{sub_id}", json={"status": "disabled"}, headers=operator)
    assert r.status_code == 200 and r.json()["status"] == "disabled" and r.json()["disabled_reason"]
    r = client.patch(f"/api/v1/webhooks/{sub_id}", json={"status": "active", "event_types": ["market.status_changed"]},
                     headers=operator)
    assert r.status_code == 200
    assert r.json()["status"] == "active" and r.json()["disabled_reason"] is None
    assert r.json()["event_types"] == ["market.status_changed"]
    assert client.patch(f"/api/v1/webhooks/{sub_id}", json={"status": "gone"}, headers=operator).status_code == 422

    emit("market.status_changed")
    jobs.fan_out()
    assert _count(WebhookDelivery) == 1
    assert client.delete(f"/api/v1/webhooks/{sub_id}", headers=operator).status_code == 204
    assert client.get(f"/api/v1/webhooks/{sub_id}", headers=operator).status_code == 404
    assert _count(WebhookDelivery) == 0
    r = client.delete(f"/api/v1/webhooks/{sub_id}", headers=operator)
    assert r.status_code == 404 and r.json()["code"] == "webhook_not_found"


def test_deliveries_list_filter_and_pages(client, operator):
    sub_id, _ = subscribe("http://127.0.0.1:9/never", ["*"])
    ids = [emit("market.status_changed") for i in range(3)]
    jobs.fan_out()
    r = client.get(f"/api/v1/webhooks/{sub_id}/deliveries", params={"page_size": 2}, headers=operator)
    assert r.status_code == 200
    page = r.json()
    assert len(page["items"]) == 2 and page["next_page_token"]
    assert page["items"][0]["status"] == "pending" and page["items"][0]["attempts"] == 0
    rest = client.get(f"/api/v1/webhooks/{sub_id}/deliveries",
                      params={"page_size": 2, "page_token": page["next_page_token"]}, headers=operator).json()
    assert len(rest["items"]) == 1 and rest["next_page_token"] is None
    assert sorted(d["event_id"] for d in page["items"] + rest["items"]) == sorted(ids)
    r = client.get(f"/api/v1/webhooks/{sub_id}/deliveries", params={"status": "delivered"}, headers=operator)
    assert r.json()["items"] == []
    assert client.get(f"/api/v1/webhooks/{sub_id}/deliveries", params={"status": "nope"},
                      headers=operator).status_code == 422
    assert client.get("/api/v1/webhooks/whk_nope/deliveries", headers=operator).status_code == 404
    assert client.get("/api/v1/webhooks/deliveries/whd_nope", headers=operator).status_code == 404


def test_events_list(client, operator):
    a = emit("market.status_changed", market="US", from_status="paused")
    b = emit("policy.scheduled", market="US")
    c = emit("market.launch_rescheduled", market="ES")
    r = client.get("/api/v1/events", headers=operator)
    assert r.status_code == 200
    assert [e["id"] for e in r.json()["items"]] == sorted([a, b, c])  # in id order
    assert r.json()["items"][0]["dispatched"] is False and r.json()["items"][0]["data"]["from"] == "paused"
    assert [e["id"] for e in client.get("/api/v1/events", params={"type": "market.*"},
                                        headers=operator).json()["items"]] == sorted([a, c])
    assert [e["id"] for e in client.get("/api/v1/events", params={"type": "policy.scheduled"},
                                        headers=operator).json()["items"]] == [b]
    assert [e["id"] for e in client.get("/api/v1/events", params={"market": "es"},
                                        headers=operator).json()["items"]] == [c]
    page = client.get("/api/v1/events", params={"page_size": 1}, headers=operator).json()
    assert len(page["items"]) == 1 and page["next_page_token"]
    bad = client.get("/api/v1/events", params={"page_token": "garbage!"}, headers=operator)
    assert bad.status_code == 422 and bad.json()["field"] == "page_token"


def test_reads_are_for_operators_only_including_market_limited_ones(client, make_user):
    sub_id, _ = subscribe(URL, ["*"])
    _, seller = make_user("seller")
    _, limited = make_user("operator", markets=["US"])
    for path in ("/api/v1/webhooks", f"/api/v1/webhooks/{sub_id}", f"/api/v1/webhooks/{sub_id}/deliveries",
                 "/api/v1/events"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=seller).status_code == 403
        assert client.get(path, headers=limited).status_code == 200


# ---- permission matrix on the writes ---------------------------------------------------------


@pytest.fixture
def world(receiver, make_user):
    """A subscription with one delivered delivery, and one user of each kind that matters."""
    sub_id, _ = subscribe(receiver.url, ["*"])
    emit("market.status_changed")
    jobs.fan_out()
    jobs.deliver_due()
    delivery = delivery_of(sub_id)
    assert delivery.status == "delivered"
    return {
        "sub_id": sub_id, "delivery_id": delivery.id,
        "anonymous": {}, "seller": make_user("seller")[1], "limited": make_user("operator", markets=["US"])[1],
        "operator": make_user("operator")[1],
    }


def _snapshot(world) -> tuple:
    sub = subscription(world["sub_id"])
    delivery = delivery_of(world["sub_id"])
    return (_count(WebhookSubscription), sub and (sub.status, sub.event_types, sub.url),
            delivery.status, delivery.next_attempt_at)


WRITES = {
    "create": lambda c, w, h: c.post("/api/v1/webhooks", json={"url": URL, "event_types": ["*"]}, headers=h),
    "update": lambda c, w, h: c.patch(f"/api/v1/webhooks/{w['sub_id']}", json={"status": "disabled"}, headers=h),
    "delete": lambda c, w, h: c.delete(f"/api/v1/webhooks/{w['sub_id']}", headers=h),
    "redeliver": lambda c, w, h: c.post(f"/api/v1/webhooks/deliveries/{w['delivery_id']}/redeliver", headers=h),
}
DENIED = [("anonymous", 401, "unauthenticated"), ("seller", 403, "wrong_role"),
          ("limited", 403, "market_out_of_scope")]


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("who,status,code", DENIED)
def test_writes_are_denied_and_change_nothing(client, world, write, who, status, code):
    before = _snapshot(world)
    r = WRITES[write](client, world, world[who])
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    assert _snapshot(world) == before


@pytest.mark.parametrize("write,status", [("create", 201), ("update", 200), ("delete", 204), ("redeliver", 202)])
def test_writes_are_allowed_to_an_unlimited_operator(client, world, write, status):
    before = _snapshot(world)
    r = WRITES[write](client, world, world["operator"])
    assert r.status_code == status, r.text
    if write == "delete":
        assert _count(WebhookSubscription) == 0
    else:
        assert _snapshot(world) != before


@pytest.mark.parametrize("forged", [b"[123]", b'[{"a":1}]', b"[true]", b"[null]"])
def test_a_forged_page_token_is_422_not_500(client, operator, forged):
    token = base64.urlsafe_b64encode(forged).decode().rstrip("=")
    for path in ("/api/v1/events", "/api/v1/webhooks"):
        r = client.get(path, params={"page_token": token}, headers=operator)
        assert r.status_code == 422 and r.json()["code"] == "invalid_page_token", r.text


def test_urls_httpx_cannot_send_are_422(client, operator):
    for url in ("http://[", "http://\u00bc\u00c0/hook", "https://exa mple.com/x"):
        r = client.post("/api/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=operator)
        assert r.status_code == 422 and r.json()["code"] == "invalid_url", (url, r.text)


def test_a_market_limited_operator_sees_only_events_of_their_markets(client, make_user):
    us = emit("market.status_changed", market="US")
    es = emit("market.status_changed", market="ES")
    mx = emit("market.status_changed", market="MX")
    everywhere = emit("policy.effective")  # no market: global news is not for a limited operator
    _, limited = make_user("operator", markets=["US", "ES"])
    _, unlimited = make_user("operator")

    def ids(headers, **params):
        r = client.get("/api/v1/events", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [e["id"] for e in r.json()["items"]]

    assert ids(limited) == sorted([us, es])
    assert ids(limited, market="es") == [es]
    assert ids(limited, type="market.*", page_size=1) == [min(us, es)]
    assert ids(unlimited) == sorted([us, es, mx, everywhere])
    assert ids(unlimited, market="MX") == [mx]
    for market in ("MX", "mx"):
        r = client.get("/api/v1/events", params={"market": market}, headers=limited)
        assert r.status_code == 403 and r.json()["code"] == "market_out_of_scope", r.text


def test_a_limited_operator_pages_through_only_their_events(client, make_user):
    mine = [emit("market.status_changed", market="US") for _ in range(3)]
    for _ in range(3):
        emit("market.status_changed", market="ES")
    _, limited = make_user("operator", markets=["US"])
    seen, token = [], None
    while True:
        params = {"page_size": 2} | ({"page_token": token} if token else {})
        page = client.get("/api/v1/events", params=params, headers=limited).json()
        seen += [e["id"] for e in page["items"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == mine


@pytest.mark.parametrize("page_size", [0, -1, 201, 10**6])
def test_list_page_size_is_bounded(client, operator, page_size):
    sub_id, _ = subscribe(URL, ["*"])
    for path in ("/api/v1/webhooks", f"/api/v1/webhooks/{sub_id}/deliveries", "/api/v1/events"):
        r = client.get(path, params={"page_size": page_size}, headers=operator)
        assert r.status_code == 422 and r.json()["field"] == "page_size", (path, r.text)
    for path in ("/api/v1/webhooks", f"/api/v1/webhooks/{sub_id}/deliveries", "/api/v1/events"):
        assert client.get(path, params={"page_size": 200}, headers=operator).status_code == 200
