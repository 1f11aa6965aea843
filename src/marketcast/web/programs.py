"""Console pages for incentive programs: operators define, change (a new version from the next period), exclude
and read standings per period with their explanations; a seller sees the programs open to their shops, enrolls,
and reads their own standing."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request

from marketcast.core.errors import DomainError, Invalid
from marketcast.core.money import MINOR_UNITS, Money
from marketcast.core.web_deps import UnitOfWork
from marketcast.markets import service as markets
from marketcast.programs import service as programs
from marketcast.sellers import service as sellers
from marketcast.web.common import ConsoleOperator, ConsoleUser, Csrf, form_failed, redirect, render
from marketcast.web.listing import PAGE_SIZE, MarketFilter, PageParams, listing

router = APIRouter(prefix="/programs")
CRITERIA_HELP = "one per line: metric >= number, or metric <= number (e.g. effective_live_hours >= 14)"


@router.get("")
def list_page(request: Request, uow: UnitOfWork, actor: ConsoleUser, page: PageParams, market: MarketFilter):
    if actor.is_operator:
        paged = programs.list_programs(uow, market=market or None, page_size=PAGE_SIZE, page_token=page.token)
        rows = listing(request, paged, page, {"market": market})
        return render(request, "programs.html", actor=actor, rows=rows, market=market, shops=[],
                      described={p.id: programs.describe(uow, p) for p in paged.rows},
                      metrics=list(programs.METRICS.values()), help=CRITERIA_HELP,
                      markets=[m.code for m in markets.list_markets(uow, page_size=200)[0]])
    shops = [(shop, [(programs.describe(uow, p), e, why) for p, e, why in programs.open_to(uow, shop=shop)])
             for shop in sellers.shops_of(uow, actor=actor)]
    return render(request, "programs.html", actor=actor, rows=[], shops=shops, market="", metrics=[], help="",
                  markets=[], described={})


# --- the definition form -------------------------------------------------------------------------------------------

def _day(text: str, field: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        d = date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid("give a date such as 2024-04-01", field=field) from None
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _criteria(text: str) -> list[dict[str, Any]]:
    out = []
    for line in (x.strip() for x in text.splitlines()):
        if not line:
            continue
        for op, bound in ((">=", "min"), ("<=", "max")):
            if op in line:
                name, _, number = line.partition(op)
                if not number.strip().isdecimal():
                    raise Invalid(f"{number.strip()!r} is not a whole number", field="criteria")
                out.append({"metric": name.strip(), bound: int(number.strip())})
                break
        else:
            raise Invalid(f"{line!r}: {CRITERIA_HELP}", field="criteria")
    return out


def _benefits(discount: str, pool: str, rank_by: str, top_n: str, currency: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if discount.strip():
        if not discount.strip().isdecimal():
            raise Invalid("a discount is a whole number of basis points", field="discount_bps")
        out.append({"kind": "referral_fee_discount_bps", "value": int(discount.strip())})
    if pool.strip():
        try:
            minor = int(Decimal(pool.strip().replace(",", "")) * 10 ** MINOR_UNITS.get(currency, 2))
        except InvalidOperation:
            raise Invalid(f"{pool!r} is not an amount", code="invalid_amount", field="pool_amount") from None
        if not top_n.strip().isdecimal():
            raise Invalid("top N is a whole number", field="top_n")
        out.append({"kind": "reward_pool", "amount": {"amount": minor, "currency": currency},
                    "rank_by": rank_by.strip(), "top_n": int(top_n.strip())})
    return out


def _form_field(field: str | None, benefits: list[dict[str, Any]]) -> str | None:
    """The form's input for a field the service named (criteria.1.metric → criteria)."""
    if not field:
        return field
    head, _, rest = field.partition(".")
    if head == "benefits" and rest[:1].isdigit() and int(rest.split(".")[0]) < len(benefits):
        kind = benefits[int(rest.split(".")[0])]["kind"]
        if kind == "referral_fee_discount_bps":
            return "discount_bps"
        return {"rank_by": "rank_by", "top_n": "top_n"}.get(rest.split(".")[-1], "pool_amount")
    return {"benefits": "discount_bps", "eligibility": "shop_types"}.get(head, head)


def _refused(request, uow, exc: DomainError, back: str, form: dict, benefits: list):
    exc.field = _form_field(exc.field, benefits)
    return form_failed(request, uow, exc, back, form)


@router.post("")
def create(request: Request, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
           market: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
           description: Annotated[str, Form()] = "", starts: Annotated[str, Form()] = "",
           ends: Annotated[str, Form()] = "", cadence: Annotated[str, Form()] = "monthly",
           shop_types: Annotated[list[str] | None, Form()] = None, modes: Annotated[list[str] | None, Form()] = None,
           criteria: Annotated[str, Form()] = "", discount_bps: Annotated[str, Form()] = "",
           pool_amount: Annotated[str, Form()] = "", rank_by: Annotated[str, Form()] = "",
           top_n: Annotated[str, Form()] = "", auto_enroll: Annotated[str, Form()] = ""):
    form = {"market": market, "name": name, "description": description, "starts": starts, "ends": ends,
            "cadence": cadence, "criteria": criteria, "discount_bps": discount_bps, "pool_amount": pool_amount,
            "rank_by": rank_by, "top_n": top_n}
    benefits: list = []
    try:
        if not name.strip():
            raise Invalid("a program has a name", field="name")
        if cadence not in ("weekly", "monthly"):
            raise Invalid("weekly or monthly", field="cadence")
        start = _day(starts, "starts")
        if start is None:
            raise Invalid("when does it start?", field="starts")
        currency = markets.get(uow, market.strip().upper()).currency if market.strip() else "USD"
        benefits = _benefits(discount_bps, pool_amount, rank_by, top_n, currency)
        eligibility = {"host_types": ["self_broadcast"], "shop_types": shop_types or ["local", "cross_border"],
                       "modes": modes or ["pop", "managed"], "shop_statuses": ["active", "probation"]}
        program = programs.create(uow, market=market, name=name, description=description, starts_at=start,
                                  ends_at=_day(ends, "ends"), cadence=cadence, eligibility=eligibility,
                                  criteria=_criteria(criteria), benefits=benefits, auto_enroll=bool(auto_enroll),
                                  actor=actor)
    except DomainError as exc:
        return _refused(request, uow, exc, "/programs", form, benefits)
    return redirect(f"/programs/{program.id}", f"Program {name.strip()} defined", request)


# --- one program ---------------------------------------------------------------------------------------------------

@router.get("/{program_id}")
def detail(request: Request, program_id: str, uow: UnitOfWork, actor: ConsoleUser, period: str = ""):
    program = programs.get(uow, program_id)
    out = programs.describe(uow, program)
    standing = programs.report(uow, program_id=program.id, period=period or None, actor=actor)
    start = standing.period.start
    previous = start - timedelta(days=1) if start > program.starts_at else None
    following = standing.period.end if program.ends_at is None or standing.period.end < program.ends_at else None
    mine = [] if actor.is_operator else [s for s in sellers.shops_of(uow, actor=actor) if s.market == program.market]
    enrollments = programs.of_program(uow, program_id=program.id, actor=actor)
    return render(request, "program.html", actor=actor, program=out, standing=standing, enrollments=enrollments,
                  previous=previous.date().isoformat() if previous else None,
                  following=following.date().isoformat() if following else None, mine=mine,
                  enrolled={e.shop_id for e in enrollments}, help=CRITERIA_HELP,
                  criteria_text="\n".join(c.rule() for c in out.criteria))


@router.post("/{program_id}/change")
def change(request: Request, program_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
           name: Annotated[str, Form()] = "", description: Annotated[str, Form()] = "",
           criteria: Annotated[str, Form()] = ""):
    back = f"/programs/{program_id}"
    try:
        changes: dict[str, Any] = {"name": name or None, "description": description or None}
        if criteria.strip():
            changes["criteria"] = _criteria(criteria)
        program = programs.change(uow, program_id=program_id, changes=changes, actor=actor)
    except DomainError as exc:
        return _refused(request, uow, exc, back, {"name": name, "description": description, "criteria": criteria},
                        [])
    return redirect(back, f"Version {program.version} saved: it applies from the next period", request)


@router.post("/{program_id}/exclude")
def exclude(request: Request, program_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
            shop_id: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""):
    back = f"/programs/{program_id}"
    try:
        programs.exclude(uow, program_id=program_id, shop_id=shop_id, reason=reason, actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, back, {"shop_id": shop_id, "reason": reason})
    return redirect(back, f"Shop {shop_id} excluded", request)


@router.post("/{program_id}/clawback")
def claw_back(request: Request, program_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
              shop_id: Annotated[str, Form()] = "", period: Annotated[str, Form()] = "",
              reason: Annotated[str, Form()] = ""):
    back = f"/programs/{program_id}?period={period}"
    try:
        done = programs.claw_back(uow, program_id=program_id, shop_id=shop_id, period=period, reason=reason,
                                  actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, back, {"shop_id": shop_id, "reason": reason})
    taken = f"{Money(amount=done.total, currency=done.currency)} booked back" if done.total else "nothing to book back"
    return redirect(back, f"Benefit of shop {shop_id} clawed back: {taken}"
                    + ("; its fee discount is withdrawn" if done.discount_withdrawn else ""), request)


@router.post("/{program_id}/enroll")
def enroll(request: Request, program_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf,
           shop_id: Annotated[str, Form()] = ""):
    back = f"/programs/{program_id}"
    try:
        programs.enroll(uow, program_id=program_id, shop_id=shop_id, actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, back, {"shop_id": shop_id})
    return redirect(back, "Enrolled", request)
