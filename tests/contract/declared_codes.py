"""An ASGI wrapper for tests: every problem+json answer must carry a code its operation declares in the OpenAPI
document (core.openapi.codes_of), so the whole suite checks the declarations, not only the contract tests."""

import json

from marketcast.core.error_codes import CATALOGUE
from marketcast.core.openapi import codes_of

PROBLEM = b"application/problem+json"


class DeclaredCodesMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started: dict = {}
        body = bytearray()

        async def checking_send(message):
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body" and _is_problem(started):
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    _check(scope, started["status"], bytes(body))
            await send(message)

        await self.app(scope, receive, checking_send)


def _is_problem(start: dict) -> bool:
    headers = dict(start.get("headers", []))
    return 400 <= start.get("status", 0) < 500 and headers.get(b"content-type", b"").startswith(PROBLEM)


def _check(scope, status: int, body: bytes) -> None:
    route = scope.get("route")
    if route is None or not getattr(route, "include_in_schema", False) or scope["method"] not in route.methods:
        return  # no operation (an unknown path, a method the path does not have) or the console
    code = json.loads(body)["code"]
    entry = CATALOGUE[code]
    assert entry.status == status, f"{code} answered with {status}, catalogue says {entry.status}"
    declared = codes_of(route)
    assert code in declared, (f"{scope['method']} {scope['path']} answered {status} {code}, which "
                              f"{route.endpoint.__name__} does not declare: add it to its @raises(...) "
                              f"(declared: {', '.join(declared)})")
