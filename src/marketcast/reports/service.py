"""GMV: daily rollups written with each payment and refund, and the reports read from them (rollups.py says
which rollup a report reads).

The definition lives in docs/gmv.md. In short: a paid order's line amounts count on the UTC day of payment,
refunds count apart on the day they are made, net GMV = GMV - refunds, amounts never change currency."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import Conflict, Forbidden, Invalid
from marketcast.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decode_token, encode_token
from marketcast.markets import service as markets
from marketcast.reports import rollups
from marketcast.reports.models import GmvDaily
from marketcast.sellers import service as sellers

MAX_RANGE_DAYS = 366  # a leap year, inclusive of both ends
GROUPS = ("day", "shop", "market", "creator", "collaboration")
_T = GmvDaily.__table__  # the shop rollup: a shop's own figures


@dataclass(frozen=True)
class GmvRow:
    """One line of a report: `key` is the day, the shop id or the market code, by `group_by`."""

    key: date | str
    currency: str
    gmv: int
    refunds: int
    net_gmv: int
    orders: int
    units: int  # units sold on paid orders
    units_refunded: int


# --- writing: one additive upsert per payment or refund ---------------------------------------------------------

def _check(*, market: str, shop_id: str, currency: str, amounts: dict[str, int]) -> None:
    if not (isinstance(market, str) and len(market) == 2 and market.isalpha() and market.isupper()):
        raise Invalid(f"market {market!r} is not an upper-case two-letter code", field="market")
    if not (isinstance(shop_id, str) and 0 < len(shop_id) <= 32):
        raise Invalid("shop_id is required (at most 32 characters)", field="shop_id")
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise Invalid(f"currency {currency!r} is not an ISO 4217 code", field="currency")
    for name, value in amounts.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise Invalid(f"{name} must be a whole number >= 0 (minor units or a count), not {value!r}", field=name)


def _upsert(session: Session, *, market: str, shop_id: str, currency: str, at: datetime, add: dict[str, int]) -> None:
    # The shop's row first: it refuses another currency, and then nothing is written anywhere. Always in this
    # order (shop, then market), so two transactions never wait on each other's rows the other way round.
    day = clock.as_utc(at).date()
    if not rollups.add(session, rollups.SHOP.table, key={"market": market, "shop_id": shop_id}, day=day,
                       currency=currency, measures=add):
        raise Conflict(f"shop {shop_id} already has {day} amounts in another currency than {currency}",
                       code="currency_mismatch", field="currency")
    rollups.add(session, rollups.MARKET.table, key={"market": market, "slot": rollups.market_slot(shop_id)}, day=day,
                currency=currency, measures=add)


def record_sale(session: Session, *, market: str, shop_id: str, currency: str, amount: int, units: int,
                orders: int = 1, at: datetime) -> None:
    """Count a payment: `amount` (sum of the order lines, minor units) on the UTC day of `at`."""
    _check(market=market, shop_id=shop_id, currency=currency, amounts={"amount": amount, "units": units,
                                                                          "orders": orders})
    _upsert(session, market=market, shop_id=shop_id, currency=currency, at=at,
            add={"gmv": amount, "orders": orders, "units_sold": units})


def record_refund(session: Session, *, market: str, shop_id: str, currency: str, amount: int, units: int,
                  at: datetime) -> None:
    """Count a refund on the UTC day it is made (not on the day of the sale it undoes)."""
    _check(market=market, shop_id=shop_id, currency=currency, amounts={"amount": amount, "units": units})
    _upsert(session, market=market, shop_id=shop_id, currency=currency, at=at,
            add={"refunds": amount, "units_refunded": units})


@dataclass(frozen=True)
class AttributedAmount:
    """Part of a payment or refund that one creator sold through one collaboration."""

    creator_id: str
    collaboration_id: str
    amount: int
    units: int


def _record_attributed(session: Session, *, market: str, shop_id: str, currency: str, at: datetime,
                       parts: Sequence[AttributedAmount], sale: bool) -> None:
    folded: dict[tuple[str, str], tuple[int, int]] = {}
    for p in parts:
        amount, units = folded.get((p.creator_id, p.collaboration_id), (0, 0))
        folded[(p.creator_id, p.collaboration_id)] = (amount + p.amount, units + p.units)
    day = clock.as_utc(at).date()
    for (creator_id, collaboration_id), (amount, units) in sorted(folded.items()):
        _check(market=market, shop_id=shop_id, currency=currency, amounts={"amount": amount, "units": units})
        measures = ({"gmv": amount, "units_sold": units, "orders": 1} if sale
                    else {"refunds": amount, "units_refunded": units})
        rollups.add(session, rollups.AFFILIATE.table, day=day, currency=currency, measures=measures,
                    key={"market": market, "creator_id": creator_id, "collaboration_id": collaboration_id,
                         "shop_id": shop_id})


def record_attributed_sale(session: Session, *, market: str, shop_id: str, currency: str,
                           parts: Sequence[AttributedAmount], at: datetime) -> None:
    """The attributed lines of a payment, per creator and collaboration (each counts the order once)."""
    _record_attributed(session, market=market, shop_id=shop_id, currency=currency, at=at, parts=parts, sale=True)


def record_attributed_refund(session: Session, *, market: str, shop_id: str, currency: str,
                             parts: Sequence[AttributedAmount], at: datetime) -> None:
    _record_attributed(session, market=market, shop_id=shop_id, currency=currency, at=at, parts=parts, sale=False)


# --- reading ------------------------------------------------------------------------------------------------------

DEFAULT_DAYS = 30


def report_range(from_day: date | None, to_day: date | None) -> tuple[date, date]:
    """The days a report covers: `to` defaults to today, `from` to 29 days before `to` (the report checks them)."""
    to_day = to_day or clock.now().date()
    if from_day is None:
        try:
            from_day = to_day - timedelta(days=DEFAULT_DAYS - 1)
        except OverflowError:
            from_day = date.min
    return from_day, to_day


def check_range(from_day: date, to_day: date) -> None:
    if from_day > to_day:
        raise Invalid(f"to ({to_day}) is before from ({from_day})", code="invalid_date_range", field="to")
    if (to_day - from_day).days + 1 > MAX_RANGE_DAYS:
        raise Invalid(f"a report covers at most {MAX_RANGE_DAYS} days; {from_day}..{to_day} is "
                      f"{(to_day - from_day).days + 1}", code="invalid_date_range", field="to")


def _report_query(*, group_by: str, market: str | None, markets_in: Sequence[str] | None, shop_id: str | None,
                  from_day: date, to_day: date):
    if group_by not in GROUPS:
        raise Invalid(f"group_by is one of {', '.join(GROUPS)}", field="group_by")
    check_range(from_day, to_day)
    filters = {name for name, value in (("market", market), ("markets_in", markets_in), ("shop_id", shop_id))
               if value is not None}
    source = rollups.source_for(group_by, filters)
    t, key = source.table, source.key(group_by)
    stmt = (select(key.label("key"), t.c.currency, func.sum(t.c.gmv), func.sum(t.c.refunds),
                   func.sum(t.c.orders), func.sum(t.c.units_sold), func.sum(t.c.units_refunded))
            .where(t.c.day >= from_day, t.c.day <= to_day)
            .group_by(key, t.c.currency))
    if market is not None:
        stmt = stmt.where(t.c.market == market.upper())
    if markets_in is not None:  # the markets an operator is limited to
        stmt = stmt.where(t.c.market.in_([m.upper() for m in markets_in]))
    if shop_id is not None:
        stmt = stmt.where(t.c.shop_id == shop_id)
    return t, key, stmt


def gmv_by_market_and_day(session: Session, *, market: str | None = None, markets_in: Sequence[str] | None = None,
                          from_day: date, to_day: date) -> dict[tuple[str, str], list[GmvRow]]:
    """(market, currency) -> its rows per day, in one query: the console's chart per market."""
    t, _, stmt = _report_query(group_by="day", market=market, markets_in=markets_in, shop_id=None,
                               from_day=from_day, to_day=to_day)
    stmt = stmt.add_columns(t.c.market).group_by(t.c.market).order_by(t.c.market, t.c.day)
    found: dict[tuple[str, str], list[GmvRow]] = {}
    for r in session.execute(stmt):
        found.setdefault((r[-1], r[1]), []).append(_row(r))
    return found


def _row(r: Any) -> GmvRow:
    # PostgreSQL sums BIGINT into NUMERIC (Decimal); amounts are whole minor units, so int() is exact.
    gmv, refunds = int(r[2] or 0), int(r[3] or 0)
    return GmvRow(key=r[0], currency=r[1], gmv=gmv, refunds=refunds, net_gmv=gmv - refunds, orders=int(r[4] or 0),
                  units=int(r[5] or 0), units_refunded=int(r[6] or 0))


def _after(token: str, group_by: str) -> tuple[date | str, str]:
    key, currency = decode_token(token, 2)
    bad = Invalid("page_token is not a token this API issued", code="invalid_page_token", field="page_token")
    if not isinstance(key, str) or not isinstance(currency, str):
        raise bad
    if group_by == "day":
        try:
            return date.fromisoformat(key), currency
        except ValueError:
            raise bad from None
    return key, currency


def gmv_report_page(session: Session, *, market: str | None = None, markets_in: Sequence[str] | None = None,
                    shop_id: str | None = None, from_day: date, to_day: date, group_by: str = "day",
                    page_size: int | None = None, page_token: str | None = None) -> tuple[list[GmvRow], str | None]:
    """One page of the report, ordered by (key, currency); the token is the last (key, currency) served."""
    size = page_size or DEFAULT_PAGE_SIZE
    if size < 1 or size > MAX_PAGE_SIZE:
        raise Invalid(f"page_size must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    t, key, stmt = _report_query(group_by=group_by, market=market, markets_in=markets_in, shop_id=shop_id,
                                 from_day=from_day, to_day=to_day)
    if page_token:
        last_key, last_currency = _after(page_token, group_by)
        # Grouping columns, so a WHERE on them filters exactly the groups after the token.
        stmt = stmt.where(or_(key > last_key, and_(key == last_key, t.c.currency > last_currency)))
    rows = [_row(r) for r in session.execute(stmt.order_by(key, t.c.currency).limit(size + 1))]
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    last = rows[-1]
    return rows, encode_token([last.key.isoformat() if isinstance(last.key, date) else last.key, last.currency])


def gmv_report(session: Session, *, market: str | None = None, markets_in: Sequence[str] | None = None,
               shop_id: str | None = None, from_day: date, to_day: date, group_by: str = "day") -> list[GmvRow]:
    """Every row of the report (a year by day is 366 rows per currency at most)."""
    t, key, stmt = _report_query(group_by=group_by, market=market, markets_in=markets_in, shop_id=shop_id,
                                 from_day=from_day, to_day=to_day)
    return [_row(r) for r in session.execute(stmt.order_by(key, t.c.currency))]


def latest_day(session: Session, *, market: str | None = None, markets_in: Sequence[str] | None = None,
               shop_id: str | None = None, before: date | None = None) -> date | None:
    """The last day (up to `before`, default today) with any sale or refund in scope: where a report opens, so a
    quiet month does not show an empty chart when there is data. One indexed MAX."""
    stmt = select(func.max(_T.c.day)).where(_T.c.day <= (before or clock.now().date()))
    if market is not None:
        stmt = stmt.where(_T.c.market == market.upper())
    if markets_in is not None:
        stmt = stmt.where(_T.c.market.in_([m.upper() for m in markets_in]))
    if shop_id is not None:
        stmt = stmt.where(_T.c.shop_id == shop_id)
    return session.scalar(stmt)


def _shop_currency(session: Session, shop_id: str) -> str:
    currency = session.scalar(select(_T.c.currency).where(_T.c.shop_id == shop_id).limit(1))
    if currency is not None:
        return currency
    shop = sellers.get_shop(session, shop_id)  # NotFound for an unknown shop
    return markets.get(session, shop.market).currency


def trailing_gmv(session: Session, *, shop_id: str, at: datetime | None = None, days: int = 365) -> dict[str, Any]:
    """Net GMV of the `days` UTC days ending with the day of `at` (default now), both ends included.

    Rollups are daily, so the day of `at` counts whole; with `at` = now that is everything so far."""
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise Invalid("days must be a whole number >= 1", field="days")
    end = clock.as_utc(at or clock.now()).date()
    try:
        start = end - timedelta(days=days - 1)
    except OverflowError:
        start = date.min
    rows = session.execute(
        select(_T.c.currency, func.sum(_T.c.gmv - _T.c.refunds))
        .where(_T.c.shop_id == shop_id, _T.c.day >= start, _T.c.day <= end)
        .group_by(_T.c.currency)).all()
    if len(rows) > 1:  # a market's currency does not change, so only hand-written rows could get here
        raise Conflict(f"shop {shop_id} has amounts in {len(rows)} currencies", code="currency_mismatch")
    if rows:
        return {"amount": int(rows[0][1] or 0), "currency": rows[0][0]}
    return {"amount": 0, "currency": _shop_currency(session, shop_id)}


# --- who may read what ----------------------------------------------------------------------------------------------

READERS = ("operator", "seller")


def report_scope(session: Session, *, actor: Actor, market: str | None = None,
                 shop_id: str | None = None) -> tuple[str, ...] | None:
    """Check that `actor` may read GMV for this market / shop; return the markets to limit the report to (None: all).

    Operators read their markets (a limited operator asking for no market gets only theirs); a seller reads
    only a shop of their own, so must name it."""
    if actor.role not in READERS:
        raise Forbidden(f"GMV reports are for operators and sellers; {actor.email} is {actor.role}",
                        code="wrong_role")
    if market is not None and actor.is_operator:
        actor.require_market(market)
    if market is not None:
        markets.get(session, market)  # 404 for a market that does not exist
    if shop_id is not None:
        sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
        return None  # the shop pins the market, and the check above said the actor may see it
    if not actor.is_operator:
        raise Invalid("a seller asks for one of their own shops: add shop_id", code="shop_id_required",
                        field="shop_id")
    return actor.markets


# --- a period's figures per shop (the programs area judges shops on them) -----------------------------------------

@dataclass(frozen=True)
class ShopTotals:
    gmv: int
    refunds: int
    orders: int
    units: int
    units_refunded: int


def shop_totals(session: Session, *, shop_ids: Sequence[str], from_day: date, to_day: date) -> dict[str, ShopTotals]:
    """Each shop's sums over the UTC days `from_day`..`to_day` (both included), read from the shop rollup: a few
    rows per shop and day, never the orders. Shops with no row in the range are left out (their figures are 0)."""
    found: dict[str, ShopTotals] = {}
    ids = list(dict.fromkeys(shop_ids))
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(_T.c.shop_id, func.sum(_T.c.gmv), func.sum(_T.c.refunds), func.sum(_T.c.orders),
                   func.sum(_T.c.units_sold), func.sum(_T.c.units_refunded))
            .where(_T.c.shop_id.in_(ids[i:i + 500]), _T.c.day >= from_day, _T.c.day <= to_day)
            .group_by(_T.c.shop_id)).all()
        for shop_id, gmv, refunds, orders, units, refunded in rows:
            found[shop_id] = ShopTotals(int(gmv or 0), int(refunds or 0), int(orders or 0), int(units or 0),
                                        int(refunded or 0))
    return found
