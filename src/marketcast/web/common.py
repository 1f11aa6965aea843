"""Console plumbing: templates, the signed-in user, CSRF tokens, refused forms (post/redirect/get), times."""

import re
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException as StarletteHTTPException

from marketcast.core import clock, problems, sandbox
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import DomainError, Forbidden, NotFound
from marketcast.core.money import Money, format_money
from marketcast.core.web_deps import optional_actor
from marketcast.policies import service as policies
from marketcast.web.listing import url_with

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
STATIC = Path(__file__).parent / "static"  # the console's own scripts, served from here (never from a CDN)


def policy_value(value: Any, key: str) -> str:
    return policies.describe(key, value)


def amount(minor: int, currency: str) -> str:
    """Minor units as a person types them in a price field: 1850 USD -> '18.50'."""
    return str(Money(amount=minor, currency=currency)).rsplit(" ", 1)[0].replace(",", "")


def when(value: datetime | None) -> Markup:
    """Every time in the console is shown one way: UTC, to the minute, with its zone, never broken across lines."""
    if value is None:
        return Markup('<span class="muted">—</span>')
    utc = clock.as_utc(value)
    return Markup('<time datetime="{}">{}</time>').format(utc.isoformat(), utc.strftime("%Y-%m-%d %H:%M UTC"))


def day(value: date | datetime | None) -> Markup:
    if value is None:
        return Markup('<span class="muted">—</span>')
    if isinstance(value, datetime):
        value = clock.as_utc(value).date()
    return Markup('<time datetime="{0}">{0}</time>').format(value.isoformat())


_ATTRIBUTE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


def html_attrs(values: Any) -> Markup:
    """A template's extra attributes for an element, given as a mapping {"list": "carriers"}: each name checked,
    each value escaped, so a value that came from a person can never close the attribute; no event handlers
    (on…). A string is only escaped, as autoescaping would: it is never trusted as markup."""
    if not isinstance(values, Mapping):
        return escape(values)
    parts = []
    for name, value in values.items():
        if not isinstance(name, str) or not _ATTRIBUTE.match(name) or name.startswith("on"):
            raise ValueError(f"{name!r} is not an attribute a console template may set")
        if value is True:
            parts.append(Markup(name))
        elif value not in (None, False):
            parts.append(Markup('{}="{}"').format(name, value))
    return Markup(" ").join(parts)


OPERATOR_PAGES = [("/markets", "Markets"), ("/policies", "Policies"), ("/applications", "Applications"),
                  ("/creators", "Creators"), ("/shops", "Shops"), ("/orders", "Orders"), ("/products", "Products"),
                  ("/sellers", "Sellers"), ("/live/sessions", "LIVE"), ("/reports/gmv", "GMV"),
                  ("/webhooks", "Webhooks"), ("/commissions", "Commissions"), ("/programs", "Programs"),
                  ("/finance/statements", "Statements")]
SELLER_PAGES = [("/shops", "My shops"), ("/finance", "Finance"), ("/applications", "My applications"),
                ("/live/hosting", "My LIVEs"), ("/programs", "Programs"), ("/markets", "Markets"),
                ("/policies", "Policies")]
CREATOR_PAGES = [("/creators", "My status"), ("/affiliate", "Affiliate"), ("/live/hosting", "My LIVEs"),
                 ("/markets", "Markets"), ("/policies", "Policies")]
OTHER_PAGES = [("/live", "Live now"), ("/markets", "Markets"), ("/policies", "Policies")]


def nav_links(actor: Actor | None) -> list[tuple[str, str]]:
    if actor is None:
        return []
    if actor.is_operator:
        return OPERATOR_PAGES
    return {"seller": SELLER_PAGES, "creator": CREATOR_PAGES}.get(actor.role, OTHER_PAGES)


templates.env.globals["nav_links"] = nav_links
templates.env.globals["url_with"] = url_with
templates.env.filters["policy_value"] = policy_value
templates.env.filters["money"] = format_money
templates.env.filters["when"] = when
templates.env.filters["amount"] = amount
templates.env.filters["day"] = day
templates.env.filters["attrs"] = html_attrs


class LoginRequired(Exception):
    """Raised by console pages; `install` turns it into a redirect to /login."""


def install(app) -> None:
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _: LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(DomainError)
    async def page_or_problem(request: Request, exc: DomainError):
        # Console pages answer people with a page; the API (and anything not asking for HTML) with problem+json.
        if not _wants_page(request):
            return await problems.domain_answer(request, exc)  # a WebSocket's refusal is a close code
        return render(request, "error.html", status_code=exc.status, error=exc,
                      actor=getattr(request.state, "console_actor", None))

    @app.exception_handler(StarletteHTTPException)
    async def page_not_found(request: Request, exc: StarletteHTTPException):
        # An unknown console path is the console's own 404 page; the API keeps problem+json.
        if exc.status_code == 404 and _wants_page(request):
            return render(request, "error.html", status_code=404, actor=None,
                          error=NotFound("page", request.url.path))
        return problems.http_response(exc)


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    expected = request.session.get("csrf")
    if not expected or not secrets.compare_digest(expected, csrf):
        raise Forbidden("the form has expired; reload the page and try again", code="csrf_failed")


def console_user(request: Request, actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise LoginRequired()
    request.state.console_actor = actor  # an error page still shows who is signed in
    return actor


def console_operator(actor: Annotated[Actor, Depends(console_user)]) -> Actor:
    if not actor.is_operator:
        raise Forbidden("this page is for operators", code="wrong_role")
    return actor


ConsoleUser = Annotated[Actor, Depends(console_user)]
ConsoleOperator = Annotated[Actor, Depends(console_operator)]
Csrf = Annotated[None, Depends(check_csrf)]


FORM_VALUE_LIMIT = 600  # what is kept of each typed value across the redirect (the session is a signed cookie)


def form_failed(request: Request, session: Any, exc: DomainError, back: str,
                form: dict[str, Any] | None = None) -> RedirectResponse:
    """A refused form: nothing it did is kept, and the browser goes back to the page's own URL (303), which shows
    the error beside its field with what was typed. A reload then shows the page again; it never resends the form.
    """
    if session is not None:  # a form that wrote nothing (signing in) has no transaction to undo
        session.rollback()
    request.session["form_error"] = {
        "path": urlsplit(back).path, "detail": exc.detail, "field": exc.field, "code": exc.code,
        "form": {k: str(v)[:FORM_VALUE_LIMIT] for k, v in (form or {}).items() if v is not None and k != "csrf"}}
    return RedirectResponse(back, status_code=303)


def _form_error(request: Request) -> dict[str, Any] | None:
    kept = request.session.pop("form_error", None)
    return kept if kept and kept.get("path") == request.url.path else None


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("actor", None)
    failed = _form_error(request)
    if failed:  # what `form_failed` kept for this page: the error, its field, what was typed
        context.setdefault("error", failed["detail"])
        context.setdefault("field", failed["field"])
        context.setdefault("form", failed["form"])
    for key, empty in (("error", None), ("field", None), ("form", {})):
        if context.get(key) is None:
            context[key] = empty
    return templates.TemplateResponse(
        request, name, {"csrf": csrf_token(request), "now": clock.now(), "sandbox": sandbox.is_active(),
                        "flash": request.session.pop("flash", None),
                        **context},
        status_code=status_code,
    )


def local_path(url: str) -> str:
    """A redirect target from a form: a path of this console only, never another site."""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else ""


def redirect(url: str, flash: str | None = None, request: Request | None = None) -> RedirectResponse:
    if flash and request is not None:
        request.session["flash"] = flash
    return RedirectResponse(url, status_code=303)

