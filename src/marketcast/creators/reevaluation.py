"""Re-judging a market's creators when a threshold changes: one set-based pass in chunks.

The market is walked in id ranges of a chunk's size. In each, the database picks the creators whose status
would move (`derived_status`: `rules.status_of` as a SQL CASE over the thresholds in force) and locks them in
the same statement, so the creators that keep their status never reach Python, and a follower update or a
suspension that committed meanwhile is judged on its new values (PostgreSQL re-checks a locked row that
changed). Those rows are judged in full with `rules.judge`'s rules and written in bulk (creators/batch.py: the
moves, their records, their events), so memory is bounded by the chunk size, whatever the market's size."""

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.chunks import DEFAULT_CHUNK, keyset_chunks
from marketcast.creators import judging, rules
from marketcast.creators.batch import Batch, figures
from marketcast.creators.models import Creator, FollowerSnapshot

COLUMNS = (Creator.id, Creator.user_id, Creator.market, Creator.handle, Creator.date_of_birth, Creator.followers,
           Creator.affiliate_status, Creator.failed_rules, Creator.pilot_started_at, Creator.graduated_at,
           Creator.suspended_at, Creator.status_changed_at)
# What a move reads (creators/batch.py): COLUMNS less the time of the last change, which a move replaces.
MOVER_COLUMNS = tuple(c for c in COLUMNS if c is not Creator.status_changed_at)


def market_rows(session: Session, market: str, *, size: int = DEFAULT_CHUNK, followers_at: datetime | None = None):
    """Every creator of the market, chunk by chunk, with what a judgement reads. Followers: the latest count, or
    with `followers_at` the latest snapshot at or before that time."""
    columns: list[ColumnElement[Any] | InstrumentedAttribute[Any]] = list(COLUMNS)
    if followers_at is not None:
        snap = FollowerSnapshot
        latest = (select(snap.count).where(snap.creator_id == Creator.id, snap.as_of <= followers_at)
                  .order_by(snap.as_of.desc()).limit(1).scalar_subquery())
        columns[COLUMNS.index(Creator.followers)] = func.coalesce(latest, 0).label("followers")
    return keyset_chunks(session, select(*columns).where(Creator.market == market), Creator.id, size=size)


def derived_status(ctx: rules.Context) -> ColumnElement[str]:
    """`rules.status_of` under ctx as SQL over the creators' columns, for the database to pick the creators
    whose status would move; each of those is judged again in Python before it is written."""
    at = ctx.at
    whens: list[tuple[ColumnElement[bool], str]] = [
        (Creator.suspended_at.is_not(None) & (Creator.suspended_at <= at), "suspended"),
        ((Creator.date_of_birth > rules.born_by(ctx)) | (Creator.followers < ctx.min_followers.value), "ineligible")]
    if ctx.pilot_below.value is not None:
        graduated = Creator.graduated_at.is_not(None) & (Creator.graduated_at <= at)
        whens.append(((Creator.followers < ctx.pilot_below.value) & ~graduated, "pilot"))
    return case(*whens, else_="active")


def id_ranges(session: Session, market: str, size: int) -> Iterator[tuple[str | None, str | None]]:
    """The market's creators as id ranges (after, up to] of `size` creators each, the last one open. The caller
    may write between ranges: the next one starts after the last bound."""
    after = None
    while True:
        stmt = select(Creator.id).where(Creator.market == market)
        if after is not None:
            stmt = stmt.where(Creator.id > after)
        upto = session.scalar(stmt.order_by(Creator.id).offset(size - 1).limit(1))
        yield after, upto
        if upto is None:
            return
        after = upto


def reevaluate(session: Session, *, market: str, trigger: str, actor: Actor | None = None,
               chunk_size: int = DEFAULT_CHUNK) -> dict[str, Any]:
    """Judge every creator of `market` under the policies in force now; write, record and announce each move.

    Always as of now (tests and the scenario move the clock): a status written under other policies would
    overwrite the current one."""
    if actor is not None:
        actor.require_operator_of(market.upper(), "re-evaluating creators")
    when = clock.now()
    ctx = judging.context(session, market=market, at=when, field="market")
    evaluated = session.scalar(select(func.count()).select_from(Creator).where(Creator.market == ctx.market)) or 0
    moving = derived_status(ctx).is_distinct_from(Creator.affiliate_status)
    batch = Batch(ctx, kind="reevaluation", at=when, trigger=trigger, actor=actor)
    moves: Counter[str] = Counter()
    for after, upto in id_ranges(session, ctx.market, chunk_size) if evaluated else ():
        stmt = select(*MOVER_COLUMNS).where(Creator.market == ctx.market, moving)
        if after is not None:
            stmt = stmt.where(Creator.id > after)
        if upto is not None:
            stmt = stmt.where(Creator.id <= upto)
        moves.update(batch.write(session, session.execute(stmt.order_by(Creator.id).with_for_update(of=Creator))
                                 .all()))
    return {"market": ctx.market, "evaluated": evaluated, "moved": sum(moves.values()), "moves": dict(moves)}


def reevaluate_ids(session: Session, *, ctx: rules.Context, ids: list[str], trigger: str,
                   actor: Actor | None = None) -> Counter[str]:
    """Judge these creators of ctx's market (a follower import's chunk) and write their moves."""
    rows = session.execute(select(*COLUMNS).where(Creator.id.in_(ids), Creator.market == ctx.market)).all()
    movers = [r.id for r in rows if rules.status_of(ctx, figures(r, ctx.at)) != r.affiliate_status]
    return _move(session, ctx, movers, when=ctx.at, trigger=trigger, actor=actor) if movers else Counter()


def _move(session: Session, ctx: rules.Context, ids: list[str], *, when: datetime, trigger: str,
          actor: Actor | None) -> Counter[str]:
    # Judged again: one changed meanwhile by someone who judged it already is left alone.
    locked = session.execute(select(*MOVER_COLUMNS).where(Creator.id.in_(ids)).order_by(Creator.id)
                             .with_for_update(of=Creator)).all()
    return Batch(ctx, kind="reevaluation", at=when, trigger=trigger, actor=actor).write(session, locked)


def reevaluate_after(session: Session, *, changes: list[tuple[str, str | None]]) -> int:
    """After policy versions took effect: re-judge each market a creator status key names (a global change:
    every market with creators). Returns how many creators were judged."""
    keyed = [(key, market) for key, market in changes if key in rules.STATUS_KEYS]
    codes: set[str] = {market for _, market in keyed if market is not None}
    if any(market is None for _, market in keyed):
        codes.update(session.scalars(select(Creator.market).distinct()))
    if not codes:
        return 0
    trigger = "policy change: " + ", ".join(sorted({f"{k} ({m or 'global'})" for k, m in keyed}))
    return sum(reevaluate(session, market=code, trigger=trigger)["evaluated"] for code in sorted(codes))
