"""Console pages for products: the operator's search with delisting (and its reason); a seller's product
form (create with SKUs, prices and stock; edit), publish and delist. The checks are the catalog's."""

from typing import Annotated

from fastapi import APIRouter, Form, Request

from marketcast.catalog import service as catalog
from marketcast.core.errors import DomainError
from marketcast.core.money import Money
from marketcast.core.web_deps import MaybeUser, UnitOfWork
from marketcast.markets import service as markets
from marketcast.sellers import service as sellers
from marketcast.web import forms
from marketcast.web.common import ConsoleUser, Csrf, form_failed, local_path, redirect, render
from marketcast.web.listing import PAGE_SIZE, MarketFilter, PageParams, listing

router = APIRouter()
NEW_ROWS = 3  # empty SKU rows on the form; rows left empty are ignored


@router.get("/products")
def product_list(request: Request, uow: UnitOfWork, actor: ConsoleUser, page: PageParams, market: MarketFilter,
                 q: str = "", shop: str = ""):
    filters = {"q": q, "market": market, "shop": shop}
    paged = catalog.list_products(uow, market=market or None, shop_id=shop or None, q=q or None,
                                  page_size=PAGE_SIZE, page_token=page.token)
    return render(request, "products.html", actor=actor, products=listing(request, paged, page, filters))


@router.get("/products/{product_id}")
def product_page(request: Request, product_id: str, uow: UnitOfWork, actor: MaybeUser):
    """Anyone sees a live product (a buyer who followed a creator's link lands here); its shop's owner and
    operators of its market also see drafts and get the edit, publish and delist forms."""
    product = catalog.get_product(uow, product_id, actor=actor)
    owner = actor is not None and _may_write(uow, product.shop_id, actor)
    return render(request, "product.html", actor=actor, product=product, skus=catalog.product_skus(uow, product.id),
                  shop=sellers.get_shop(uow, product.shop_id), may_write=owner)


def _may_write(uow, shop_id: str, actor) -> bool:
    try:
        sellers.require_shop_owner(uow, shop_id=shop_id, actor=actor)
    except DomainError:
        return False
    return True


def _sku_rows(form, currency: str) -> list:
    rows = []
    for i in range(int(form.get("rows", NEW_ROWS)) if str(form.get("rows", "")).isdecimal() else NEW_ROWS):
        values = {k: str(form.get(f"skus.{i}.{k}", "")).strip() for k in ("code", "price", "stock", "attributes")}
        if any(values.values()):
            rows.append(forms.sku(i, code=values["code"], price=values["price"], stock=values["stock"],
                                  attrs=values["attributes"], currency=currency))
    return rows


@router.get("/shops/{shop_id}/products/new")
def new_product(request: Request, shop_id: str, uow: UnitOfWork, actor: ConsoleUser):
    shop = sellers.require_shop_owner(uow, shop_id=shop_id, actor=actor)
    return render(request, "product_form.html", actor=actor, shop=shop, product=None, skus=[], rows=NEW_ROWS,
                  currency=markets.get(uow, shop.market).currency)


@router.post("/shops/{shop_id}/products")
async def create_product(request: Request, shop_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf):
    form = await request.form()
    try:
        shop = sellers.require_shop_owner(uow, shop_id=shop_id, actor=actor)
        currency = markets.get(uow, shop.market).currency
        product = catalog.create_product(uow, shop_id=shop.id, title=str(form.get("title", "")),
                                         description=str(form.get("description", "")),
                                         skus=_sku_rows(form, currency), actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/shops/{shop_id}/products/new", dict(form))
    return redirect(f"/products/{product.id}", f"{product.title} saved as a draft: publish it to sell it", request)


@router.get("/products/{product_id}/edit")
def edit_product(request: Request, product_id: str, uow: UnitOfWork, actor: ConsoleUser):
    product = catalog.get_product(uow, product_id, actor=actor)
    shop = sellers.require_shop_owner(uow, shop_id=product.shop_id, actor=actor)
    return render(request, "product_form.html", actor=actor, shop=shop, product=product, rows=2,
                  skus=catalog.product_skus(uow, product.id), currency=product.currency)


@router.post("/products/{product_id}/edit")
async def update_product(request: Request, product_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf):
    form = await request.form()
    try:
        product = catalog.get_product(uow, product_id, actor=actor)
        prices = {key.removeprefix("price-"): forms.minor_units(str(value), product.currency, key)
                  for key, value in form.items() if key.startswith("price-")}
        product = catalog.update_product(uow, product_id=product.id, actor=actor, title=str(form.get("title", "")),
                                         description=str(form.get("description", "")), prices=prices,
                                         new_skus=_sku_rows(form, product.currency))
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/products/{product_id}/edit", dict(form))
    return redirect(f"/products/{product.id}", f"{product.title} saved", request)


@router.post("/products/{product_id}/publish")
def publish(request: Request, product_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf,
            back: Annotated[str, Form()] = ""):
    try:
        product = catalog.publish(uow, product_id=product_id, actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, local_path(back) or f"/products/{product_id}")
    return redirect(local_path(back) or f"/products/{product.id}",
                    f"{product.title} is live from {Money(amount=product.min_price, currency=product.currency)}",
                    request)


@router.post("/products/{product_id}/delist")
def delist(request: Request, product_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf,
           reason: Annotated[str, Form()] = "", back: Annotated[str, Form()] = ""):
    try:
        product = catalog.delist(uow, product_id=product_id, actor=actor, reason=reason or None)
    except DomainError as exc:
        return form_failed(request, uow, exc, local_path(back) or f"/products/{product_id}", {"reason": reason})
    return redirect(local_path(back) or f"/products/{product.id}", f"{product.title} is delisted", request)

