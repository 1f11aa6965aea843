"""What every router needs: the request's unit of work, the acting user, and permission checks.

The unit of work is opened lazily by the first dependency that asks for it and is committed by
`core.transactions.TransactionMiddleware` once the endpoint has produced a successful response (rolled back otherwise),
so handlers and services never commit. A handler that must keep what it wrote even though it
answers with an error (a failed login is counted) sets `request.state.commit_on_error`.

The same dependencies serve WebSocket routes (they take an HTTPConnection): there the unit of work is a read that
ends when the socket is accepted or refused, so no transaction stays open while a socket waits; the session is
closed for good then, and a later read opens a unit of work of its own (core.db.unit_of_work)."""

import asyncio
import functools
import weakref
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import anyio
from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from marketcast.core import idempotency
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import Actor
from marketcast.core.db import is_deadlock, new_session, unit_of_work
from marketcast.core.errors import Forbidden, Unauthorized
from marketcast.core.openapi import auth_dependency
from marketcast.core.settings import get_settings

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_session(conn: HTTPConnection) -> Session:
    session = getattr(conn.state, "db", None)
    if session is None:
        if conn.scope["type"] == "websocket":
            if conn.scope.get("state", {}).get("db_ended"):
                raise RuntimeError("a WebSocket's unit of work ended when it was accepted: open one of its own")
            session = new_session(write=False, single_use=True)
        else:
            session = new_session(write=conn.scope["method"] not in _READ_METHODS)
        conn.state.db = session
    return session


UnitOfWork = Annotated[Session, Depends(get_session)]


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


@auth_dependency(None)
def optional_actor(conn: HTTPConnection, session: UnitOfWork) -> Actor | None:
    return _actor_of_request(conn, session)


def _actor_of_request(request: HTTPConnection, session: Session) -> Actor | None:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use 'Authorization: Bearer <token>'", code="invalid_token")
        actor = auth.actor_for_token(session, token.strip())
        if actor is None:
            raise Unauthorized("this token is not valid", code="invalid_token")
        return actor
    if request.url.path.startswith("/api/"):
        # The API takes Bearer tokens only: a console cookie that a browser sends by itself must not authorise an
        # API call another site makes it send (CSRF; for a WebSocket, cross-site hijacking). The console's own
        # forms carry a CSRF token.
        return None
    cookie = request.scope.get("session") or {}
    return auth.actor_for_console_session(session, cookie) if cookie else None


def requires(*roles: str) -> Callable[..., Awaitable[Actor]]:
    """A dependency that admits only an authenticated user with one of `roles` (any role when empty)."""

    @auth_dependency(roles)
    async def dependency(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
        # async: a check without I/O runs on the event loop instead of taking a trip through the threadpool
        return _admit(actor, roles)

    return dependency


def _admit(actor: Actor | None, roles: tuple[str, ...]) -> Actor:
    if actor is None:
        raise Unauthorized("sign in or send a Bearer token", code="unauthenticated")
    if roles and actor.role not in roles:
        raise Forbidden(f"this needs the role {' or '.join(roles)}; you are {actor.role}", code="wrong_role")
    return actor


def requires_own_session(*roles: str) -> Callable[..., Actor]:
    """Like `requires`, but reads the user in its own short transaction instead of the request's unit of work.

    For routes that open their own transactions (checkout claims an Idempotency-Key, then commits the order
    in a second one): on SQLite the request's write session would hold the write lock the route then waits on."""

    @auth_dependency(roles)
    def dependency(request: HTTPConnection) -> Actor:
        with unit_of_work(write=False) as session:
            actor = _actor_of_request(request, session)
        return _admit(actor, roles)

    return dependency


Operator = Annotated[Actor, Depends(requires("operator"))]
AnyUser = Annotated[Actor, Depends(requires())]
MaybeUser = Annotated[Actor | None, Depends(optional_actor)]


IdempotencyKeyHeader = Annotated[str | None, Header(alias=idempotency.HEADER)]


@auth_dependency(())  # the route admits by role itself, once it has read the token
async def bearer_present(request: HTTPConnection) -> None:
    """A request with no credentials at all is 401 before its body is validated, as with `requires` (no I/O here:
    routes that authenticate inside `respond_once` check the token itself there)."""
    if not request.headers.get("authorization"):
        raise Unauthorized("sign in or send a Bearer token", code="unauthenticated")


BearerPresent = Depends(bearer_present)

DEADLOCK_RETRIES = 2
# An idempotent write: runs in the transaction it is given, as the acting user, and returns status and JSON body
# (or an idempotency.Outcome, to have its writes on contended rows run last).
Write = Callable[[Session, Actor], idempotency.Outcome | tuple[int, dict[str, Any]]]


def respond_once(request: Request, *, roles: tuple[str, ...], key: str | None, body: BaseModel,
                 operation: Write) -> JSONResponse:
    """Answer an idempotent write: `operation` runs at most once per user and Idempotency-Key (see
    core.idempotency.run_once); a replay carries `Idempotent-Replayed: true`. The request's method and path are
    part of the fingerprint, so one key sent to two endpoints (or to two orders) is two different requests.

    The token lookup, the claim, the work, the stored answer and the commit are one unit of work on one connection
    in one thread (call this from a sync route that takes neither UnitOfWork nor an actor dependency): a request
    never holds a pooled connection while it waits for a thread, so a full threadpool cannot starve the pool,
    and a checkout costs one transaction. See docs/adr/0013.

    A transaction PostgreSQL picked as a deadlock's victim was rolled back whole (claim, work and answer): it runs
    again, up to DEADLOCK_RETRIES times, instead of answering 500 (buyers racing for a bucketed deal's last units
    can lock two bucket rows in opposite orders)."""
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            answer = _run_once(request, roles=roles, key=key, body=body, operation=operation)
            break
        except Exception as exc:
            if attempt == DEADLOCK_RETRIES or not is_deadlock(exc):
                raise
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


async def respond_once_in_turn(request: Request, *, roles: tuple[str, ...], key: str | None, body: BaseModel,
                               operation: Write) -> JSONResponse:
    """respond_once in a thread of its own, at most `MARKETCAST_WRITE_CONCURRENCY` at a time per process; the
    others wait their turn in the event loop, holding neither a thread nor a connection. A process gains nothing
    from more transactions in flight than its cores can drive: 32 checkouts of one hot SKU at once per process
    spend a third more CPU each on thread switches and lock queues than 8 do (docs/adr/0013)."""
    call = functools.partial(respond_once, request, roles=roles, key=key, body=body, operation=operation)
    return await anyio.to_thread.run_sync(call, limiter=writers())


_writer_limiters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def writers() -> anyio.CapacityLimiter:
    # One per event loop: a limiter's waiters belong to the loop they wait in (tests run several loops).
    loop = asyncio.get_running_loop()
    if loop not in _writer_limiters:
        _writer_limiters[loop] = anyio.CapacityLimiter(get_settings().write_concurrency)
    return _writer_limiters[loop]


def _run_once(request: Request, *, roles: tuple[str, ...], key: str | None, body: BaseModel,
              operation: Write) -> idempotency.Answer:
    with unit_of_work() as session:
        actor = _admit(_actor_of_request(request, session), roles)
        return idempotency.run_once(session, user_id=actor.user, key=key,
                                    operation_name=f"{request.method} {request.url.path}",
                                    # An optional field left out or sent as null is the same request
                                    # (POST /orders' `attribution`).
                                    body=body.model_dump(mode="json", exclude_none=True),
                                    operation=lambda tx: operation(tx, actor))
