"""FastAPI assembly: routers, error rendering, the transaction per request, the console."""

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from marketcast import __version__, areas
from marketcast.core import api_docs, clock, openapi, problems, sandbox
from marketcast.core.auth.api import router as auth_router
from marketcast.core.body_limit import BodyLimitMiddleware
from marketcast.core.security_headers import SecurityHeadersMiddleware
from marketcast.core.settings import get_settings, session_secret
from marketcast.core.text_guard import TextGuardMiddleware
from marketcast.core.transactions import TransactionMiddleware
from marketcast.sellers.api import DOCUMENT_UPLOAD, UPLOAD_OVERHEAD
from marketcast.web import common as console
from marketcast.web.routes import router as web_router
from marketcast.webhooks.api import document_event_types

DESCRIPTION = """Marketcast: markets, versioned per-market policies, sellers, creators, LIVE commerce.

Errors are `application/problem+json` (the `Problem` schema) with a stable `code` (and `field` for invalid
input); each operation lists the codes it can answer with, and `docs/errors.md` is the whole catalogue.
Lists are paginated with `page_size` and `page_token`; answers carry `items` and `next_page_token`.
Authenticate with `Authorization: Bearer <token>` (see `POST /api/v1/auth/tokens`)."""


SERVERS = [{"url": "/", "description": "The server that serves this document"}]
CONTACT = {"name": "Marketcast maintainers", "url": "https://marketcast.dev"}
openapi.declare_tag("health", "Liveness of the server.")


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="Marketcast", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None,
                  generate_unique_id_function=openapi.operation_id, servers=SERVERS, contact=CONTACT,
                  license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"})
    problems.install(app)
    openapi.install(app)
    api_docs.install(app)
    console.install(app)
    app.add_middleware(TransactionMiddleware)
    app.add_middleware(SessionMiddleware, secret_key=session_secret(settings), session_cookie="marketcast_session",
                       same_site="lax", https_only=settings.session_https_only,
                       max_age=settings.session_max_age_seconds)
    # The areas' early answers see a body already checked for size and text, and carry the security headers.
    for piece in reversed(areas.middleware()):
        app.add_middleware(piece)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(TextGuardMiddleware)
    # Outermost of ours, so no body is read before its size is known to be acceptable.
    app.add_middleware(BodyLimitMiddleware, default=settings.body_max_bytes,
                       larger={f"/api/v1{DOCUMENT_UPLOAD}": settings.upload_max_bytes + UPLOAD_OVERHEAD})

    sandbox.install()

    @app.get("/healthz", tags=["health"])
    def get_health() -> dict[str, str | bool]:
        """Liveness, and the business time this server decides by (the sandbox clock's, when one is set)."""
        return {"status": "ok", "business_time": clock.now().isoformat(), "sandbox_clock": sandbox.is_active()}

    for router in (auth_router, *areas.routers(), web_router):
        app.include_router(router)
    if settings.realtime_diagnostics:
        from marketcast.core.realtime.diagnostics import router as diagnostics_router

        app.include_router(diagnostics_router)
    document_event_types(app)
    return app
