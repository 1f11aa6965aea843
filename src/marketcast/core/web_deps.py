"""What every router needs: the request's unit of work, the acting user, and permission checks.

The unit of work is opened lazily by the first dependency that asks for it and is committed by
`TransactionMiddleware` once the endpoint has produced a successful response (rolled back otherwise),
so handlers and services never commit. A handler that must keep what it wrote even though it
answers with an error (a failed login is counted) sets `request.state.commit_on_error`."""

from collections.abc import Callable
from typing import Annotated

import anyio
from anyio import to_thread
from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import Response

from marketcast.core import idempotency, problems
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import Actor
from marketcast.core.db import is_busy, new_session, unit_of_work
from marketcast.core.errors import Forbidden, ServiceBusy, Unauthorized

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_session(request: Request) -> Session:
    session = getattr(request.state, "db", None)
    if session is None:
        session = new_session(write=request.method not in _READ_METHODS)
        request.state.db = session
    return session


UnitOfWork = Annotated[Session, Depends(get_session)]


def _finish(session: Session, ok: bool) -> None:
    try:
        if ok:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


# Commits and rollbacks run on threads of their own: a request that holds row locks must always be able to end
# its transaction, even when every worker thread is taken by requests waiting on those very locks (the
# pile-up that froze the server, docs/adr/0019).
_FINISHERS = anyio.CapacityLimiter(40)


async def _end(session: Session, ok: bool) -> None:
    await to_thread.run_sync(_finish, session, ok, limiter=_FINISHERS)


class TransactionMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next) -> Response:
        try:
            response = await call_next(request)
        except BaseException:
            session = getattr(request.state, "db", None)
            if session is not None:
                await _end(session, False)
            raise
        session = getattr(request.state, "db", None)
        if session is not None:
            keep = response.status_code < 400 or getattr(request.state, "commit_on_error", False)
            try:
                await _end(session, keep)
            except Exception as exc:
                if not is_busy(exc):
                    raise
                return problems.domain_response(ServiceBusy())
        return response


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def optional_actor(request: Request, session: UnitOfWork) -> Actor | None:
    return _actor_of_request(request, session)


def _actor_of_request(request: Request, session: Session) -> Actor | None:
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
        # API call another site makes it send (CSRF). The console's own forms carry a CSRF token.
        return None
    cookie = request.scope.get("session") or {}
    return auth.actor_for_console_session(session, cookie) if cookie else None


def requires(*roles: str) -> Callable[..., Actor]:
    """A dependency that admits only an authenticated user with one of `roles` (any role when empty)."""

    def dependency(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
        if actor is None:
            raise Unauthorized("sign in or send a Bearer token", code="unauthenticated")
        if roles and actor.role not in roles:
            raise Forbidden(f"this needs the role {' or '.join(roles)}; you are {actor.role}", code="wrong_role")
        return actor

    return dependency


def requires_own_session(*roles: str) -> Callable[..., Actor]:
    """Like `requires`, but reads the user in its own short transaction instead of the request's unit of work.

    For routes that open their own transactions (checkout claims an Idempotency-Key, then commits the order
    in a second one): on SQLite the request's write session would hold the write lock the route then waits on."""

    def dependency(request: Request) -> Actor:
        with unit_of_work(write=False) as session:
            actor = _actor_of_request(request, session)
        return requires(*roles)(actor)

    return dependency


Operator = Annotated[Actor, Depends(requires("operator"))]
AnyUser = Annotated[Actor, Depends(requires())]
MaybeUser = Annotated[Actor | None, Depends(optional_actor)]


IdempotencyKeyHeader = Annotated[str | None, Header(alias=idempotency.HEADER)]


def respond_once(request: Request, actor: Actor, key: str | None, body: BaseModel,
                 operation: idempotency.Operation) -> JSONResponse:
    """Answer an idempotent write: `operation` runs at most once per user and Idempotency-Key (see
    core.idempotency.run_once); a replay carries `Idempotent-Replayed: true`. The request's method and path are
    part of the fingerprint, so one key sent to two endpoints (or to two orders) is two different requests.
    The route must own its transactions: authenticate it with `requires_own_session`, not the request's
    UnitOfWork."""
    # An optional field left out or sent as null is the same request (POST /orders' `attribution`).
    answer = idempotency.run_once(user_id=actor.user_id, key=key, operation_name=f"{request.method} {request.url.path}",
                                  body=body.model_dump(mode="json", exclude_none=True), operation=operation)
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)
