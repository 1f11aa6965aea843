"""Standings: each enrolled shop's figures over a period against the criteria of the version in force, explained
("12.5 of 14 effective live hours (1.5 short); 3 sessions of 3; refund rate 2% under 30%"), ranked for the reward
pool; computed on the fly for an open period and recorded once when the worker closes it."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from marketcast.core import clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.db import rowcount
from marketcast.core.ids import new_id
from marketcast.core.money import Money
from marketcast.markets import service as markets
from marketcast.programs import benefits, definitions, events, metrics, rules
from marketcast.programs.models import Enrollment, Program, ProgramPeriod, ProgramVersion, Standing
from marketcast.programs.rules import BenefitKind, Period
from marketcast.sellers import service as sellers


@dataclass
class Judged:
    shop_id: str
    qualifies: bool
    metrics: dict[str, int | float]
    needed: dict[str, int | float]
    explanation: str
    benefit: dict[str, Any] | None
    clawed_back: bool = False


# --- explaining ----------------------------------------------------------------------------------------------------

def _pct(bps: int) -> str:
    return f"{bps / 100:g}%"


def _shown(metric: metrics.MetricDef, base: int, currency: str) -> str:
    if metric.unit == "minor units":
        return str(Money(amount=base, currency=currency))
    if metric.unit == "basis points":
        return _pct(base)
    return f"{metric.shown(base):g}"


def _phrase(metric: metrics.MetricDef, value: int, criterion: dict[str, Any], currency: str) -> str:
    words = metric.words
    if "min" in criterion:
        bound = criterion["min"] * metric.per_unit
        shown, wanted = _shown(metric, value, currency), _shown(metric, bound, currency)
        if metric.unit in ("hours",):
            text = f"{shown} of {wanted} {words}"
        elif metric.unit in ("minor units",):
            text = f"{words} {shown} of {wanted}"
        else:
            text = f"{shown} {words} of {wanted}"
        short = rules.shortfall(value, min=bound)
        return text + (f" ({_shown(metric, short, currency)} short)" if short else "")
    bound = criterion["max"] * metric.per_unit
    side = "over" if value > bound else "under" if value < bound else "at"
    return f"{words} {_shown(metric, value, currency)} {side} {_shown(metric, bound, currency)}"


# --- judging -------------------------------------------------------------------------------------------------------

def judge(session: Session, *, version: ProgramVersion, currency: str, shop_ids: list[str],
          period: Period) -> list[Judged]:
    pool = next((b for b in version.benefits if b["kind"] == BenefitKind.reward_pool), None)
    discount = next((b for b in version.benefits if b["kind"] == BenefitKind.referral_fee_discount_bps), None)
    names = [c["metric"] for c in version.criteria] + ([pool["rank_by"]] if pool else [])
    values = metrics.compute(session, names, shop_ids, period.start, period.end)
    judged: list[Judged] = []
    for shop_id in shop_ids:
        mine, shown, needed, parts, ok = values[shop_id], {}, {}, [], True
        for c in version.criteria:
            metric = metrics.REGISTRY[metrics.Metric(c["metric"])]
            value = mine[c["metric"]]
            low = c["min"] * metric.per_unit if "min" in c else None
            high = c["max"] * metric.per_unit if "max" in c else None
            ok = ok and rules.meets(value, min=low, max=high)
            shown[c["metric"]] = metric.shown(value)
            needed[c["metric"]] = metric.shown(rules.shortfall(value, min=low, max=high))
            parts.append(_phrase(metric, value, c, currency))
        if pool and pool["rank_by"] not in shown:
            shown[pool["rank_by"]] = metrics.REGISTRY[metrics.Metric(pool["rank_by"])].shown(mine[pool["rank_by"]])
        judged.append(Judged(shop_id, ok, shown, needed, "; ".join(parts), None))
    qualified = {j.shop_id: j for j in judged if j.qualifies}
    rewards: dict[str, int] = {}
    rank: dict[str, int] = {}
    if pool:
        metric = metrics.REGISTRY[metrics.Metric(pool["rank_by"])]
        order = rules.ranked({s: values[s][pool["rank_by"]] for s in qualified},
                             higher_is_better=metric.higher_is_better)
        rank = {s: i + 1 for i, s in enumerate(order)}
        rewards = rules.split_pool(pool["amount"]["amount"], order[:pool["top_n"]])
    for j in judged:
        if not j.qualifies:
            j.explanation += "; does not qualify"
            continue
        benefit: dict[str, Any] = {}
        if discount:
            benefit["referral_fee_discount_bps"] = discount["value"]
        if pool:
            benefit["rank"] = rank[j.shop_id]
            if j.shop_id in rewards:
                benefit["reward"] = {"amount": rewards[j.shop_id], "currency": currency}
        j.benefit = benefit
        j.explanation += "; qualifies" + (f", rank {rank[j.shop_id]} by {pool['rank_by']}" if pool else "")
    return judged


def _shops_in(session: Session, program_id: str, before: datetime) -> list[str]:
    return list(session.scalars(select(Enrollment.shop_id).where(Enrollment.program_id == program_id,
                                                                 Enrollment.status == "enrolled",
                                                                 Enrollment.enrolled_at < before)
                                .order_by(Enrollment.shop_id)))


# --- closing -------------------------------------------------------------------------------------------------------

def _due(session: Session, now: datetime) -> list[tuple[str, Period]]:
    rows = session.scalars(select(Program).where(Program.closed_through < now,
                                                 (Program.ends_at.is_(None)) | (Program.closed_through <
                                                                                Program.ends_at))
                           .order_by(Program.closed_through, Program.id))
    due = []
    for p in rows:
        period = rules.period_at(p.closed_through, cadence=p.cadence, starts_at=p.starts_at, ends_at=p.ends_at)
        if period is not None and period.end <= now:
            due.append((p.id, period))
    return due


def close_one(session: Session, *, program_id: str, period: Period) -> ProgramPeriod | None:
    """Close `period` if this transaction is the one that claims it (None when another worker did), and book
    each qualifying shop's benefit in finance in the same transaction."""
    claimed = rowcount(session.execute(update(Program).where(Program.id == program_id,
                                                             Program.closed_through == period.start)
                                       .values(closed_through=period.end)))
    if not claimed:
        return None
    program = session.get(Program, program_id)
    assert program is not None
    session.refresh(program)
    version = definitions.version_for(session, program.id, period.start)
    currency = markets.get(session, program.market).currency
    judged = judge(session, version=version, currency=currency, shop_ids=_shops_in(session, program.id, period.end),
                   period=period)
    now = clock.now()
    closed = ProgramPeriod(id=new_id("ppd"), program_id=program.id, period_start=period.start,
                           period_end=period.end, version=version.version, enrolled=len(judged),
                           qualified=sum(j.qualifies for j in judged), closed_at=now)
    session.add(closed)
    session.flush()
    rows = []
    for j in judged:
        standing_id = new_id("pst")
        booked = benefits.book(session, program=program, name=version.name, period=period, standing_id=standing_id,
                               shop_id=j.shop_id, benefit=j.benefit if j.qualifies else None)
        rows.append({"id": standing_id, "period_id": closed.id, "program_id": program.id, "shop_id": j.shop_id,
                     "qualifies": j.qualifies, "metrics": j.metrics, "needed": j.needed,
                     "explanation": j.explanation, "benefit": j.benefit, "fee_discount_id": booked.fee_discount_id,
                     "ledger_entry_id": booked.ledger_entry_id})
    if rows:
        session.execute(insert(Standing), rows)
    common = {"program_id": program.id, "market": program.market, "period_start": period.start,
              "period_end": period.end, "version": version.version}
    outbox.emit(session, events.ProgramPeriodClosed(**common, enrolled=closed.enrolled, qualified=closed.qualified),
                market=program.market)
    outbox.emit_many(session, [(events.ProgramShopQualified(**common, shop_id=j.shop_id, metrics=j.metrics,
                                                            benefit=j.benefit), program.market)
                               for j in judged if j.qualifies])
    return closed


def due_periods(session: Session) -> list[tuple[str, Period]]:
    return _due(session, clock.now())


# --- reading -------------------------------------------------------------------------------------------------------

def standings(session: Session, *, program_id: str, period: date | str | None, actor: Actor,
              shop_id: str | None = None) -> tuple[Program, Period, str, int, list[Judged]]:
    """(program, period, "open" | "closed", version, items). Operators of the market see every shop; a seller
    only their own shops."""
    program = definitions.get(session, program_id)
    chosen = definitions.resolve_period(program, period)
    visible: set[str] | None = None
    if actor.is_operator:
        actor.require_market(program.market)
    else:
        visible = {s.id for s in sellers.shops_of(session, actor=actor)}
    closed = session.scalar(select(ProgramPeriod).where(ProgramPeriod.program_id == program.id,
                                                        ProgramPeriod.period_start == chosen.start))
    if closed is not None:
        rows = session.scalars(select(Standing).where(Standing.period_id == closed.id).order_by(Standing.shop_id))
        items = [Judged(r.shop_id, r.qualifies, r.metrics, r.needed, r.explanation, r.benefit,
                        r.clawed_back_at is not None) for r in rows]
        state, version = "closed", closed.version
    else:
        v = definitions.version_for(session, program.id, chosen.start)
        shop_ids = _shops_in(session, program.id, chosen.end)
        if visible is not None:
            shop_ids = [s for s in shop_ids if s in visible]
        items = judge(session, version=v, currency=markets.get(session, program.market).currency,
                      shop_ids=shop_ids, period=chosen)
        for j in items:
            j.explanation = "So far: " + j.explanation
        state, version = "open", v.version
    if visible is not None:
        items = [j for j in items if j.shop_id in visible]
    if shop_id is not None:
        items = [j for j in items if j.shop_id == shop_id]
    return program, chosen, state, version, items


def report(session: Session, *, program_id: str, period: date | str | None, actor: Actor):
    """`standings` shaped as the API, the CLI and the console show it (schemas.ProgramStandingsOut)."""
    from marketcast.programs.schemas import ProgramPeriodOut, ProgramStandingOut, ProgramStandingsOut

    program, chosen, state, version, items = standings(session, program_id=program_id, period=period, actor=actor)
    return ProgramStandingsOut(program_id=program.id, period=ProgramPeriodOut(start=chosen.start, end=chosen.end),
                               status=state, version=version,
                        items=[ProgramStandingOut(shop_id=j.shop_id, qualifies=j.qualifies, metrics=j.metrics,
                                           needed=j.needed, explanation=j.explanation, benefit=j.benefit,
                                           clawed_back=j.clawed_back) for j in items])
