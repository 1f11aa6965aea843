"""Attribution at checkout: the last click within the window, or the attribution the checkout names; the rate in
force stored on the line; target beats open; ended collaborations stop the next day; self-referral."""

from datetime import datetime, timedelta

from marketcast.core import clock


def _line(order: dict) -> dict:
    return order["lines"][0]


def test_a_sale_through_a_link_is_attributed_at_the_locked_rate(steps, shop, product, creator, buyer):
    pid, sku = product(price=2500)
    collab = steps.collaboration(shop, product_ids=[pid], commission_rate_bps=1000)
    steps.join(creator, collab["id"])
    link = steps.link(creator, pid)
    assert link["url"].endswith(f"/l/{link['token']}")
    assert steps.link(creator, pid)["token"] == link["token"]
    steps.click(buyer, link["token"])
    order = steps.sale(buyer, [(sku, 2)])
    assert _line(order)["attribution"] == {"creator_id": creator["id"], "source": "link",
                                           "collaboration_id": collab["id"], "commission_rate_bps": 1000}
    again = steps.call("GET", f"/orders/{order['id']}", buyer["headers"])
    assert _line(again)["attribution"]["creator_id"] == creator["id"]
    [commission] = steps.commissions(creator)
    assert (commission["status"], commission["base"], commission["amount"], commission["order_line_id"]) == \
        ("pending", {"amount": 5000, "currency": "USD"}, {"amount": 500, "currency": "USD"}, _line(order)["id"])


def test_no_click_no_attribution_and_old_clicks_expire(steps, shop, product, creator, buyer, make_buyer):
    pid, sku = product()
    collab = steps.collaboration(shop, product_ids=[pid])
    steps.join(creator, collab["id"])
    token = steps.link(creator, pid)["token"]
    assert _line(steps.order(make_buyer(), [(sku, 1)]))["attribution"] is None
    steps.click(buyer, token)
    with clock.frozen(clock.now() + timedelta(days=7, minutes=1)):
        assert _line(steps.order(buyer, [(sku, 1)]))["attribution"] is None  # the 7-day window is over


def test_last_click_wins(steps, shop, product, make_creator, buyer):
    pid, sku = product()
    collab = steps.collaboration(shop, product_ids=[pid])
    first, second = make_creator(), make_creator()
    for c in (first, second):
        steps.join(c, collab["id"])
    steps.click(buyer, steps.link(first, pid)["token"])
    with clock.frozen(clock.now() + timedelta(minutes=5)):
        steps.click(buyer, steps.link(second, pid)["token"])
        assert _line(steps.order(buyer, [(sku, 1)]))["attribution"]["creator_id"] == second["id"]


def test_explicit_attribution_and_its_bad_input(steps, shop, product, creator, buyer):
    pid, sku = product()
    collab = steps.collaboration(shop, product_ids=[pid], commission_rate_bps=1500)
    steps.join(creator, collab["id"])
    order = steps.order(buyer, [(sku, 1)], attribution={"creator_id": creator["id"], "source": "video"})
    assert _line(order)["attribution"]["source"] == "video"
    token = steps.link(creator, pid)["token"]
    assert _line(steps.order(buyer, [(sku, 1)], attribution={"link_token": token}))["attribution"]["source"] == "link"
    for attribution, code, field in [({"link_token": "nope"}, "unknown_link", "attribution.link_token"),
                                     ({"creator_id": "crt_ghost", "source": "live"}, "unknown_creator",
                                      "attribution.creator_id")]:
        problem = steps.order(buyer, [(sku, 1)], attribution=attribution, expect=422)
        assert (problem["code"], problem["field"]) == (code, field)
    steps.order(buyer, [(sku, 1)], attribution={"creator_id": creator["id"]}, expect=422)  # source is required
    steps.order(buyer, [(sku, 1)], attribution={"link_token": token, "creator_id": creator["id"]}, expect=422)


def test_targeted_rate_beats_open(steps, shop, product, creator, buyer):
    pid, sku = product()
    open_one = steps.collaboration(shop, product_ids=[pid], commission_rate_bps=3000)
    targeted = steps.collaboration(shop, kind="targeted", product_ids=[pid], commission_rate_bps=1500,
                                   creator_ids=[creator["id"]])
    steps.join(creator, open_one["id"])
    steps.join(creator, targeted["id"], "accept")
    steps.click(buyer, steps.link(creator, pid)["token"])
    attribution = _line(steps.order(buyer, [(sku, 1)]))["attribution"]
    assert (attribution["collaboration_id"], attribution["commission_rate_bps"]) == (targeted["id"], 1500)


def test_all_products_covers_products_added_later(steps, shop, product, creator, buyer):
    collab = steps.collaboration(shop, all_products=True, commission_rate_bps=800)
    steps.join(creator, collab["id"])
    pid, sku = product()  # published after the collaboration was made
    steps.click(buyer, steps.link(creator, pid)["token"])
    assert _line(steps.order(buyer, [(sku, 1)]))["attribution"]["commission_rate_bps"] == 800


def test_ending_stops_attribution_from_the_next_local_day(steps, shop, product, creator, buyer, at):
    pid, sku = product()
    with clock.frozen(at(2024, 7, 10, 15)):  # 11:00 in New York
        collab = steps.collaboration(shop, product_ids=[pid])
        steps.join(creator, collab["id"])
        token = steps.link(creator, pid)["token"]
        ended = steps.call("POST", f"/collaborations/{collab['id']}/end", shop["headers"])
        assert ended["status"] == "ended"
        assert datetime.fromisoformat(ended["ends_at"]) == at(2024, 7, 11, 4)  # midnight in New York
        steps.click(buyer, token)
        assert _line(steps.order(buyer, [(sku, 1)]))["attribution"] is not None  # still today
        assert steps.join(creator, collab["id"], expect=409)["code"] == "collaboration_ended"
    with clock.frozen(at(2024, 7, 11, 4)):
        steps.click(buyer, token)
        assert _line(steps.order(buyer, [(sku, 1)]))["attribution"] is None


def test_self_referral_earns_nothing(steps, shop, product, make_creator, make_buyer):
    pid, sku = product()
    collab = steps.collaboration(shop, product_ids=[pid])
    creator = make_creator(email="ana@example.com")
    steps.join(creator, collab["id"])
    own = make_buyer(email="ana+shopping@example.com")  # the creator's own mailbox
    steps.click(own, steps.link(creator, pid)["token"])
    order = steps.sale(own, [(sku, 1)])
    assert _line(order)["attribution"]["creator_id"] == creator["id"]
    [commission] = steps.commissions(creator)
    assert (commission["status"], commission["ineligible_reason"], commission["amount"]["amount"]) == \
        ("ineligible", "self_referral", 0)


def test_links_need_an_offer_and_clicks_a_buyer(steps, shop, product, creator, buyer, make_creator):
    pid, _ = product()
    assert steps.link(creator, pid, expect=409)["code"] == "product_not_offered"
    assert steps.link(creator, "prd_ghost", expect=422)["code"] == "unknown_product"
    collab = steps.collaboration(shop, product_ids=[pid])
    steps.join(creator, collab["id"])
    token = steps.link(creator, pid)["token"]
    assert steps.call("POST", f"/creators/{creator['id']}/links", make_creator()["headers"], 403,
                      json={"product_id": pid})["code"] == "not_your_creator"
    steps.click(creator, token, expect=403)
    assert steps.click(buyer, "no-such-token", expect=404)["code"] == "link_not_found"
    assert steps.join(make_creator(status="ineligible"), collab["id"], expect=409)["code"] == "creator_not_affiliate"


def test_a_suspended_creator_is_not_attributed(db, steps, shop, product, creator, buyer):
    from marketcast.creators.models import Creator

    pid, sku = product()
    collab = steps.collaboration(shop, product_ids=[pid])
    steps.join(creator, collab["id"])
    token = steps.link(creator, pid)["token"]
    steps.click(buyer, token)
    with db() as s:
        s.get(Creator, creator["id"]).affiliate_status = "suspended"
    assert _line(steps.order(buyer, [(sku, 1)]))["attribution"] is None
    assert _line(steps.order(buyer, [(sku, 1)], attribution={"link_token": token}))["attribution"] is None
