"""The bucketed stock strategy for hot deals (docs/adr/0016): a deal's units split over N rows, so concurrent
buyers lock different rows instead of queueing on one. Every move is still one guarded statement on one row:

    take       units_left -= q  on the order's bucket WHERE units_left >= q; else on another bucket that has
               them (SKIP LOCKED first, then waiting): no read-then-write, never below zero
    give back  units_left += q  on bucket 0, after the deal row was locked as not ended
    drain      every bucket to 0 RETURNING what it held, after the deal row moved to ended (once)

While a bucketed deal runs, its row holds neither units_left nor sold: they are the buckets' sum and
allotment - returned - that sum."""

import zlib

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from marketcast.live.models import DealBucket

_TRIES = 3


def split(session: Session, *, deal_id: str, allotment: int, buckets: int) -> None:
    share, extra = divmod(allotment, buckets)
    session.execute(insert(DealBucket), [{"deal_id": deal_id, "bucket": b, "units_left": share + (b < extra)}
                                         for b in range(buckets)])


def _take_from(session: Session, deal_id: str, quantity: int, bucket) -> int | None:
    """One try, in a savepoint given up when it takes nothing. A guarded UPDATE that waited for a bucket's lock and
    then found it short keeps that lock to the end of the transaction; two buyers each holding the one and
    waiting for the other's would deadlock (a second each, PostgreSQL's deadlock_timeout). Given up, the lock
    goes at once: a buyer only ever waits for a bucket while holding none."""
    savepoint = session.begin_nested()
    left = session.execute(
        update(DealBucket).where(DealBucket.deal_id == deal_id, DealBucket.bucket == bucket,
                                 DealBucket.units_left >= quantity)
        .values(units_left=DealBucket.units_left - quantity).returning(DealBucket.units_left),
        execution_options={"synchronize_session": False}).scalar_one_or_none()
    if left is None:
        savepoint.rollback()
    else:
        savepoint.commit()
    return left


def take(session: Session, *, deal_id: str, quantity: int, buckets: int, salt: str) -> int | None:
    """Units left in the bucket taken from, or None when no bucket had `quantity` units."""
    left = _take_from(session, deal_id, quantity, zlib.crc32(salt.encode()) % buckets)
    if left is not None:
        return left
    for _ in range(_TRIES):
        for skip_locked in (True, False):
            other = (select(DealBucket.bucket)
                     .where(DealBucket.deal_id == deal_id, DealBucket.units_left >= quantity)
                     .order_by(DealBucket.units_left.desc()).limit(1)
                     .with_for_update(skip_locked=skip_locked).scalar_subquery())
            left = _take_from(session, deal_id, quantity, other)
            if left is not None:
                return left
        if units_left(session, deal_id) < quantity:
            return None
    return None


def units_left(session: Session, deal_id: str) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(DealBucket.units_left), 0))
                              .where(DealBucket.deal_id == deal_id)) or 0)


def totals(session: Session, deal_ids: list[str]) -> dict[str, int]:
    rows = session.execute(select(DealBucket.deal_id, func.sum(DealBucket.units_left))
                           .where(DealBucket.deal_id.in_(deal_ids)).group_by(DealBucket.deal_id))
    return {deal_id: int(total) for deal_id, total in rows}


def give_back(session: Session, *, deal_id: str, quantity: int) -> None:
    """Call with the deal row locked as not ended (deals.give_back does)."""
    session.execute(update(DealBucket).where(DealBucket.deal_id == deal_id, DealBucket.bucket == 0)
                    .values(units_left=DealBucket.units_left + quantity)
                    .execution_options(synchronize_session=False))


def drain(session: Session, *, deal_ids: list[str]) -> dict[str, int]:
    """Empty the buckets of deals that just ended (their rows already moved to ended, in this transaction): deal
    id -> the units they still held. The buckets are locked first (a take in flight finishes before), then zeroed."""
    held = session.execute(select(DealBucket.deal_id, DealBucket.bucket, DealBucket.units_left)
                           .where(DealBucket.deal_id.in_(deal_ids))
                           .order_by(DealBucket.deal_id, DealBucket.bucket).with_for_update()).all()
    left: dict[str, int] = {}
    for deal_id, _, units in held:
        left[deal_id] = left.get(deal_id, 0) + units
    session.execute(update(DealBucket).where(DealBucket.deal_id.in_(deal_ids), DealBucket.units_left > 0)
                    .values(units_left=0).execution_options(synchronize_session=False))
    return left
