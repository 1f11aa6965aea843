"""Benefits booked in finance (programs sits above it and calls its service): when a period closes, a
qualifying shop's referral-fee discount runs over the next period and its reward from the pool lands as a
`benefit` ledger entry; both are keyed by the standing, so a re-run books nothing twice.

A clawback (an operator found fake orders) is never an edit: the standing is marked, the discount withdrawn
from now on, and one negative `benefit` entry takes back the reward and what the discount saved so far."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketcast.core import clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import Conflict, NotFound
from marketcast.core.money import Money
from marketcast.core.text import reason as check_reason
from marketcast.finance import service as finance
from marketcast.programs import definitions, events, rules
from marketcast.programs.models import Program, ProgramPeriod, Standing
from marketcast.programs.rules import Period

SOURCE = "program"


@dataclass(frozen=True)
class Booked:
    fee_discount_id: str | None
    ledger_entry_id: str | None


def next_period(program: Program, period: Period) -> Period:
    """The period a discount earned in `period` runs over: the next one of the program's cadence (a whole
    calendar month or week, even after the program has ended)."""
    return Period(period.end, rules.next_boundary(rules.period_start(period.end, program.cadence), program.cadence))


def book(session: Session, *, program: Program, name: str, period: Period, standing_id: str, shop_id: str,
         benefit: dict[str, Any] | None) -> Booked:
    """Book one qualifying shop's benefit of a closed period in finance."""
    if not benefit:
        return Booked(None, None)
    discount_id = entry_id = None
    if benefit.get("referral_fee_discount_bps"):
        runs = next_period(program, period)
        grant = finance.grant_fee_discount(
            session, shop_id=shop_id, discount_bps=benefit["referral_fee_discount_bps"], starts_at=runs.start,
            ends_at=runs.end, source=SOURCE, reference=standing_id,
            reason=f"{name}: qualified in the period from {period.label}")
        discount_id = grant.id
    reward = benefit.get("reward")
    if reward and reward["amount"] > 0:
        entry = finance.post_benefit(session, shop_id=shop_id, amount=reward["amount"], currency=reward["currency"],
                                     reason=f"{name}: reward, rank {benefit.get('rank')} in the period from "
                                            f"{period.label}", source=SOURCE, reference=standing_id,
                                     at=clock.now())
        entry_id = entry.id
    return Booked(discount_id, entry_id)


@dataclass(frozen=True)
class ClawedBack:
    standing: Standing
    period: Period
    reward: int
    fees_saved: int
    currency: str
    discount_withdrawn: bool

    @property
    def total(self) -> int:
        return self.reward + self.fees_saved


def _standing(session: Session, program: Program, shop_id: str, period: Period) -> tuple[ProgramPeriod, Standing]:
    closed = session.scalar(select(ProgramPeriod).where(ProgramPeriod.program_id == program.id,
                                                        ProgramPeriod.period_start == period.start))
    if closed is None:
        raise Conflict("the period has not closed yet", code="period_not_closed", field="period")
    standing = session.scalar(select(Standing).where(Standing.period_id == closed.id, Standing.shop_id == shop_id)
                              .with_for_update())
    if standing is None:
        raise NotFound("standing", f"{shop_id} in the period from {period.label}")
    return closed, standing


def claw_back(session: Session, *, program_id: str, shop_id: str, period: str, reason: str,
              actor: Actor) -> ClawedBack:
    """Take back a shop's benefit of a closed period (an operator of the program's market, with a reason)."""
    program = definitions.get(session, program_id)
    actor.require_operator_of(program.market, "claw back a benefit")
    why = check_reason(reason)
    chosen = definitions.resolve_period(program, period)
    _, standing = _standing(session, program, shop_id, chosen)
    if standing.clawed_back_at is not None:
        raise Conflict("that period's benefit was already clawed back", code="already_clawed_back", field="period")
    benefit = standing.benefit or {}
    if not standing.qualifies or not (standing.fee_discount_id or standing.ledger_entry_id):
        raise Conflict("the shop earned no benefit in that period", code="nothing_to_claw_back", field="shop_id")
    reward = benefit.get("reward") or {}
    reward_amount = int(reward.get("amount", 0)) if standing.ledger_entry_id else 0
    saved = 0
    if standing.fee_discount_id:
        _, saved = finance.revoke_fee_discount(session, discount_id=standing.fee_discount_id, reason=why)
    currency = reward.get("currency") or finance.fee_rate(session, shop_id=shop_id).currency
    taken = reward_amount + saved
    if taken:
        entry = finance.post_benefit(session, shop_id=shop_id, amount=-taken, currency=currency,
                                     reason=f"clawback: {why}", source=SOURCE, reference=f"clawback:{standing.id}")
        standing.clawback_entry_id = entry.id
    standing.clawed_back_at = clock.now()
    standing.clawback_reason = why
    standing.clawback_by = actor.email
    outbox.emit(session, events.ProgramBenefitClawedBack(
        program_id=program.id, market=program.market, period_start=chosen.start, period_end=chosen.end,
        version=definitions.version_for(session, program.id, chosen.start).version, shop_id=shop_id, reason=why,
        reward_reversed=taken, currency=currency), market=program.market)
    return ClawedBack(standing, chosen, reward_amount, saved, currency, standing.fee_discount_id is not None)


def clawback_out(done: ClawedBack, *, program_id: str):
    """`claw_back`'s result shaped as the API and the CLI show it (schemas.ProgramClawbackOut)."""
    from marketcast.programs.schemas import ProgramClawbackOut, ProgramPeriodOut

    def money(amount: int) -> Money | None:
        return Money(amount=amount, currency=done.currency) if amount else None

    return ProgramClawbackOut(program_id=program_id, shop_id=done.standing.shop_id,
                              period=ProgramPeriodOut(start=done.period.start, end=done.period.end),
                              reason=done.standing.clawback_reason or "", reversed=money(done.total),
                              reward_reversed=money(done.reward), fees_saved_reversed=money(done.fees_saved),
                              fee_discount_withdrawn=done.discount_withdrawn,
                              ledger_entry_id=done.standing.clawback_entry_id)
