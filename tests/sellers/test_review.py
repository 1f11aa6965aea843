"""Review: the queue, approval (with overrides), rejection, shops; who may do what."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketcast.core import clock
from marketcast.core.db import unit_of_work
from marketcast.core.ids import new_id
from marketcast.sellers import service
from marketcast.sellers.models import Shop
from tests.sellers.conftest import APPS, application_body, events, problem, row_counts, seller_body


def test_approving_an_eligible_application_opens_a_shop_on_probation(client, seller, apply, operator, at):
    headers, profile = seller()
    app = apply(headers)
    with clock.frozen(at(2024, 3, 1, 12)):
        r = client.post(f"{APPS}/{app['id']}/approve", json={"reason": "documents checked"}, headers=operator)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "approved" and body["shop_id"].startswith("shp_")
    with unit_of_work(write=False) as session:
        shop = service.get_shop(session, body["shop_id"])
        assert (shop.status, shop.market, shop.shop_type, shop.mode, shop.seller_id) == (
            "probation", "US", "cross_border", "pop", profile["id"])
        assert shop.probation_started_at == at(2024, 3, 1, 12)
        assert (shop.contact_email, shop.contact_phone) == (app["contact"]["email"], app["contact"]["phone"])
        assert shop.owner_user_id == profile["owner_user_id"] and shop.name == profile["legal_name"]
        history = service.decisions(session, application_id=app["id"])
    assert [(d.kind, d.outcome, d.reason) for d in history] == [
        ("submitted", "eligible", None), ("review", "approved", "documents checked")]
    kinds = [e.type for e in events("application.")] + [e.type for e in events("shop.")]
    assert kinds == ["application.submitted", "application.approved", "shop.created"]
    # One shop per seller per market.
    problem(client.post(APPS, json=application_body(), headers=headers), 409, "shop_exists", "market")


def test_an_ineligible_application_needs_each_failed_rule_overridden(client, seller, apply, operator):
    headers, _ = seller()
    app = apply(headers, shop_type="local", representative={"name": "Kid", "date_of_birth": "2015-01-01"},
                external_records=[])
    assert app["outcome"] == "ineligible"
    failed = sorted(r["rule"] for r in app["decision"]["rules"] if not r["passed"])
    assert failed == ["local_business_address", "representative_age"]
    before = row_counts()
    body = problem(client.post(f"{APPS}/{app['id']}/approve",
                               json={"reason": "ok", "override_rules": ["representative_age"]}, headers=operator),
                   409, "rules_not_overridden", "override_rules")
    assert body["failed"] == ["local_business_address"]
    problem(client.post(f"{APPS}/{app['id']}/approve", json={"reason": "ok", "override_rules": ["no_such_rule"]},
                        headers=operator), 422, "validation_error", "override_rules.0")
    assert row_counts() == before
    r = client.post(f"{APPS}/{app['id']}/approve", headers=operator,
                    json={"reason": "guardian co-signed; warehouse in US", "override_rules": failed})
    assert r.status_code == 200, r.text
    with unit_of_work(write=False) as session:
        review = service.decisions(session, application_id=app["id"])[-1]
    assert (review.kind, review.outcome, sorted(review.overridden_rules), review.reason) == (
        "review", "approved", failed, "guardian co-signed; warehouse in US")
    approved = events("application.approved")[0].data
    assert sorted(approved["overridden_rules"]) == failed and approved["shop_id"] == r.json()["shop_id"]


def test_reject_then_no_more_review(client, seller, apply, operator):
    headers, _ = seller()
    eligible, ineligible = apply(headers), apply(headers, market="ES")
    r = client.post(f"{APPS}/{eligible['id']}/reject", json={"reason": "counterfeit risk"}, headers=operator)
    assert r.status_code == 200 and (r.json()["status"], r.json()["rejected_by"]) == ("rejected", "reviewer")
    r = client.post(f"{APPS}/{ineligible['id']}/reject", json={"reason": "not live"}, headers=operator)
    assert (r.json()["status"], r.json()["rejected_by"]) == ("rejected", "rules")
    assert [e.data["rejected_by"] for e in events("application.rejected")] == ["reviewer", "rules"]
    before = row_counts()
    problem(client.post(f"{APPS}/{eligible['id']}/approve", json={"reason": "x"}, headers=operator),
            409, "application_not_open")
    problem(client.post(f"{APPS}/{eligible['id']}/reject", json={"reason": "x"}, headers=operator),
            409, "application_not_open")
    problem(client.post(f"{APPS}/{eligible['id']}/reject", json={"reason": "  "}, headers=operator),
            422, "validation_error", "reason")
    problem(client.post(f"{APPS}/app_nope/reject", json={"reason": "x"}, headers=operator),
            404, "application_not_found")
    assert row_counts() == before


def test_the_database_keeps_one_shop_per_seller_per_market(seller, apply, client, operator):
    headers, profile = seller()
    app = apply(headers)
    assert client.post(f"{APPS}/{app['id']}/approve", json={"reason": "ok"}, headers=operator).status_code == 200
    with pytest.raises(IntegrityError), unit_of_work() as session:
        session.add(Shop(id=new_id("shp"), seller_id=profile["id"], owner_user_id=profile["owner_user_id"],
                         market="US", shop_type="local", mode="pop", status="probation", name="dup",
                         contact_email="d@x.example", contact_phone="+1555", paid_orders=0,
                         created_at=clock.now()))
    with unit_of_work(write=False) as session:
        assert len(session.scalars(select(Shop)).all()) == 1


def test_one_open_application_per_market(client, seller, apply):
    headers, _ = seller()
    apply(headers)
    problem(client.post(APPS, json=application_body(), headers=headers), 409, "application_exists", "market")


def test_queue_filters_and_market_scope(client, seller, apply, operator, make_user):
    headers, _ = seller()
    us_ok = apply(headers)
    es = apply(headers, market="ES")
    other_headers, _ = seller()
    us_bad = apply(other_headers, shop_type="local", external_records=[])
    _, es_ops = make_user("operator", markets=["ES"])

    def ids(query, who=operator):
        r = client.get(f"{APPS}{query}", headers=who)
        assert r.status_code == 200, r.text
        return [a["id"] for a in r.json()["items"]]

    assert ids("") == [us_ok["id"], es["id"], us_bad["id"]]
    assert ids("?market=us&outcome=ineligible") == [us_bad["id"]]
    assert ids("?shop_type=cross_border&status=open&outcome=eligible") == [us_ok["id"]]
    assert ids("", es_ops) == [es["id"]]
    problem(client.get(f"{APPS}?market=US", headers=es_ops), 403, "market_out_of_scope")
    assert ids("", headers) == [us_ok["id"], es["id"]]  # a seller lists their own
    first = client.get(f"{APPS}?page_size=2", headers=operator).json()
    rest = client.get(f"{APPS}?page_size=2&page_token={first['next_page_token']}", headers=operator).json()
    assert [a["id"] for a in first["items"] + rest["items"]] == [us_ok["id"], es["id"], us_bad["id"]]
    assert rest["next_page_token"] is None
    assert us_bad["id"] in ids("?outcome=ineligible") and "failed_rules" in client.get(
        f"{APPS}?outcome=ineligible", headers=operator).json()["items"][0]
    problem(client.get(APPS, headers={} | make_user("buyer")[1]), 403, "wrong_role")
    problem(client.get(f"{APPS}?outcome=maybe", headers=operator), 422, "validation_error", "outcome")


def test_a_seller_sees_only_their_own(client, seller, apply, operator, make_user):
    headers, profile = seller()
    app = apply(headers)
    other_headers, _ = seller()
    for path in (f"{APPS}/{app['id']}", f"{APPS}/{app['id']}/decision", f"{APPS}/{app['id']}/documents",
                 f"/api/v1/sellers/{profile['id']}"):
        problem(client.get(path, headers=other_headers), 403, "not_owner")
        assert client.get(path, headers=headers).status_code == 200
        assert client.get(path, headers=operator).status_code == 200
        assert client.get(path).status_code == 401
    _, es_ops = make_user("operator", markets=["ES"])
    problem(client.get(f"{APPS}/{app['id']}", headers=es_ops), 403, "market_out_of_scope")
    problem(client.get(f"{APPS}/{app['id']}", headers=make_user("buyer")[1]), 403, "wrong_role")


# --- the permission matrix on every write endpoint --------------------------------------------------------

def test_register_seller_permissions(client, make_user, us_es):
    body = seller_body()
    buyer, op, headers = make_user("buyer")[1], make_user("operator")[1], make_user("seller")[1]
    before = row_counts()
    problem(client.post("/api/v1/sellers", json=body), 401, "unauthenticated")
    problem(client.post("/api/v1/sellers", json=body, headers=buyer), 403, "wrong_role")
    problem(client.post("/api/v1/sellers", json=body, headers=op), 403, "wrong_role")
    problem(client.post("/api/v1/sellers", json=body | {"tax_id": "\x00"}, headers=headers),
            422, "invalid_text", "tax_id")
    assert row_counts() == before
    r = client.post("/api/v1/sellers", json=body, headers=headers)
    assert r.status_code == 201 and r.json()["contact"]["email"] == body["contact"]["email"].lower()
    assert r.json()["contact"]["phone"].startswith("+86")
    problem(client.post("/api/v1/sellers", json=body, headers=headers), 409, "seller_exists")


def test_submit_permissions(client, make_user, seller):
    body = application_body()
    buyer, op, bare = make_user("buyer")[1], make_user("operator")[1], make_user("seller")[1]
    headers, _ = seller()
    before = row_counts()
    problem(client.post(APPS, json=body), 401, "unauthenticated")
    problem(client.post(APPS, json=body, headers=buyer), 403, "wrong_role")
    problem(client.post(APPS, json=body, headers=op), 403, "wrong_role")
    problem(client.post(APPS, json=body, headers=bare), 409, "seller_profile_required")
    problem(client.post(APPS, json=body | {"market": "ZZ"}, headers=headers), 422, "unknown_market", "market")
    problem(client.post(APPS, json=body | {"contact": {"email": "a@b.example", "phone": "+1 2"}}, headers=headers),
            422, "invalid_phone", "contact.phone")
    problem(client.post(APPS, json=body | {"representative": {"name": "A", "date_of_birth": "2999-01-01"}},
                        headers=headers), 422, "validation_error", "representative.date_of_birth")
    problem(client.post(APPS, json=body | {"surprise": 1}, headers=headers), 422, "validation_error", "surprise")
    assert row_counts() == before and before["applications"] == 0
    assert client.post(APPS, json=body, headers=headers).status_code == 201


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_review_permissions(client, seller, apply, make_user, operator, action):
    headers, _ = seller()
    app = apply(headers)
    url, body = f"{APPS}/{app['id']}/{action}", {"reason": "checked"}
    buyer, es_ops, us_ops = make_user("buyer")[1], make_user("operator", ["ES"])[1], make_user("operator", ["US"])[1]
    before = row_counts()
    problem(client.post(url, json=body), 401, "unauthenticated")
    problem(client.post(url, json=body, headers=headers), 403, "wrong_role")
    problem(client.post(url, json=body, headers=buyer), 403, "wrong_role")
    problem(client.post(url, json=body, headers=es_ops), 403, "market_out_of_scope")
    assert row_counts() == before
    r = client.post(url, json=body, headers=us_ops)
    assert r.status_code == 200 and r.json()["status"] == ("approved" if action == "approve" else "rejected")


def test_reevaluate_permissions(client, seller, apply, make_user):
    headers, _ = seller()
    apply(headers)
    url, body = f"{APPS}/reevaluate", {"market": "US"}
    es_ops, us_ops, op = make_user("operator", ["ES"])[1], make_user("operator", ["US"])[1], make_user("operator")[1]
    before = row_counts()
    problem(client.post(url, json=body), 401, "unauthenticated")
    problem(client.post(url, json=body, headers=headers), 403, "wrong_role")
    problem(client.post(url, json=body, headers=es_ops), 403, "market_out_of_scope")
    problem(client.post(url, json={"market": "ZZ"}, headers=op), 404, "market_not_found")
    assert row_counts() == before
    r = client.post(url, json=body, headers=us_ops)
    assert r.status_code == 200 and r.json() == {"evaluated": 1, "now_eligible": 0, "no_longer_eligible": 0}
    assert row_counts() == before  # nothing changed, nothing written


def test_an_operator_limited_to_markets_reads_only_sellers_active_there(client, seller, apply, make_user):
    headers, profile = seller()
    apply(headers)  # US only
    url = f"/api/v1/sellers/{profile['id']}"
    es_ops, us_ops = make_user("operator", ["ES"])[1], make_user("operator", ["US"])[1]
    problem(client.get(url, headers=es_ops), 403, "market_out_of_scope")
    assert client.get(url, headers=us_ops).json()["tax_id"] == profile["tax_id"]
    apply(headers, market="ES")
    assert client.get(url, headers=es_ops).status_code == 200
    # A shop in their market is enough too (inserted directly, without an application, to test that path alone).
    other_headers, other = seller()
    _, mx_ops = make_user("operator", ["MX"])
    problem(client.get(f"/api/v1/sellers/{other['id']}", headers=mx_ops), 403, "market_out_of_scope")
    with unit_of_work() as session:
        session.add(Shop(id=new_id("shp"), seller_id=other["id"], owner_user_id=other["owner_user_id"], market="MX",
                         shop_type="local", mode="pop", status="active", name="mx", contact_email="mx@x.example",
                         contact_phone="+52555", paid_orders=0, created_at=clock.now()))
    assert client.get(f"/api/v1/sellers/{other['id']}", headers=mx_ops).status_code == 200
    problem(client.get(f"/api/v1/sellers/{other['id']}", headers=es_ops), 403, "market_out_of_scope")


def test_reevaluate_judges_as_of_now_only(client, seller, apply, operator):
    apply(seller()[0])
    before = row_counts()
    problem(client.post(f"{APPS}/reevaluate", json={"market": "US", "at": "2020-01-01T00:00:00Z"}, headers=operator),
            422, "validation_error", "at")
    assert row_counts() == before
