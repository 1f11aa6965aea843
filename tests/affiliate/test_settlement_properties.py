"""Property: over any sequence of sales, refunds, cancellations, deliveries, freezes, time passing and
settlement runs, a creator's books reconcile:

- every statement's total = the sum of its commission lines + its adjustments, and paid_out + carried_out =
  carried_in + total;
- paid + carried = earned − reversed − outstanding (what is not on a statement yet), and once everything is
  delivered, unfrozen and settled, paid + carried = earned − reversed exactly.

Each example builds its own shop, creator and buyer (the database is emptied after the test, not per example)."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from marketcast.affiliate import jobs
from marketcast.affiliate.models import Commission, CommissionAdjustment, Payout, Statement
from marketcast.core import clock

ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("sale"), st.integers(1, 5), st.integers(100, 9999)),
    st.tuples(st.just("unpaid_then_cancel"), st.integers(1, 3)),
    st.tuples(st.just("deliver"), st.integers(0, 20)),
    st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 5)),
    st.tuples(st.just("freeze"), st.integers(0, 20)),
    st.tuples(st.just("unfreeze"), st.integers(0, 20)),
    st.tuples(st.just("days"), st.integers(1, 20)),
    st.tuples(st.just("settle"),),
), min_size=1, max_size=18)


def _check_books(db, creator_id: str, *, final: bool) -> None:
    with db(write=False) as s:
        commissions = list(s.scalars(select(Commission).where(Commission.creator_id == creator_id)))
        statements = list(s.scalars(select(Statement).where(Statement.creator_id == creator_id)
                                    .order_by(Statement.period_start)))
        adjustments = list(s.scalars(select(CommissionAdjustment).where(CommissionAdjustment.creator_id == creator_id)))
        paid = sum(s.scalars(select(Payout.amount).where(Payout.creator_id == creator_id)))
    carried = 0
    for st_ in statements:
        lines = [c.settled_amount for c in commissions if c.statement_id == st_.id]
        adjusted = [a.amount for a in adjustments if a.statement_id == st_.id]
        assert st_.total == sum(lines) + sum(adjusted) == st_.commissions_total + st_.adjustments_total
        assert st_.paid_out + st_.carried_out == st_.carried_in + st_.total
        assert st_.carried_in == carried
        carried = st_.carried_out
    earned = sum(c.original_amount for c in commissions)
    reversed_ = sum(c.original_amount - c.amount for c in commissions)
    outstanding = sum(c.amount for c in commissions if c.statement_id is None) + \
        sum(a.amount for a in adjustments if a.statement_id is None)
    assert paid + carried == earned - reversed_ - outstanding
    if final:
        assert outstanding == 0 and paid + carried == earned - reversed_


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_books_reconcile_over_any_sequence(db, steps, make_shop, product, make_creator, make_buyer, operator, at,
                                           actions):
    now = at(2024, 7, 1, 15)
    with clock.frozen(now):
        shop, creator, buyer = make_shop(), make_creator(), make_buyer()
        pid, sku = product(price=1000, stock=10_000, shop_id=shop["id"])
        collab = steps.collaboration(shop, product_ids=[pid], commission_rate_bps=1234)
        steps.join(creator, collab["id"])
        token = steps.link(creator, pid)["token"]
    paid_orders: list[dict] = []
    for action in actions:
        with clock.frozen(now):
            now = _apply(steps, shop, creator, buyer, operator, sku, token, paid_orders, action, now)
            _check_books(db, creator["id"], final=False)
    for order in paid_orders:  # wind down: everything delivered and unfrozen, then settled well after the hold
        with clock.frozen(now):
            if order["status"] == "paid":
                steps.deliver(shop, order["id"])
    with clock.frozen(now):
        for c in steps.commissions(creator, status="frozen"):
            steps.call("POST", f"/commissions/{c['id']}/unfreeze", operator, json={"reason": "cleared"})
    for step in range(4):
        with clock.frozen(now + timedelta(days=16 * (step + 1))):
            jobs.settle_commissions()
    _check_books(db, creator["id"], final=True)


def _apply(steps, shop, creator, buyer, operator, sku, token, paid_orders, action, now):
    kind = action[0]
    if kind == "sale":
        order = steps.sale(buyer, [(sku, action[1])], attribution={"link_token": token})
        paid_orders.append(order)
    elif kind == "unpaid_then_cancel":
        order = steps.order(buyer, [(sku, action[1])], attribution={"link_token": token})
        steps.call("POST", f"/orders/{order['id']}/cancel", buyer["headers"])
    elif kind == "deliver" and paid_orders:
        order = paid_orders[action[1] % len(paid_orders)]
        if order["status"] == "paid":
            order.update(steps.deliver(shop, order["id"]))
    elif kind == "refund" and paid_orders:
        order = paid_orders[action[1] % len(paid_orders)]
        line = order["lines"][0]
        left = line["quantity"] - line["refunded_quantity"]
        if left:
            steps.refund(shop, order["id"], line["id"], min(left, action[2]))
            line["refunded_quantity"] += min(left, action[2])
    elif kind in ("freeze", "unfreeze"):
        wanted = ("pending", "settleable") if kind == "freeze" else ("frozen",)
        candidates = [c for c in steps.commissions(creator) if c["status"] in wanted]
        if candidates:
            c = candidates[action[1] % len(candidates)]
            steps.call("POST", f"/commissions/{c['id']}/{kind}", operator, json={"reason": "property test"})
    elif kind == "days":
        return now + timedelta(days=action[1])
    elif kind == "settle":
        jobs.settle_commissions()
    return now
