"""The ledger follows each order move in its own transaction: fees charged when paid and given back pro rata,
commissions owed from the affiliate area, the hold after delivery; benefits and adjustments; bad input."""

from datetime import timedelta

from sqlalchemy import func, select

from marketcast.core import clock
from marketcast.finance import service
from marketcast.finance.models import FeeDiscount, LedgerEntry
from marketcast.orders import hooks
from tests.finance.conftest import set_policy


def kinds(entries: list[dict]) -> list[tuple[str, int]]:
    return [(e["kind"], e["amount"]["amount"]) for e in entries]


def test_paid_order_books_sale_and_referral_fee(steps, make_shop, product, make_buyer, at):
    with clock.frozen(at(2024, 7, 1, 15)):
        shop, buyer = make_shop(), make_buyer()
        _, sku = product(shop, price=1995)
        order = steps.sale(buyer, [(sku, 2)])
        entries = steps.ledger(shop)
    # The default: 8% of what the buyer paid (3990 × 0.08 = 319.2 → 319), no fixed fee.
    assert kinds(entries) == [("sale", 3990), ("referral_fee", -319)]
    assert all(e["order_id"] == order["id"] and e["status"] == "pending" and e["due_at"] is None for e in entries)
    assert entries[1]["details"]["referral_bps"] == 800
    assert steps.balance(shop) == {"pending": 3990 - 319, "payable": 0, "paid": 0, "carried": 0}


def test_fixed_fee_and_pro_rata_fee_refunds(db, steps, make_shop, product, make_buyer, at):
    set_policy(db, "finance.fee.referral_bps", 200)
    set_policy(db, "finance.fee.per_order", {"amount": 30, "currency": "USD"})
    with clock.frozen(at(2024, 3, 1, 15)):
        shop, buyer = make_shop(), make_buyer()
        _, sku = product(shop, price=1000)
        order = steps.sale(buyer, [(sku, 3)])
        line = order["lines"][0]["id"]
        steps.refund(shop, order["id"], line, 1)
        steps.refund(shop, order["id"], line, 1)
        partial = steps.ledger(shop)
        steps.refund(shop, order["id"], line, 1)
        entries = steps.ledger(shop)
    fee = 60 + 30  # 2% of $30.00 plus $0.30
    assert kinds(partial) == [("sale", 3000), ("referral_fee", -fee), ("refund", -1000), ("fee_refund", 30),
                              ("refund", -1000), ("fee_refund", 30)]
    assert kinds(entries)[-2:] == [("refund", -1000), ("fee_refund", 30)]
    assert sum(e["amount"]["amount"] for e in entries) == 0  # a full refund gives every fee back
    # Fully refunded before delivery: its entries are due at once (they net to nothing).
    assert {e["status"] for e in entries} == {"payable"}


def test_fee_refund_rounds_on_running_totals(db, steps, make_shop, product, make_buyer, at):
    with clock.frozen(at(2024, 7, 1, 15)):
        shop, buyer = make_shop(), make_buyer()
        _, sku = product(shop, price=333)
        order = steps.sale(buyer, [(sku, 3)])  # 999 × 8% = 79.92 → 80
        for _ in range(3):
            steps.refund(shop, order["id"], order["lines"][0]["id"], 1)
        entries = steps.ledger(shop, kind="fee_refund")
    assert [e["amount"]["amount"] for e in entries] == [27, 26, 27]  # 26.67→27, 53.33→53, 80


def test_commission_owed_follows_the_affiliate_area(steps, make_shop, product, make_buyer, make_creator, at):
    with clock.frozen(at(2024, 7, 1, 15)):
        shop, buyer, creator = make_shop(), make_buyer(), make_creator()
        pid, sku = product(shop, price=1000)
        token = steps.affiliate_link(creator, shop, pid, rate_bps=1234)
        order = steps.sale(buyer, [(sku, 4)], attribution={"link_token": token})
        steps.refund(shop, order["id"], order["lines"][0]["id"], 1)
        entries = steps.ledger(shop, kind="commission")
    # 4000 × 12.34% = 493.6 → 494 owed; after one unit back, 3000 × 12.34% = 370.2 → 370, so 124 given back.
    assert kinds(entries) == [("commission", -494), ("commission", 124)]


def test_finance_books_after_the_affiliate_area_moved_its_commissions():
    from marketcast.affiliate import handlers as affiliate_handlers
    from marketcast.finance import handlers as finance_handlers

    for hook, ours, theirs in ((hooks.order_paid, finance_handlers.book_paid_order,
                                affiliate_handlers.commissions_for_paid_order),
                               (hooks.order_refunded, finance_handlers.book_refund,
                                affiliate_handlers.commissions_follow_refund)):
        assert hook.handlers.index(theirs) < hook.handlers.index(ours)


def test_nothing_payable_before_the_hold(db, steps, make_shop, product, make_buyer, at):
    set_policy(db, "shop.settlement.hold_days", 7)
    with clock.frozen(at(2024, 7, 1, 15)):
        shop, buyer = make_shop(), make_buyer()
        _, sku = product(shop, price=1000)
        order = steps.sale(buyer, [(sku, 1)])
    with clock.frozen(at(2024, 7, 3, 15)):
        steps.deliver(shop, order["id"])
        assert steps.balance(shop)["payable"] == 0
    with clock.frozen(at(2024, 7, 10, 15) - timedelta(seconds=1)):
        assert steps.balance(shop) == {"pending": 920, "payable": 0, "paid": 0, "carried": 0}
    with clock.frozen(at(2024, 7, 10, 15)):
        assert steps.balance(shop) == {"pending": 0, "payable": 920, "paid": 0, "carried": 0}
        entries = steps.ledger(shop)
        assert {e["status"] for e in entries} == {"payable"}
        assert entries[0]["due_at"].startswith("2024-07-10T15:00")
        # A refund after the hold is payable at once.
        steps.refund(shop, order["id"], order["lines"][0]["id"], 1)
        assert steps.balance(shop) == {"pending": 0, "payable": 0, "paid": 0, "carried": 0}


def test_operator_adjustment_and_bad_input(db, steps, make_shop, operator, at):
    shop = make_shop()
    path = f"/shops/{shop['id']}/adjustments"
    bad = [({"amount": {"amount": 0, "currency": "USD"}, "reason": "x"}, "amount.amount", "invalid_entry_amount"),
           ({"amount": {"amount": 100, "currency": "EUR"}, "reason": "x"}, "amount.currency",
            "currency_not_of_market"),
           ({"amount": {"amount": "100", "currency": "USD"}, "reason": "x"}, "amount.amount", "validation_error"),
           ({"amount": {"amount": 100, "currency": "USD"}, "reason": " "}, "reason", "reason_required"),
           ({"amount": {"amount": 100, "currency": "USD"}}, "reason", "validation_error")]
    for body, field, code in bad:
        problem = steps.call("POST", path, operator, 422, json=body)
        assert (problem["code"], problem["field"]) == (code, field), problem
    steps.call("POST", path, shop["headers"], 403, json={"amount": {"amount": 100, "currency": "USD"},
                                                         "reason": "mine"})
    with db(write=False) as s:
        assert s.scalar(select(func.count()).select_from(LedgerEntry)) == 0
    made = steps.call("POST", path, operator, 201, json={"amount": {"amount": -250, "currency": "USD"},
                                                         "reason": "damaged parcel"})
    assert (made["kind"], made["amount"]["amount"], made["memo"], made["status"]) == \
        ("adjustment", -250, "damaged parcel", "payable")
    assert steps.balance(shop)["payable"] == -250


def test_ledger_filters_and_bad_queries(steps, make_shop, product, make_buyer, at):
    with clock.frozen(at(2024, 7, 1, 15)):
        shop, buyer = make_shop(), make_buyer()
        _, sku = product(shop)
        steps.sale(buyer, [(sku, 1)])
    assert kinds(steps.ledger(shop, kind="sale")) == [("sale", 1000)]
    assert steps.ledger(shop, **{"from": "2024-07-02T00:00:00Z"}) == []
    assert len(steps.ledger(shop, **{"from": "2024-07-01", "to": "2024-07-02"})) == 2
    for params, field in (({"kind": "fee"}, "kind"), ({"from": "2024-07-02", "to": "2024-07-01"}, "to"),
                          ({"from": "yesterday"}, "from")):
        problem = steps.call("GET", f"/shops/{shop['id']}/ledger", shop["headers"], 422, params=params)
        assert problem["field"] == field, problem
    other = make_shop()
    steps.call("GET", f"/shops/{shop['id']}/ledger", other["headers"], 403)
    steps.call("GET", f"/shops/{shop['id']}/balance", other["headers"], 403)


def test_benefits_and_fee_discounts_for_other_areas(db, steps, make_shop, product, make_buyer, at):
    start = at(2024, 7, 1)
    with clock.frozen(start):
        shop, buyer = make_shop(), make_buyer()
        _, sku = product(shop, price=10_000)
        with db() as s:
            assert service.referral_fee_bps(s, shop["id"], start) == 800
            service.grant_fee_discount(s, shop_id=shop["id"], discount_bps=200, starts_at=start,
                                       ends_at=start + timedelta(days=31), source="programs", reference="p1:2024-07",
                                       reason="qualified in June")
            again = service.grant_fee_discount(s, shop_id=shop["id"], discount_bps=200, starts_at=start,
                                               ends_at=start + timedelta(days=31), source="programs",
                                               reference="p1:2024-07", reason="qualified in June")
            assert service.referral_fee_bps(s, shop["id"], start) == 600
            assert service.referral_fee_bps(s, shop["id"], start + timedelta(days=31)) == 800
            first = service.post_benefit(s, shop_id=shop["id"], amount=5000, currency="USD", reason="top 5 reward",
                                         source="programs", reference="p1:2024-06")
            second = service.post_benefit(s, shop_id=shop["id"], amount=5000, currency="USD",
                                          reason="top 5 reward", source="programs", reference="p1:2024-06")
            assert first.id == second.id
            assert s.scalar(select(func.count()).select_from(FeeDiscount)) == 1 and again is not None
        order = steps.sale(buyer, [(sku, 1)])
        fee = steps.ledger(shop, kind="referral_fee")[0]
        assert fee["amount"]["amount"] == -600 and fee["details"]["discount_bps"] == 200
        assert fee["order_id"] == order["id"]
        assert kinds(steps.ledger(shop, kind="benefit")) == [("benefit", 5000)]
        fees = steps.call("GET", f"/shops/{shop['id']}/fees", shop["headers"])
        assert (fees["referral_fee_bps"], fees["base_bps"], fees["discount_bps"]) == (600, 800, 200)
