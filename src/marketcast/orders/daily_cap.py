"""The probation daily order cap: a per-shop, per-market-day counter raised by one guarded statement.

`INSERT … ON CONFLICT DO UPDATE SET placed = placed + 1 WHERE placed < :cap RETURNING placed` either takes a slot
or returns nothing, atomically: on PostgreSQL simultaneous checkouts queue on the counter row and each sees the
count the previous one left, so exactly `cap` orders get through (a COUNT of today's orders could not promise
that without locking the shop row, which is the sellers area's). "Today" is the market's local day: a cap per
day means the day the shop's customers and the operator live in, not the UTC one."""

from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.db import upsert_insert
from marketcast.core.errors import Conflict
from marketcast.markets import service as markets
from marketcast.orders.models import ShopDailyOrders
from marketcast.policies import service as policies

CAP_POLICY = "shop.probation.daily_order_cap"


def local_day(session: Session, *, market: str, at: datetime) -> date:
    return at.astimezone(ZoneInfo(markets.get(session, market).timezone)).date()


def take_slot(session: Session, *, shop_id: str, market: str) -> None:
    """Count one more order for a probation shop today, or 409 daily_order_cap_reached. Runs in the checkout's
    transaction: a checkout that fails later rolls its slot back with it."""
    cap = policies.value(session, key=CAP_POLICY, market=market)
    if cap is None:  # the policy says: no cap
        return
    taken = None
    if int(cap) >= 1:
        table = ShopDailyOrders
        day = local_day(session, market=market, at=clock.now())
        stmt = (upsert_insert(session, table).values(shop_id=shop_id, day=day, placed=1)
                .on_conflict_do_update(index_elements=[table.shop_id, table.day],
                                       set_={"placed": table.placed + 1}, where=table.placed < int(cap))
                .returning(table.placed))
        taken = session.execute(stmt).scalar_one_or_none()
    if taken is None:
        raise Conflict(f"shop {shop_id} is on probation and has reached its cap of {cap} orders today",
                       code="daily_order_cap_reached", shop_id=shop_id, cap=cap)


def give_back(session: Session, *, orders: list[tuple[str, str, datetime]]) -> None:
    """Cancelled or expired orders, (shop_id, market, created_at) each, free their day's slots again (so the cap
    counts the orders that stand, as it always did). Counters exist only for probation shops; other shops'
    orders match no row. One UPDATE for the whole batch."""
    days: dict[str, ZoneInfo] = {}
    slots: Counter[tuple[str, date]] = Counter()
    for shop_id, market, created_at in orders:
        if market not in days:
            days[market] = ZoneInfo(markets.get(session, market).timezone)
        slots[(shop_id, created_at.astimezone(days[market]).date())] += 1
    if not slots:
        return
    table = ShopDailyOrders.__table__
    session.execute(update(table)
                    .where(table.c.shop_id == bindparam("b_shop"), table.c.day == bindparam("b_day"),
                           table.c.placed >= bindparam("b_n"))
                    .values(placed=table.c.placed - bindparam("b_n")),
                    [{"b_shop": shop, "b_day": day, "b_n": n} for (shop, day), n in slots.items()])
