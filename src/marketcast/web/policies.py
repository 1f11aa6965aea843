"""Console pages for policies: what is in force per market, each key's timeline, scheduling a change."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request

from marketcast.core import clock
from marketcast.core.errors import DomainError, Invalid
from marketcast.core.web_deps import UnitOfWork
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.web.common import ConsoleOperator, ConsoleUser, Csrf, redirect, render

router = APIRouter(prefix="/policies")


def _market_param(market: str | None) -> str | None:
    return market.strip().upper() or None if market else None


def _parse_at(at: str | None) -> datetime:
    if not at:
        return clock.now()
    try:
        return clock.as_utc_input(datetime.fromisoformat(at), "at")
    except ValueError:
        raise Invalid(f"{at!r} is not a date", field="at") from None


@router.get("")
def in_force(request: Request, uow: UnitOfWork, actor: ConsoleUser, market: str | None = "US", at: str | None = None):
    code = _market_param(market)
    when = _parse_at(at)
    rows, _ = markets.list_markets(uow, page_size=200)
    return render(request, "policies.html", actor=actor, market=code, at=when, markets=rows,
                  resolved=policies.in_force(uow, market=code, at=when))


def _key_page(request: Request, uow, actor, key: str, market: str | None, *, error=None, field=None, form=None,
              status_code: int = 200, simulation=None):
    info = policies.key_info(key)
    return render(request, "policy.html", status_code=status_code, actor=actor, key=info, market=market,
                  simulation=simulation, simulates=key in policies.simulated_keys(),
                  explanation=policies.value_explained(uow, key=key, market=market)[1],
                  timeline=policies.timeline(uow, key=key, market=market), error=error, field=field, form=form or {})


@router.get("/{key}")
def key_page(request: Request, key: str, uow: UnitOfWork, actor: ConsoleUser, market: str | None = "US"):
    return _key_page(request, uow, actor, key, _market_param(market))


@router.post("/{key}/versions")
def schedule(request: Request, key: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
             market: Annotated[str, Form()] = "", value: Annotated[str, Form()] = "",
             effective_from: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""):
    code = _market_param(market)
    form = {"value": value, "effective_from": effective_from, "reason": reason}
    try:
        parsed = policies.parse_value(key, value)
        starts = _when(effective_from, "effective_from")
        version = policies.schedule(uow, key=key, market=code, value=parsed, effective_from=starts, reason=reason,
                                    actor=actor)
    except DomainError as exc:
        uow.rollback()
        return _key_page(request, uow, actor, key, code, error=exc.detail, field=exc.field, form=form,
                         status_code=exc.status)
    return redirect(f"/policies/{key}?market={code or ''}",
                    f"Scheduled {key} from {version.effective_from:%Y-%m-%d %H:%M} UTC", request)


def _when(text: str, field: str) -> datetime:
    try:
        return clock.as_utc_input(datetime.fromisoformat(text), field)
    except ValueError:
        raise Invalid("give a date such as 2025-01-01 or a time such as 2025-01-01T09:00", field=field) from None


@router.post("/{key}/simulate")
def simulate(request: Request, key: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
             market: Annotated[str, Form()] = "", value: Annotated[str, Form()] = "",
             effective_from: Annotated[str, Form()] = ""):
    """Try a value before scheduling it: who it would move in the market (applications or creators); nothing is
    written."""
    code = _market_param(market)
    form = {"sim_value": value, "sim_from": effective_from}
    try:
        if code is None:
            raise Invalid("simulate in one market", field="market")
        starts = _when(effective_from, "effective_from") if effective_from else None
        result = policies.simulate(uow, key=key, market=code, value=policies.parse_value(key, value),
                                   effective_from=starts, actor=actor)
    except DomainError as exc:
        uow.rollback()
        return _key_page(request, uow, actor, key, code, error=exc.detail, field=f"sim_{exc.field}", form=form,
                         status_code=exc.status)
    return _key_page(request, uow, actor, key, code, simulation=result, form=form)


@router.post("/{key}/versions/{version_id}/withdraw")
def withdraw(request: Request, key: str, version_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
             market: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""):
    code = _market_param(market)
    try:
        policies.withdraw(uow, version_id=version_id, reason=reason or "withdrawn from the console", actor=actor)
    except DomainError as exc:
        uow.rollback()
        return _key_page(request, uow, actor, key, code, error=exc.detail, field=exc.field, status_code=exc.status)
    return redirect(f"/policies/{key}?market={code or ''}", f"Withdrew {version_id}", request)
