"""Each buyer's units on a deal: the per-buyer limit, held by the database (docs/adr/0016).

`INSERT … ON CONFLICT DO UPDATE SET units = units + q WHERE units + q <= cap RETURNING units` either counts the
units or returns nothing, atomically; concurrent checkouts of one buyer queue on that buyer's row."""

from functools import cache

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from marketcast.core.db import insert_for
from marketcast.core.errors import Conflict
from marketcast.live.models import DealBuyer


def count(session: Session, *, deal_id: str, buyer_id: str, quantity: int, cap: int) -> None:
    if quantity > cap or session.execute(_count(session.get_bind().dialect.name), {
            "b_deal": deal_id, "b_buyer": buyer_id, "b_q": quantity, "b_cap": cap}).scalar_one_or_none() is None:
        raise over_limit(deal_id, cap)


def over_limit(deal_id: str, cap: int) -> Conflict:
    return Conflict(f"deal {deal_id} sells at most {cap} per buyer", code="per_buyer_limit", deal_id=deal_id,
                    limit=cap)


def count_many(session: Session, *, deal_id: str, cap: int, units: dict[str, int]) -> set[str]:
    """`count` for many buyers of one deal in one upsert (a batched checkout): the buyers whose units were
    counted; the others would have gone over `cap` and are left as they were. Rows in buyer order (the lock
    order of concurrent batches)."""
    rows = [{"deal_id": deal_id, "buyer_id": buyer, "units": q, "cap": cap}
            for buyer, q in sorted(units.items()) if q <= cap]
    if not rows:
        return set()
    return set(session.scalars(_count_many(session.get_bind().dialect.name), rows))


@cache
def _count(dialect: str):
    """The guarded upsert, built once per database: every deal order runs it (built anew, its cache key cost
    more CPU than running it)."""
    table = DealBuyer.__table__
    units = table.c.units + bindparam("b_q")
    return (insert_for(dialect, table)
            .values(deal_id=bindparam("b_deal"), buyer_id=bindparam("b_buyer"), units=bindparam("b_q"),
                    cap=bindparam("b_cap"))
            .on_conflict_do_update(index_elements=[table.c.deal_id, table.c.buyer_id], set_={"units": units},
                                   where=units <= table.c.cap)
            .returning(table.c.units))


@cache
def _count_many(dialect: str):
    """The guarded upsert of `count` with each row's own units (`excluded`), for many rows in one statement."""
    table = DealBuyer.__table__
    stmt = insert_for(dialect, table)
    units = table.c.units + stmt.excluded.units
    return (stmt.on_conflict_do_update(index_elements=[table.c.deal_id, table.c.buyer_id], set_={"units": units},
                                       where=units <= table.c.cap)
            .returning(table.c.buyer_id))


def uncount(session: Session, *, counts: dict[tuple[str, str], int]) -> None:
    """(deal id, buyer id) -> units of cancelled orders: one executemany UPDATE, in key order."""
    if not counts:
        return
    table = DealBuyer.__table__
    session.execute(update(table)
                    .where(table.c.deal_id == bindparam("b_deal"), table.c.buyer_id == bindparam("b_buyer"),
                           table.c.units >= bindparam("b_n"))
                    .values(units=table.c.units - bindparam("b_n")),
                    [{"b_deal": deal, "b_buyer": buyer, "b_n": n} for (deal, buyer), n in sorted(counts.items())])
