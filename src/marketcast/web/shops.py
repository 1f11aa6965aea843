"""Console pages for shops: the operator's searchable list and a seller's own shops; a shop's page with its
products and stock and its orders."""

from typing import Annotated

from fastapi import APIRouter, Form, Request

from marketcast.catalog import service as catalog
from marketcast.core.errors import DomainError, Invalid
from marketcast.core.web_deps import UnitOfWork
from marketcast.orders import service as orders
from marketcast.reports import service as reports
from marketcast.sellers import service as sellers
from marketcast.web.common import ConsoleOperator, ConsoleUser, Csrf, form_failed, redirect, render
from marketcast.web.listing import PAGE_SIZE, MarketFilter, PageParams, listing

router = APIRouter()


@router.get("/shops")
def shop_list(request: Request, uow: UnitOfWork, actor: ConsoleUser, page: PageParams, market: MarketFilter,
              q: str = "", seller: str = "", status: str = ""):
    filters = {"q": q, "seller": seller, "market": market, "status": status}
    paged = sellers.list_shops(uow, actor=actor, q=q, seller=seller, market=market, status=status or None,
                               page_size=PAGE_SIZE, page_token=page.token)
    return render(request, "shops.html", actor=actor, shops=listing(request, paged, page, filters),
                  statuses=sellers.SHOP_STATUSES)


@router.get("/shops/{shop_id}")
def shop_page(request: Request, shop_id: str, uow: UnitOfWork, actor: ConsoleUser, page: PageParams):
    shop = sellers.require_shop_owner(uow, shop_id=shop_id, actor=actor)
    recent = listing(request, orders.list_orders(uow, actor=actor, shop_id=shop.id, page_size=PAGE_SIZE,
                                                 page_token=page.token), page)
    return render(request, "shop.html", actor=actor, shop=shop, orders=recent,
                  products=catalog.shop_products(uow, shop_id=shop.id, actor=actor),
                  history=sellers.shop_history(uow, shop=shop), gmv=reports.trailing_gmv(uow, shop_id=shop.id),
                  seller=sellers.get_seller(uow, shop.seller_id))


def _change_status(request: Request, uow, actor, shop_id: str, reason: str, change, done: str):
    try:
        shop = change(uow, shop_id=shop_id, reason=reason, actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/shops/{shop_id}", {"reason": reason})
    return redirect(f"/shops/{shop.id}", f"{shop.name} {done} ({shop.status})", request)


@router.post("/shops/{shop_id}/suspend")
def suspend(request: Request, shop_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
            reason: Annotated[str, Form()] = ""):
    return _change_status(request, uow, actor, shop_id, reason, sellers.suspend_shop, "is suspended: it cannot sell")


@router.post("/shops/{shop_id}/reinstate")
def reinstate(request: Request, shop_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
              reason: Annotated[str, Form()] = ""):
    return _change_status(request, uow, actor, shop_id, reason, sellers.reinstate_shop, "is reinstated")


@router.post("/shops/{shop_id}/skus/{sku_id}")
def set_stock(request: Request, shop_id: str, sku_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf,
              available: Annotated[str, Form()] = "", seen: Annotated[str, Form()] = ""):
    try:
        if not available.strip().isdecimal() or not available.strip().isascii():
            raise Invalid("units on hand must be a whole number", field="available")
        # What the seller saw when the page was drawn: a reservation since then is a 409, not a lost update.
        sku = catalog.set_available(uow, sku_id=sku_id, available=int(available), actor=actor,
                                    expected_available=int(seen) if seen.isdecimal() and seen.isascii() else None)
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/shops/{shop_id}")
    return redirect(f"/shops/{shop_id}", f"{sku.code}: {sku.available} on hand", request)
