"""Every error leaves the API as problem+json (RFC 9457) with a stable `code` from the catalogue."""

import logging
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from marketcast.core.db import is_busy
from marketcast.core.error_codes import lookup
from marketcast.core.errors import DomainError, ServiceBusy

log = logging.getLogger("marketcast")
PROBLEM = "application/problem+json"
# What Starlette's own refusals (no route, wrong method, …) are called in the catalogue.
_HTTP_CODES = {401: "unauthenticated", 403: "wrong_role", 404: "not_found",
               405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
               429: "too_many_requests"}


def problem(code: str, detail: str, *, status: int | None = None, **extra: Any) -> JSONResponse:
    entry = lookup(code)
    status = status or entry.status
    body = {"type": entry.type_uri, "title": entry.title, "status": status, "code": code, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[-1] if loc else "")


def domain_response(exc: DomainError) -> JSONResponse:
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(exc.to_problem(), status_code=exc.status, media_type=PROBLEM, headers=headers)


def http_response(exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400:
        # FastAPI's only 400: a body that is not UTF-8 JSON or a readable form. Broken JSON text is already
        # a 422 (json_invalid), so this is the same kind of problem and gets the same answer.
        detail = "body: the request body could not be read (not UTF-8 JSON, or a broken multipart form)"
        return problem("validation_error", detail, field="body",
                       errors=[{"field": "body", "message": str(exc.detail)}])
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    response = problem(code, str(exc.detail), status=exc.status_code)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


def validation_response(exc: RequestValidationError) -> JSONResponse:
    errors = [{"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")} for e in exc.errors()]
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    return problem("validation_error", f"{first['field']}: {first['message']}", field=first["field"],
                   errors=errors)


async def domain_answer(conn: HTTPConnection, exc: DomainError) -> JSONResponse | None:
    """problem+json; for a WebSocket, a close code instead (core.realtime.connection), and nothing to send."""
    if isinstance(conn, WebSocket):
        from marketcast.core.realtime import refuse

        await refuse(conn, exc)
        return None
    return domain_response(exc)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(conn: HTTPConnection, exc: DomainError):
        return await domain_answer(conn, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError):
        return validation_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException):
        return http_response(exc)

    @app.exception_handler(sqlalchemy.exc.OperationalError)
    @app.exception_handler(sqlalchemy.exc.TimeoutError)
    async def database_busy(request: HTTPConnection, exc: Exception):
        if is_busy(exc):
            return await domain_error(request, ServiceBusy())
        return await unexpected(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(conn: HTTPConnection, exc: Exception):
        log.exception("unhandled error", exc_info=exc)
        if isinstance(conn, WebSocket):
            await conn.close(1011, "internal_error")
            return None
        response = problem("internal_error", "something went wrong on our side")
        # The connection may be in an unknown state after an unhandled error: the client must not reuse it.
        response.headers["Connection"] = "close"
        return response
