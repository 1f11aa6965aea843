"""Each buyer's units on a deal: the per-buyer limit, held by the database (docs/adr/0016).

`INSERT … ON CONFLICT DO UPDATE SET units = units + q WHERE units + q <= cap RETURNING units` either counts the
units or returns nothing, atomically; concurrent checkouts of one buyer queue on that buyer's row."""

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from marketcast.core.db import upsert_insert
from marketcast.core.errors import Conflict
from marketcast.live.models import DealBuyer


def count(session: Session, *, deal_id: str, buyer_id: str, quantity: int, cap: int) -> None:
    stmt = (upsert_insert(session, DealBuyer).values(deal_id=deal_id, buyer_id=buyer_id, units=quantity, cap=cap)
            .on_conflict_do_update(index_elements=[DealBuyer.deal_id, DealBuyer.buyer_id],
                                   set_={"units": DealBuyer.units + quantity},
                                   where=DealBuyer.units + quantity <= DealBuyer.cap)
            .returning(DealBuyer.units))
    if quantity > cap or session.execute(stmt).scalar_one_or_none() is None:
        raise Conflict(f"deal {deal_id} sells at most {cap} per buyer", code="per_buyer_limit", deal_id=deal_id,
                       limit=cap)


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
