"""Defining programs: create, change (a new version from the next period), read; every definition judged before
it is stored, each refusal with its own code and the field at fault, and nothing written when refused."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import Forbidden, Invalid, NotFound
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.pagination import Paged, paginate
from marketcast.markets import service as markets
from marketcast.programs import locks, metrics, rules
from marketcast.programs.models import Program, ProgramVersion
from marketcast.programs.rules import BenefitKind, Period

if TYPE_CHECKING:
    from marketcast.programs.schemas import ProgramOut

MAX_TOP_N = 1000


def _require_operator(actor: Actor, market: str) -> None:
    if not actor.is_operator:
        raise Forbidden("only operators define programs", code="wrong_role")
    actor.require_market(market)


# --- judging a definition ----------------------------------------------------------------------------------------

def check_criteria(criteria: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if not criteria:
        raise Invalid("a program has at least one criterion", code="criteria_required", field="criteria")
    seen: set[str] = set()
    out = []
    for i, c in enumerate(criteria):
        metric = _metric(c["metric"], field=f"criteria.{i}.metric")
        if metric.name in seen:
            raise Invalid(f"{metric.name} is named by two criteria", code="duplicate_criterion",
                          field=f"criteria.{i}.metric")
        seen.add(metric.name)
        low, high = c.get("min"), c.get("max")
        if (low is None) == (high is None):
            raise Invalid("a criterion has exactly one of min and max", code="criterion_bounds",
                          field=f"criteria.{i}")
        out.append({"metric": str(metric.name), **({"min": low} if low is not None else {"max": high})})
    return out


def _metric(name: str, *, field: str) -> metrics.MetricDef:
    metric = metrics.get(name)
    if metric is None:
        raise Invalid(f"{name!r} is not a metric (GET /api/v1/programs/metrics lists them)", code="unknown_metric",
                      field=field)
    if not metric.available:
        raise Invalid(f"{name} is not reported yet", code="metric_unavailable", field=field)
    return metric


def check_benefits(benefits: Sequence[dict[str, Any]], *, currency: str) -> list[dict[str, Any]]:
    if not benefits:
        raise Invalid("a program has at least one benefit", code="benefits_required", field="benefits")
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for i, b in enumerate(benefits):
        kind = BenefitKind(b["kind"])
        if kind in seen:
            raise Invalid(f"a program has one {kind} benefit at most", code="duplicate_benefit",
                          field=f"benefits.{i}.kind")
        seen.add(kind)
        if kind == BenefitKind.referral_fee_discount_bps:
            if not 1 <= b["value"] <= 10_000:
                raise Invalid("a discount is 1 to 10,000 basis points", code="discount_out_of_range",
                              field=f"benefits.{i}.value")
            out.append({"kind": str(kind), "value": b["value"]})
            continue
        amount = b["amount"]
        if amount["amount"] <= 0:
            raise Invalid("a reward pool is a positive amount", code="invalid_pool_amount",
                          field=f"benefits.{i}.amount.amount")
        if amount["currency"] != currency:
            raise Invalid(f"the market's currency is {currency}", code="pool_currency_not_market",
                          field=f"benefits.{i}.amount.currency")
        rank_by = _metric(b["rank_by"], field=f"benefits.{i}.rank_by")
        if not 1 <= b["top_n"] <= MAX_TOP_N:
            raise Invalid(f"top_n is 1 to {MAX_TOP_N}", code="invalid_top_n", field=f"benefits.{i}.top_n")
        out.append({"kind": str(kind), "amount": {"amount": amount["amount"], "currency": amount["currency"]},
                    "rank_by": str(rank_by.name), "top_n": b["top_n"]})
    return out


def _eligibility(value: dict[str, Any]) -> dict[str, list[str]]:
    return {key: sorted({str(v) for v in value[key]}) for key in ("host_types", "shop_types", "modes",
                                                                  "shop_statuses")}


def _covers_same_shops(a: dict[str, list[str]], b: dict[str, list[str]]) -> bool:
    return all(set(a[k]) & set(b[k]) for k in ("host_types", "shop_types", "modes"))


def _check_overlap(session: Session, *, market: str, starts_at: datetime, ends_at: datetime | None,
                   eligibility: dict[str, list[str]], program_id: str | None, field: str) -> None:
    stmt = select(Program).where(Program.market == market)
    if ends_at is not None:
        stmt = stmt.where(Program.starts_at < ends_at)
    stmt = stmt.where((Program.ends_at.is_(None)) | (Program.ends_at > starts_at))
    if program_id is not None:
        stmt = stmt.where(Program.id != program_id)
    for other in session.scalars(stmt.order_by(Program.id)):
        if _covers_same_shops(eligibility, latest(session, other.id).eligibility):
            raise Invalid(f"program {other.id} ({latest(session, other.id).name}) covers the same shops of {market} "
                          "over overlapping dates", code="program_overlaps", field=field)


# --- writing -----------------------------------------------------------------------------------------------------

def _dates(starts_at: datetime, ends_at: datetime | None) -> tuple[datetime, datetime | None]:
    start = clock.as_utc_input(starts_at, "starts_at")
    end = clock.as_utc_input(ends_at, "ends_at") if ends_at is not None else None
    for name, value in (("starts_at", start), ("ends_at", end)):
        if value is not None and not 2000 <= value.year <= 2200:
            raise Invalid(f"{name} is a date between the years 2000 and 2200", field=name)
    if end is not None and end <= start:
        raise Invalid("ends_at must be after starts_at", code="program_ends_before_starts", field="ends_at")
    return start, end


def create(session: Session, *, market: str, name: str, description: str, starts_at: datetime,
           ends_at: datetime | None, cadence: str, eligibility: dict[str, Any], criteria: Sequence[dict[str, Any]],
           benefits: Sequence[dict[str, Any]], auto_enroll: bool, actor: Actor) -> Program:
    code = market.strip().upper()
    _require_operator(actor, code)
    try:
        currency = markets.get(session, code).currency
    except NotFound:
        raise Invalid(f"market {code} does not exist", code="unknown_market", field="market") from None
    start, end = _dates(starts_at, ends_at)
    rules.Cadence(cadence)
    checked_criteria = check_criteria(criteria)
    checked_benefits = check_benefits(benefits, currency=currency)
    who = _eligibility(eligibility)
    locks.market_programs(session, code)
    _check_overlap(session, market=code, starts_at=start, ends_at=end, eligibility=who, program_id=None,
                   field="starts_at")
    now = clock.now()
    program = Program(id=new_id("prg"), market=code, cadence=str(cadence), starts_at=start, ends_at=end, version=1,
                      closed_through=start, created_by=actor.email, created_at=now, updated_at=now)
    session.add(program)
    session.flush()
    session.add(ProgramVersion(id=new_id("prv"), program_id=program.id, version=1, applies_from=start,
                               name=name.strip(), description=description.strip(), auto_enroll=auto_enroll,
                               eligibility=who, criteria=checked_criteria, benefits=checked_benefits,
                               created_by=actor.email, created_at=now))
    session.flush()
    return program


def change(session: Session, *, program_id: str, changes: dict[str, Any], actor: Actor) -> Program:
    """A new version of the definition, in force from the next period (the first one if the program has not
    started); the running period and every closed one keep the version they started with."""
    program = get(session, program_id)
    _require_operator(actor, program.market)
    locks.market_programs(session, program.market)
    session.refresh(program)
    now = clock.now()
    base = latest(session, program.id)
    applies_from = rules.next_period_start(now, cadence=program.cadence, starts_at=program.starts_at,
                                           ends_at=program.ends_at)
    ends_at = program.ends_at
    if changes.get("ends_at") is not None:
        _, ends_at = _dates(program.starts_at, changes["ends_at"])
        assert ends_at is not None  # _dates keeps an end it is given
        if ends_at < applies_from:
            raise Invalid(f"the period running now ends at {applies_from.isoformat()}: end the program then or "
                          "later", code="program_end_too_soon", field="ends_at")
    currency = markets.get(session, program.market).currency
    criteria = check_criteria(changes["criteria"]) if changes.get("criteria") is not None else base.criteria
    benefits = (check_benefits(changes["benefits"], currency=currency) if changes.get("benefits") is not None
                else base.benefits)
    who = _eligibility(changes["eligibility"]) if changes.get("eligibility") is not None else base.eligibility
    _check_overlap(session, market=program.market, starts_at=program.starts_at, ends_at=ends_at, eligibility=who,
                   program_id=program.id, field="eligibility" if changes.get("eligibility") else "ends_at")

    def pick(key: str, old: Any) -> Any:
        value = changes.get(key)
        return old if value is None else (value.strip() if isinstance(value, str) else value)

    program.version += 1
    program.ends_at, program.updated_at = ends_at, now
    session.add(ProgramVersion(id=new_id("prv"), program_id=program.id, version=program.version,
                               applies_from=applies_from, name=pick("name", base.name),
                               description=pick("description", base.description),
                               auto_enroll=pick("auto_enroll", base.auto_enroll), eligibility=who, criteria=criteria,
                               benefits=benefits, created_by=actor.email, created_at=now))
    session.flush()
    return program


# --- reading -----------------------------------------------------------------------------------------------------

def get(session: Session, program_id: str) -> Program:
    program = session.get(Program, program_id) if looks_like_id(program_id) else None
    if program is None:
        raise NotFound("program", program_id)
    return program


def latest(session: Session, program_id: str) -> ProgramVersion:
    return session.scalars(select(ProgramVersion).where(ProgramVersion.program_id == program_id)
                           .order_by(ProgramVersion.version.desc()).limit(1)).one()


def version_for(session: Session, program_id: str, period_start: datetime) -> ProgramVersion:
    """The version a period is judged by: the latest one that applies from that period's start or before."""
    found = session.scalars(select(ProgramVersion).where(ProgramVersion.program_id == program_id,
                                                         ProgramVersion.applies_from <= period_start)
                            .order_by(ProgramVersion.version.desc()).limit(1)).first()
    return found if found is not None else session.scalars(
        select(ProgramVersion).where(ProgramVersion.program_id == program_id).order_by(ProgramVersion.version)
        .limit(1)).one()


def resolve_period(program: Program, period: date | str | None) -> Period:
    """The period holding the date named (YYYY-MM-DD), or by default the one running now (the last one once the
    program has ended, the first before it starts)."""
    if period is None:
        at = clock.now()
        if at < program.starts_at:
            at = program.starts_at
        elif program.ends_at is not None and at >= program.ends_at:
            at = program.ends_at - timedelta(microseconds=1)
    else:
        try:
            day = period if isinstance(period, date) else date.fromisoformat(period)
        except ValueError:
            raise Invalid("period is a date YYYY-MM-DD", code="invalid_period", field="period") from None
        at = datetime(day.year, day.month, day.day, tzinfo=UTC)
        if day == program.starts_at.date():
            at = program.starts_at
    found = rules.period_at(at, cadence=program.cadence, starts_at=program.starts_at, ends_at=program.ends_at)
    if found is None:
        raise Invalid("that date is outside the program", code="invalid_period", field="period")
    return found


def versions(session: Session, program_id: str) -> list[ProgramVersion]:
    return list(session.scalars(select(ProgramVersion).where(ProgramVersion.program_id == program_id)
                                .order_by(ProgramVersion.version)))


def list_programs(session: Session, *, market: str | None = None, page_size: int | None = None,
                  page_token: str | None = None) -> Paged:
    """In the order they were defined, a page at a time."""
    stmt = select(Program)
    if market:
        stmt = stmt.where(Program.market == market.strip().upper())
    return paginate(session, stmt, order_by=[Program.id], page_size=page_size, page_token=page_token)


def describe(session: Session, program: Program) -> "ProgramOut":
    """The program as its latest version defines it, with every version and the period running now."""
    from marketcast.programs.schemas import ProgramOut, ProgramPeriodOut, ProgramVersionOut

    v = latest(session, program.id)
    running = rules.period_at(clock.now(), cadence=program.cadence, starts_at=program.starts_at,
                              ends_at=program.ends_at)
    return ProgramOut(
        id=program.id, market=program.market, name=v.name, description=v.description, starts_at=program.starts_at,
        ends_at=program.ends_at, cadence=program.cadence, eligibility=v.eligibility, criteria=v.criteria,
        benefits=v.benefits, auto_enroll=v.auto_enroll, version=program.version,
        versions=[ProgramVersionOut(version=x.version, applies_from=x.applies_from, created_at=x.created_at)
                  for x in versions(session, program.id)],
        current_period=ProgramPeriodOut(start=running.start, end=running.end) if running else None)
