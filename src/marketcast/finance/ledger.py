"""The per-shop ledger: entries written in the transaction of the order move that causes them (paid → sale,
referral fee and commissions owed; refund → refund, fee given back pro rata, commissions given back; delivery
→ the hold), benefits posted by other areas, adjustments by operators; and the shop's balance.

Append-only: nothing here updates or deletes an entry. Each cause has a unique `source_ref`, so a cause is
booked once whatever calls this. An entry is pending until its order's hold is over (no hold yet: pending),
then payable until a statement takes it (statements.py)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from marketcast.affiliate import service as affiliate
from marketcast.core import clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import Forbidden, Invalid
from marketcast.core.ids import new_id
from marketcast.core.pagination import Paged, paginate
from marketcast.core.text import reason as check_reason
from marketcast.finance import events, fees, rules
from marketcast.finance.models import ENTRY_KINDS, LedgerEntry, OrderHold, ShopPayout, ShopStatement, StatementEntry
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.sellers import service as sellers

HOLD_KEY = "shop.settlement.hold_days"
MAX_AMOUNT = 10**12  # minor units: a trillion cents is no adjustment anyone means


def _entry(*, shop_id: str, market: str, currency: str, kind: str, amount: int, at: datetime, source_ref: str | None,
           order_id: str | None = None, refund_id: str | None = None, memo: str = "", meta: dict | None = None,
           actor: str | None = None) -> LedgerEntry:
    return LedgerEntry(id=new_id("led"), shop_id=shop_id, market=market, currency=currency, kind=kind, amount=amount,
                       order_id=order_id, refund_id=refund_id, source_ref=source_ref, memo=memo[:500],
                       meta=meta or {}, actor=actor, occurred_at=at)


def _sum(session: Session, order_id: str, kind: str) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                              .where(LedgerEntry.order_id == order_id, LedgerEntry.kind == kind)) or 0)


def _commission_entry(session: Session, order, *, cause: str, at: datetime, refund_id: str | None = None):
    """What the shop owes creators for the order now (the affiliate area's commissions, already moved in this
    transaction by its own handlers) against what the ledger says so far: the difference, if any."""
    owed = affiliate.commission_owed_for_order(session, order_id=order.id)
    booked = -_sum(session, order.id, "commission")
    if owed == booked:
        return None
    return _entry(shop_id=order.shop_id, market=order.market, currency=order.currency, kind="commission",
                  amount=booked - owed, at=at, order_id=order.id, refund_id=refund_id,
                  source_ref=f"{cause}:commission", memo="affiliate commission owed" if owed > booked
                  else "affiliate commission given back", meta={"owed": owed, "booked_before": booked})


def record_paid(session: Session, *, order) -> list[LedgerEntry]:
    """Sale, referral fee (with the fixed fee per order) and commissions owed, as the order is paid."""
    at = order.paid_at or clock.now()
    rate = fees.rate_for(session, shop_id=order.shop_id, market=order.market, currency=order.currency, at=at)
    referral, fixed = fees.order_fee(rate, order.total_amount)
    common: dict[str, Any] = {"shop_id": order.shop_id, "market": order.market, "currency": order.currency, "at": at,
                              "order_id": order.id}
    made = [_entry(kind="sale", amount=order.total_amount, source_ref=f"order:{order.id}:sale",
                   memo="order paid", **common)]
    if referral or fixed:
        made.append(_entry(kind="referral_fee", amount=-(referral + fixed), source_ref=f"order:{order.id}:fee",
                           memo=f"referral fee {rate.referral_bps / 100:g}%" + (" + fixed fee" if fixed else ""),
                           meta={**rate.as_meta(), "base": order.total_amount, "referral": referral, "fixed": fixed},
                           **common))
    commission = _commission_entry(session, order, cause=f"order:{order.id}", at=at)
    if commission is not None:
        made.append(commission)
    session.add_all(made)
    return made


def record_refund(session: Session, *, order, refund, full: bool) -> list[LedgerEntry]:
    """The refund, the fees given back pro rata to what was refunded in all, the commissions given back; a full
    refund before delivery makes the order's entries due at once (they net to nothing)."""
    at = refund.created_at
    common: dict[str, Any] = {"shop_id": order.shop_id, "market": order.market, "currency": order.currency, "at": at,
                              "order_id": order.id, "refund_id": refund.id}
    made = [_entry(kind="refund", amount=-refund.amount, source_ref=f"refund:{refund.id}:refund",
                   memo="refund to the buyer", **common)]
    fee = -_sum(session, order.id, "referral_fee")
    back = rules.fee_given_back(fee=fee, paid=order.total_amount, refunded=order.refunded_amount)
    given = back - _sum(session, order.id, "fee_refund")
    if given > 0:
        made.append(_entry(kind="fee_refund", amount=given, source_ref=f"refund:{refund.id}:fee_refund",
                           memo="fees given back pro rata",
                           meta={"fee": fee, "paid": order.total_amount, "refunded": order.refunded_amount},
                           **common))
    session.add_all(made)
    session.flush()
    commission = _commission_entry(session, order, cause=f"refund:{refund.id}", at=at, refund_id=refund.id)
    if commission is not None:
        session.add(commission)
        made.append(commission)
    if full and session.get(OrderHold, order.id) is None:
        session.add(OrderHold(order_id=order.id, shop_id=order.shop_id, market=order.market, delivered_at=None,
                              hold_days=0, due_at=at, reason="fully_refunded"))
    return made


def record_delivered(session: Session, *, order) -> OrderHold | None:
    """The hold (shop.settlement.hold_days, as in force at delivery) counts from delivery. The order row is
    locked by the move, so the read below cannot race another move of the same order."""
    if session.get(OrderHold, order.id) is not None:
        return None
    at = order.delivered_at or clock.now()
    days = int(policies.value(session, key=HOLD_KEY, market=order.market, at=at))
    hold = OrderHold(order_id=order.id, shop_id=order.shop_id, market=order.market, delivered_at=at, hold_days=days,
                     due_at=at + timedelta(days=days), reason="delivered")
    session.add(hold)
    return hold


# --- benefits and adjustments --------------------------------------------------------------------------------------

def _check_amount(amount: int, currency: str, market_currency: str, *, field: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0 or abs(amount) > MAX_AMOUNT:
        raise Invalid(f"the amount is a non-zero whole number of minor units up to {MAX_AMOUNT:,}",
                      code="invalid_entry_amount", field=f"{field}.amount")
    if currency != market_currency:
        raise Invalid(f"the shop's ledger is in {market_currency}, not {currency}", code="currency_not_of_market",
                      field=f"{field}.currency")
    return amount


def post_benefit(session: Session, *, shop_id: str, amount: int, currency: str, reason: str, source: str,
                 reference: str | None = None, at: datetime | None = None) -> LedgerEntry:
    """A benefit for a shop (a program's reward credit; negative for a clawback), payable at once. With a
    `reference`, posting again for the same source and reference returns the first entry (never booked twice)."""
    shop = sellers.get_shop(session, shop_id)
    market_currency = markets.get(session, shop.market).currency
    _check_amount(amount, currency, market_currency)
    why = check_reason(reason)
    ref = f"benefit:{source}:{reference}"[:200] if reference else None
    if ref is not None:
        found = session.scalar(select(LedgerEntry).where(LedgerEntry.source_ref == ref))
        if found is not None:
            return found
    entry = _entry(shop_id=shop.id, market=shop.market, currency=currency, kind="benefit", amount=amount,
                   at=at or clock.now(), source_ref=ref, memo=why, meta={"source": source, "reference": reference})
    session.add(entry)
    session.flush()
    outbox.emit(session, events.LedgerEntryPosted.of(entry), market=shop.market)
    return entry


def adjust(session: Session, *, shop_id: str, amount: int, currency: str, reason: str, actor: Actor) -> LedgerEntry:
    """An operator's correction, signed from the shop's side, with a reason; payable at once."""
    if not actor.is_operator:
        raise Forbidden("only operators adjust a shop's ledger", code="wrong_role")
    shop = sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    _check_amount(amount, currency, markets.get(session, shop.market).currency)
    why = check_reason(reason)
    entry = _entry(shop_id=shop.id, market=shop.market, currency=currency, kind="adjustment", amount=amount,
                   at=clock.now(), source_ref=None, memo=why, actor=actor.email)
    session.add(entry)
    session.flush()
    outbox.emit(session, events.LedgerEntryPosted.of(entry), market=shop.market)
    return entry


# --- reading ------------------------------------------------------------------------------------------------------

def due_by(at: datetime):
    """The condition "this entry is due at `at`" over ledger_entries outer-joined to finance_order_holds."""
    return and_(LedgerEntry.occurred_at <= at,
                or_(LedgerEntry.order_id.is_(None), and_(OrderHold.due_at.is_not(None), OrderHold.due_at <= at)))


def with_holds(stmt):
    return stmt.outerjoin(OrderHold, OrderHold.order_id == LedgerEntry.order_id)


@dataclass(frozen=True)
class EntryView:
    entry: LedgerEntry
    status: str  # pending | payable | stated
    due_at: datetime | None
    statement_id: str | None


def views(session: Session, entries: list[LedgerEntry], *, now: datetime | None = None) -> list[EntryView]:
    """Each entry with where it stands: pending (hold not over), payable (due, on no statement yet) or stated."""
    now = now or clock.now()
    order_ids = {e.order_id for e in entries if e.order_id}
    holds = {h.order_id: h.due_at for h in session.scalars(select(OrderHold).where(OrderHold.order_id.in_(order_ids)))}
    stated = dict(session.execute(select(StatementEntry.entry_id, StatementEntry.statement_id)
                                  .where(StatementEntry.entry_id.in_([e.id for e in entries]))).all())
    out = []
    for e in entries:
        due = e.occurred_at if e.order_id is None else holds.get(e.order_id)
        if due is not None and due < e.occurred_at:
            due = e.occurred_at
        status = "stated" if e.id in stated else "payable" if due is not None and due <= now else "pending"
        out.append(EntryView(e, status, due, stated.get(e.id)))
    return out


def check_kind(kind: str | None) -> str | None:
    if kind is not None and kind not in ENTRY_KINDS:
        raise Invalid(f"kind is one of {', '.join(ENTRY_KINDS)}", field="kind")
    return kind


def entries(session: Session, *, shop_id: str, actor: Actor, since: datetime | None = None,
            before: datetime | None = None, kind: str | None = None, order_id: str | None = None,
            page_size: int | None = None, page_token: str | None = None) -> Paged:
    """The shop's ledger in the order it was written, within [since, before) and of one kind if asked."""
    sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    if since is not None and before is not None and before < since:
        raise Invalid("`to` is before `from`", code="invalid_date_range", field="to")
    stmt = select(LedgerEntry).where(LedgerEntry.shop_id == shop_id)
    if since is not None:
        stmt = stmt.where(LedgerEntry.occurred_at >= clock.as_utc_input(since, "from"))
    if before is not None:
        stmt = stmt.where(LedgerEntry.occurred_at < clock.as_utc_input(before, "to"))
    if check_kind(kind):
        stmt = stmt.where(LedgerEntry.kind == kind)
    if order_id:
        stmt = stmt.where(LedgerEntry.order_id == order_id)
    return paginate(session, stmt, order_by=[LedgerEntry.id], page_size=page_size, page_token=page_token)


@dataclass(frozen=True)
class ShopBalance:
    """pending: not due yet (hold running, or not delivered); payable: due and not yet on a statement, plus what
    the last statement carried over; paid: every payout made. pending + payable + paid = the ledger's total."""

    shop_id: str
    currency: str
    pending: int
    payable: int
    paid: int
    carried: int  # the part of `payable` the last statement carried over
    scheduled: int  # the part of `paid` in payouts not yet marked paid


def balance(session: Session, *, shop_id: str, actor: Actor | None = None, at: datetime | None = None) -> ShopBalance:
    shop = sellers.require_shop_owner(session, shop_id=shop_id, actor=actor) if actor else \
        sellers.get_shop(session, shop_id)
    now = at or clock.now()
    unstated = with_holds(select(
        func.coalesce(func.sum(LedgerEntry.amount).filter(due_by(now)), 0),
        func.coalesce(func.sum(LedgerEntry.amount).filter(~due_by(now)), 0))
        .select_from(LedgerEntry)).outerjoin(StatementEntry, StatementEntry.entry_id == LedgerEntry.id).where(
        LedgerEntry.shop_id == shop.id, StatementEntry.entry_id.is_(None))
    due, pending = session.execute(unstated).one()
    last = session.scalar(select(ShopStatement.carried_out).where(ShopStatement.shop_id == shop.id)
                          .order_by(ShopStatement.period_start.desc()).limit(1)) or 0
    payouts = session.execute(select(
        func.coalesce(func.sum(ShopPayout.amount), 0),
        func.coalesce(func.sum(ShopPayout.amount).filter(ShopPayout.status == "scheduled"), 0))
        .where(ShopPayout.shop_id == shop.id)).one()
    return ShopBalance(shop_id=shop.id, currency=markets.get(session, shop.market).currency, pending=int(pending),
                       payable=int(due) + int(last), paid=int(payouts[0]), carried=int(last),
                       scheduled=int(payouts[1]))
