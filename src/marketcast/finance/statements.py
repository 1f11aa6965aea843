"""Seller statements: the worker closes, per shop, the last period that ended (shop.settlement.period in the
market's timezone) over every entry due before its end and on no statement yet; the balance is paid out from
shop.payout.min_amount, else carried to the next statement. Payouts are recorded per statement.

Sums reconcile by construction and by CHECK constraints (net = the lines; paid_out + carried_out = carried_in +
net). A period closes once per shop (unique), an entry lands on one statement (its id is a primary key), and
each shop's close is one savepoint, so a killed, repeated or concurrent run closes nothing twice and loses no
entry."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.core import clock, outbox
from marketcast.core.auth import scope
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import Conflict, Forbidden, NotFound
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.pagination import Paged, paginate
from marketcast.core.text import reason as check_reason
from marketcast.finance import events, rules
from marketcast.finance.ledger import with_holds
from marketcast.finance.models import LedgerEntry, OrderHold, ShopPayout, ShopStatement, StatementEntry
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.sellers import service as sellers

PERIOD_KEY = "shop.settlement.period"
MIN_PAYOUT_KEY = "shop.payout.min_amount"


def _min_payout(session: Session, market: str, currency: str, at: datetime) -> int:
    """The minimum payout in minor units; a minimum in another currency than the market's never applies."""
    value = policies.value(session, key=MIN_PAYOUT_KEY, market=market, at=at)
    if not value or value.get("currency") != currency:
        return 0
    return int(value["amount"])


def _unstated(stmt):
    return stmt.outerjoin(StatementEntry, StatementEntry.entry_id == LedgerEntry.id).where(
        StatementEntry.entry_id.is_(None))


def due_before(end: datetime):
    """The entry is due strictly before `end` (over ledger_entries outer-joined to the holds)."""
    return and_(LedgerEntry.occurred_at < end,
                or_(LedgerEntry.order_id.is_(None), and_(OrderHold.due_at.is_not(None), OrderHold.due_at < end)))


def period_now(session: Session, market: str, at: datetime) -> tuple[str, datetime, datetime]:
    """(period policy, start, end) of the market's statement period holding `at`."""
    period = policies.value(session, key=PERIOD_KEY, market=market, at=at)
    start, end = rules.period_of(at, period, markets.get(session, market).timezone)
    return period, start, end


def close_due(session: Session) -> int:
    """Close the statements of the last ended period for every shop with entries due in it; returns how many
    were closed. Running it again closes nothing."""
    now, closed = clock.now(), 0
    work = _unstated(select(LedgerEntry.market).select_from(LedgerEntry)).distinct()
    for market in sorted(session.scalars(work)):
        period = policies.value(session, key=PERIOD_KEY, market=market, at=now)
        start, end = rules.last_ended_period(now, period, markets.get(session, market).timezone)
        closed += _close_market(session, market=market, start=start, end=end, period=period)
    return closed


def _close_market(session: Session, *, market: str, start: datetime, end: datetime, period: str) -> int:
    due = _unstated(with_holds(select(LedgerEntry))).where(LedgerEntry.market == market, due_before(end))
    by_shop: dict[str, list[LedgerEntry]] = {}
    for entry in session.scalars(due.order_by(LedgerEntry.shop_id, LedgerEntry.id)):
        by_shop.setdefault(entry.shop_id, []).append(entry)
    done = 0
    for shop_id, entries in sorted(by_shop.items()):
        if session.scalar(select(ShopStatement.id).where(ShopStatement.shop_id == shop_id,
                                                         ShopStatement.period_start == start)) is not None:
            continue  # entries due late in a closed period (none normally) wait for the next one
        try:
            with session.begin_nested():
                _close_one(session, shop_id=shop_id, market=market, start=start, end=end, period=period,
                           entries=entries)
            done += 1
        except IntegrityError:  # another run closed this shop's period, or took an entry, first
            continue
    return done


def _last(session: Session, shop_id: str) -> ShopStatement | None:
    return session.scalar(select(ShopStatement).where(ShopStatement.shop_id == shop_id)
                          .order_by(ShopStatement.period_start.desc()).limit(1))


def line_totals(entries) -> dict[str, int]:
    totals = {line: 0 for line, _ in rules.LINES}
    for e in entries:
        totals[rules.LINE_OF_KIND[e.kind]] += e.amount
    return totals


def _close_one(session: Session, *, shop_id: str, market: str, start: datetime, end: datetime, period: str,
               entries: list[LedgerEntry]) -> ShopStatement:
    currency = entries[0].currency
    previous = _last(session, shop_id)
    carried_in = previous.carried_out if previous else 0
    totals = line_totals(entries)
    net = sum(totals.values())
    minimum = _min_payout(session, market, currency, end)
    balance = rules.settle_balance(carried_in=carried_in, net=net, min_payout=minimum)
    now = clock.now()
    statement = ShopStatement(id=new_id("sst"), shop_id=shop_id, market=market, currency=currency,
                              period_start=start, period_end=end, **totals, net=net, carried_in=carried_in,
                              paid_out=balance.paid_out, carried_out=balance.carried_out, entries=len(entries),
                              rules={PERIOD_KEY: period, MIN_PAYOUT_KEY: minimum}, closed_at=now)
    session.add(statement)
    session.flush()
    session.execute(insert(StatementEntry), [{"entry_id": e.id, "statement_id": statement.id} for e in entries])
    if balance.paid_out > 0:
        payout = ShopPayout(id=new_id("spo"), statement_id=statement.id, shop_id=shop_id, market=market,
                            amount=balance.paid_out, currency=currency, status="scheduled", created_at=now)
        session.add(payout)
        session.flush()
        outbox.emit(session, events.PayoutScheduled(payout_id=payout.id, statement_id=statement.id, shop_id=shop_id,
                                                    market=market, amount=payout.amount, currency=currency),
                    market=market)
    outbox.emit(session, events.ShopStatementClosed(
        statement_id=statement.id, shop_id=shop_id, market=market, currency=currency, period_start=start,
        period_end=end, net=net, paid_out=statement.paid_out, carried_out=statement.carried_out), market=market)
    return statement


# --- reading ------------------------------------------------------------------------------------------------------

def of_shop(session: Session, *, shop_id: str, actor: Actor, page_size: int | None = None,
            page_token: str | None = None) -> Paged:
    sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    stmt = select(ShopStatement).where(ShopStatement.shop_id == shop_id)
    return paginate(session, stmt, order_by=[ShopStatement.id], page_size=page_size, page_token=page_token)


@dataclass(frozen=True)
class Line:
    name: str  # sales, refunds, fees, …
    kind: str  # the entry kind behind it
    amount: int
    entries: list[LedgerEntry]


@dataclass(frozen=True)
class OrderSummary:
    """One order's part of a statement: the signed sum of its entries by line."""

    order_id: str
    totals: dict[str, int]

    @property
    def net(self) -> int:
        return sum(self.totals.values())


@dataclass(frozen=True)
class StatementDetail:
    statement: ShopStatement
    lines: list[Line]
    orders: list[OrderSummary]
    payout: ShopPayout | None

    @property
    def entries(self) -> list[LedgerEntry]:
        return sorted((e for line in self.lines for e in line.entries), key=lambda e: e.id)


def detail(session: Session, *, shop_id: str, statement_id: str, actor: Actor) -> StatementDetail:
    sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    statement = session.get(ShopStatement, statement_id) if looks_like_id(statement_id) else None
    if statement is None or statement.shop_id != shop_id:
        raise NotFound("statement", statement_id)
    entries = list(session.scalars(select(LedgerEntry).join(StatementEntry, StatementEntry.entry_id == LedgerEntry.id)
                                   .where(StatementEntry.statement_id == statement.id).order_by(LedgerEntry.id)))
    lines = [Line(name, kind, sum(e.amount for e in entries if e.kind == kind), [e for e in entries if e.kind == kind])
             for name, kind in rules.LINES]
    orders: dict[str, dict[str, int]] = {}
    for e in entries:
        if e.order_id:
            totals = orders.setdefault(e.order_id, {line: 0 for line, _ in rules.LINES})
            totals[rules.LINE_OF_KIND[e.kind]] += e.amount
    payout = session.scalar(select(ShopPayout).where(ShopPayout.statement_id == statement.id))
    return StatementDetail(statement, lines, [OrderSummary(k, v) for k, v in orders.items()], payout)


CSV_COLUMNS = ("statement_id", "entry_id", "occurred_at", "line", "kind", "order_id", "refund_id", "amount",
               "currency", "memo")


def csv_rows(found: StatementDetail) -> list[list[str]]:
    """The entries behind a statement, one row each, amounts in minor units signed from the shop's side."""
    return [[found.statement.id, e.id, e.occurred_at.isoformat(), rules.LINE_OF_KIND[e.kind], e.kind,
             e.order_id or "", e.refund_id or "", str(e.amount), e.currency, e.memo] for e in found.entries]


def _operator_filters(stmt, actor: Actor, *, market: str | None, shop_id: str | None,
                      period_from: datetime | None, period_to: datetime | None):
    if not actor.is_operator:
        raise Forbidden("only operators list statements across shops", code="wrong_role")
    stmt = scope.in_markets(stmt, ShopStatement.market, actor, market)
    if shop_id:
        stmt = stmt.where(ShopStatement.shop_id == shop_id)
    if period_from is not None:
        stmt = stmt.where(ShopStatement.period_start >= clock.as_utc_input(period_from, "period_from"))
    if period_to is not None:
        stmt = stmt.where(ShopStatement.period_start < clock.as_utc_input(period_to, "period_to"))
    return stmt


def list_for_operator(session: Session, *, actor: Actor, market: str | None = None, shop_id: str | None = None,
                      period_from: datetime | None = None, period_to: datetime | None = None,
                      page_size: int | None = None, page_token: str | None = None) -> Paged:
    """Statements across shops of the operator's markets, by market, shop and period start."""
    stmt = _operator_filters(select(ShopStatement), actor, market=market, shop_id=shop_id, period_from=period_from,
                             period_to=period_to)
    return paginate(session, stmt, order_by=[ShopStatement.id], page_size=page_size, page_token=page_token)


TOTAL_COLUMNS = ("sales", "refunds", "fees", "fee_refunds", "commissions", "benefits", "adjustments", "net",
                 "paid_out", "carried_out")


def totals_by_market(session: Session, *, actor: Actor, market: str | None = None, shop_id: str | None = None,
                     period_from: datetime | None = None, period_to: datetime | None = None) -> list[dict]:
    """Per market and currency, over the same filters: how many statements and the sum of each figure."""
    columns = [func.coalesce(func.sum(getattr(ShopStatement, c)), 0) for c in TOTAL_COLUMNS]
    stmt = select(ShopStatement.market, ShopStatement.currency, func.count(), *columns)
    stmt = _operator_filters(stmt, actor, market=market, shop_id=shop_id, period_from=period_from,
                             period_to=period_to)
    rows = session.execute(stmt.group_by(ShopStatement.market, ShopStatement.currency)
                           .order_by(ShopStatement.market, ShopStatement.currency)).all()
    return [{"market": r[0], "currency": r[1], "statements": int(r[2]),
             **{c: int(v) for c, v in zip(TOTAL_COLUMNS, r[3:], strict=True)}} for r in rows]


# --- payouts ------------------------------------------------------------------------------------------------------

def payouts_of(session: Session, *, shop_id: str, actor: Actor, status: str | None = None) -> list[ShopPayout]:
    sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    stmt = select(ShopPayout).where(ShopPayout.shop_id == shop_id)
    if status:
        stmt = stmt.where(ShopPayout.status == status)
    return list(session.scalars(stmt.order_by(ShopPayout.id)))


def mark_paid(session: Session, *, payout_id: str, reference: str, actor: Actor) -> ShopPayout:
    """An operator records a scheduled payout as sent, with the transfer's reference; once only (a guarded
    UPDATE: a second call, or two at once, gets 409 payout_not_scheduled)."""
    if not actor.is_operator:
        raise Forbidden("only operators record payouts", code="wrong_role")
    payout = session.get(ShopPayout, payout_id) if looks_like_id(payout_id) else None
    if payout is None:
        raise NotFound("payout", payout_id)
    actor.require_market(payout.market)
    ref = check_reason(reference, field="reference")
    now = clock.now()
    done = session.execute(update(ShopPayout).where(ShopPayout.id == payout.id, ShopPayout.status == "scheduled")
                           .values(status="paid", reference=ref[:120], paid_at=now)
                           .execution_options(synchronize_session=False))
    session.refresh(payout)
    if getattr(done, "rowcount", 0) != 1:
        raise Conflict(f"payout {payout.id} is {payout.status}", code="payout_not_scheduled", status_now=payout.status)
    outbox.emit(session, events.PayoutPaid(payout_id=payout.id, statement_id=payout.statement_id,
                                           shop_id=payout.shop_id, market=payout.market, amount=payout.amount,
                                           currency=payout.currency, reference=payout.reference or ""),
                market=payout.market)
    return payout


@dataclass(frozen=True)
class Upcoming:
    """What the shop's next statement would pay if it closed with what is known now."""

    period_start: datetime
    closes_at: datetime
    expected: int  # carried + entries due before the period ends (holds already running counted)
    min_payout: int
    currency: str

    @property
    def pays(self) -> bool:
        return self.expected > 0 and self.expected >= self.min_payout


def upcoming(session: Session, *, shop_id: str, actor: Actor) -> Upcoming:
    shop = sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    currency = markets.get(session, shop.market).currency
    _, start, end = period_now(session, shop.market, clock.now())
    due = session.scalar(_unstated(with_holds(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                                              .select_from(LedgerEntry)))
                         .where(LedgerEntry.shop_id == shop.id, due_before(end))) or 0
    last = _last(session, shop.id)
    return Upcoming(period_start=start, closes_at=end, expected=int(due) + (last.carried_out if last else 0),
                    min_payout=_min_payout(session, shop.market, currency, end), currency=currency)
