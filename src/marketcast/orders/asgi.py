"""The checkout's admission, as a small ASGI piece in front of the router (docs/adr/0016).

`POST /api/v1/orders` with deal lines is offered to the `checkout_admission` gate (orders.hooks) as soon as its
body has passed the size limit and the text guard: a request the gate refuses (a flash deal this process or Redis
knows is sold out or ended) is answered here with the same problem+json 409 the route would give, without routing,
dependency solving, body validation, a worker thread or the database. Everything else, and every request the gate
does not refuse, goes on to the route unchanged (its body replayed), where the database decides.

A request without credentials is left to the route (its 401 comes first, as it did when the gate was a route
dependency); so is a body that is not JSON or has no well-formed deal line (its validation answers)."""

import hashlib
import json

from starlette.types import ASGIApp, Receive, Scope, Send

from marketcast.core import problems
from marketcast.core.errors import DomainError
from marketcast.core.text_guard import read_body, replaying
from marketcast.orders import hooks

CHECKOUT_PATH = "/api/v1/orders"
MAX_LINES = 50  # as CheckoutIn takes


def fingerprint(authorization: str, idempotency_key: str) -> str:
    """Who sent a checkout with which Idempotency-Key, as a hash of both (orders.hooks.CheckoutRequest)."""
    return hashlib.sha256(f"{authorization}\n{idempotency_key}".encode()).hexdigest()


def deal_lines(body: bytes) -> list[tuple[str, int, str]]:
    """The well-formed deal lines of a checkout body, leniently: anything else is the route's to refuse."""
    if b"deal_id" not in body:
        return []
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    lines = data.get("lines") if isinstance(data, dict) else None
    if not isinstance(lines, list):
        return []
    return [(x["sku_id"], x["quantity"], x["deal_id"]) for x in lines[:MAX_LINES]
            if isinstance(x, dict) and isinstance(x.get("sku_id"), str) and isinstance(x.get("quantity"), int)
            and isinstance(x.get("deal_id"), str)]


def _header(scope: Scope, name: bytes) -> str:
    """The first value of a header, as Starlette's `request.headers.get` reads it."""
    return next((value.decode("latin-1") for key, value in scope["headers"] if key == name), "")


class CheckoutAdmission:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != CHECKOUT_PATH
                or not hooks.checkout_admission.handlers):
            await self.app(scope, receive, send)
            return
        authorization = _header(scope, b"authorization")
        if not authorization:
            await self.app(scope, receive, send)
            return
        body, ended = await read_body(receive)
        lines = deal_lines(body) if ended is None else []
        if lines:
            key = _header(scope, b"idempotency-key")
            try:
                await hooks.checkout_admission.fire(hooks.CheckoutRequest(lines, fingerprint(authorization, key)))
            except DomainError as exc:
                await problems.domain_response(exc)(scope, receive, send)
                return
        await self.app(scope, replaying(body, ended, receive), send)


# Registered by marketcast.areas (room `asgi`): outermost last, inside the app's own size limit and text guard.
MIDDLEWARE = [CheckoutAdmission]
