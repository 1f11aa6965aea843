"""The transaction per request: the unit of work a request's dependencies opened (core.web_deps.get_session) is
committed when the endpoint answers below 400, rolled back otherwise, before the client sees any of the answer.
On a WebSocket the unit of work (a read: auth, the room's existence) ends when the socket is accepted or refused,
so no transaction stays open while the socket lives.

A pure ASGI middleware, not Starlette's BaseHTTPMiddleware: that one runs every request's endpoint in a task of its
own and passes the response through memory streams, which cost more on a hot route than the whole commit.
See docs/adr/0002 and 0013."""

import anyio
from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketcast.core import problems
from marketcast.core.db import is_busy
from marketcast.core.errors import ServiceBusy

# Commits and rollbacks run on threads of their own: a request that holds row locks must always be able to end
# its transaction, even when every worker thread is taken by requests waiting on those very locks (the
# pile-up that froze the server, docs/adr/0019).
_FINISHERS = anyio.CapacityLimiter(40)


def _finish(session, ok: bool) -> None:
    try:
        if ok:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def _end(session, ok: bool) -> None:
    await to_thread.run_sync(_finish, session, ok, limiter=_FINISHERS)


class TransactionMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The dict behind `request.state` for every Request made from this scope.
        state = scope.setdefault("state", {})

        replaced = False

        async def send_after_commit(message: Message) -> None:
            nonlocal replaced
            if replaced:  # the endpoint's answer was replaced by a 503: drop the rest of it
                return
            if message["type"] == "http.response.start":
                session = state.pop("db", None)
                if session is not None:
                    keep = message["status"] < 400 or state.get("commit_on_error", False)
                    # A failing commit raises here, before anything was sent: the client never sees a success
                    # for a change that was not kept; a busy database is 503 service_busy, anything else a 500.
                    try:
                        await _end(session, keep)
                    except Exception as exc:
                        if not is_busy(exc):
                            raise
                        replaced = True
                        await problems.domain_response(ServiceBusy())(scope, receive, send)
                        return
            await send(message)

        try:
            await self.app(scope, receive, send_after_commit)
        except BaseException:
            session = state.pop("db", None)
            if session is not None:
                await _end(session, False)
            raise

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})

        async def end_then_send(message: Message) -> None:
            if message["type"] in _WS_FIRST and not state.get("db_ended"):
                state["db_ended"] = True
                session = state.pop("db", None)
                if session is not None:
                    await _end(session, message["type"] == "websocket.accept")
            await send(message)

        try:
            await self.app(scope, receive, end_then_send)
        finally:
            session = state.pop("db", None)
            if session is not None:
                await _end(session, False)


# The first message a WebSocket endpoint sends: it accepts, refuses, or answers the handshake with HTTP.
_WS_FIRST = {"websocket.accept", "websocket.close", "websocket.http.response.start"}
