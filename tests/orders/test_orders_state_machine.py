"""Hypothesis drives checkout / pay / cancel / expire / refund (restock or not) / set available in any order.

Invariants after every step: per SKU available + reserved + sold only changes through set_available, no counter
is negative, reserved equals the units of pending orders, refunds never exceed what was paid, and the GMV
rollups' net (the shop's, and the whole market's) equals the sum of paid totals minus the sum of refunds."""

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from marketcast.catalog import service as catalog
from marketcast.catalog.models import Sku
from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.core.errors import DomainError
from marketcast.orders import payments, service
from marketcast.orders.models import Order, OrderLine
from marketcast.reports.models import GmvDaily, GmvMarketDaily
from tests.support.commerce import write_product, write_shop

START = datetime(2024, 9, 2, 12, tzinfo=UTC)


class Orders(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        clock.set_now(START)
        with unit_of_work() as s:
            seller = auth.create_user(s, email=f"s-{uuid.uuid4().hex[:12]}@example.com", role="seller")
            buyer = auth.create_user(s, email=f"b-{uuid.uuid4().hex[:12]}@example.com", role="buyer")
            self.seller, self.buyer = auth.actor_of(seller), auth.actor_of(buyer)
        self.shop = write_shop(unit_of_work, user_id=self.seller.user_id, email=self.seller.email)
        self.skus = write_product(unit_of_work, shop_id=self.shop, stock=[3, 2], prices=[500, 120])
        self.totals = {sku: n for sku, n in zip(self.skus, [3, 2], strict=True)}
        self.orders: list[str] = []

    def _run(self, fn):
        try:
            with unit_of_work() as s:
                return fn(s)
        except DomainError:
            return None

    @rule(a=st.integers(0, 3), b=st.integers(0, 3))
    def checkout(self, a, b):
        lines = [(sku, n) for sku, n in zip(self.skus, (a, b), strict=True) if n]
        if lines:
            made = self._run(lambda s: service.checkout(s, buyer=self.buyer, lines=lines))
            if made:
                self.orders.append(made[0].id)

    @precondition(lambda self: self.orders)
    @rule(i=st.integers(0, 50), card=st.sampled_from([payments.APPROVE, payments.DECLINE]))
    def pay(self, i, card):
        oid = self.orders[i % len(self.orders)]
        started = self._run(lambda s: payments.begin(s, order_id=oid, actor=self.buyer, provider="test",
                                                     card_number=card))
        if started and started.attempt_id:
            result = payments.charge(payments.get_provider(), started=started, card_number=card)
            self._run(lambda s: payments.finish(s, started=started, result=result))

    @precondition(lambda self: self.orders)
    @rule(i=st.integers(0, 50))
    def cancel(self, i):
        oid = self.orders[i % len(self.orders)]
        self._run(lambda s: service.cancel(s, order_id=oid, actor=self.buyer))

    @rule(minutes=st.integers(1, 45))
    def time_passes_and_expiry_runs(self, minutes):
        clock.set_now(clock.now() + timedelta(minutes=minutes))
        self._run(service.expire_unpaid)

    @precondition(lambda self: self.orders)
    @rule(i=st.integers(0, 50), qty=st.integers(1, 3), restock=st.booleans(), second=st.booleans())
    def refund(self, i, qty, restock, second):
        oid = self.orders[i % len(self.orders)]

        def go(s):
            lines = service.lines_of(s, oid)
            line = lines[-1] if second else lines[0]
            return service.refund(s, order_id=oid, lines=[(line.id, qty)], restock=restock, actor=SYSTEM)

        self._run(go)

    @rule(j=st.integers(0, 1), available=st.integers(0, 4))
    def set_available(self, j, available):
        sku = self.skus[j]
        row = self._run(lambda s: catalog.set_available(s, sku_id=sku, available=available, actor=self.seller))
        if row is not None:
            self.totals[sku] = row.available + row.reserved + row.sold

    @invariant()
    def stock_is_conserved_and_never_negative(self):
        if not hasattr(self, "skus"):
            return
        with unit_of_work(write=False) as s:
            rows = s.execute(select(Sku.id, Sku.available, Sku.reserved, Sku.sold).where(Sku.id.in_(self.skus)))
            pending = dict(s.execute(select(OrderLine.sku_id, func.sum(OrderLine.quantity))
                                     .join(Order, Order.id == OrderLine.order_id)
                                     .where(Order.shop_id == self.shop, Order.status == "pending_payment")
                                     .group_by(OrderLine.sku_id)).all())
            for sku, available, reserved, sold in rows:
                assert min(available, reserved, sold) >= 0
                assert available + reserved + sold == self.totals[sku]
                assert reserved == (pending.get(sku) or 0)

    @invariant()
    def refunds_within_payments_and_gmv_adds_up(self):
        if not hasattr(self, "shop"):
            return
        with unit_of_work(write=False) as s:
            orders = s.scalars(select(Order).where(Order.shop_id == self.shop)).all()
            for o in orders:
                assert 0 <= o.refunded_amount <= (o.total_amount if o.paid_at else 0)
            gmv, refunds = s.execute(select(func.coalesce(func.sum(GmvDaily.gmv), 0),
                                            func.coalesce(func.sum(GmvDaily.refunds), 0))
                                     .where(GmvDaily.shop_id == self.shop)).one()
            market_net = s.scalar(select(func.coalesce(func.sum(GmvMarketDaily.gmv - GmvMarketDaily.refunds), 0))
                                  .where(GmvMarketDaily.market == "US"))
            # Every example's orders stay until the test ends, in the one market: the market rollup covers them all.
            market_scan = s.scalar(select(func.coalesce(func.sum(Order.total_amount - Order.refunded_amount), 0))
                                   .where(Order.market == "US", Order.paid_at.is_not(None)))
        paid = sum(o.total_amount for o in orders if o.paid_at)
        assert gmv - refunds == paid - sum(o.refunded_amount for o in orders)
        assert market_net == market_scan

    def teardown(self):
        clock.set_now(None)


Orders.TestCase.settings = settings(max_examples=25, stateful_step_count=20, deadline=None,
                                    suppress_health_check=list(HealthCheck))


def test_orders_state_machine(live_markets):
    # live_markets makes the market once; each example adds its own shop, SKUs and users.
    Orders.TestCase().runTest()
