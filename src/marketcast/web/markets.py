"""Console pages for markets: status, launch window (overdue when passed while still planned), history,
waitlist; operator actions."""

from typing import Annotated

from fastapi import APIRouter, Form, Request

from marketcast.core.errors import DomainError
from marketcast.core.web_deps import UnitOfWork
from marketcast.markets import service as markets
from marketcast.web.common import ConsoleOperator, ConsoleUser, Csrf, form_failed, redirect, render
from marketcast.web.listing import PAGE_SIZE, PageParams, listing

router = APIRouter(prefix="/markets")


@router.get("")
def market_list(request: Request, uow: UnitOfWork, actor: ConsoleUser, page: PageParams, status: str = ""):
    paged = markets.list_markets(uow, status=status or None, page_size=PAGE_SIZE, page_token=page.token)
    rows = listing(request, paged, page, {"status": status})
    return render(request, "markets.html", actor=actor, markets=rows, statuses=markets.STATUSES,
                  overdue={m.code for m in rows if markets.is_overdue(m)},
                  counts=markets.waitlist_counts(uow, codes=[m.code for m in rows]))


@router.post("")
def market_create(request: Request, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
                  code: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
                  currency: Annotated[str, Form()] = "", timezone: Annotated[str, Form()] = "",
                  launch_window: Annotated[str, Form()] = ""):
    form = {"code": code, "name": name, "currency": currency, "timezone": timezone, "launch_window": launch_window}
    try:
        market = markets.create(uow, code=code, name=name, currency=currency, timezone=timezone,
                                launch_window=launch_window or None, actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, "/markets", form)
    return redirect(f"/markets/{market.code}", f"Market {market.code} created", request)


@router.get("/{code}")
def market_detail(request: Request, code: str, uow: UnitOfWork, actor: ConsoleUser):
    market = markets.get(uow, code)
    return render(request, "market.html", actor=actor, market=market, overdue=markets.is_overdue(market),
                  history=markets.history(uow, code=market.code),
                  waitlist=markets.waitlist_count(uow, code=market.code),
                  on_waitlist=markets.on_waitlist(uow, code=market.code, actor=actor), statuses=markets.STATUSES)


@router.post("/{code}/transition")
def market_transition(request: Request, code: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
                      status: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""):
    try:
        market = markets.transition(uow, code=code, status=status, reason=reason, actor=actor)
    except DomainError as exc:
        exc.field = exc.field or "status"
        return form_failed(request, uow, exc, f"/markets/{code.upper()}", {"status": status, "t-reason": reason})
    return redirect(f"/markets/{market.code}", f"{market.code} is now {market.status}", request)


@router.post("/{code}/reschedule")
def market_reschedule(request: Request, code: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
                      launch_window: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""):
    window = None if launch_window.strip().lower() in ("", "none") else launch_window.strip()
    try:
        market = markets.reschedule(uow, code=code, launch_window=window, reason=reason, actor=actor)
    except DomainError as exc:
        exc.field = exc.field or "launch_window"
        return form_failed(request, uow, exc, f"/markets/{code.upper()}",
                           {"launch_window": launch_window, "r-reason": reason})
    return redirect(f"/markets/{market.code}", f"{market.code} launch window is now {market.launch_window or 'none'}",
                    request)


@router.post("/{code}/waitlist")
def waitlist(request: Request, code: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf,
             action: Annotated[str, Form()] = "join"):
    """A seller, creator or buyer registers interest in a market that is not live yet (or withdraws it)."""
    try:
        if action == "leave":
            markets.leave_waitlist(uow, code=code, actor=actor)
            message = f"You left the {code.upper()} waitlist"
        else:
            markets.join_waitlist(uow, code=code, actor=actor)
            message = f"You are on the {code.upper()} waitlist: you will hear when its launch moves or it opens"
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/markets/{code.upper()}")
    return redirect(f"/markets/{code.upper()}", message, request)
