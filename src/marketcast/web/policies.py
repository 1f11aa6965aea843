"""Console pages for policies: what is in force per market, each key's timeline, scheduling a change."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request

from marketcast.core import clock
from marketcast.core.errors import DomainError, Invalid
from marketcast.core.fields import market_code
from marketcast.core.web_deps import UnitOfWork
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.web.common import ConsoleOperator, ConsoleUser, Csrf, form_failed, redirect, render
from marketcast.web.listing import url_with

router = APIRouter(prefix="/policies")


def _market_param(uow, market: str | None) -> str | None:
    """The market named in a query, or None for the global values; an unknown market is an error (404)."""
    code = market_code(market)
    return markets.get(uow, code).code if code else None


def _parse_at(at: str | None) -> datetime:
    if not at:
        return clock.now()
    try:
        return clock.as_utc_input(datetime.fromisoformat(at), "at")
    except ValueError:
        raise Invalid(f"{at!r} is not a date", field="at") from None


def _back(key: str, market: str | None) -> str:
    return url_with(f"/policies/{key}", {"market": market or ""})


@router.get("")
def in_force(request: Request, uow: UnitOfWork, actor: ConsoleUser, market: str | None = "US", at: str | None = None):
    code = _market_param(uow, market)
    when = _parse_at(at)
    rows, _ = markets.list_markets(uow, page_size=200)
    return render(request, "policies.html", actor=actor, market=code, at=when, markets=rows,
                  resolved=policies.in_force(uow, market=code, at=when))


@router.get("/{key}")
def key_page(request: Request, key: str, uow: UnitOfWork, actor: ConsoleUser, market: str | None = "US",
             simulate: str | None = None, sim_from: str = ""):
    """The key's explanation and timeline; with `simulate` (operators, keys an area simulates, one market) who
    that value would move from `sim_from` (default now). A GET: nothing is written, and the link can be shared."""
    code = _market_param(uow, market)
    info = policies.key_info(key)
    simulation = sim_error = sim_field = None
    if simulate is not None and actor.is_operator and key in policies.simulated_keys():
        try:
            if code is None:
                raise Invalid("simulate in one market", field="market")
            starts = _when(sim_from, "effective_from") if sim_from else None
            simulation = policies.simulate(uow, key=key, market=code, value=policies.parse_value(key, simulate),
                                           effective_from=starts, actor=actor)
        except DomainError as exc:  # shown beside the box, like a refused form
            uow.rollback()
            sim_error, sim_field = exc.detail, f"sim_{exc.field}"
    return render(request, "policy.html", actor=actor, key=info, market=code, simulation=simulation,
                  sim_error=sim_error, sim_field=sim_field, sim={"value": simulate or "", "from": sim_from},
                  simulates=key in policies.simulated_keys(),
                  explanation=policies.value_explained(uow, key=key, market=code)[1],
                  timeline=policies.timeline(uow, key=key, market=code))


def _when(text: str, field: str) -> datetime:
    try:
        return clock.as_utc_input(datetime.fromisoformat(text), field)
    except ValueError:
        raise Invalid("give a date such as 2025-01-01 or a time such as 2025-01-01T09:00", field=field) from None


@router.post("/{key}/versions")
def schedule(request: Request, key: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
             market: Annotated[str, Form()] = "", value: Annotated[str, Form()] = "",
             effective_from: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""):
    code = _market_param(uow, market)
    form = {"value": value, "effective_from": effective_from, "reason": reason}
    try:
        parsed = policies.parse_value(key, value)
        starts = _when(effective_from, "effective_from")
        version = policies.schedule(uow, key=key, market=code, value=parsed, effective_from=starts, reason=reason,
                                    actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, _back(key, code), form)
    return redirect(_back(key, code), f"Scheduled {key} from {version.effective_from:%Y-%m-%d %H:%M} UTC", request)


@router.post("/{key}/versions/{version_id}/withdraw")
def withdraw(request: Request, key: str, version_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
             market: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""):
    code = _market_param(uow, market)
    try:
        policies.withdraw(uow, version_id=version_id, reason=reason or "withdrawn from the console", actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, _back(key, code))
    return redirect(_back(key, code), f"Withdrew {version_id}", request)
