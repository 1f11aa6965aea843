"""Re-judging a market's creators when a threshold changes: one set-based pass in chunks.

Each chunk is read without locks and judged with `rules.status_of` (cheap: no words); the creators whose
status moves are then locked, read again and judged in full, so a follower update or a suspension that
committed meanwhile is never overwritten with a stale verdict. Writes are bulk statements per chunk (the
moves, their records, their events), so memory is bounded by the chunk size, whatever the market's size."""

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.chunks import DEFAULT_CHUNK, keyset_chunks
from marketcast.creators import judging, rules
from marketcast.creators.models import Creator, FollowerSnapshot
from marketcast.creators.profiles import Moves

COLUMNS = (Creator.id, Creator.user_id, Creator.market, Creator.handle, Creator.date_of_birth, Creator.followers,
           Creator.affiliate_status, Creator.failed_rules, Creator.pilot_started_at, Creator.graduated_at,
           Creator.suspended_at, Creator.status_changed_at)


def figures(row: Any, at: datetime) -> rules.Figures:
    return rules.Figures(followers=row.followers, date_of_birth=row.date_of_birth,
                         graduated=row.graduated_at is not None and row.graduated_at <= at,
                         suspended=row.suspended_at is not None and row.suspended_at <= at)


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


def reevaluate(session: Session, *, market: str, trigger: str, actor: Actor | None = None,
               chunk_size: int = DEFAULT_CHUNK) -> dict[str, Any]:
    """Judge every creator of `market` under the policies in force now; write, record and announce each move.

    Always as of now (tests and the scenario move the clock): a status written under other policies would
    overwrite the current one."""
    if actor is not None:
        actor.require_operator_of(market.upper(), "re-evaluating creators")
    when = clock.now()
    ctx = judging.context(session, market=market, at=when, field="market")
    moves: Counter[str] = Counter()
    evaluated = 0
    for rows in market_rows(session, ctx.market, size=chunk_size):
        evaluated += len(rows)
        movers = [r.id for r in rows if rules.status_of(ctx, figures(r, when)) != r.affiliate_status]
        if movers:
            moves.update(_move(session, ctx, movers, when=when, trigger=trigger, actor=actor))
    return {"market": ctx.market, "evaluated": evaluated, "moved": sum(moves.values()), "moves": dict(moves)}


def reevaluate_ids(session: Session, *, ctx: rules.Context, ids: list[str], trigger: str,
                   actor: Actor | None = None) -> Counter[str]:
    """Judge these creators of ctx's market (a follower import's chunk) and write their moves."""
    rows = session.execute(select(*COLUMNS).where(Creator.id.in_(ids), Creator.market == ctx.market)).all()
    movers = [r.id for r in rows if rules.status_of(ctx, figures(r, ctx.at)) != r.affiliate_status]
    return _move(session, ctx, movers, when=ctx.at, trigger=trigger, actor=actor) if movers else Counter()


def _move(session: Session, ctx: rules.Context, ids: list[str], *, when: datetime, trigger: str,
          actor: Actor | None) -> Counter[str]:
    locked = session.execute(select(*COLUMNS).where(Creator.id.in_(ids)).order_by(Creator.id)
                             .with_for_update(of=Creator)).all()
    moves = Moves()
    for row in locked:
        judgement = rules.judge(ctx, figures(row, when))
        if judgement.status == row.affiliate_status:
            continue  # changed meanwhile by someone who judged it already
        moves.add(row, judgement, kind="reevaluation", at=when, trigger=trigger, actor=actor)
    moves.write(session)
    return Counter(f"{c['from_status']}->{c['to_status']}" for c in moves.changes)


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
