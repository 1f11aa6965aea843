"""A real HTTP receiver for webhook tests, and helpers to subscribe, emit and look at deliveries."""

import threading
import time
from datetime import datetime
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from sqlalchemy import select

from marketcast.core import clock, events, outbox
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.core.events import EventPayload
from marketcast.webhooks import service
from marketcast.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


class Receiver:
    """Answers each POST by the next scripted action (then 200), and records what it received.

    An action is a status code, ("sleep", seconds, status) or "hang" (hold the request until released)."""

    def __init__(self) -> None:
        self.script: list = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.release = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    action = receiver.script.pop(0) if receiver.script else 200
                if action == "hang":
                    receiver.release.wait(30)
                    action = 200
                elif isinstance(action, tuple):
                    time.sleep(action[1])
                    action = action[2]
                try:
                    self.send_response(action)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:  # the sender gave up (timeout or killed)
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, *actions) -> None:
        self.script = list(actions)

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return True
            time.sleep(0.05)
        return len(self.requests) >= count

    def ids(self) -> list[str]:
        return [headers["webhook-id"] for headers, _ in self.requests]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def subscribe(url: str, event_types: list[str]) -> tuple[str, str]:
    with unit_of_work() as session:
        sub, secret = service.create_subscription(session, url=url, event_types=event_types, actor=SYSTEM)
        return sub.id, secret


def _sample(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        return None
    if get_origin(annotation) is list:
        return []
    if get_origin(annotation) is Literal:
        return get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return next(iter(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation(**{name: _sample(f.annotation) for name, f in annotation.model_fields.items()})
    return {str: "x", int: 1, bool: True, datetime: clock.now()}.get(annotation, 1)


def sample(type: str, **fields: Any) -> EventPayload:
    """A valid payload of the registered event `type`: the given fields, plain filler for the others."""
    [model] = [t.model for t in events.all_types() if t.name == type]
    values = {name: _sample(f.annotation) for name, f in model.model_fields.items() if name not in fields}
    if isinstance(values.get("currency"), str):
        values["currency"] = "USD"
    return model(**values, **fields)


def emit(type: str, market: str | None = None, **fields: Any) -> str:
    with unit_of_work() as session:
        return outbox.emit(session, sample(type, **fields), market=market).id


def delivery_of(subscription_id: str, event_id: str | None = None) -> WebhookDelivery:
    with unit_of_work(write=False) as session:
        stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
        if event_id:
            stmt = stmt.where(WebhookDelivery.event_id == event_id)
        return session.scalars(stmt).one()


def attempts_of(delivery_id: str) -> list[WebhookAttempt]:
    with unit_of_work(write=False) as session:
        return list(session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                                    .order_by(WebhookAttempt.attempt)))


def subscription(subscription_id: str) -> WebhookSubscription:
    with unit_of_work(write=False) as session:
        return session.get(WebhookSubscription, subscription_id)
