"""The event-type registry: every event type the outbox may carry, bound to its payload model.

An area declares its events in its own `events.py`, one `EventPayload` subclass per type:

    @event_type("order.paid")
    class OrderPaid(EventPayload):
        '''A payment was approved: the order is paid.'''
        order_id: str

and emits an instance (`outbox.emit(session, OrderPaid(order_id=...), market=...)`): the type comes from the
registry, so no event is an ad-hoc dict and no type is a stray string. The registry is filled by importing
every area's `events.py` (found by that name, so a new area adds one file and nothing central); the
webhooks area checks subscriptions against it and the OpenAPI document lists it under `webhooks`."""

import importlib
import importlib.util
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, create_model

NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

# Event times go out as Python's isoformat ("…+00:00"), as the envelope's occurred_at does.
Instant = Annotated[datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")]


class EventPayload(BaseModel):
    """The `data` of an event. Fields are what a receiver may rely on; adding one is compatible,
    renaming or removing one is not."""

    # Unknown fields are refused where events are made (a misspelt field fails the emitting code), but the
    # published schema stays open: a receiver must accept fields added later.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True,
                              json_schema_extra=lambda schema: schema.pop("additionalProperties", None))

    event_type: ClassVar[str] = ""

    def as_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class EventType:
    name: str
    model: type[EventPayload]

    @property
    def description(self) -> str:
        return " ".join((self.model.__doc__ or "").split())

    def envelope_model(self) -> type[BaseModel]:
        """The body a receiver gets: `{id, type, occurred_at, data}` with `data` this type's payload."""
        return _envelope(self.name, self.model)


_types: dict[str, EventType] = {}
_loaded = False


def event_type(name: str) -> Callable[[type[EventPayload]], type[EventPayload]]:
    """Register the decorated payload model as the payload of event type `name`."""
    if not NAME.match(name) or len(name) > 80:
        raise ValueError(f"{name!r} is not an event type name (dotted lower-case words, at most 80 characters)")

    def register(model: type[EventPayload]) -> type[EventPayload]:
        known = _types.get(name)
        if known is not None and known.model.__qualname__ != model.__qualname__:
            raise ValueError(f"event type {name} is already bound to {known.model.__qualname__}")
        if not (model.__doc__ or "").strip():
            raise ValueError(f"event type {name} needs a description: give {model.__qualname__} a docstring")
        model.event_type = name
        _types[name] = EventType(name=name, model=model)
        return model

    return register


def type_of(payload: EventPayload) -> str:
    name = getattr(type(payload), "event_type", "")
    if not name or _types[name].model is not type(payload):
        raise TypeError(f"{type(payload).__qualname__} is not a registered event payload (use @event_type)")
    return name


def load() -> None:
    """Import every area's `events.py`, so the registry is complete whichever entry point runs."""
    global _loaded
    if _loaded:
        return
    import marketcast

    for module in pkgutil.iter_modules(marketcast.__path__):
        name = f"marketcast.{module.name}.events"
        if module.ispkg and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    _loaded = True


def all_types() -> list[EventType]:
    load()
    return [_types[name] for name in sorted(_types)]


def names() -> list[str]:
    return [t.name for t in all_types()]


@cache
def _envelope(name: str, model: type[EventPayload]) -> type[BaseModel]:
    title = model.__name__ + "Event"
    kind: Any = Literal[name]  # a type built at run time, one per event type: no static type can say which
    return create_model(
        title,
        __doc__=f"The body of the `{name}` webhook (Standard Webhooks; verify the signature before trusting it).",
        id=(str, Field(description="Event id; the same on every retry (the webhook-id header), so dedupe on it")),
        type=(kind, Field(description="The event type")),
        occurred_at=(Instant, Field(description="When the change happened, business time")),
        data=(model, Field(description=" ".join((model.__doc__ or "").split()))),
    )
