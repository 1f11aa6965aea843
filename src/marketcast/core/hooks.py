"""In-process hook points: how a lower business area lets higher ones act inside its own transaction.

The layer order (docs/adr/0015) lets an area call the services of the areas below it, never above. When a higher
area must react to a lower one's change *in the same transaction* — a commission follows a payment, a ledger
entry follows a refund, a LIVE deal prices a checkout line — the lower area declares a `Hook` and fires it at the
point of the change; the higher area subscribes at import time (its `handlers` module, loaded by
`marketcast.areas.load()`). What the outside world must hear about still goes through the outbox."""

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

P = TypeVar("P")
Handler = Callable[[Session, P], None]


class Hook(Generic[P]):
    """A named point with an ordered list of handlers, each called with the session and one payload.

    Handlers run in the caller's transaction: an exception from one undoes the whole change, which is the point
    (a payment that cannot record its commission is not half-recorded). They must be quick and never wait on
    anything outside the database."""

    def __init__(self, name: str):
        self.name = name
        self._handlers: list[Handler[P]] = []

    def subscribe(self, handler: Handler[P]) -> Handler[P]:
        """Add `handler` once (usable as a decorator); subscribing the same function again changes nothing."""
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    def fire(self, session: Session, payload: P) -> None:
        for handler in self._handlers:
            handler(session, payload)

    @property
    def handlers(self) -> tuple[Handler[P], ...]:
        return tuple(self._handlers)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._handlers)} handlers)"


GateHandler = Callable[[P], Awaitable[None]]


class Gate(Generic[P]):
    """A hook point outside any transaction, on the event loop: async handlers get the payload only and may raise
    to refuse the request before it costs a thread or the database anything (a sold-out flash deal's buyers).
    They must not block."""

    def __init__(self, name: str):
        self.name = name
        self._handlers: list[GateHandler[P]] = []

    def subscribe(self, handler: GateHandler[P]) -> GateHandler[P]:
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    async def fire(self, payload: P) -> None:
        for handler in self._handlers:
            await handler(payload)

    @property
    def handlers(self) -> tuple[GateHandler[P], ...]:
        return tuple(self._handlers)

    def __repr__(self) -> str:
        return f"Gate({self.name!r}, {len(self._handlers)} handlers)"
