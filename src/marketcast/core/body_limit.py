"""Request bodies have a size limit, enforced before anything reads them (an anonymous 100 MB POST must not
cost 100 MB): a `Content-Length` over the limit is answered 413 at once, and a body sent without one (chunked)
is cut off with 413 as soon as what has arrived passes it. JSON and form bodies get a small limit; routes that
take uploads name a larger one.

(FastAPI's own `max_body_size` answers such requests in plain text; ours is problem+json like every error.)"""

import re

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketcast.core import problems
from marketcast.core.errors import DomainError


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, default: int, larger: dict[str, int] | None = None):
        """`larger` maps route paths as the routers spell them ("/api/v1/x/{id}/documents") to their limit."""
        self.app, self.default = app, default
        self.larger: list[tuple[re.Pattern, int]] = [(compile_path(path)[0], limit)
                                                     for path, limit in (larger or {}).items()]

    def limit_for(self, path: str) -> int:
        return next((limit for pattern, limit in self.larger if pattern.match(path)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
            await _refuse(limit, scope, receive, send)
            return
        received, started, refused = 0, False, False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not started:
                    # Answer now and tell the app the client is gone; whatever it answers then is dropped.
                    refused = True
                    await _refuse(limit, scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, watched_send)


async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = problems.domain_response(
        PayloadTooLarge(f"the request body is larger than this route takes ({limit} bytes)", max_bytes=limit))
    response.headers["Connection"] = "close"  # the rest of the body is never read
    await response(scope, receive, send)
