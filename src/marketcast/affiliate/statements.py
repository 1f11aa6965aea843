"""Creators' statements: the worker closes, per creator, the last period that ended (affiliate.statement.period
in the market's timezone) over every settleable commission due before its end and every adjustment made
before it; the balance is paid out from affiliate.payout.min_amount, else carried to the next statement.

Sums reconcile by construction and by CHECK constraints: total = commission lines + adjustments, and
paid_out + carried_out = carried_in + total."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketcast.affiliate import events, people, rules
from marketcast.affiliate.models import Commission, CommissionAdjustment, Payout, Statement
from marketcast.core import clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import NotFound
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.pagination import Paged, paginate
from marketcast.markets import service as markets
from marketcast.policies import service as policies


def _min_payout(session: Session, market: str, currency: str) -> int:
    """The minimum payout in minor units; a minimum in another currency than the market's never applies."""
    value = policies.value(session, key="affiliate.payout.min_amount", market=market)
    if not value or value.get("currency") != currency:
        return 0
    return int(value["amount"])


def _markets_with_work(session: Session) -> list[str]:
    due = select(Commission.market).where(Commission.status == "settleable", Commission.statement_id.is_(None))
    adjusted = (select(Commission.market)
                .join(CommissionAdjustment, CommissionAdjustment.commission_id == Commission.id)
                .where(CommissionAdjustment.statement_id.is_(None)))
    return sorted(set(session.scalars(due.distinct())) | set(session.scalars(adjusted.distinct())))


def close_due(session: Session) -> int:
    """Close the statements of the last ended period for every creator with something to settle; returns how
    many were closed. A creator's statement of a period exists once (unique), so running twice closes nothing."""
    now, closed = clock.now(), 0
    for market in _markets_with_work(session):
        period = policies.value(session, key="affiliate.statement.period", market=market)
        zone = markets.get(session, market).timezone
        start, end = rules.period_of(rules.period_of(now, period, zone)[0] - timedelta(microseconds=1), period, zone)
        closed += _close_market(session, market=market, start=start, end=end, period=period)
    return closed


def _close_market(session: Session, *, market: str, start, end, period: str) -> int:
    commissions = list(session.scalars(
        select(Commission).where(Commission.market == market, Commission.status == "settleable",
                                 Commission.statement_id.is_(None), Commission.settleable_at < end)
        .order_by(Commission.creator_id, Commission.id).with_for_update()))
    adjustments = list(session.scalars(
        select(CommissionAdjustment).join(Commission, Commission.id == CommissionAdjustment.commission_id)
        .where(Commission.market == market, CommissionAdjustment.statement_id.is_(None),
               CommissionAdjustment.created_at < end)
        .order_by(CommissionAdjustment.creator_id, CommissionAdjustment.id).with_for_update(of=CommissionAdjustment)))
    by_creator: dict[str, tuple[list, list]] = {}
    for c in commissions:
        by_creator.setdefault(c.creator_id, ([], []))[0].append(c)
    for a in adjustments:
        by_creator.setdefault(a.creator_id, ([], []))[1].append(a)
    done = 0
    for creator_id, (lines, adjusted) in sorted(by_creator.items()):
        if _already_closed(session, creator_id, start):
            continue  # late items (unfrozen after this period closed) wait for the next one
        _close_one(session, creator_id=creator_id, market=market, start=start, end=end, period=period,
                   lines=lines, adjustments=adjusted)
        done += 1
    return done


def _already_closed(session: Session, creator_id: str, start) -> bool:
    return session.scalar(select(Statement.id).where(Statement.creator_id == creator_id,
                                                     Statement.period_start == start)) is not None


def _last(session: Session, creator_id: str) -> Statement | None:
    return session.scalar(select(Statement).where(Statement.creator_id == creator_id)
                          .order_by(Statement.period_start.desc()).limit(1))


def _close_one(session: Session, *, creator_id: str, market: str, start, end, period: str, lines: list[Commission],
               adjustments: list[CommissionAdjustment]) -> Statement:
    currency = (lines or adjustments)[0].currency
    previous = _last(session, creator_id)
    carried_in = previous.carried_out if previous else 0
    commissions_total = sum(c.amount for c in lines)
    adjustments_total = sum(a.amount for a in adjustments)
    minimum = _min_payout(session, market, currency)
    balance = rules.settle_balance(carried_in=carried_in, total=commissions_total + adjustments_total,
                                   min_payout=minimum)
    now = clock.now()
    statement = Statement(id=new_id("stm"), creator_id=creator_id, market=market, currency=currency,
                          period_start=start, period_end=end, commissions_total=commissions_total,
                          adjustments_total=adjustments_total, total=commissions_total + adjustments_total,
                          carried_in=carried_in, paid_out=balance.paid_out, carried_out=balance.carried_out,
                          rules={"affiliate.statement.period": period, "affiliate.payout.min_amount": minimum},
                          closed_at=now)
    session.add(statement)
    session.flush()
    for c in lines:
        c.status, c.statement_id, c.settled_amount, c.updated_at = "settled", statement.id, c.amount, now
    for a in adjustments:
        a.statement_id = statement.id
    if balance.paid_out > 0:
        session.add(Payout(id=new_id("pyt"), statement_id=statement.id, creator_id=creator_id,
                           amount=balance.paid_out, currency=currency, status="scheduled", created_at=now))
    outbox.emit(session, events.StatementClosed(
        statement_id=statement.id, creator_id=creator_id, market=market, currency=currency, period_start=start,
        period_end=end, total=statement.total, paid_out=statement.paid_out, carried_out=statement.carried_out),
        market=market)
    return statement


def of_creator(session: Session, *, creator_id: str, actor: Actor, page_size: int | None = None,
               page_token: str | None = None) -> Paged[Statement]:
    people.require_self(session, creator_id=creator_id, actor=actor, write=False)
    stmt = select(Statement).where(Statement.creator_id == creator_id)
    return paginate(session, stmt, order_by=[Statement.id], page_size=page_size, page_token=page_token)


def detail(session: Session, *, creator_id: str, statement_id: str,
           actor: Actor) -> tuple[Statement, list[Commission], list[CommissionAdjustment], Payout | None]:
    people.require_self(session, creator_id=creator_id, actor=actor, write=False)
    statement = session.get(Statement, statement_id) if looks_like_id(statement_id) else None
    if statement is None or statement.creator_id != creator_id:
        raise NotFound("statement", statement_id)
    lines = list(session.scalars(select(Commission).where(Commission.statement_id == statement.id)
                                 .order_by(Commission.id)))
    adjustments = list(session.scalars(select(CommissionAdjustment)
                                       .where(CommissionAdjustment.statement_id == statement.id)
                                       .order_by(CommissionAdjustment.id)))
    payout = session.scalar(select(Payout).where(Payout.statement_id == statement.id))
    return statement, lines, adjustments, payout


def earnings(session: Session, *, creator_id: str, actor: Actor) -> dict[str, int]:
    """The creator's books: earned − reversed = paid + carried + outstanding, where outstanding is what is not
    on a statement yet (commissions pending, settleable or frozen, and adjustments not yet applied)."""
    people.require_self(session, creator_id=creator_id, actor=actor, write=False)
    rows = list(session.scalars(select(Commission).where(Commission.creator_id == creator_id,
                                                         Commission.status != "ineligible")))
    open_adjustments = session.scalars(select(CommissionAdjustment.amount).where(
        CommissionAdjustment.creator_id == creator_id, CommissionAdjustment.statement_id.is_(None)))
    paid = session.scalars(select(Payout.amount).where(Payout.creator_id == creator_id))
    last = _last(session, creator_id)
    outstanding = sum(c.amount for c in rows if c.statement_id is None) + sum(open_adjustments)
    return {"earned": sum(c.original_amount for c in rows),
            "reversed": sum(c.original_amount - c.amount for c in rows),
            "paid": sum(paid), "carried": last.carried_out if last else 0, "outstanding": outstanding}
