"""The GMV rollups: which table a report reads, and the one additive upsert that every rollup is written with.

A rollup is a table of key columns plus models.GmvMeasures. Adding one (per creator, per collaboration) is a
model, a `Source` in SOURCES naming what it can group by and filter on, and a call of `add` where its sales are
recorded; `source_for` then sends the reports it can answer to it."""

import zlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Column, Table
from sqlalchemy.orm import Session

from marketcast.core.db import upsert_insert
from marketcast.reports.models import GmvAffiliateDaily, GmvDaily, GmvMarketDaily

MEASURES = ("gmv", "refunds", "orders", "units_sold", "units_refunded")
MARKET_SLOTS = 8  # rows per (day, market, currency): the concurrency of payments in one market, for one read 8x


@dataclass(frozen=True)
class Source:
    """A rollup table and the reports it answers: `groups` maps a report's group_by to its key column."""

    table: Table
    groups: dict[str, str]
    filters: frozenset[str]

    def key(self, group_by: str) -> Column:
        return self.table.c[self.groups[group_by]]


MARKET = Source(GmvMarketDaily.__table__, {"day": "day", "market": "market"}, frozenset({"market", "markets_in"}))
SHOP = Source(GmvDaily.__table__, {"day": "day", "market": "market", "shop": "shop_id"},
              frozenset({"market", "markets_in", "shop_id"}))
# Attributed lines only: the one rollup that knows creators and collaborations.
AFFILIATE = Source(GmvAffiliateDaily.__table__, {"creator": "creator_id", "collaboration": "collaboration_id"},
                   frozenset({"market", "markets_in", "shop_id"}))
SOURCES = (MARKET, SHOP, AFFILIATE)  # the smallest first


def source_for(group_by: str, filters: set[str]) -> Source:
    """The first (smallest) rollup that can group by `group_by` and apply every filter in `filters`."""
    return next(s for s in SOURCES if group_by in s.groups and filters <= s.filters)


def market_slot(shop_id: str) -> int:
    # crc32, not hash(): the same shop lands in the same slot in every process.
    return zlib.crc32(shop_id.encode()) % MARKET_SLOTS


def add(session: Session, table: Table, *, key: dict, day: date, currency: str, measures: dict[str, int]) -> bool:
    """Add `measures` to the row of (`day`, `key`), creating it; False (nothing written) when that row exists in
    another currency than `currency`.

    Additive SET (column = column + excluded.column): two payments racing on the same row are both counted,
    PostgreSQL serialising them on the row lock, SQLite on its write lock. The WHERE refuses to add an amount in
    another currency to an existing row; RETURNING says whether the insert or the update happened."""
    row = dict.fromkeys(MEASURES, 0) | measures
    stmt = upsert_insert(session, table).values(day=day, currency=currency, **key, **row)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={name: table.c[name] + stmt.excluded[name] for name in measures},
        where=table.c.currency == stmt.excluded.currency,
    ).returning(table.c.day)
    return session.execute(stmt).first() is not None
