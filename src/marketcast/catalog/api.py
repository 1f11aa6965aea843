"""The catalog over HTTP: public reads of live products, owner writes (shop owner or an operator of its market)."""

from typing import Annotated

from fastapi import Query, status

from marketcast.catalog import service
from marketcast.catalog.schemas import (
    MAX_AMOUNT,
    NO_NUL,
    DelistIn,
    ProductDetailOut,
    ProductIn,
    ProductOut,
    ProductUpdateIn,
    SkuOut,
    SkuStockOut,
    StockIn,
)
from marketcast.core.money import Money
from marketcast.core.openapi import REASON_CODES, api_router, raises
from marketcast.core.pagination import Page, PageSize, PageToken
from marketcast.core.web_deps import AnyUser, MaybeUser, UnitOfWork

router = api_router("catalog", "Products, SKUs with per-market prices, stock; public listing and search.")

Price = Annotated[int | None, Query(ge=0, le=MAX_AMOUNT, description="minor units, compared with the cheapest SKU")]


def _product(product) -> ProductOut:
    return ProductOut(id=product.id, shop_id=product.shop_id, market=product.market, title=product.title,
                      description=product.description, status=product.status,
                      min_price=Money(amount=product.min_price, currency=product.currency),
                      created_at=product.created_at, updated_at=product.updated_at,
                      published_at=product.published_at)


def _detail(product, skus) -> ProductDetailOut:
    return ProductDetailOut(
        **_product(product).model_dump(),
        skus=[SkuOut(id=s.id, code=s.code, price=Money(amount=s.price, currency=s.currency),
                     attributes=s.attributes or {}, available=s.available) for s in skus])


def _stock(sku, *, counters: bool = True) -> SkuStockOut:
    """`counters`: whether the reader may see reserved and sold (the owner and operators; not a stranger)."""
    return SkuStockOut(id=sku.id, product_id=sku.product_id, code=sku.code,
                       price=Money(amount=sku.price, currency=sku.currency), available=sku.available,
                       reserved=sku.reserved if counters else None, sold=sku.sold if counters else None)


@router.post("/shops/{shop_id}/products", status_code=status.HTTP_201_CREATED, response_model=ProductDetailOut)
@raises("shop_not_found", "not_owner", "market_out_of_scope", "shop_closed", "duplicate_sku_code",
        "wrong_currency")
def create_product(shop_id: str, body: ProductIn, uow: UnitOfWork, actor: AnyUser):
    """The shop's owner, or an operator of its market. The product starts as a draft; prices must be in the
    market's currency (422 `wrong_currency`, field `skus.N.price.currency`)."""
    product = service.create_product(uow, shop_id=shop_id, title=body.title, description=body.description,
                                     skus=body.skus, actor=actor)
    return _detail(product, service.product_skus(uow, product.id))


@router.get("/products", response_model=Page[ProductOut])
def list_products(uow: UnitOfWork,
                  market: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
                  shop_id: Annotated[str | None, Query(max_length=32, pattern=NO_NUL)] = None,
                  q: Annotated[str | None, Query(max_length=100, pattern=NO_NUL,
                                                description="words in title or description")] = None,
                  min_price: Price = None, max_price: Price = None,
                  page_size: PageSize = None,
                  page_token: PageToken = None):
    """Live products, in id order. Public."""
    rows, token = service.list_products(uow, market=market, shop_id=shop_id, q=q, min_price=min_price,
                                        max_price=max_price, page_size=page_size, page_token=page_token)
    return Page[ProductOut](items=[_product(p) for p in rows], next_page_token=token)


@router.get("/products/{product_id}", response_model=ProductDetailOut)
@raises("product_not_found")
def get_product(product_id: str, uow: UnitOfWork, actor: MaybeUser):
    """Live products for anyone; drafts and delisted ones for the shop's owner and operators of its market."""
    product = service.get_product(uow, product_id, actor=actor)
    return _detail(product, service.product_skus(uow, product.id))


@router.post("/products/{product_id}/publish", response_model=ProductDetailOut)
@raises("product_not_found", "shop_not_found", "not_owner", "market_out_of_scope", "shop_cannot_sell",
        "market_not_live")
def publish_product(product_id: str, uow: UnitOfWork, actor: AnyUser):
    """The shop's owner or an operator of its market. The shop must be in probation or active and its market
    live (409 `shop_cannot_sell`, `market_not_live`)."""
    product = service.publish(uow, product_id=product_id, actor=actor)
    return _detail(product, service.product_skus(uow, product.id))


@router.patch("/products/{product_id}", response_model=ProductDetailOut)
@raises("product_not_found", "shop_not_found", "not_owner", "market_out_of_scope", "unknown_sku",
        "duplicate_sku_code", "wrong_currency")
def update_product(product_id: str, body: ProductUpdateIn, uow: UnitOfWork, actor: AnyUser):
    """The shop's owner or an operator of its market edits the title, the description, SKU prices (by SKU id,
    422 `sku_not_found` at `prices.N`) and adds SKUs (422 `duplicate_sku_code`, `currency_mismatch` as on create)."""
    product = service.update_product(uow, product_id=product_id, actor=actor, title=body.title,
                                     description=body.description,
                                     prices={p.sku_id: p.amount for p in body.prices}, new_skus=body.new_skus)
    return _detail(product, service.product_skus(uow, product.id))


@router.post("/products/{product_id}/delist", response_model=ProductDetailOut)
@raises(*REASON_CODES, "product_not_found", "shop_not_found", "not_owner", "market_out_of_scope", "product_not_live")
def delist_product(product_id: str, uow: UnitOfWork, actor: AnyUser, body: DelistIn | None = None):
    """The shop's owner or an operator of its market (409 `product_not_live` for a draft). An operator gives a
    reason (422 `reason_required`), which the `product.delisted` event carries to the shop."""
    product = service.delist(uow, product_id=product_id, actor=actor, reason=body.reason if body else None)
    return _detail(product, service.product_skus(uow, product.id))


@router.get("/skus/{sku_id}", response_model=SkuStockOut)
@raises("sku_not_found")
def get_sku(sku_id: str, uow: UnitOfWork, actor: MaybeUser):
    """Stock of one SKU: public for live products, else for the shop's owner and operators of its market. Only
    they see `reserved` and `sold` (null for anyone else)."""
    sku, insider = service.read_sku(uow, sku_id, actor=actor)
    return _stock(sku, counters=insider)


@router.patch("/skus/{sku_id}", response_model=SkuStockOut)
@raises("sku_not_found", "shop_not_found", "not_owner", "market_out_of_scope", "stock_changed")
def set_stock(sku_id: str, body: StockIn, uow: UnitOfWork, actor: AnyUser):
    """The shop's owner or an operator of its market sets the units available; reserved and sold stay.
    With `expected_available`, only if `available` is still that number: otherwise 409 `stock_changed` with the
    current `available`, `reserved` and `sold` in the problem, and nothing changes."""
    return _stock(service.set_available(uow, sku_id=sku_id, available=body.available, actor=actor,
                                        expected_available=body.expected_available))
