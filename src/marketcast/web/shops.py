"""Console pages for sellers: their shops, products and stock, orders and refunds."""

from typing import Annotated

from fastapi import APIRouter, Form, Request

from marketcast.catalog import service as catalog
from marketcast.core.errors import DomainError, Invalid
from marketcast.core.money import Money
from marketcast.core.web_deps import UnitOfWork
from marketcast.orders import service as orders
from marketcast.sellers import service as sellers
from marketcast.web.common import ConsoleUser, Csrf, redirect, render

router = APIRouter()


@router.get("/shops")
def my_shops(request: Request, uow: UnitOfWork, actor: ConsoleUser):
    apps, _ = sellers.list_applications(uow, actor=actor, page_size=200)
    return render(request, "shops.html", actor=actor, shops=sellers.shops_of(uow, actor=actor), applications=apps)


def _shop_page(request: Request, uow, actor, shop_id: str, *, error=None, status_code: int = 200):
    shop = sellers.require_shop_owner(uow, shop_id=shop_id, actor=actor)
    recent, _ = orders.list_orders(uow, actor=actor, shop_id=shop.id, page_size=50)
    return render(request, "shop.html", status_code=status_code, actor=actor, shop=shop, error=error,
                  products=catalog.shop_products(uow, shop_id=shop.id, actor=actor), orders=recent)


@router.get("/shops/{shop_id}")
def shop_page(request: Request, shop_id: str, uow: UnitOfWork, actor: ConsoleUser):
    return _shop_page(request, uow, actor, shop_id)


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
        uow.rollback()
        return _shop_page(request, uow, actor, shop_id, error=exc.detail, status_code=exc.status)
    return redirect(f"/shops/{shop_id}", f"{sku.code}: {sku.available} on hand", request)


@router.post("/shops/{shop_id}/products/{product_id}/publish")
def publish(request: Request, shop_id: str, product_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf):
    try:
        product = catalog.publish(uow, product_id=product_id, actor=actor)
    except DomainError as exc:
        uow.rollback()
        return _shop_page(request, uow, actor, shop_id, error=exc.detail, status_code=exc.status)
    return redirect(f"/shops/{shop_id}", f"{product.title} is live", request)


def _order_page(request: Request, uow, actor, order_id: str, *, error=None, field=None, status_code: int = 200):
    detail = orders.detail(uow, order_id=order_id, actor=actor)
    return render(request, "order.html", status_code=status_code, actor=actor, d=detail, error=error, field=field)


@router.get("/orders/{order_id}")
def order_page(request: Request, order_id: str, uow: UnitOfWork, actor: ConsoleUser):
    return _order_page(request, uow, actor, order_id)


@router.post("/orders/{order_id}/refund")
async def refund(request: Request, order_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf):
    form = await request.form()
    lines = [(key.removeprefix("qty-"), str(value).strip()) for key, value in form.items()
             if key.startswith("qty-") and str(value).strip() not in ("", "0")]
    try:
        if not lines:
            raise Invalid("choose at least one unit to refund", field="lines")
        if not all(qty.isdecimal() and qty.isascii() for _, qty in lines):
            raise Invalid("quantities must be whole numbers", field="lines")
        seen = str(form.get("refunded", ""))
        done = orders.refund(uow, order_id=order_id, lines=[(line, int(qty)) for line, qty in lines],
                             restock=form.get("restock") == "on", actor=actor,
                             expected_refunded=int(seen) if seen.isdecimal() and seen.isascii() else None)
    except DomainError as exc:
        uow.rollback()
        return _order_page(request, uow, actor, order_id, error=exc.detail, field=exc.field,
                           status_code=exc.status)
    return redirect(f"/orders/{order_id}", f"Refunded {Money(amount=done.amount, currency=done.currency)}", request)
