"""The console: server-rendered pages on the same app and the same services as the API."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool

from marketcast.affiliate import service as affiliate
from marketcast.core.auth import login as password_login
from marketcast.core.auth import service as auth
from marketcast.core.db import unit_of_work
from marketcast.core.errors import DomainError
from marketcast.core.modules import submodules
from marketcast.core.web_deps import MaybeUser, UnitOfWork, client_address
from marketcast.web import affiliate as affiliate_pages
from marketcast.web.common import ConsoleUser, Csrf, form_failed, local_path, redirect, render
from marketcast.web.listing import url_with

router = APIRouter(include_in_schema=False)
for _page in submodules("marketcast.web"):  # each console module with a `router` is mounted
    if _page.__name__ != __name__ and hasattr(_page, "router"):
        router.include_router(_page.router)


@router.get("/")
def home(actor: ConsoleUser):
    return redirect("/shops" if actor.role == "seller" else "/markets")


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    return render(request, "login.html", next=next)


@router.post("/login")
async def login(request: Request, _: Csrf, email: Annotated[str, Form()] = "",
                password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"):
    try:
        user = await password_login.login(email=email, password=password, address=client_address(request))
    except DomainError as exc:
        # Back to the sign-in page with the email kept (never the password): a reload resends nothing.
        return form_failed(request, None, exc, url_with("/login", {"next": local_path(next) or "/"}), {"email": email})
    request.session.update(auth.console_session(user))
    visitor = request.cookies.get(affiliate_pages.VISITOR_COOKIE)
    if visitor and user.role == "buyer":  # the links this browser followed before signing in are the buyer's
        await run_in_threadpool(_claim_clicks, visitor, user.id)
    return redirect(next if next.startswith("/") and not next.startswith("//") else "/")


def _claim_clicks(visitor: str, buyer_id: str) -> None:
    with unit_of_work() as session:
        affiliate.claim_visitor_clicks(session, visitor_id=visitor, buyer_id=buyer_id)


@router.post("/logout")
def logout(request: Request, uow: UnitOfWork, _: Csrf, actor: MaybeUser):
    if actor is not None:
        auth.end_console_sessions(uow, user_id=actor.user)  # a copy of this cookie is refused too
    request.session.clear()
    return redirect("/login")
