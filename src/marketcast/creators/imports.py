"""Follower counts in bulk from CSV (`handle,market,followers,as_of`), streamed: rows are read, checked and
written a chunk at a time, so a file of millions of rows never sits in memory.

A row that cannot be used is rejected with its line number, a code, the field at fault and the reason; the
others are written. Each chunk is a few statements: one lookup of the handles per market, one upsert of the
snapshots, one update of the latest counts, and the re-judgement of the creators it touched."""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import DomainError, Invalid
from marketcast.core.fields import market_code
from marketcast.creators import judging, rules
from marketcast.creators.models import Creator
from marketcast.creators.profiles import check_snapshot, record_snapshots
from marketcast.creators.reevaluation import reevaluate_ids

COLUMNS = ("handle", "market", "followers", "as_of")
CHUNK = 5000


@dataclass(frozen=True)
class Rejected:
    line: int
    code: str
    field: str
    reason: str


@dataclass(frozen=True)
class Row:
    line: int
    handle: str
    market: str
    followers: int
    as_of: datetime


def read_rows(stream: IO[str]) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each data row after checking the header; 422 invalid_csv_header otherwise."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != list(COLUMNS):
        raise Invalid(f"the first line must be the header {','.join(COLUMNS)}", code="invalid_csv_header",
                      field="file")
    for fields in reader:
        if fields:
            yield reader.line_num, fields


def chunks(rows: Iterable[tuple[int, list[str]]], size: int = CHUNK) -> Iterator[list[tuple[int, list[str]]]]:
    batch: list[tuple[int, list[str]]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _as_of(text: str) -> datetime:
    value = text.strip()
    try:
        parsed = (datetime.fromisoformat(value) if "T" in value or " " in value
                  else datetime.combine(date.fromisoformat(value), datetime.min.time()))
    except ValueError:
        raise Invalid(f"as_of {text!r} is not an ISO date or time", code="invalid_as_of", field="as_of") from None
    return clock.as_utc_input(parsed, "as_of")


def parse(line: int, fields: list[str], now: datetime) -> Row:
    if len(fields) != len(COLUMNS):
        raise Invalid(f"expected {len(COLUMNS)} columns ({','.join(COLUMNS)}), got {len(fields)}",
                      code="wrong_column_count", field="row")
    handle_text, market_text, followers_text, as_of_text = fields
    handle = rules.normalize_handle(handle_text)
    market = market_code(market_text)
    if len(market) != 2 or not market.isalpha() or not market.isascii():
        raise Invalid(f"market {market_text!r} is not a two-letter code", code="invalid_market", field="market")
    try:
        followers = int(followers_text.strip().replace(",", "").replace("_", ""))
    except ValueError:
        raise Invalid(f"followers {followers_text!r} is not a whole number", code="invalid_followers",
                      field="followers") from None
    as_of = _as_of(as_of_text)
    try:
        check_snapshot(followers, as_of, now)
    except Invalid as exc:
        raise Invalid(exc.detail, code=exc.code, field="followers" if exc.field == "count" else exc.field) from None
    return Row(line=line, handle=handle, market=market, followers=followers, as_of=as_of)


def import_chunk(session: Session, batch: list[tuple[int, list[str]]], *, actor: Actor) -> tuple[int, list[Rejected]]:
    """Check and write one chunk; returns (rows written, rows rejected). Never raises for a bad row."""
    now = clock.now()
    rejected: list[Rejected] = []
    good: list[Row] = []
    for line, fields in batch:
        try:
            good.append(parse(line, fields, now))
        except DomainError as exc:
            rejected.append(Rejected(line, exc.code, exc.field or "row", exc.detail))
    ids: dict[tuple[str, str], str] = {}
    in_scope: set[str] = set()
    for market in sorted({r.market for r in good}):
        try:
            actor.require_operator_of(market, "importing follower counts")
        except DomainError as exc:
            rejected += [Rejected(r.line, exc.code, "market", exc.detail) for r in good if r.market == market]
            continue
        in_scope.add(market)
        handles = sorted({r.handle for r in good if r.market == market})
        for cid, handle in session.execute(select(Creator.id, Creator.handle)
                                           .where(Creator.market == market, Creator.handle.in_(handles))):
            ids[(market, handle)] = cid
    snapshots: dict[tuple[str, datetime], tuple[str, int, datetime]] = {}
    for r in good:
        if r.market not in in_scope:
            continue
        found = ids.get((r.market, r.handle))
        if found is None:
            rejected.append(Rejected(r.line, "creator_not_found", "handle",
                                     f"no creator with the handle {r.handle} in {r.market}"))
            continue
        snapshots[(found, r.as_of)] = (found, r.followers, r.as_of)  # the same creator and instant twice: the last wins
    record_snapshots(session, list(snapshots.values()), source="import", actor=actor, now=now)
    touched: dict[str, set[str]] = {}
    for (market, _), cid in ids.items():
        touched.setdefault(market, set()).add(cid)
    for market, creator_ids in sorted(touched.items()):
        reevaluate_ids(session, ctx=judging.context(session, market=market, at=now), ids=sorted(creator_ids),
                       trigger="follower import", actor=actor)
    rejected.sort(key=lambda x: x.line)
    return len(batch) - len(rejected), rejected

