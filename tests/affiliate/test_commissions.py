"""Commissions through the order's life: one per line (database-enforced), pro rata on partial refunds, reversed
on a full one, settleable only after the hold, settled on a statement whose sums reconcile, negative
adjustments after settlement, the operator's freeze; shops' affiliate orders and GMV by creator."""

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from marketcast.affiliate import jobs
from marketcast.affiliate.models import Commission
from marketcast.core import clock
from marketcast.core.ids import new_id


@pytest.fixture
def attributed(steps, shop, product, creator, buyer):
    """attributed(quantity=4, price=1000, rate=1000) -> the paid order of a sale through the creator's link."""

    def _sale(quantity: int = 4, price: int = 1000, rate: int = 1000) -> dict:
        pid, sku = product(price=price)
        collab = steps.collaboration(shop, product_ids=[pid], commission_rate_bps=rate)
        steps.join(creator, collab["id"])
        steps.click(buyer, steps.link(creator, pid)["token"])
        return steps.sale(buyer, [(sku, quantity)])

    return _sale


def test_partial_refund_pro_rata_full_refund_reverses(steps, shop, creator, attributed):
    order = attributed(quantity=4, price=995, rate=1250)  # 3980 × 12.5% = 497.5 -> 498
    line = order["lines"][0]["id"]
    [c] = steps.commissions(creator)
    assert c["amount"]["amount"] == 498
    steps.refund(shop, order["id"], line, 1)  # 2985 × 12.5% = 373.125 -> 373
    [c] = steps.commissions(creator)
    assert (c["status"], c["base"]["amount"], c["amount"]["amount"]) == ("pending", 2985, 373)
    steps.refund(shop, order["id"], line, 3)
    [c] = steps.commissions(creator, status="reversed")
    assert (c["base"]["amount"], c["amount"]["amount"]) == (0, 0)


def test_one_commission_per_line_is_enforced_by_the_database(db, creator, attributed):
    order = attributed()
    with pytest.raises(IntegrityError), db() as s:
        s.add(Commission(id=new_id("com"), order_id=order["id"], order_line_id=order["lines"][0]["id"],
                         creator_id=creator["id"], collaboration_id=None, shop_id="shp_x", market="US",
                         currency="USD", source="link", commission_rate_bps=1000, unit_price=1, quantity=1,
                         refunded_quantity=0, base_amount=1, original_amount=0, amount=0, status="pending",
                         created_at=clock.now(), updated_at=clock.now()))


def test_settles_only_after_the_hold_in_a_statement_that_reconciles(steps, shop, creator, attributed, at):
    with clock.frozen(at(2024, 7, 1, 15)):
        order = attributed(quantity=3, price=1000, rate=1000)  # 300 cents, above no minimum: $25 is 2500
        steps.deliver(shop, order["id"])
    with clock.frozen(at(2024, 7, 16, 14)):  # 15 days minus an hour after delivery
        jobs.settle_commissions()
        assert steps.commissions(creator)[0]["status"] == "pending"
    with clock.frozen(at(2024, 7, 16, 16)):
        jobs.settle_commissions()
        assert steps.commissions(creator)[0]["status"] == "settleable"  # the 16..31 July period has not ended
        assert steps.call("GET", f"/creators/{creator['id']}/statements", creator["headers"])["items"] == []
    with clock.frozen(at(2024, 8, 1, 12)):
        jobs.settle_commissions()
        jobs.settle_commissions()  # closing twice closes nothing more
        [statement] = steps.call("GET", f"/creators/{creator['id']}/statements", creator["headers"])["items"]
    assert statement["period_start"].startswith("2024-07-16") and statement["total"]["amount"] == 300
    assert (statement["paid_out"]["amount"], statement["carried_out"]["amount"]) == (0, 300)  # under $25
    detail = steps.call("GET", f"/creators/{creator['id']}/statements/{statement['id']}", creator["headers"])
    assert sum(c["amount"]["amount"] for c in detail["lines"]) + \
        sum(a["amount"]["amount"] for a in detail["adjustments"]) == detail["total"]["amount"]
    assert detail["payout"] is None
    assert steps.commissions(creator)[0]["status"] == "settled"


def test_refund_after_settlement_is_a_negative_adjustment_next_time(steps, shop, creator, attributed, at):
    with clock.frozen(at(2024, 7, 1, 15)):
        order = attributed(quantity=10, price=5000, rate=1000)  # 5000 cents commission, paid out
        steps.deliver(shop, order["id"])
    with clock.frozen(at(2024, 8, 1, 12)):
        jobs.settle_commissions()
        [first] = steps.call("GET", f"/creators/{creator['id']}/statements", creator["headers"])["items"]
        assert (first["paid_out"]["amount"], first["carried_out"]["amount"]) == (5000, 0)
        steps.refund(shop, order["id"], order["lines"][0]["id"], 2)
        [c] = steps.commissions(creator)
        assert (c["status"], c["amount"]["amount"]) == ("settled", 4000)
    with clock.frozen(at(2024, 8, 16, 12)):
        jobs.settle_commissions()
        statements = steps.call("GET", f"/creators/{creator['id']}/statements", creator["headers"])["items"]
    second = statements[-1]
    assert (second["adjustments_total"]["amount"], second["total"]["amount"], second["carried_out"]["amount"]) == \
        (-1000, -1000, -1000)
    books = steps.call("GET", f"/creators/{creator['id']}/earnings", creator["headers"])
    assert books["earned"] - books["reversed"] == books["paid"] + books["carried"] + books["outstanding"]


def test_freeze_keeps_it_out_of_settlement_until_unfrozen(steps, shop, creator, attributed, operator, at):
    with clock.frozen(at(2024, 7, 1, 15)):
        order = attributed()
        steps.deliver(shop, order["id"])
        [c] = steps.commissions(creator)
        steps.call("POST", f"/commissions/{c['id']}/freeze", operator, 422, json={"reason": " "})
        steps.call("POST", f"/commissions/{c['id']}/freeze", creator["headers"], 403, json={"reason": "fraud"})
        frozen = steps.call("POST", f"/commissions/{c['id']}/freeze", operator, json={"reason": "click farm"})
        assert (frozen["status"], frozen["frozen_reason"]) == ("frozen", "click farm")
    with clock.frozen(at(2024, 8, 1, 12)):
        jobs.settle_commissions()
        assert steps.commissions(creator)[0]["status"] == "frozen"
        assert steps.call("GET", f"/creators/{creator['id']}/statements", creator["headers"])["items"] == []
        back = steps.call("POST", f"/commissions/{c['id']}/unfreeze", operator, json={"reason": "checked"})
        assert back["status"] == "pending"
        steps.call("POST", f"/commissions/{c['id']}/unfreeze", operator, 409, json={"reason": "again"})
        jobs.settle_commissions()
        assert steps.commissions(creator)[0]["status"] == "settled"


def test_shops_see_affiliate_orders_owed_and_gmv_by_creator(steps, shop, creator, attributed):
    order = attributed(quantity=2, price=1500, rate=2000)
    sold = steps.call("GET", f"/shops/{shop['id']}/affiliate-orders", shop["headers"])["items"]
    assert [(c["order_id"], c["amount"]["amount"]) for c in sold] == [(order["id"], 600)]
    owed = steps.call("GET", f"/shops/{shop['id']}/commission-owed", shop["headers"])
    assert owed["owed"] == {"USD": {"pending": 600}}
    steps.refund(shop, order["id"], order["lines"][0]["id"], 1)
    today = clock.now().date().isoformat()
    for group_by, key, value in [("creator", "creator_id", creator["id"]),
                                 ("collaboration", "collaboration_id",
                                  order["lines"][0]["attribution"]["collaboration_id"])]:
        report = steps.call("GET", "/reports/gmv", shop["headers"],
                            params={"group_by": group_by, "shop_id": shop["id"], "from": today, "to": today})
        [row] = report["items"]
        assert (row[key], row["gmv"]["amount"], row["refunds"]["amount"], row["orders"]) == (value, 3000, 1500, 1)
        assert "shop_id" not in row


def test_worker_job_reaches_days_after(steps, shop, creator, attributed):
    order = attributed()
    steps.deliver(shop, order["id"])
    with clock.frozen(clock.now() + timedelta(days=15, seconds=1)):
        assert jobs.settle_commissions() >= 1
