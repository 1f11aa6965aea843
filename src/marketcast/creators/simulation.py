"""What a creator status policy would do before it changes, registered with the policies area's simulator
registry (docs/adr/0012): every creator of the market, from the status recorded for it now to its status as of
the change with the new value; the same `rules.status_of` and the same chunked read as the re-evaluation that
runs when the version takes effect, so the prediction is what the change then does. Reads only."""

from collections import Counter
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from marketcast.core.decisions import age_on
from marketcast.creators import judging, rules
from marketcast.creators.models import FollowerSnapshot, StatusChange
from marketcast.creators.reevaluation import figures, market_rows
from marketcast.policies import service as policies


def _reported_after(session: Session, at: datetime) -> bool:
    """Whether a snapshot is dated after `at` (a sandbox clock set in the past): then the latest count on the
    creator row is not the one in force at `at`, and each creator's is read from the snapshots."""
    return bool(session.scalar(select(exists().where(FollowerSnapshot.as_of > at))))


def _statuses_at(session: Session, ids: list[str], at: datetime) -> dict[str, str]:
    """Each creator's recorded status at `at`, from the status changes (for a sandbox clock behind the data)."""
    rows = session.execute(select(StatusChange.creator_id, StatusChange.to_status)
                           .where(StatusChange.creator_id.in_(ids), StatusChange.at <= at)
                           .order_by(StatusChange.creator_id, StatusChange.at, StatusChange.id))
    return dict(rows.tuples().all())  # the last change of each creator wins


def simulate(session: Session, request: policies.SimulationRequest, stats: Counter) -> Iterator[policies.SimulatedMove]:
    """The moves the re-evaluation would make when the value takes effect: from each creator's recorded status
    (what that pass compares with) to its status as of `effective_from` with the value."""
    then = judging.context(session, market=request.market, at=request.effective_from).with_value(
        request.key, request.value, request.effective_from)
    as_of = request.at if _reported_after(session, request.at) else None
    history = session.scalar(select(exists().where(StatusChange.at > request.at)))
    for rows in market_rows(session, request.market, followers_at=as_of):
        stats["evaluated"] += len(rows)
        recorded = _statuses_at(session, [r.id for r in rows], request.at) if history else {}
        for row in rows:
            seen = figures(row, request.at)
            old = recorded.get(row.id) if history else row.affiliate_status
            if old is None:
                continue  # created after `at`
            new = rules.status_of(then, seen)
            if old != new:
                yield policies.SimulatedMove("creator", row.id, row.handle, old, new, {
                    "followers": row.followers, "age": age_on(row.date_of_birth, request.effective_from.date())})


policies.register_simulator(rules.STATUS_KEYS, "creator", simulate)
