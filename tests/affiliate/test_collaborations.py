"""Collaborations over HTTP: open and targeted, rate bounds from the policies, invite conflicts, joining,
approval, the rate lock (increase now, decrease at the lock's end with events and a reminder), ending."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from marketcast.affiliate import jobs
from marketcast.affiliate.models import Collaboration
from marketcast.core import clock
from marketcast.core.outbox import OutboxEvent


def _events(db, type_: str) -> list[dict]:
    with db(write=False) as s:
        stmt = select(OutboxEvent).where(OutboxEvent.type == type_).order_by(OutboxEvent.id)
        return [e.data for e in s.scalars(stmt)]


def _collaborations(db) -> int:
    with db(write=False) as s:
        return s.scalar(select(func.count()).select_from(Collaboration))


def test_open_collaboration_joined_at_a_locked_rate(steps, shop, product, creator):
    pid, _ = product()
    collab = steps.collaboration(shop, product_ids=[pid], commission_rate_bps=1500, name="Summer mugs")
    assert (collab["kind"], collab["status"], collab["commission_rate_bps"], collab["conflicts"]) == \
        ("open", "active", 1500, [])
    found = steps.call("GET", "/collaborations", creator["headers"], params={"market": "US", "q": "summer",
                                                                            "min_rate_bps": 1000})
    assert [c["id"] for c in found["items"]] == [collab["id"]]
    joined = steps.join(creator, collab["id"])
    assert joined["status"] == "joined" and joined["commission_rate_bps"] == 1500
    assert joined["locked_until"].startswith((clock.now() + timedelta(days=30)).date().isoformat())
    assert steps.join(creator, collab["id"]) == joined  # joining twice changes nothing


def test_rate_out_of_bounds_unknown_product_and_bad_kinds_change_nothing(steps, shop, product):
    pid, _ = product()
    for body, code, field in [
        ({"product_ids": [pid], "commission_rate_bps": 99}, "rate_out_of_bounds", "commission_rate_bps"),
        ({"product_ids": [pid], "commission_rate_bps": 8001}, "rate_out_of_bounds", "commission_rate_bps"),
        ({"product_ids": ["prd_unknown"]}, "unknown_product", "product_ids.0"),
        ({"product_ids": []}, "products_required", "product_ids"),
        ({"kind": "targeted", "product_ids": [pid], "commission_rate_bps": 999, "creator_ids": ["crt_x"]},
         "rate_out_of_bounds", "commission_rate_bps"),
    ]:
        problem = steps.collaboration(shop, expect=422, **body)
        assert (problem["code"], problem["field"]) == (code, field), body


def test_invalid_collaborations_write_nothing(db, steps, shop, product):
    pid, _ = product()
    steps.collaboration(shop, expect=422, product_ids=[pid], commission_rate_bps=50)
    steps.collaboration(shop, expect=422, kind="targeted", product_ids=[pid],
                        creator_ids=[f"crt_{i}" for i in range(51)], commission_rate_bps=1000)
    assert _collaborations(db) == 0


def test_targeted_makes_the_invites_it_can_and_lists_the_others(steps, shop, product, make_creator):
    good, draft = product()[0], product(status="draft")[0]
    ok, pilot = make_creator(), make_creator(status="pilot")
    ineligible, spanish = make_creator(status="ineligible"), make_creator(market="ES")
    collab = steps.collaboration(shop, kind="targeted", commission_rate_bps=1200, message="Try our mugs",
                                 product_ids=[good, draft, "prd_nope"],
                                 creator_ids=[ok["id"], pilot["id"], ineligible["id"], spanish["id"], "crt_ghost"],
                                 ends_at=(clock.now() + timedelta(days=20)).isoformat())
    codes = {(c["creator_id"], c["product_id"], c["code"]) for c in collab["conflicts"]}
    assert codes == {(ineligible["id"], None, "creator_ineligible"), (spanish["id"], None, "creator_not_in_market"),
                     ("crt_ghost", None, "creator_not_found"), (None, draft, "product_not_live"),
                     (None, "prd_nope", "product_not_found")}
    assert collab["product_ids"] == [good]
    invites = steps.call("GET", f"/creators/{ok['id']}/collaborations", ok["headers"], params={"status": "invited"})
    assert [m["collaboration_id"] for m in invites] == [collab["id"]]
    accepted = steps.join(ok, collab["id"], "accept")
    assert accepted["status"] == "joined" and accepted["commission_rate_bps"] == 1200
    steps.join(ineligible, collab["id"], "accept", expect=409)
    assert steps.join(make_creator(), collab["id"], "accept", expect=409)["code"] == "not_invited"


def test_targeted_limits_are_policies(steps, shop, product, creator):
    pid, _ = product()
    problem = steps.collaboration(shop, expect=422, kind="targeted", product_ids=[pid],
                                  creator_ids=[creator["id"]] + [f"crt_{i}" for i in range(50)])
    assert (problem["code"], problem["field"], problem["limit"]) == ("too_many_creators", "creator_ids", 50)
    problem = steps.collaboration(shop, expect=422, kind="targeted", creator_ids=[creator["id"]],
                                  product_ids=[f"prd_{i}" for i in range(101)])
    assert (problem["code"], problem["field"]) == ("too_many_products", "product_ids")


def test_approval_required(steps, shop, product, creator):
    pid, _ = product()
    collab = steps.collaboration(shop, product_ids=[pid], requires_approval=True)
    asked = steps.join(creator, collab["id"])
    assert asked["status"] == "pending_approval" and asked["locked_until"] is None
    steps.call("POST", f"/collaborations/{collab['id']}/members/{creator['id']}/approve", creator["headers"], 403)
    approved = steps.call("POST", f"/collaborations/{collab['id']}/members/{creator['id']}/approve", shop["headers"])
    assert approved["status"] == "joined" and approved["locked_until"]


def test_increase_applies_at_once_decrease_waits_for_the_lock(db, steps, shop, product, creator, make_creator):
    pid, _ = product()
    collab = steps.collaboration(shop, product_ids=[pid], commission_rate_bps=1000)
    steps.join(creator, collab["id"])
    steps.call("PATCH", f"/collaborations/{collab['id']}", shop["headers"], json={"commission_rate_bps": 2000})
    members = steps.call("GET", f"/collaborations/{collab['id']}/members", shop["headers"])
    assert [m["commission_rate_bps"] for m in members] == [2000]
    steps.call("PATCH", f"/collaborations/{collab['id']}", shop["headers"], json={"commission_rate_bps": 500})
    member = steps.call("GET", f"/collaborations/{collab['id']}/members", shop["headers"])[0]
    assert (member["commission_rate_bps"], member["pending_rate_bps"]) == (2000, 500)
    assert member["pending_from"] == member["locked_until"]
    assert [e["new_rate_bps"] for e in _events(db, "collaboration.rate_decrease_scheduled")] == [500]
    late = make_creator()
    assert steps.join(late, collab["id"])["commission_rate_bps"] == 500  # newcomers join at the new rate

    lock_ends = clock.as_utc(datetime.fromisoformat(member["locked_until"]))
    with clock.frozen(lock_ends - timedelta(days=3)):
        jobs.rate_decreases()
        assert _events(db, "collaboration.rate_decrease_reminder") == []
    with clock.frozen(lock_ends - timedelta(days=2)):
        jobs.rate_decreases()
        jobs.rate_decreases()
        reminders = _events(db, "collaboration.rate_decrease_reminder")
        assert [(e["creator_id"], e["new_rate_bps"]) for e in reminders] == [(creator["id"], 500)]
    with clock.frozen(lock_ends):
        jobs.rate_decreases()
        member = steps.call("GET", f"/collaborations/{collab['id']}/members", shop["headers"])[0]
        assert (member["commission_rate_bps"], member["pending_rate_bps"]) == (500, None)
    assert len(_events(db, "collaboration.rate_decrease_applied")) == 1


def test_only_the_owner_changes_a_collaboration(steps, shop, make_shop, product, creator):
    pid, _ = product()
    collab = steps.collaboration(shop, product_ids=[pid])
    other = make_shop()
    assert steps.call("PATCH", f"/collaborations/{collab['id']}", other["headers"], 403,
                      json={"commission_rate_bps": 2000})["code"] == "not_owner"
    steps.call("PATCH", f"/collaborations/{collab['id']}", creator["headers"], 403, json={"commission_rate_bps": 2000})
    steps.collaboration(other, expect=422, product_ids=[pid])  # another shop's product is not theirs to offer
