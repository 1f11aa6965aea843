"""Pilot graduation on results: a pilot creator whose pilot days are over, with at least
`creator.pilot.graduation_orders` orders attributed and no frozen commission, becomes active.

Orders and commissions belong to the affiliate area, above this one: its job reads them and calls down into
`graduate_many` with each candidate's figures (graduation on followers needs nothing from above: reaching the
pilot threshold makes the rules say active at the next judgement)."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.decisions import rule_result
from marketcast.creators import judging, rules
from marketcast.creators.models import Creator
from marketcast.creators.profiles import Moves
from marketcast.creators.reevaluation import COLUMNS, figures
from marketcast.policies import service as policies


@dataclass(frozen=True)
class PilotResults:
    creator_id: str
    orders_attributed: int
    has_frozen: bool


def pilots_due(session: Session, *, market: str | None = None, limit: int = 5000) -> list[str]:
    """Pilot creators whose pilot days are over (per their market's creator.pilot.days), oldest pilots first:
    the candidates whose results the affiliate area reads."""
    now = clock.now()
    due: list[str] = []
    codes = [market.upper()] if market else sorted(session.scalars(
        select(Creator.market).where(Creator.affiliate_status == "pilot").distinct()))
    for code in codes:
        days = policies.value(session, key=rules.PILOT_DAYS_KEY, market=code)
        due += session.scalars(select(Creator.id).where(
            Creator.market == code, Creator.affiliate_status == "pilot", Creator.graduated_at.is_(None),
            Creator.pilot_started_at <= now - timedelta(days=days)).order_by(Creator.pilot_started_at, Creator.id)
            .limit(limit - len(due))).all()
        if len(due) >= limit:
            break
    return due


def _criteria(row: Any, res: PilotResults, days: rules.PolicyValue, orders: rules.PolicyValue,
              now) -> list[dict[str, Any]]:
    served = (now - row.pilot_started_at).days if row.pilot_started_at else 0
    return [
        rule_result("pilot_days", served >= days.value, served, days.value,
                    f"{served} days on the pilot of the {days.value} required", days),
        rule_result("graduation_orders", res.orders_attributed >= orders.value, res.orders_attributed, orders.value,
                    f"{res.orders_attributed} orders attributed of the {orders.value} required", orders),
        rule_result("no_frozen_commission", not res.has_frozen, res.has_frozen, False,
                    "a commission is frozen" if res.has_frozen else "no commission is frozen"),
    ]


def graduate_many(session: Session, *, results: Iterable[PilotResults], actor: Actor | None = None) -> list[str]:
    """Graduate every pilot whose results meet the criteria, in bulk; returns the ids that graduated. A creator
    who is no longer a pilot, or falls short, is left as it is."""
    by_id = {r.creator_id: r for r in results}
    if not by_id:
        return []
    now = clock.now()
    rows = session.execute(select(*COLUMNS).where(Creator.id.in_(list(by_id)), Creator.affiliate_status == "pilot")
                           .order_by(Creator.id).with_for_update(of=Creator)).all()
    contexts: dict[str, tuple[rules.Context, rules.PolicyValue, rules.PolicyValue]] = {}
    moves = Moves()
    for row in rows:
        if row.market not in contexts:
            contexts[row.market] = (
                judging.context(session, market=row.market, at=now),
                policies.policy_value(session, key=rules.PILOT_DAYS_KEY, market=row.market, at=now),
                policies.policy_value(session, key=rules.GRADUATION_ORDERS_KEY, market=row.market, at=now))
        ctx, days, orders = contexts[row.market]
        criteria = _criteria(row, by_id[row.id], days, orders, now)
        if not all(c["passed"] for c in criteria):
            continue
        base = rules.judge(ctx, replace(figures(row, now), graduated=True))
        judgement = rules.Judgement(status=base.status, rules=base.rules + criteria,
                                    policy_versions=sorted(set(base.policy_versions)
                                                           | {c["policy_version_id"] for c in criteria
                                                              if c["policy_version_id"]}))
        moves.add(row, judgement, kind="graduation", at=now, trigger="pilot graduated on its results", actor=actor,
                  extra={"graduated_at": now})
    moves.write(session)
    return [u["id"] for u in moves.updates]


def graduate(session: Session, *, creator_id: str, orders_attributed: int, has_frozen: bool,
             actor: Actor | None = None) -> bool:
    """One pilot's graduation on its results (see graduate_many); True when it graduated."""
    return bool(graduate_many(session, results=[PilotResults(creator_id, orders_attributed, has_frozen)],
                              actor=actor))
