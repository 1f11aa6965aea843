"""Products, SKUs and the listing. Stock movements live in stock.py and are re-exported here, so other
areas call everything as `catalog.service.<name>`.

Who may do what: the shop's owner (or an operator of its market) writes, through
sellers.service.require_shop_owner; anyone reads live products; drafts and delisted products are
visible to the same people who may write them, and look like they do not exist to everyone else."""

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marketcast.catalog.events import InventoryChanged, ProductDelisted, ProductPublished, ProductUpdated
from marketcast.catalog.models import Product, Sku
from marketcast.catalog.schemas import MAX_AMOUNT, MAX_SKUS, MAX_STOCK, SkuIn
from marketcast.catalog.stock import (  # noqa: F401  (the public stock operations of this area)
    SkuView,
    confirm_sale,
    lines_for_checkout,
    release,
    reserve,
    restock,
)
from marketcast.core import clock, outbox, text
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import Conflict, Forbidden, Invalid, NotFound
from marketcast.core.fields import market_code
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.money import Money
from marketcast.core.pagination import Paged, paginate
from marketcast.markets import service as markets
from marketcast.sellers import service as sellers


def _search_text(title: str, description: str) -> str:
    return f"{title}\n{description}".lower()


def _can_see_unlisted(session: Session, shop_id: str, actor: Actor | None) -> bool:
    if actor is None:
        return False
    try:
        sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    except (Forbidden, NotFound):
        return False
    return True


def _check_skus(skus: Sequence[SkuIn], *, currency: str, market: str, taken: Sequence[str] = ()) -> None:
    """SKU codes unique within the product (with `taken`, the codes it keeps), prices in the market's currency."""
    seen: set[str] = set(taken)
    for i, sku in enumerate(skus):
        code = sku.code.strip()
        if code in seen:
            raise Invalid(f"SKU code {code!r} appears twice", code="duplicate_sku_code", field=f"skus.{i}.code")
        seen.add(code)
        if sku.price.currency != currency:
            raise Invalid(f"prices in market {market} are in {currency}, not {sku.price.currency}",
                          code="wrong_currency", field=f"skus.{i}.price.currency")


def create_product(session: Session, *, shop_id: str, title: str, description: str, skus: Sequence[SkuIn],
                   actor: Actor) -> Product:
    """A draft product with its SKUs, priced in the shop's market currency."""
    shop = sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    if shop.status == "closed":
        raise Conflict(f"shop {shop.id} is closed", code="shop_closed")
    currency = markets.get(session, shop.market).currency
    title = title.strip()
    if not title:
        raise Invalid("title must not be empty", field="title")
    if not skus:
        raise Invalid("a product needs at least one SKU", field="skus")
    _check_skus(skus, currency=currency, market=shop.market)
    now = clock.now()
    product = Product(id=new_id("prd"), shop_id=shop.id, market=shop.market, currency=currency, title=title,
                      description=description, status="draft", min_price=min(s.price.amount for s in skus),
                      search_text=_search_text(title, description), created_at=now, updated_at=now)
    session.add(product)
    session.flush()  # the product row first: SKUs refer to it
    session.add_all(Sku(id=new_id("sku"), product_id=product.id, shop_id=shop.id, code=s.code.strip(),
                        price=s.price.amount, currency=currency, attributes=dict(s.attributes),
                        available=s.stock, reserved=0, sold=0, created_at=now) for s in skus)
    session.flush()
    return product


def update_product(session: Session, *, product_id: str, actor: Actor, title: str | None = None,
                   description: str | None = None, prices: dict[str, int] | None = None,
                   new_skus: Sequence[SkuIn] = ()) -> Product:
    """Edit a product (any status): title, description, the price of existing SKUs (by SKU id), and new SKUs.
    The checks are create_product's; SKUs are never removed (orders refer to them) and stock has its own
    compare-and-set (set_available). A live product's listing changes at once."""
    product = _owned_for_update(session, product_id, actor)
    skus = {sku.id: sku for sku in product_skus(session, product.id)}
    if title is not None:
        if not title.strip():
            raise Invalid("title must not be empty", field="title")
        product.title = title.strip()
    if description is not None:
        product.description = description
    for i, (sku_id, amount) in enumerate((prices or {}).items()):
        if sku_id not in skus:
            raise Invalid(f"SKU {sku_id} is not a SKU of product {product.id}", code="unknown_sku",
                          field=f"prices.{i}")
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
            raise Invalid(f"a price is a whole number of minor units from 1 to {MAX_AMOUNT}", field=f"prices.{i}")
        skus[sku_id].price = amount
    _check_skus(new_skus, currency=product.currency, market=product.market, taken=[s.code for s in skus.values()])
    if len(skus) + len(new_skus) > MAX_SKUS:
        raise Invalid(f"a product has at most {MAX_SKUS} SKUs", field="skus")
    now = clock.now()
    session.add_all(Sku(id=new_id("sku"), product_id=product.id, shop_id=product.shop_id, code=s.code.strip(),
                        price=s.price.amount, currency=product.currency, attributes=dict(s.attributes),
                        available=s.stock, reserved=0, sold=0, created_at=now) for s in new_skus)
    product.min_price = min([s.price for s in skus.values()] + [s.price.amount for s in new_skus])
    product.search_text = _search_text(product.title, product.description)
    product.updated_at = now
    session.flush()
    outbox.emit(session, ProductUpdated(product_id=product.id, shop_id=product.shop_id, market=product.market,
                                        title=product.title, status=product.status,
                                        min_price=Money(amount=product.min_price, currency=product.currency)),
                market=product.market)
    return product


def get_product(session: Session, product_id: str, *, actor: Actor | None = None) -> Product:
    product = session.get(Product, product_id) if looks_like_id(product_id) else None
    if product is None or (product.status != "live" and not _can_see_unlisted(session, product.shop_id, actor)):
        raise NotFound("product", product_id)
    return product


def shop_products(session: Session, *, shop_id: str, actor: Actor) -> list[tuple[Product, list[Sku]]]:
    """Every product of a shop, drafts included, with its SKUs: the owner's stock page (two queries)."""
    sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    products = list(session.scalars(select(Product).where(Product.shop_id == shop_id).order_by(Product.id)))
    skus: dict[str, list[Sku]] = {p.id: [] for p in products}
    for sku in session.scalars(select(Sku).where(Sku.shop_id == shop_id).order_by(Sku.code)):
        skus[sku.product_id].append(sku)
    return [(p, skus[p.id]) for p in products]


def product_skus(session: Session, product_id: str) -> list[Sku]:
    return list(session.scalars(select(Sku).where(Sku.product_id == product_id).order_by(Sku.code)))


def _owned_for_update(session: Session, product_id: str, actor: Actor) -> Product:
    """The product, row-locked, once `actor` is known to be its shop's owner (or an operator of its market).

    Ownership is checked on a plain read first (a product never changes shop): a caller who may not write
    must not take, or queue behind, the lock that the owner's writes need. The lock then re-reads the row, so
    the status the caller decides on is the current one."""
    product = session.get(Product, product_id) if looks_like_id(product_id) else None
    if product is None:
        raise NotFound("product", product_id)
    sellers.require_shop_owner(session, shop_id=product.shop_id, actor=actor)
    product = session.scalar(select(Product).where(Product.id == product.id).with_for_update()
                             .execution_options(populate_existing=True))
    if product is None:
        raise NotFound("product", product_id)
    return product


def publish(session: Session, *, product_id: str, actor: Actor) -> Product:
    """Live in its market. Only a shop that may sell (probation or active, market live); publishing a live
    product again changes nothing and announces nothing."""
    product = _owned_for_update(session, product_id, actor)
    sellers.require_can_sell(session, shop_id=product.shop_id)
    if product.status == "live":
        return product
    now = clock.now()
    product.status, product.published_at, product.updated_at = "live", now, now
    outbox.emit(session, ProductPublished(product_id=product.id, shop_id=product.shop_id, market=product.market,
                                          title=product.title,
                                          min_price=Money(amount=product.min_price, currency=product.currency)),
                market=product.market)
    return product


def delist(session: Session, *, product_id: str, actor: Actor, reason: str | None = None) -> Product:
    """Off the listing and out of checkout; a delisted product may be published again. An operator delisting a
    shop's product says why (the reason goes to the shop in the event)."""
    product = _owned_for_update(session, product_id, actor)
    if actor.is_operator or reason is not None:
        reason = text.reason(reason or "")
    if product.status == "delisted":
        return product
    if product.status != "live":
        raise Conflict(f"product {product.id} is a draft: there is nothing to delist", code="product_not_live")
    product.status, product.updated_at = "delisted", clock.now()
    outbox.emit(session, ProductDelisted(product_id=product.id, shop_id=product.shop_id, market=product.market,
                                         reason=reason, by="operator" if actor.is_operator else "shop"),
                market=product.market)
    return product


def list_products(session: Session, *, market: str | None = None, shop_id: str | None = None, q: str | None = None,
                  min_price: int | None = None, max_price: int | None = None, page_size: int | None = None,
                  page_token: str | None = None) -> Paged[Product]:
    """Live products in id order. Price filters apply to the cheapest SKU ("from" price); `q` matches any part
    of the title or description, ignoring case. One SELECT, served by the (market|shop_id, status, …) indexes."""
    if min_price is not None and max_price is not None and min_price > max_price:
        raise Invalid("max_price must not be below min_price", field="max_price")
    stmt = select(Product).where(Product.status == "live")
    if market:
        stmt = stmt.where(Product.market == market_code(market))
    if shop_id:
        if not looks_like_id(shop_id):
            return Paged([], None)  # no shop has such an id
        stmt = stmt.where(Product.shop_id == shop_id)
    if q and q.strip():
        stmt = stmt.where(Product.search_text.like(text.contains_pattern(q), escape=text.LIKE_ESCAPE))
    if min_price is not None:
        stmt = stmt.where(Product.min_price >= min_price)
    if max_price is not None:
        stmt = stmt.where(Product.min_price <= max_price)
    return paginate(session, stmt, order_by=[Product.id], page_size=page_size, page_token=page_token)


def _sku_with_product(session: Session, sku_id: str) -> tuple[Sku, str, str]:
    row = session.execute(select(Sku, Product.status, Product.market).join(Product, Product.id == Sku.product_id)
                          .where(Sku.id == sku_id)).one_or_none() if looks_like_id(sku_id) else None
    if row is None:
        raise NotFound("sku", sku_id)
    return row[0], row[1], row[2]


def get_sku(session: Session, sku_id: str, *, actor: Actor | None = None) -> Sku:
    """One SELECT for a live product's SKU; SKUs of unlisted products only for their owner and operators."""
    return read_sku(session, sku_id, actor=actor)[0]


def read_sku(session: Session, sku_id: str, *, actor: Actor | None = None) -> tuple[Sku, bool]:
    """The SKU, and whether `actor` is an insider: its shop's owner or an operator of its market, who may see
    unlisted SKUs and the reserved and sold units (they tell a shop's sales). One SELECT for anyone but a seller,
    whose ownership takes a second."""
    sku, status, market = _sku_with_product(session, sku_id)
    insider = actor is not None and (actor.can_act_in(market) if actor.is_operator
                                     else actor.role == "seller" and _can_see_unlisted(session, sku.shop_id, actor))
    if status != "live" and not insider:
        raise NotFound("sku", sku_id)
    return sku, insider


def _check_count(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_STOCK:
        raise Invalid(f"{field} must be a whole number from 0 to {MAX_STOCK}", field=field)


def set_available(session: Session, *, sku_id: str, available: int, actor: Actor,
                  expected_available: int | None = None) -> Sku:
    """The owner counts units on hand: `available` is set, reserved and sold stay as they are.

    With `expected_available` it is a compare-and-set: the count is written only if `available` still is what
    the caller last saw, else Conflict `stock_changed` carrying the counters as they are now, and nothing
    changes. A sale or release between reading the stock page and saving it is then not silently undone."""
    _check_count(available, "available")
    if expected_available is not None:
        _check_count(expected_available, "expected_available")
    sku, _, market = _sku_with_product(session, sku_id)
    sellers.require_shop_owner(session, shop_id=sku.shop_id, actor=actor)
    stmt = update(Sku).where(Sku.id == sku_id)
    if expected_available is not None:
        # Guarded in the UPDATE itself, never compared in Python: the row is checked as it is when written.
        stmt = stmt.where(Sku.available == expected_available)
    # One UPDATE, whatever reservations run meanwhile; RETURNING brings back the counters as they now are.
    # No Python-side sync: the in-session Sku may be stale, and RETURNING refreshes it anyway.
    written = session.scalars(stmt.values(available=available).returning(Sku),
                              execution_options={"populate_existing": True, "synchronize_session": False}
                              ).one_or_none()
    if written is None:
        current = session.scalars(select(Sku).where(Sku.id == sku_id)
                                  .execution_options(populate_existing=True)).one()
        raise Conflict(f"SKU {sku_id} has {current.available} available now, not {expected_available} "
                       f"({current.reserved} reserved, {current.sold} sold): nothing was changed; "
                       f"count again from the current figures", code="stock_changed", field="expected_available",
                       sku_id=sku_id, available=current.available, reserved=current.reserved, sold=current.sold)
    outbox.emit(session, InventoryChanged(sku_id=written.id, product_id=written.product_id, shop_id=written.shop_id,
                                          available=written.available), market=market)
    return written


def products_by_id(session: Session, product_ids: Sequence[str]) -> dict[str, Product]:
    """The products among `product_ids` that exist, whatever their status, in one query (callers judge it)."""
    wanted = [pid for pid in dict.fromkeys(product_ids) if looks_like_id(pid)]
    if not wanted:
        return {}
    return {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))}
