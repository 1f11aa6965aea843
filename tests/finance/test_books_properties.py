"""Property: over any sequence of sales (some sold by a creator), refunds, deliveries, benefits, adjustments,
time passing and settlement runs, every shop's books reconcile:

- each ledger line equals what an independent reckoning of the same history says it must be (8% referral fee
  half-up per order, fees given back pro rata, 12.34% commission on what the buyer kept);
- payable + paid + carried + pending = sales − refunds − fees + fee refunds − commissions + benefits +
  adjustments, where payable is what is due on no statement, carried what the last statement carried over;
- nothing is payable before its order's hold is over; every statement's net is its lines and the entries
  behind them, paid_out + carried_out = carried_in + net, and carried_in is the previous carried_out;
- a second settlement run at the same moment closes nothing; at the end, with everything delivered and the
  holds over, nothing is pending or unstated and paid + carried is the whole ledger.

Each example builds its own two shops (the database is emptied after the test, not per example)."""

from dataclasses import dataclass, field
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from marketcast.core import clock
from marketcast.finance import jobs, rules, service
from marketcast.finance.models import LedgerEntry, OrderHold, ShopPayout, ShopStatement, StatementEntry
from tests.finance.conftest import set_policy

RATE = 1234
ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("sale"), st.integers(0, 1), st.integers(1, 4), st.integers(50, 9999), st.booleans()),
    st.tuples(st.just("deliver"), st.integers(0, 30)),
    st.tuples(st.just("refund"), st.integers(0, 30), st.integers(1, 4)),
    st.tuples(st.just("benefit"), st.integers(0, 1), st.integers(-3000, 5000).filter(bool)),
    st.tuples(st.just("adjustment"), st.integers(0, 1), st.integers(-3000, 3000).filter(bool)),
    st.tuples(st.just("days"), st.integers(1, 12)),
    st.tuples(st.just("settle"),),
), min_size=1, max_size=16)


@dataclass
class Book:
    """What a shop's ledger must hold, reckoned from the history alone."""

    sales: int = 0
    refunds: int = 0
    fees: int = 0
    fee_refunds: int = 0
    commissions: int = 0
    benefits: int = 0
    adjustments: int = 0
    orders: list = field(default_factory=list)

    def reckon(self) -> dict[str, int]:
        fees = fee_refunds = commissions = 0
        for o in self.orders:
            fee = rules.referral_fee(o["total"], 800)
            fees += fee
            fee_refunds += rules.fee_given_back(fee=fee, paid=o["total"], refunded=o["refunded"] * o["price"])
            if o["creator"]:
                commissions += rules.half_up(o["price"] * (o["qty"] - o["refunded"]) * RATE, rules.BPS)
        return {"sales": self.sales, "refunds": -self.refunds, "fees": -fees, "fee_refunds": fee_refunds,
                "commissions": -commissions, "benefits": self.benefits, "adjustments": self.adjustments}


def _check(db, shop: dict, book: Book, *, final: bool) -> None:
    now = clock.now()
    with db(write=False) as s:
        entries = list(s.scalars(select(LedgerEntry).where(LedgerEntry.shop_id == shop["id"])))
        statements = list(s.scalars(select(ShopStatement).where(ShopStatement.shop_id == shop["id"])
                                    .order_by(ShopStatement.period_start)))
        stated = dict(s.execute(select(StatementEntry.entry_id, StatementEntry.statement_id)).all())
        holds = {h.order_id: h for h in s.scalars(select(OrderHold).where(OrderHold.shop_id == shop["id"]))}
        paid = sum(s.scalars(select(ShopPayout.amount).where(ShopPayout.shop_id == shop["id"])))
        balance = service.balance(s, shop_id=shop["id"])
        views = service.views(s, entries)
    expected = book.reckon()
    assert rules.LINE_OF_KIND and {line: sum(e.amount for e in entries if rules.LINE_OF_KIND[e.kind] == line)
                                   for line in expected} == expected
    carried = 0
    for st_ in statements:
        behind = [e for e in entries if stated.get(e.id) == st_.id]
        assert {line: getattr(st_, line) for line in expected} == \
            {line: sum(e.amount for e in behind if rules.LINE_OF_KIND[e.kind] == line) for line in expected}
        assert st_.net == sum(e.amount for e in behind) and st_.entries == len(behind)
        assert st_.paid_out + st_.carried_out == st_.carried_in + st_.net and st_.carried_in == carried
        carried = st_.carried_out
    for v in views:  # nothing payable before its hold is over
        if v.status != "pending" and v.entry.order_id is not None:
            hold = holds[v.entry.order_id]
            assert hold.due_at <= now and (hold.reason == "fully_refunded" or hold.delivered_at is not None)
    due_unstated = sum(v.entry.amount for v in views if v.status == "payable")
    pending = sum(v.entry.amount for v in views if v.status == "pending")
    total = sum(expected.values())
    assert due_unstated + paid + carried + pending == total
    assert (balance.pending, balance.payable, balance.paid, balance.carried) == \
        (pending, due_unstated + carried, paid, carried)
    if final:
        assert pending == 0 and due_unstated == 0 and paid + carried == total


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_books_reconcile_over_any_sequence(db, steps, make_shop, product, make_buyer, make_creator, operator, at,
                                           actions):
    now = at(2024, 7, 1, 15)
    with clock.frozen(now):
        shops, buyer, creator = [make_shop(), make_shop()], make_buyer(), make_creator()
        skus, tokens = [], []
        for shop in shops:
            pid, sku = product(shop, price=1000, stock=100_000)
            skus.append(sku)
            tokens.append(steps.affiliate_link(creator, shop, pid, rate_bps=RATE))
    books = [Book(), Book()]
    for action in actions:
        with clock.frozen(now):
            now = _apply(db, steps, shops, books, buyer, skus, tokens, operator, action, now)
            for shop, book in zip(shops, books, strict=True):
                _check(db, shop, book, final=False)
    with clock.frozen(now):  # wind down: everything delivered, then settled well after the holds
        for shop, book in zip(shops, books, strict=True):
            for o in book.orders:
                if o["status"] == "paid":
                    steps.deliver(shop, o["id"])
    for step in range(3):
        with clock.frozen(now + timedelta(days=20 * (step + 1))):
            jobs.close_statements()
    with clock.frozen(now + timedelta(days=60)):
        for shop, book in zip(shops, books, strict=True):
            _check(db, shop, book, final=True)


def _apply(db, steps, shops, books, buyer, skus, tokens, operator, action, now):
    kind = action[0]
    if kind == "sale":
        _, i, qty, price, by_creator = action
        with db() as s:  # each sale at its own price: the SKU's price moves (prices are the catalog's business)
            from marketcast.catalog.models import Sku

            s.get(Sku, skus[i]).price = price
        order = steps.sale(buyer, [(skus[i], qty)], attribution={"link_token": tokens[i]} if by_creator else None)
        books[i].sales += price * qty
        books[i].orders.append({"id": order["id"], "line": order["lines"][0]["id"], "price": price, "qty": qty,
                                "total": price * qty, "refunded": 0, "creator": by_creator, "status": "paid",
                                "shop": i})
    elif kind in ("deliver", "refund"):
        orders = [o for book in books for o in book.orders]
        if not orders:
            return now
        o = orders[action[1] % len(orders)]
        shop = shops[o["shop"]]
        if kind == "deliver" and o["status"] == "paid":
            steps.deliver(shop, o["id"])
            o["status"] = "delivered"
        elif kind == "refund" and o["refunded"] < o["qty"]:
            units = min(action[2], o["qty"] - o["refunded"])
            steps.refund(shop, o["id"], o["line"], units)
            o["refunded"] += units
            books[o["shop"]].refunds += units * o["price"]
    elif kind == "benefit":
        with db() as s:
            service.post_benefit(s, shop_id=shops[action[1]]["id"], amount=action[2], currency="USD",
                                 reason="property test", source="test")
        books[action[1]].benefits += action[2]
    elif kind == "adjustment":
        steps.call("POST", f"/shops/{shops[action[1]]['id']}/adjustments", operator, 201,
                   json={"amount": {"amount": action[2], "currency": "USD"}, "reason": "property test"})
        books[action[1]].adjustments += action[2]
    elif kind == "days":
        return now + timedelta(days=action[1])
    elif kind == "settle":
        jobs.close_statements()
        assert jobs.close_statements() == 0
    return now


def test_min_payout_carries_in_the_property_too(db, steps, make_shop, product, make_buyer, at):
    """The same checks with a minimum payout that most balances stay under, so carrying is exercised."""
    set_policy(db, "shop.payout.min_amount", {"amount": 1_000_000, "currency": "USD"})
    with clock.frozen(at(2024, 7, 1, 15)):
        shop, buyer = make_shop(), make_buyer()
        _, sku = product(shop, price=1000)
        book = Book()
        order = steps.sale(buyer, [(sku, 2)])
        book.sales += 2000
        book.orders.append({"id": order["id"], "price": 1000, "qty": 2, "total": 2000, "refunded": 0,
                            "creator": False})
        steps.deliver(shop, order["id"])
    with clock.frozen(at(2024, 7, 17, 15)):
        steps.refund(shop, order["id"], order["lines"][0]["id"], 1)
        book.refunds += 1000
        book.orders[0]["refunded"] = 1
    with clock.frozen(at(2024, 7, 23, 15)):
        assert jobs.close_statements() == 1
        _check(db, shop, book, final=True)
        assert steps.balance(shop)["carried"] == 2000 - 160 - 1000 + 80
