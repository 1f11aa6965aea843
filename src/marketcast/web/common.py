"""Console plumbing: templates, the signed-in user, CSRF tokens for forms."""

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from marketcast.core import clock, problems, sandbox
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import DomainError, Forbidden
from marketcast.core.money import Money
from marketcast.core.web_deps import optional_actor
from marketcast.policies import service as policies

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def policy_value(value: Any, key: str) -> str:
    return policies.describe(key, value)


def money(amount: int, currency: str) -> str:
    return str(Money(amount=amount, currency=currency))


templates.env.filters["policy_value"] = policy_value
templates.env.filters["money"] = money


class LoginRequired(Exception):
    """Raised by console pages; `install` turns it into a redirect to /login."""


def install(app) -> None:
    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _: LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(DomainError)
    async def page_or_problem(request: Request, exc: DomainError):
        # Console pages answer people with a page; the API (and anything not asking for HTML) with problem+json.
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            return problems.domain_response(exc)
        return render(request, "error.html", status_code=exc.status, error=exc,
                      actor=getattr(request.state, "console_actor", None))


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


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("actor", None)
    return templates.TemplateResponse(
        request, name, {"csrf": csrf_token(request), "now": clock.now(), "sandbox": sandbox.is_active(),
                        "flash": request.session.pop("flash", None),
                        **context},
        status_code=status_code,
    )


def redirect(url: str, flash: str | None = None, request: Request | None = None) -> RedirectResponse:
    if flash and request is not None:
        request.session["flash"] = flash
    return RedirectResponse(url, status_code=303)

