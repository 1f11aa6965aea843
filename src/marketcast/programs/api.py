"""Incentive programs over HTTP: operators define and change them, shops enroll, operators exclude and claw back;
everyone signed in reads programs, their metrics and standings."""

from typing import Annotated

from fastapi import Depends, Query, status

from marketcast.core.auth.actor import Actor
from marketcast.core.openapi import api_router, raises
from marketcast.core.pagination import Page, PageSize, PageToken
from marketcast.core.web_deps import AnyUser, Operator, UnitOfWork, requires
from marketcast.programs import service
from marketcast.programs.schemas import (
    ProgramClawbackIn,
    ProgramClawbackOut,
    ProgramEnrollmentIn,
    ProgramEnrollmentOut,
    ProgramExclusionIn,
    ProgramIn,
    ProgramMetricOut,
    ProgramOut,
    ProgramPatch,
    ProgramStandingsOut,
)

router = api_router("programs", "Incentive programs (the merchant self-broadcast support plan is one): definitions "
                    "and their versions, enrollment and exclusions, standings per period with explanations, "
                    "benefits and clawbacks.")
Seller = Annotated[Actor, Depends(requires("seller", "operator"))]
DEFINITION_CODES = ("unknown_metric", "metric_unavailable", "criterion_bounds", "duplicate_criterion",
                    "criteria_required", "benefits_required", "duplicate_benefit", "discount_out_of_range",
                    "invalid_pool_amount", "pool_currency_not_market", "invalid_top_n", "program_ends_before_starts",
                    "program_overlaps")


def program_out(uow, program) -> ProgramOut:
    return service.describe(uow, program)


@router.get("/programs/metrics", response_model=list[ProgramMetricOut])
def list_program_metrics(actor: AnyUser):
    """The metrics a criterion or a reward pool's `rank_by` may name, each with its unit (a criterion's `min` /
    `max` is in it) and whether it is reported yet."""
    return [ProgramMetricOut(name=m.name, unit=m.unit, description=m.description, higher_is_better=m.higher_is_better,
                      available=m.available) for m in service.METRICS.values()]


@router.post("/programs", status_code=status.HTTP_201_CREATED, response_model=ProgramOut)
@raises("unknown_market", "market_out_of_scope", *DEFINITION_CODES)
def create_program(body: ProgramIn, uow: UnitOfWork, actor: Operator):
    """Define a program: who may enroll, what a shop must reach in each period (weekly: Monday to Monday UTC;
    monthly: calendar months UTC), and what it gets. Version 1 applies from `starts_at`."""
    data = body.model_dump()
    program = service.create(uow, market=body.market, name=body.name, description=body.description,
                             starts_at=body.starts_at, ends_at=body.ends_at, cadence=body.cadence,
                             eligibility=data["eligibility"], criteria=data["criteria"], benefits=data["benefits"],
                             auto_enroll=body.auto_enroll, actor=actor)
    return program_out(uow, program)


@router.get("/programs", response_model=Page[ProgramOut])
def list_programs(uow: UnitOfWork, actor: AnyUser,
                  market: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
                  page_size: PageSize = None, page_token: PageToken = None):
    """Programs of one market or all, in the order they were defined."""
    rows, token = service.list_programs(uow, market=market, page_size=page_size, page_token=page_token)
    return Page[ProgramOut](items=[program_out(uow, p) for p in rows], next_page_token=token)


@router.get("/programs/{program_id}", response_model=ProgramOut)
@raises("program_not_found")
def get_program(program_id: str, uow: UnitOfWork, actor: AnyUser):
    """A program as its latest version defines it, with every version and where it applies from."""
    return program_out(uow, service.get(uow, program_id))


@router.patch("/programs/{program_id}", response_model=ProgramOut)
@raises("program_not_found", "market_out_of_scope", "program_end_too_soon", *DEFINITION_CODES)
def change_program(program_id: str, body: ProgramPatch, uow: UnitOfWork, actor: Operator):
    """A new version from the next period (the first one if the program has not started): the running period and
    the closed ones keep the version they were judged by. Fields left out keep their value."""
    program = service.change(uow, program_id=program_id, changes=body.model_dump(exclude_unset=True), actor=actor)
    return program_out(uow, program)


def enrollment_out(e) -> ProgramEnrollmentOut:
    return ProgramEnrollmentOut.model_validate(e)


@router.post("/programs/{program_id}/enrollments", status_code=status.HTTP_201_CREATED,
             response_model=ProgramEnrollmentOut)
@raises("program_not_found", "program_ended", "shop_not_found", "not_owner", "market_out_of_scope",
        "shop_not_in_market", "shop_type_not_eligible", "shop_mode_not_eligible", "shop_status_not_eligible",
        "already_enrolled", "shop_excluded")
def enroll_shop(program_id: str, body: ProgramEnrollmentIn, uow: UnitOfWork, actor: Seller):
    """The shop's seller (or an operator of the market) enrolls a shop the program is open to: its market, type,
    mode and status as the version in force says."""
    return enrollment_out(service.enroll(uow, program_id=program_id, shop_id=body.shop_id, actor=actor))


@router.get("/programs/{program_id}/enrollments", response_model=list[ProgramEnrollmentOut])
@raises("program_not_found")
def list_enrollments(program_id: str, uow: UnitOfWork, actor: Seller):
    """Enrolled and excluded shops (a seller sees only their own)."""
    return [enrollment_out(e) for e in service.of_program(uow, program_id=program_id, actor=actor)]


@router.post("/programs/{program_id}/exclusions", response_model=ProgramEnrollmentOut)
@raises("program_not_found", "market_out_of_scope", "shop_not_found", "shop_not_in_market", "shop_excluded",
        "reason_required", "invalid_reason", "reason_too_long")
def exclude_shop(program_id: str, body: ProgramExclusionIn, uow: UnitOfWork, actor: Operator):
    """An operator excludes a shop, with a reason: it leaves the program's standings from now on and is never
    enrolled again automatically."""
    return enrollment_out(service.exclude(uow, program_id=program_id, shop_id=body.shop_id, reason=body.reason,
                                          actor=actor))


@router.get("/programs/{program_id}/standings", response_model=ProgramStandingsOut)
@raises("program_not_found", "market_out_of_scope", "invalid_period")
def get_standings(program_id: str, uow: UnitOfWork, actor: Seller,
                  period: Annotated[str | None, Query(max_length=10, description="a date in the period, "
                                                                                 "YYYY-MM-DD (default: now)")] = None):
    """Each enrolled shop's figures, what it still needs, why it does or does not qualify, and its benefit. A
    closed period is read as recorded; an open one is computed now ("So far: …"). Sellers see their shops."""
    return service.report(uow, program_id=program_id, period=period, actor=actor)


@router.post("/programs/{program_id}/clawbacks", status_code=status.HTTP_201_CREATED,
             response_model=ProgramClawbackOut)
@raises("program_not_found", "market_out_of_scope", "invalid_period", "period_not_closed", "standing_not_found",
        "nothing_to_claw_back", "already_clawed_back", "reason_required", "invalid_reason", "reason_too_long")
def claw_back(program_id: str, body: ProgramClawbackIn, uow: UnitOfWork, actor: Operator):
    """An operator found fake orders: the shop loses the benefit of that closed period. Its standing is marked
    (the result itself never changes), the fee discount it earned no longer applies from now, and one negative
    benefit entry takes back the reward and what the discount saved so far. Once per shop and period."""
    done = service.claw_back(uow, program_id=program_id, shop_id=body.shop_id, period=body.period,
                             reason=body.reason, actor=actor)
    return service.clawback_out(done, program_id=program_id)
