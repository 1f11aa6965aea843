from datetime import datetime
from tempfile import SpooledTemporaryFile
from typing import Any

from fastapi import Query, Request, status
from fastapi.responses import StreamingResponse

from marketcast.core.auth.actor import shown_email
from marketcast.core.openapi import REASON_CODES, api_router, raises
from marketcast.core.web_deps import MaybeUser, Operator, UnitOfWork
from marketcast.policies import service, simulation
from marketcast.policies.schemas import (
    ExplainOut,
    InForceOut,
    PolicyKeyOut,
    PolicyKeysOut,
    ResolvedOut,
    ScheduleIn,
    SimulationIn,
    SimulationOut,
    VersionOut,
    VersionsOut,
    WithdrawIn,
)

router = api_router("policies", "Versioned per-market policies: the value as of a time, timelines, explanations, "
                    "scheduling and withdrawing versions.", prefix="/api/v1/policies")

MarketQuery = Query(None, pattern=r"^[A-Za-z]{2}$", description="Two-letter market code; omit for global values")
AtQuery = Query(None, description="ISO date-time to resolve at (naive means UTC); default now")


@router.get("", response_model=PolicyKeysOut)
def list_policies():
    """Every policy key: its type, bounds, default, unit and meaning."""
    return PolicyKeysOut(items=[PolicyKeyOut.of(pk) for pk in service.keys()])


# Declared before /{key} so "in-force" is not taken for a key.
@router.get("/in-force", response_model=InForceOut)
@raises("invalid_market", "market_not_found")
def list_policies_in_force(uow: UnitOfWork, viewer: MaybeUser, market: str | None = MarketQuery,
                           at: datetime | None = AtQuery):
    """The value of every key for a market at a time."""
    code = service.check_market(uow, market)
    return InForceOut(items=[_seen_by(ResolvedOut.of(r), viewer) for r in service.in_force(uow, market=code, at=at)])


@router.get("/{key}", response_model=ResolvedOut)
@raises("policy_not_found", "invalid_market", "market_not_found")
def get_policy(key: str, uow: UnitOfWork, viewer: MaybeUser, market: str | None = MarketQuery,
               at: datetime | None = AtQuery):
    """The value of a key for a market (or global) at a time, with the version it comes from."""
    service.key_info(key)
    code = service.check_market(uow, market)
    return _seen_by(ResolvedOut.of(*service.value_explained(uow, key=key, market=code, at=at, viewer=viewer)), viewer)


@router.get("/{key}/versions", response_model=VersionsOut)
@raises("policy_not_found", "invalid_market", "market_not_found")
def list_policy_versions(key: str, uow: UnitOfWork, viewer: MaybeUser, market: str | None = MarketQuery,
                         at: datetime | None = AtQuery,
                  include_global: bool = Query(False, description="with a market, list the global versions too")):
    """Every version for the market (or the globals), oldest first, with its status at `at`."""
    service.key_info(key)
    code = service.check_market(uow, market)
    entries = service.timeline(uow, key=key, market=code, at=at, include_global=include_global)
    return VersionsOut(items=[_seen_by(VersionOut.of(e), viewer) for e in entries])


@router.get("/{key}/explain", response_model=ExplainOut)
@raises("policy_not_found", "invalid_market", "market_not_found")
def explain_policy(key: str, uow: UnitOfWork, viewer: MaybeUser, market: str | None = MarketQuery,
                   at: datetime | None = AtQuery):
    """Why the key has its value for a market at a time: in plain words, with the versions around it."""
    service.key_info(key)
    code = service.check_market(uow, market)
    resolved, explanation = service.value_explained(uow, key=key, market=code, at=at, viewer=viewer)
    entries = service.timeline(uow, key=key, market=code, at=resolved.at, include_global=True)
    return ExplainOut(explanation=explanation, resolved=_seen_by(ResolvedOut.of(resolved), viewer),
                      timeline=[_seen_by(VersionOut.of(e), viewer) for e in entries])


def _seen_by(out, viewer):
    """Who set (or withdrew) a version: the operator's email for operators, "operator" for anyone else."""
    names = {field: shown_email(getattr(out, field), viewer) for field in ("set_by", "withdrawn_by")
             if hasattr(out, field)}
    return out.model_copy(update=names)


@router.post("/{key}/versions", status_code=status.HTTP_201_CREATED, response_model=VersionOut)
@raises(*REASON_CODES, "policy_not_found", "invalid_market", "market_not_found", "market_out_of_scope",
        "invalid_policy_value", "effective_from_in_past", "policy_version_exists")
def schedule_policy_version(key: str, body: ScheduleIn, uow: UnitOfWork, actor: Operator):
    """Schedule a new value from a date not in the past (operators; a market-limited one only for its markets)."""
    version = service.schedule(uow, key=key, market=body.market, value=body.value,
                               effective_from=body.effective_from, reason=body.reason, actor=actor)
    return VersionOut.of(version, "in_force" if version.effective_from <= version.created_at else "scheduled")


@router.post("/versions/{version_id}/withdraw", response_model=VersionOut)
@raises(*REASON_CODES, "policy_version_not_found", "market_out_of_scope", "policy_version_withdrawn",
        "policy_version_in_effect")
def withdraw_policy_version(version_id: str, body: WithdrawIn, uow: UnitOfWork, actor: Operator):
    """Withdraw a version that has not taken effect (operators of that version's market)."""
    version = service.withdraw(uow, version_id=version_id, reason=body.reason, actor=actor)
    return VersionOut.of(version, "withdrawn")


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                      "description": "with Accept: text/csv, every move: " + ",".join(simulation.CSV_COLUMNS)}}


@router.post("/{key}/simulations", response_model=SimulationOut, response_model_by_alias=True,
             responses=CSV_RESPONSE)
@raises("policy_not_found", "market_out_of_scope", "invalid_market", "market_not_found", "unknown_market",
        "policy_not_simulated", "invalid_policy_value", "effective_from_in_past")
def simulate_policy(key: str, body: SimulationIn, request: Request, uow: UnitOfWork, actor: Operator):
    """What scheduling `value` for `key` in a market from `effective_from` would move, before anyone schedules
    it: each subject (applications for seller keys, creators for creator keys) judged as it stands now and as of
    the change. Counts of each move and a sample with each subject's figures; with `Accept: text/csv`, the whole
    list. Nothing is written."""
    if "text/csv" in request.headers.get("accept", ""):
        moves = service.simulation_moves(uow, key=key, market=body.market, value=body.value,
                                         effective_from=body.effective_from, actor=actor)
        spool = SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+")  # a large list goes to disk, not RAM
        for chunk in simulation.csv_lines(moves):
            spool.write(chunk)
        spool.seek(0)
        name = f"simulation-{key}-{body.market.upper()}.csv"
        return StreamingResponse(iter(lambda: spool.read(64 * 1024), ""), media_type="text/csv",
                                 headers={"content-disposition": f'attachment; filename="{name}"'})
    return service.simulate(uow, key=key, market=body.market, value=body.value, effective_from=body.effective_from,
                            actor=actor)
