"""Commissions: one per attributed order line, following the order in its own transaction (paid → pending,
delivered → the hold starts, refunds → pro rata, cancellation or full refund → reversed), the operator's
freeze, and the worker's move to settleable once the hold is over.

The amount is computed per line from what the buyer paid and kept, half-up (docs/commissions.md)."""

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from marketcast.affiliate import events, people, rules
from marketcast.affiliate.models import Commission, CommissionAdjustment
from marketcast.core import clock, outbox
from marketcast.core.auth import scope
from marketcast.core.auth.actor import Actor
from marketcast.core.auth.models import User
from marketcast.core.errors import Conflict, Forbidden, NotFound
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.pagination import Paged, paginate
from marketcast.core.text import reason as check_reason
from marketcast.policies import service as policies
from marketcast.sellers import service as sellers

OPEN = ("pending", "settleable", "frozen")  # still moving; settled ones move through adjustments


def _event(kind: type[events.CommissionEvent], c: Commission, **extra) -> tuple[events.CommissionEvent, str]:
    """(payload, market) of a commission event, for outbox.emit_many."""
    return kind(commission_id=c.id, creator_id=c.creator_id, order_id=c.order_id, order_line_id=c.order_line_id,
                shop_id=c.shop_id, market=c.market, status=c.status, amount=c.amount, currency=c.currency,
                commission_rate_bps=c.commission_rate_bps, **extra), c.market


def _same_person(buyer_email: str, creator_email: str) -> bool:
    """One mailbox behind both accounts (ana+shop@x and ana@x): a self-referral, as affiliate programs check."""
    def mailbox(email: str) -> str:
        local, _, domain = email.lower().partition("@")
        return local.split("+", 1)[0] + "@" + domain

    return mailbox(buyer_email) == mailbox(creator_email)


def _self_referral(session: Session, buyer_id: str, creator) -> bool:
    if buyer_id == creator.user_id:
        return True
    buyer, owner = session.get(User, buyer_id), session.get(User, creator.user_id)
    return buyer is not None and owner is not None and _same_person(buyer.email, owner.email)


def record_paid(session: Session, *, order, lines: Iterable) -> list[Commission]:
    """A commission for each attributed line of a paid order (pending; ineligible for a self-referral).
    The unique order_line_id makes a second one impossible, whatever calls this."""
    now, made, judged = clock.now(), [], {}
    for line in lines:
        if line.creator_id is None:
            continue
        if line.creator_id not in judged:
            judged[line.creator_id] = _self_referral(session, order.buyer_id, people.creator(session, line.creator_id))
        base = rules.commission_base(line.unit_price, line.quantity, line.refunded_quantity)
        amount = rules.commission_amount(base, line.commission_rate_bps)
        mine = judged[line.creator_id]
        made.append(Commission(
            id=new_id("com"), order_id=order.id, order_line_id=line.id, creator_id=line.creator_id,
            collaboration_id=line.collaboration_id, shop_id=order.shop_id, market=order.market,
            currency=line.currency, source=line.attribution_source, commission_rate_bps=line.commission_rate_bps,
            unit_price=line.unit_price, quantity=line.quantity, refunded_quantity=line.refunded_quantity,
            base_amount=base, original_amount=0 if mine else amount, amount=0 if mine else amount,
            status="ineligible" if mine else "pending", ineligible_reason="self_referral" if mine else None,
            created_at=now, updated_at=now))
    session.add_all(made)
    outbox.emit_many(session, [_event(events.CommissionCreated, c, ineligible_reason=c.ineligible_reason)
                               for c in made])
    return made


def record_refund(session: Session, *, order_id: str, lines: Iterable) -> None:
    """Lines of the order refunded (their refunded_quantity already raised): base and amount pro rata, reversed
    when nothing is left; a settled one gives the difference back on the next statement."""
    by_line = {line.id: line for line in lines}
    now, moved = clock.now(), []
    for c in _of_order(session, order_id):
        line = by_line.get(c.order_line_id)
        if line is None or line.refunded_quantity == c.refunded_quantity or c.status in ("reversed", "ineligible"):
            continue
        before = c.amount
        c.refunded_quantity = line.refunded_quantity
        c.base_amount = rules.commission_base(c.unit_price, c.quantity, c.refunded_quantity)
        c.amount = rules.commission_amount(c.base_amount, c.commission_rate_bps)
        c.updated_at = now
        if c.status == "settled" and c.amount < before:
            session.add(CommissionAdjustment(id=new_id("adj"), commission_id=c.id, creator_id=c.creator_id,
                                             currency=c.currency, amount=c.amount - before, reason="refund",
                                             created_at=now))
        if c.refunded_quantity == c.quantity:
            c.status, c.status_before_freeze = "reversed", None
        moved.append(_event(events.CommissionReversed if c.status == "reversed" else events.CommissionReduced, c,
                            previous_amount=before))
    outbox.emit_many(session, moved)


def reverse_orders(session: Session, *, order_ids: list[str], reason: str) -> int:
    """Orders that will never be paid: whatever commission they have goes (none before payment, normally)."""
    rows = list(session.scalars(select(Commission).where(Commission.order_id.in_(order_ids),
                                                         Commission.status.in_(OPEN)).with_for_update()))
    for c in rows:
        c.status, c.amount, c.status_before_freeze, c.updated_at = "reversed", 0, None, clock.now()
    outbox.emit_many(session, [_event(events.CommissionReversed, c, reason=reason) for c in rows])
    return len(rows)


def record_delivered(session: Session, *, order_id: str) -> None:
    """The hold (affiliate.settlement.hold_days) counts from delivery."""
    session.execute(update(Commission).where(Commission.order_id == order_id, Commission.delivered_at.is_(None))
                    .values(delivered_at=clock.now(), updated_at=clock.now())
                    .execution_options(synchronize_session=False))


def _of_order(session: Session, order_id: str) -> list[Commission]:
    return list(session.scalars(select(Commission).where(Commission.order_id == order_id)
                                .order_by(Commission.id).with_for_update()))


def make_settleable(session: Session) -> int:
    """Pending commissions whose hold after delivery is over become settleable, one UPDATE per market; the
    time they became due (delivery + hold) is kept, so statements do not depend on when the worker ran."""
    now, count = clock.now(), 0
    codes = sorted(session.scalars(select(Commission.market).where(Commission.status == "pending",
                                                                   Commission.delivered_at.is_not(None)).distinct()))
    for code in codes:
        days = policies.value(session, key="affiliate.settlement.hold_days", market=code)
        hold = timedelta(days=days)
        due = list(session.scalars(select(Commission).where(
            Commission.market == code, Commission.status == "pending",
            Commission.delivered_at <= now - hold).with_for_update()))
        for c in due:
            assert c.delivered_at is not None  # selected so
            c.status, c.settleable_at, c.updated_at = "settleable", c.delivered_at + hold, now
        outbox.emit_many(session, [_event(events.CommissionSettleable, c) for c in due])
        count += len(due)
    return count


# --- the operator's freeze ----------------------------------------------------------------------------------------

def get(session: Session, commission_id: str, *, lock: bool = False) -> Commission:
    stmt = select(Commission).where(Commission.id == commission_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = session.scalar(stmt) if looks_like_id(commission_id) else None
    if found is None:
        raise NotFound("commission", commission_id)
    return found


def _operator(actor: Actor, market: str) -> None:
    if not actor.is_operator:
        raise Forbidden("only operators freeze and unfreeze commissions", code="wrong_role")
    actor.require_market(market)


def freeze(session: Session, *, commission_id: str, reason: str, actor: Actor) -> Commission:
    """Suspected fraud: a pending or settleable commission is held out of settlement until unfrozen."""
    c = get(session, commission_id, lock=True)
    _operator(actor, c.market)
    reason = check_reason(reason)
    if c.status == "frozen":
        return c
    if c.status not in ("pending", "settleable"):
        raise Conflict(f"commission {c.id} is {c.status}; only pending or settleable ones are frozen",
                       code="commission_not_freezable", status_now=c.status)
    c.status_before_freeze, c.status, c.frozen_reason, c.updated_at = c.status, "frozen", reason, clock.now()
    outbox.emit_many(session, [_event(events.CommissionFrozen, c, reason=reason, actor=actor.email)])
    return c


def unfreeze(session: Session, *, commission_id: str, reason: str, actor: Actor) -> Commission:
    c = get(session, commission_id, lock=True)
    _operator(actor, c.market)
    reason = check_reason(reason)
    if c.status != "frozen":
        raise Conflict(f"commission {c.id} is {c.status}, not frozen", code="commission_not_frozen",
                       status_now=c.status)
    c.status, c.status_before_freeze, c.frozen_reason = c.status_before_freeze or "pending", None, None
    c.updated_at = clock.now()
    outbox.emit_many(session, [_event(events.CommissionUnfrozen, c, reason=reason, actor=actor.email)])
    return c


# --- reading ------------------------------------------------------------------------------------------------------

def of_creator(session: Session, *, creator_id: str, actor: Actor, status: str | None = None,
               page_size: int | None = None, page_token: str | None = None) -> Paged[Commission]:
    people.require_self(session, creator_id=creator_id, actor=actor, write=False)
    stmt = select(Commission).where(Commission.creator_id == creator_id)
    if status:
        stmt = stmt.where(Commission.status == status)
    return paginate(session, stmt, order_by=[Commission.id], page_size=page_size, page_token=page_token)


def list_for_operator(session: Session, *, actor: Actor, market: str | None = None, status: str | None = None,
                      creator_id: str | None = None, page_size: int | None = None,
                      page_token: str | None = None) -> Paged[Commission]:
    if not actor.is_operator:
        raise Forbidden("operators list commissions across creators", code="wrong_role")
    stmt = select(Commission)
    stmt = scope.in_markets(stmt, Commission.market, actor, market)
    if status:
        stmt = stmt.where(Commission.status == status)
    if creator_id:
        stmt = stmt.where(Commission.creator_id == creator_id)
    return paginate(session, stmt, order_by=[Commission.id], page_size=page_size, page_token=page_token)


def of_shop(session: Session, *, shop_id: str, actor: Actor, page_size: int | None = None,
            page_token: str | None = None) -> Paged[Commission]:
    """The shop's affiliate order lines with their commission."""
    sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    stmt = select(Commission).where(Commission.shop_id == shop_id)
    return paginate(session, stmt, order_by=[Commission.id], page_size=page_size, page_token=page_token)


def commission_owed_for_order(session: Session, *, order_id: str) -> int:
    """What the order's shop owes creators for it now, in minor units: its commissions' amounts (refunds already
    taken off, reversed and self-referrals at 0). The finance area books the difference in the shop's ledger."""
    return int(session.scalar(select(func.coalesce(func.sum(Commission.amount), 0))
                              .where(Commission.order_id == order_id)) or 0)


def owed_by_shop(session: Session, *, shop_id: str, actor: Actor) -> dict[str, dict[str, int]]:
    """currency -> {status: amount} of the shop's commissions still owed (pending, settleable, frozen) and settled."""
    sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    rows = session.execute(select(Commission.currency, Commission.status, func.sum(Commission.amount),
                                  func.count()).where(Commission.shop_id == shop_id)
                           .group_by(Commission.currency, Commission.status)).all()
    owed: dict[str, dict[str, int]] = {}
    for currency, status, amount, _count in rows:
        owed.setdefault(currency, {})[status] = int(amount or 0)
    return owed


COUNTED = ("pending", "settleable", "settled", "frozen")  # earned something (not reversed, not a self-referral)


def pilot_results(session: Session, *, creator_ids: list[str]) -> dict[str, tuple[int, bool]]:
    """creator id -> (orders attributed, has a frozen commission), two grouped queries for the whole batch."""
    if not creator_ids:
        return {}
    orders = dict(session.execute(select(Commission.creator_id, func.count(func.distinct(Commission.order_id)))
                                  .where(Commission.creator_id.in_(creator_ids), Commission.status.in_(COUNTED))
                                  .group_by(Commission.creator_id)).all())
    frozen = set(session.scalars(select(Commission.creator_id).where(Commission.creator_id.in_(creator_ids),
                                                                     Commission.status == "frozen").distinct()))
    return {cid: (int(orders.get(cid, 0)), cid in frozen) for cid in creator_ids}


def attributed_orders(session: Session, *, creator_id: str) -> int:
    """Paid orders that earned the creator a commission (self-referrals and reversed ones do not count)."""
    return session.scalar(select(func.count(func.distinct(Commission.order_id)))
                          .where(Commission.creator_id == creator_id,
                                 Commission.status.in_(COUNTED))) or 0


def frozen_count(session: Session, *, creator_id: str) -> int:
    return session.scalar(select(func.count()).select_from(Commission)
                          .where(Commission.creator_id == creator_id, Commission.status == "frozen")) or 0
