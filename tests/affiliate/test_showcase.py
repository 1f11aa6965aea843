"""Showcase (products of joined collaborations, a cap that is lower for pilots) and shoppable content (videos
and posts of showcase products; pilots held to a weekly number of videos with a 409 naming the policy)."""

from datetime import timedelta

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.policies import service as policies


def _set_policy(db, key: str, value) -> None:
    with clock.frozen(clock.now()), db() as s:
        policies.schedule(s, key=key, market="US", value=value, effective_from=clock.now(), reason="test",
                          actor=SYSTEM)


def test_showcase_holds_offered_products_up_to_the_cap(db, steps, shop, product, make_creator):
    first, second, foreign = product()[0], product()[0], product()[0]
    collab = steps.collaboration(shop, product_ids=[first, second])
    pilot = make_creator(status="pilot")
    steps.join(pilot, collab["id"])
    path = f"/creators/{pilot['id']}/showcase"
    assert steps.call("POST", path, pilot["headers"], 409, json={"product_id": foreign})["code"] == \
        "product_not_offered"
    _set_policy(db, "affiliate.showcase.pilot_max_products", 1)
    steps.call("POST", path, pilot["headers"], 201, json={"product_id": first})
    steps.call("POST", path, pilot["headers"], 201, json={"product_id": first})  # again: nothing new
    full = steps.call("POST", path, pilot["headers"], 409, json={"product_id": second})
    assert (full["code"], full["policy_key"], full["limit"]) == \
        ("showcase_full", "affiliate.showcase.pilot_max_products", 1)
    assert [i["product_id"] for i in steps.call("GET", path, {})] == [first]
    steps.call("DELETE", f"{path}/{first}", pilot["headers"], 204)
    steps.call("DELETE", f"{path}/{first}", pilot["headers"], 404)
    steps.call("POST", path, pilot["headers"], 201, json={"product_id": second})


def test_pilots_post_a_weekly_number_of_videos(db, steps, shop, product, make_creator, at):
    pid, _ = product()
    collab = steps.collaboration(shop, product_ids=[pid])
    pilot, active = make_creator(status="pilot"), make_creator()
    _set_policy(db, "creator.pilot.weekly_shoppable_videos", 2)
    monday = at(2031, 3, 3, 15)  # a Monday, 10:00 in New York
    with clock.frozen(monday):
        for c in (pilot, active):
            steps.join(c, collab["id"])
            steps.call("POST", f"/creators/{c['id']}/showcase", c["headers"], 201, json={"product_id": pid})

    def post(c, kind="video", expect=201, product_ids=(pid,)):
        return steps.call("POST", f"/creators/{c['id']}/contents", c["headers"], expect,
                          json={"kind": kind, "url": "https://video.example/v/1", "product_ids": list(product_ids)})

    with clock.frozen(monday):
        post(pilot), post(pilot)
        limit = post(pilot, expect=409)
        assert (limit["code"], limit["policy_key"], limit["limit"]) == \
            ("pilot_weekly_limit", "creator.pilot.weekly_shoppable_videos", 2)
        post(pilot, kind="post")  # posts are not videos
        post(active), post(active), post(active)  # active creators have no limit
        bad = post(pilot, kind="post", expect=422, product_ids=["prd_elsewhere"])
        assert (bad["code"], bad["field"]) == ("product_not_in_showcase", "product_ids.0")
    with clock.frozen(monday + timedelta(days=7)):
        post(pilot)  # a new week
    assert len(steps.call("GET", f"/creators/{pilot['id']}/contents", {})) == 4
