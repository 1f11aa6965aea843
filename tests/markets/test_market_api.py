import pytest
from sqlalchemy import func, select

from marketcast.core.outbox import OutboxEvent
from marketcast.markets import service
from marketcast.markets.models import MarketEvent, WaitlistEntry

BASE = "/api/v1/markets"
SPAIN = {"code": "ES", "name": "Spain", "currency": "EUR", "timezone": "Europe/Madrid", "launch_window": "2024-07"}


@pytest.fixture
def spain(client, operator):
    r = client.post(BASE, json=SPAIN, headers=operator)
    assert r.status_code == 201, r.text
    return r.json()


def _problem(r, status, code, field=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code
    if field:
        assert body["field"] == field
    return body


def _snapshot(db):
    """Everything a write could touch, to prove a refused request changed nothing."""
    with db() as s:
        markets = [(m.code, m.status, m.launch_window) for m in service.list_markets(s, page_size=200)[0]]
        counts = [s.scalar(select(func.count()).select_from(t)) for t in (MarketEvent, WaitlistEntry, OutboxEvent)]
    return markets, counts


def test_create_then_read(client, spain):
    assert spain["code"] == "ES" and spain["status"] == "planned" and spain["window_start"] == "2024-07-01"
    assert spain["waitlist_count"] == 0 and spain["launched_at"] is None
    r = client.get(f"{BASE}/es")
    assert r.status_code == 200 and r.json()["launch_window"] == "2024-07"
    history = client.get(f"{BASE}/ES/history").json()["items"]
    assert [(e["kind"], e["to_status"], e["to_window"]) for e in history] == [("created", "planned", "2024-07")]


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"launch_window": "July"}, "launch_window", "invalid_launch_window"),
    ({"timezone": "Europe/Atlantis"}, "timezone", "invalid_timezone"),
    ({"code": "XX"}, "code", "invalid_market_code"),
    ({"code": "ESP"}, "code", "validation_error"),
    ({"currency": "EURO"}, "currency", "validation_error"),
    ({"status": "closed"}, "status", "validation_error"),
    ({"name": "  "}, "name", "validation_error"),
    ({"name": "Spa\u0000in"}, "name", "invalid_text"),  # core.text_guard, before the route
    ({"name": "Spain\r\nX-Injected: 1"}, "name", "invalid_name"),
    ({"surprise": 1}, "surprise", "validation_error"),
])
def test_create_rejects_bad_input(client, operator, db, change, field, code):
    before = _snapshot(db)
    _problem(client.post(BASE, json=SPAIN | change, headers=operator), 422, code, field)
    assert _snapshot(db) == before


def test_create_twice_is_market_exists(client, operator, spain, db):
    before = _snapshot(db)
    _problem(client.post(BASE, json=SPAIN | {"code": "es"}, headers=operator), 409, "market_exists")
    assert _snapshot(db) == before


def test_unknown_market_is_404(client, operator):
    _problem(client.get(f"{BASE}/ZZ"), 404, "market_not_found")
    _problem(client.get(f"{BASE}/ZZ/history"), 404, "market_not_found")
    _problem(client.post(f"{BASE}/ZZ/transitions", json={"status": "live", "reason": "go"}, headers=operator),
             404, "market_not_found")


def test_transition_and_reschedule_answer_with_stable_codes(client, operator, spain):
    r = client.post(f"{BASE}/ES/reschedule", json={"launch_window": "2025-Q1", "reason": "moved"}, headers=operator)
    assert r.status_code == 200 and r.json()["launch_window"] == "2025-Q1"
    body = _problem(client.post(f"{BASE}/ES/transitions", json={"status": "paused", "reason": "x"}, headers=operator),
                    409, "invalid_transition")
    assert (body["from_status"], body["to_status"]) == ("planned", "paused")
    _problem(client.post(f"{BASE}/ES/transitions", json={"status": "live", "reason": " "}, headers=operator),
             422, "validation_error", "reason")
    _problem(client.post(f"{BASE}/ES/transitions", json={"status": "launched", "reason": "x"}, headers=operator),
             422, "validation_error", "status")
    _problem(client.post(f"{BASE}/ES/reschedule", json={"launch_window": "2025-Q9", "reason": "x"}, headers=operator),
             422, "invalid_launch_window", "launch_window")
    _problem(client.post(f"{BASE}/ES/reschedule", json={"reason": "x"}, headers=operator),
             422, "validation_error", "launch_window")
    r = client.post(f"{BASE}/ES/transitions", json={"status": "live", "reason": "launch"}, headers=operator)
    assert r.status_code == 200 and r.json()["status"] == "live" and r.json()["launched_at"]
    _problem(client.post(f"{BASE}/ES/reschedule", json={"launch_window": "2026-Q1", "reason": "x"}, headers=operator),
             409, "market_not_reschedulable")


def test_postponed_back_to_planned_with_a_window(client, operator, spain):
    r = client.post(f"{BASE}/ES/transitions", json={"status": "postponed", "reason": "US first"}, headers=operator)
    assert r.json()["launch_window"] is None
    r = client.post(f"{BASE}/ES/transitions", json={"status": "planned", "reason": "back", "launch_window": "2025-Q1"},
                    headers=operator)
    assert r.status_code == 200 and (r.json()["status"], r.json()["launch_window"]) == ("planned", "2025-Q1")


# Each operator write, with a body that would succeed for an allowed caller.
OPERATOR_WRITES = [
    ("post", BASE, SPAIN | {"code": "FR", "timezone": "Europe/Paris"}),
    ("post", f"{BASE}/ES/transitions", {"status": "live", "reason": "launch"}),
    ("post", f"{BASE}/ES/reschedule", {"launch_window": "2025-Q1", "reason": "moved"}),
]


@pytest.mark.parametrize(("method", "url", "body"), OPERATOR_WRITES)
def test_operator_writes_permission_matrix(client, make_user, spain, db, method, url, body):
    before = _snapshot(db)
    _problem(client.request(method, url, json=body), 401, "unauthenticated")
    _problem(client.request(method, url, json=body, headers={"Authorization": "Bearer nope"}), 401, "invalid_token")
    for role in ("seller", "creator", "buyer"):
        _problem(client.request(method, url, json=body, headers=make_user(role)[1]), 403, "wrong_role")
    us_only = make_user("operator", markets=["US"])[1]
    _problem(client.request(method, url, json=body, headers=us_only), 403, "market_out_of_scope")
    assert _snapshot(db) == before
    scoped = make_user("operator", markets=["ES", "FR"])[1]
    r = client.request(method, url, json=body, headers=scoped)
    assert r.status_code in (200, 201), r.text
    assert _snapshot(db) != before


@pytest.mark.parametrize("method", ["put", "delete"])
def test_waitlist_writes_need_a_signed_in_user(client, spain, db, method):
    before = _snapshot(db)
    _problem(client.request(method, f"{BASE}/ES/waitlist"), 401, "unauthenticated")
    assert _snapshot(db) == before


def test_waitlist_join_leave_and_counts(client, make_user, operator, spain, db):
    _, seller = make_user("seller")
    _, creator = make_user("creator")
    r = client.put(f"{BASE}/ES/waitlist", headers=seller)
    assert r.status_code == 201 and r.json()["market"] == "ES"
    again = client.put(f"{BASE}/es/waitlist", headers=seller)
    assert again.status_code == 200 and again.json()["joined_at"] == r.json()["joined_at"]
    assert client.put(f"{BASE}/ES/waitlist", headers=creator).status_code == 201
    assert client.get(f"{BASE}/ES/waitlist").json() == {"market": "ES", "count": 2, "joined": False}
    assert client.get(f"{BASE}/ES/waitlist", headers=seller).json()["joined"] is True
    assert client.get(f"{BASE}/ES").json()["waitlist_count"] == 2
    assert client.delete(f"{BASE}/ES/waitlist", headers=seller).status_code == 204
    assert client.delete(f"{BASE}/ES/waitlist", headers=seller).status_code == 204
    assert client.get(f"{BASE}/ES/waitlist", headers=seller).json() == {"market": "ES", "count": 1, "joined": False}
    client.post(f"{BASE}/ES/transitions", json={"status": "live", "reason": "launch"}, headers=operator)
    before = _snapshot(db)
    _problem(client.put(f"{BASE}/ES/waitlist", headers=seller), 409, "market_already_live")
    assert _snapshot(db) == before


def test_list_is_public_filtered_and_paginated(client, operator):
    for code, tz in (("US", "America/New_York"), ("DE", "Europe/Berlin"), ("ES", "Europe/Madrid"),
                     ("FR", "Europe/Paris"), ("IT", "Europe/Rome")):
        assert client.post(BASE, json=SPAIN | {"code": code, "timezone": tz}, headers=operator).status_code == 201
    client.post(f"{BASE}/US/transitions", json={"status": "live", "reason": "launch"}, headers=operator)
    seen, token = [], None
    while True:
        params = {"page_size": 2} | ({"page_token": token} if token else {})
        page = client.get(BASE, params=params).json()
        assert len(page["items"]) <= 2
        seen += [m["code"] for m in page["items"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == ["DE", "ES", "FR", "IT", "US"]
    assert [m["code"] for m in client.get(BASE, params={"status": "live"}).json()["items"]] == ["US"]
    _problem(client.get(BASE, params={"status": "launched"}), 422, "validation_error", "status")
    _problem(client.get(BASE, params={"page_size": 0}), 422, "validation_error", "page_size")
    _problem(client.get(BASE, params={"page_token": "garbage!"}), 422, "invalid_page_token", "page_token")
