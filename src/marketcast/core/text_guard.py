"""Every client string is checked (core.text) before any route sees it: the path, each query parameter, and
each string of a JSON or form body. One bad character anywhere is a 422 `invalid_text` naming the field,
never a database error (a NUL reaching PostgreSQL was a 500 that also left the connection dead)."""

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketcast.core import problems, text
from marketcast.core.errors import Invalid

_CHECKED_BODIES = ("application/json", "application/x-www-form-urlencoded")


class TextGuardMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().decode("latin-1")
        replay = None
        try:
            text.check(scope["path"], field="path")
            _check_query(scope["query_string"])
            if content_type.lower() in _CHECKED_BODIES:
                body, more = await read_body(receive)
                replay = replaying(body, more, receive)
                _check_body(body, content_type.lower())
        except Invalid as exc:
            await problems.domain_response(exc)(scope, receive, send)
            return
        await self.app(scope, replay or receive, send)


def _check_query(raw: bytes) -> None:
    # Decoded as Starlette decodes it (UTF-8, undecodable bytes replaced), so what is checked is what routes get.
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        text.check(name, field="query")
        text.check(value, field=name)


def _check_body(body: bytes, content_type: str) -> None:
    if content_type == "application/x-www-form-urlencoded":
        for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            text.check(name, field="body")
            text.check(value, field=name)
        return
    try:
        document = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return  # not JSON: the route's own parsing answers that
    _walk(document, "")


def _walk(value: Any, where: str) -> None:
    if isinstance(value, str):
        text.check(value, field=where or "body")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, f"{where}.{i}" if where else str(i))
    elif isinstance(value, dict):
        for key, item in value.items():
            text.check(key, field=where or "body")
            _walk(item, f"{where}.{key}" if where else key)


async def read_body(receive: Receive) -> tuple[bytes, Message | None]:
    """The whole body (its size is already bounded by core.body_limit), and a disconnect met on the way."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def replaying(body: bytes, ended: Message | None, receive: Receive) -> Receive:
    """A `receive` that gives the body already read (or the disconnect met while reading it) once, then the rest."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return ended or {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
