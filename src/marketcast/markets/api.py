"""Markets over HTTP: public reads, operator writes, a waitlist for any signed-in user."""


from fastapi import Response, status

from marketcast.core.auth.actor import shown_email
from marketcast.core.openapi import REASON_CODES, api_router, raises
from marketcast.core.pagination import Page, PageSize, PageToken
from marketcast.core.web_deps import AnyUser, MaybeUser, Operator, UnitOfWork
from marketcast.markets import service
from marketcast.markets.schemas import (
    HistoryOut,
    MarketEventOut,
    MarketIn,
    MarketOut,
    MarketStatus,
    RescheduleIn,
    TransitionIn,
    WaitlistEntryOut,
    WaitlistOut,
)

router = api_router("markets", "Markets and their lifecycle (planned, live, postponed, paused), launch windows and "
                    "their history, waitlists.", prefix="/api/v1/markets")


def _out(market, count: int | None = None) -> MarketOut:
    out = MarketOut.model_validate(market)
    out.waitlist_count = count
    out.overdue = service.is_overdue(market)
    return out


@router.get("", response_model=Page[MarketOut])
@raises("invalid_status")
def list_markets(uow: UnitOfWork, status: MarketStatus | None = None,
                 page_size: PageSize = None,
                 page_token: PageToken = None):
    """Every market, in code order, with its waitlist count; filter by `status`. Public."""
    rows, token = service.list_markets(uow, status=status, page_size=page_size, page_token=page_token)
    counts = service.waitlist_counts(uow, codes=[m.code for m in rows]) if rows else {}
    return Page[MarketOut](items=[_out(m, counts.get(m.code, 0)) for m in rows], next_page_token=token)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MarketOut)
@raises(*REASON_CODES, "invalid_market_code", "market_out_of_scope", "invalid_name", "invalid_status",
        "invalid_launch_window", "market_exists", "invalid_currency", "invalid_timezone")
def create_market(body: MarketIn, uow: UnitOfWork, actor: Operator):
    """Operators with no market limit, or limited to markets that include this code."""
    market = service.create(uow, code=body.code, name=body.name, currency=body.currency, timezone=body.timezone,
                            launch_window=body.launch_window, status=body.status, reason=body.reason, actor=actor)
    return _out(market, 0)


@router.get("/{code}", response_model=MarketOut)
@raises("market_not_found")
def get_market(code: str, uow: UnitOfWork):
    """One market: status, launch window, currency, time zone, waitlist count. Public."""
    market = service.get(uow, code)
    return _out(market, service.waitlist_count(uow, code=market.code))


@router.get("/{code}/history", response_model=HistoryOut)
@raises("market_not_found")
def get_market_history(code: str, uow: UnitOfWork, viewer: MaybeUser):
    """Each change with who made it: the operator's email for operators, "operator" for anyone else."""
    items = [MarketEventOut.model_validate(e) for e in service.history(uow, code=code)]
    return HistoryOut(items=[i.model_copy(update={"actor_email": shown_email(i.actor_email, viewer)}) for i in items])


@router.post("/{code}/transitions", response_model=MarketOut)
@raises(*REASON_CODES, "market_out_of_scope", "market_not_found", "invalid_status", "invalid_transition",
        "invalid_launch_window", "launch_window_not_allowed")
def transition_market(code: str, body: TransitionIn, uow: UnitOfWork, actor: Operator):
    """Operators of this market. Allowed moves: see the transition table in the docs (409 invalid_transition)."""
    market = service.transition(uow, code=code, status=body.status, reason=body.reason, actor=actor,
                                launch_window=body.launch_window)
    return _out(market)


@router.post("/{code}/reschedule", response_model=MarketOut)
@raises(*REASON_CODES, "market_out_of_scope", "invalid_launch_window", "market_not_found", "market_not_reschedulable",
        "window_unchanged")
def reschedule_market(code: str, body: RescheduleIn, uow: UnitOfWork, actor: Operator):
    """Operators of this market. Only planned or postponed markets (409 market_not_reschedulable)."""
    market = service.reschedule(uow, code=code, launch_window=body.launch_window, reason=body.reason, actor=actor)
    return _out(market)


@router.put("/{code}/waitlist", response_model=WaitlistEntryOut,
            responses={200: {"description": "already on the waitlist"},
                       201: {"description": "joined", "model": WaitlistEntryOut}})
@raises("user_required", "market_not_found", "market_already_live", "market_closed")
def join_waitlist(code: str, uow: UnitOfWork, actor: AnyUser, response: Response):
    """Join the market's waitlist (any signed-in user) while it is planned or postponed: 201 joined, 200
    already on it."""
    entry, created = service.join_waitlist(uow, code=code, actor=actor)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return WaitlistEntryOut(market=service.get(uow, code).code, user_id=entry.user_id, joined_at=entry.joined_at)


@router.delete("/{code}/waitlist", status_code=status.HTTP_204_NO_CONTENT)
@raises("market_not_found")
def leave_waitlist(code: str, uow: UnitOfWork, actor: AnyUser) -> Response:
    """Leave the market's waitlist; leaving a waitlist one is not on changes nothing."""
    service.leave_waitlist(uow, code=code, actor=actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{code}/waitlist", response_model=WaitlistOut)
@raises("market_not_found")
def get_waitlist(code: str, uow: UnitOfWork, actor: MaybeUser):
    """How many are on the market's waitlist and, with a token, whether the caller is. Public."""
    market = service.get(uow, code)
    return WaitlistOut(market=market.code, count=service.waitlist_count(uow, code=market.code),
                       joined=service.on_waitlist(uow, code=market.code, actor=actor))
