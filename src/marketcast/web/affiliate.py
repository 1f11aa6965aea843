"""Console pages of the affiliate program: the creator's (collaborations to join, invitations, showcase, links,
earnings, statements), the shop's (collaborations, members, affiliate orders, commission owed), the operator's
commissions (freeze, unfreeze), and `/l/{token}`, the link a buyer follows."""

import secrets
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from marketcast.affiliate import service as affiliate
from marketcast.catalog import service as catalog
from marketcast.core import clock
from marketcast.core.errors import DomainError, Invalid, NotFound
from marketcast.core.web_deps import MaybeUser, UnitOfWork
from marketcast.creators import service as creators
from marketcast.markets import service as markets
from marketcast.sellers import service as sellers
from marketcast.web.common import ConsoleOperator, ConsoleUser, Csrf, form_failed, local_path, redirect, render
from marketcast.web.listing import PAGE_SIZE, PageParams, listing, page_at

router = APIRouter()
VISITOR_COOKIE = "mc_visitor"
VISITOR_DAYS = 30


# --- buyers: following a link -------------------------------------------------------------------------------------

@router.get("/l/{token}", name="follow_link")
def follow_link(request: Request, token: str, uow: UnitOfWork, actor: MaybeUser):
    """Record the click (for the signed-in buyer, else for a first-party visitor cookie) and show the product."""
    link = affiliate.get_link(uow, token)
    response = RedirectResponse(f"/products/{link.product_id}", status_code=303)
    if actor is not None and actor.role == "buyer":
        affiliate.record_click(uow, token=token, actor=actor)
    elif actor is None:
        visitor = request.cookies.get(VISITOR_COOKIE) or secrets.token_urlsafe(16)
        affiliate.record_click(uow, token=token, visitor_id=visitor[:40])
        response.set_cookie(VISITOR_COOKIE, visitor[:40], max_age=VISITOR_DAYS * 86400, httponly=True, samesite="lax")
    return response


# --- creators -------------------------------------------------------------------------------------------------

def _creator_page(request: Request, uow, actor, creator):
    memberships = affiliate.collaborations_of_creator(uow, creator_id=creator.id, actor=actor)
    mine = {c.id for _, c in memberships}
    open_ones, _ = affiliate.browse(uow, market=creator.market, q=request.query_params.get("q"), page_size=50)
    at_commission, at_statement = page_at(request, "c_"), page_at(request, "s_")
    commissions = listing(request, affiliate.commissions_of_creator(
        uow, creator_id=creator.id, actor=actor, page_size=PAGE_SIZE, page_token=at_commission.token),
        at_commission, prefix="c_")
    statements = listing(request, affiliate.statements_of_creator(
        uow, creator_id=creator.id, actor=actor, page_size=PAGE_SIZE, page_token=at_statement.token),
        at_statement, prefix="s_")
    return render(request, "affiliate_creator.html", actor=actor, creator=creator, memberships=memberships,
                  open_ones=[c for c in open_ones if c.id not in mine],
                  showcase=affiliate.showcase_items(uow, creator_id=creator.id),
                  links=affiliate.links_of(uow, creator_id=creator.id, actor=actor),
                  commissions=commissions, statements=statements,
                  earnings=affiliate.earnings(uow, creator_id=creator.id, actor=actor),
                  currency=markets.get(uow, creator.market).currency)


def _own(uow, actor, creator_id: str | None):
    if creator_id:
        return creators.find(uow, creator_id)
    mine = creators.creators_of_user(uow, user_id=actor.user_id) if actor.role == "creator" else []
    if not mine:
        raise NotFound("creator", "of " + actor.email)
    return mine[0]


@router.get("/affiliate")
def creator_home(request: Request, uow: UnitOfWork, actor: ConsoleUser, creator_id: str | None = None):
    return _creator_page(request, uow, actor, _own(uow, actor, creator_id))  # someone else's: 403 from the reads


def _creator_action(request: Request, uow, actor, creator_id: str, action, done: str):
    creator = creators.find(uow, creator_id)
    try:
        action()
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/affiliate?creator_id={creator.id}")
    return redirect(f"/affiliate?creator_id={creator.id}", done, request)


@router.post("/affiliate/{creator_id}/collaborations/{collaboration_id}/{verb}")
def creator_join(request: Request, creator_id: str, collaboration_id: str, verb: str, uow: UnitOfWork,
                 actor: ConsoleUser, _: Csrf):
    operation = {"join": affiliate.join, "accept": affiliate.accept}.get(verb)
    if operation is None:
        raise NotFound("action", verb)
    return _creator_action(request, uow, actor, creator_id,
                           lambda: operation(uow, collaboration_id=collaboration_id, actor=actor),
                           f"{verb}ed collaboration {collaboration_id}")


@router.post("/affiliate/{creator_id}/showcase")
def creator_showcase_add(request: Request, creator_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf,
                         product_id: Annotated[str, Form()] = ""):
    return _creator_action(request, uow, actor, creator_id, lambda: affiliate.add_to_showcase(
        uow, creator_id=creator_id, product_id=product_id.strip(), actor=actor), "added to your showcase")


@router.post("/affiliate/{creator_id}/showcase/{product_id}/remove")
def creator_showcase_remove(request: Request, creator_id: str, product_id: str, uow: UnitOfWork, actor: ConsoleUser,
                            _: Csrf):
    return _creator_action(request, uow, actor, creator_id, lambda: affiliate.remove_from_showcase(
        uow, creator_id=creator_id, product_id=product_id, actor=actor), "removed from your showcase")


@router.post("/affiliate/{creator_id}/links")
def creator_link(request: Request, creator_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf,
                 product_id: Annotated[str, Form()] = ""):
    return _creator_action(request, uow, actor, creator_id, lambda: affiliate.create_link(
        uow, creator_id=creator_id, product_id=product_id.strip(), actor=actor), "link ready")


@router.get("/affiliate/{creator_id}/statements/{statement_id}")
def creator_statement(request: Request, creator_id: str, statement_id: str, uow: UnitOfWork, actor: ConsoleUser):
    statement, lines, adjustments, payout = affiliate.detail(uow, creator_id=creator_id, statement_id=statement_id,
                                                             actor=actor)
    return render(request, "affiliate_statement.html", actor=actor, s=statement, lines=lines,
                  adjustments=adjustments, payout=payout)


# --- sellers --------------------------------------------------------------------------------------------------

def _shop_page(request: Request, uow, actor, shop_id: str):
    shop = sellers.require_shop_owner(uow, shop_id=shop_id, actor=actor)
    collabs = affiliate.of_shop(uow, shop_id=shop.id, actor=actor)
    members = {c.id: affiliate.members(uow, collaboration_id=c.id, actor=actor) for c in collabs}
    at = page_at(request, "c_")
    sold = listing(request, affiliate.commissions_of_shop(uow, shop_id=shop.id, actor=actor, page_size=PAGE_SIZE,
                                                          page_token=at.token), at, prefix="c_")
    return render(request, "affiliate_shop.html", actor=actor, shop=shop, collabs=collabs, members=members, sold=sold,
                  owed=affiliate.owed_by_shop(uow, shop_id=shop.id, actor=actor),
                  products=[p for p, _ in catalog.shop_products(uow, shop_id=shop.id, actor=actor)],
                  product_ids={c.id: affiliate.product_ids_of(uow, c.id) for c in collabs})


@router.get("/shops/{shop_id}/affiliate")
def shop_affiliate(request: Request, shop_id: str, uow: UnitOfWork, actor: ConsoleUser):
    return _shop_page(request, uow, actor, shop_id)


def _ids(text: str) -> list[str]:
    return [part for part in text.replace(",", " ").split() if part]


def _rate(text: str) -> int:
    """A rate typed as a percentage (12.5) into basis points (1250)."""
    try:
        value = round(float(text.strip().rstrip("%")) * 100)
    except ValueError:
        raise Invalid("the rate is a percentage such as 12.5", code="rate_out_of_bounds",
                      field="commission_rate_bps") from None
    return value


@router.post("/shops/{shop_id}/affiliate/collaborations")
async def shop_create_collaboration(request: Request, shop_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf):
    form = await request.form()
    try:
        ends = str(form.get("ends_at", "")).strip()
        collab, conflicts = affiliate.create(
            uow, shop_id=shop_id, kind=str(form.get("kind", "open")), actor=actor,
            commission_rate_bps=_rate(str(form.get("rate", ""))),
            product_ids=[str(v) for v in form.getlist("product_id")], all_products=form.get("all_products") == "on",
            requires_approval=form.get("requires_approval") == "on",
            creator_ids=_ids(str(form.get("creator_ids", ""))),
            ends_at=clock.as_utc(datetime.fromisoformat(ends)) if ends else None,
            message=str(form.get("message", "")), name=str(form.get("name", "")))
    except (ValueError, DomainError) as exc:
        refused = exc if isinstance(exc, DomainError) else Invalid("ends_at is not a date and time", field="ends_at")
        typed = {k: form.get(k) for k in ("kind", "name", "rate", "creator_ids", "ends_at", "message")}
        return form_failed(request, uow, refused, f"/shops/{shop_id}/affiliate", typed)
    done = f"collaboration {collab.id} created"
    if conflicts:  # created; the invites that could not be made are named in the notice
        done += "; not invited: " + ", ".join(
            " ".join(filter(None, (x.get("creator_id"), x.get("product_id"), f"({x.get('code')})"))) for x in conflicts)
    return redirect(f"/shops/{shop_id}/affiliate", done, request)


@router.post("/shops/{shop_id}/affiliate/collaborations/{collaboration_id}/{verb}")
def shop_collaboration_action(request: Request, shop_id: str, collaboration_id: str, verb: str, uow: UnitOfWork,
                              actor: ConsoleUser, _: Csrf, rate: Annotated[str, Form()] = "",
                              creator_id: Annotated[str, Form()] = ""):
    try:
        if verb == "rate":
            affiliate.change_rate(uow, collaboration_id=collaboration_id, commission_rate_bps=_rate(rate), actor=actor)
        elif verb == "end":
            affiliate.end(uow, collaboration_id=collaboration_id, actor=actor)
        elif verb == "approve":
            affiliate.approve(uow, collaboration_id=collaboration_id, creator_id=creator_id, actor=actor)
        else:
            raise NotFound("action", verb)
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/shops/{shop_id}/affiliate")
    return redirect(f"/shops/{shop_id}/affiliate", f"collaboration {collaboration_id}: {verb} done", request)


# --- operators ------------------------------------------------------------------------------------------------

@router.get("/commissions")
def commissions_page(request: Request, uow: UnitOfWork, actor: ConsoleOperator, page: PageParams, status: str = ""):
    paged = affiliate.list_for_operator(uow, actor=actor, status=status or None, page_size=PAGE_SIZE,
                                        page_token=page.token)
    return render(request, "commissions.html", actor=actor, rows=listing(request, paged, page, {"status": status}),
                  status=status)


@router.post("/commissions/{commission_id}/{verb}")
def commission_action(request: Request, commission_id: str, verb: str, uow: UnitOfWork, actor: ConsoleOperator,
                      _: Csrf, reason: Annotated[str, Form()] = "", back: Annotated[str, Form()] = ""):
    operation = {"freeze": affiliate.freeze, "unfreeze": affiliate.unfreeze}.get(verb)
    if operation is None:
        raise NotFound("action", verb)
    try:
        done = operation(uow, commission_id=commission_id, reason=reason, actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, _back_to_commissions(back))
    return redirect(_back_to_commissions(back), f"commission {done.id} is {done.status}", request)


def _back_to_commissions(back: str) -> str:
    """The page of the list the form was on (its filters and position), else the list's first page."""
    return back if urlsplit(local_path(back)).path == "/commissions" else "/commissions"
