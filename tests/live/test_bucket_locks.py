"""A bucketed deal's take keeps no lock on a bucket it took nothing from (PostgreSQL; SQLite has no row locks).

A guarded UPDATE that waited for a bucket's lock and then found the bucket emptied keeps that lock to the commit;
two buyers each holding one such bucket and waiting for the other's deadlock, and PostgreSQL takes a second
(deadlock_timeout) to say so: `bench/flash_sale.py`'s bucketed sale ran at a tenth of its speed that way."""

import threading
import zlib

import pytest
from sqlalchemy import select, text, update

from marketcast.core.db import get_engine, new_session, unit_of_work
from marketcast.live import buckets
from marketcast.live.models import DealBucket


def _waiting_for_a_lock() -> bool:
    with unit_of_work(write=False) as s:
        return bool(s.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                  " AND wait_event_type = 'Lock'")))


def test_a_take_that_found_its_bucket_emptied_meanwhile_holds_no_lock_on_it(open_deal):
    if get_engine().dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks: one writer at a time")
    deal, _, _ = open_deal(allotment=2, stock=10, stock_buckets=2)  # one unit in each bucket
    mine = zlib.crc32(b"salt") % 2
    in_mine = (DealBucket.deal_id == deal["id"], DealBucket.bucket == mine)
    holder = new_session()
    holder.execute(update(DealBucket).where(*in_mine).values(units_left=DealBucket.units_left - 1))
    taken, done, result = threading.Event(), threading.Event(), {}

    def buyer() -> None:  # its own bucket is being emptied: it waits, finds it empty, takes the other one's unit
        with unit_of_work() as s:
            result["left"] = buckets.take(s, deal_id=deal["id"], quantity=1, buckets=2, salt="salt")
            taken.set()
            done.wait(30)

    thread = threading.Thread(target=buyer)
    thread.start()
    try:
        for _ in range(300):
            if _waiting_for_a_lock():
                break
            threading.Event().wait(0.01)
        else:
            pytest.fail("the buyer never waited for the bucket's lock")
        holder.commit()
        assert taken.wait(30) and result["left"] == 0
        with new_session(write=False) as probe:  # NOWAIT: a lock still held by the buyer would refuse at once
            assert probe.execute(select(DealBucket.units_left).where(*in_mine).with_for_update(nowait=True)
                                 ).scalar_one() == 0
            probe.rollback()
    finally:
        holder.close()
        done.set()
        thread.join(30)
    with unit_of_work(write=False) as s:
        assert buckets.units_left(s, deal["id"]) == 0
