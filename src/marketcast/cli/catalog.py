"""`marketcast products …`: browse the catalog, publish a product, count stock."""

import typer
from rich.table import Table

from marketcast.catalog import service
from marketcast.cli.common import AS, JSON, cli_actor, console, dump, every_page, uow
from marketcast.core.money import format_money

app = typer.Typer(no_args_is_help=True)



def _product(p) -> dict:
    return {"id": p.id, "shop_id": p.shop_id, "market": p.market, "title": p.title, "description": p.description,
            "status": p.status, "min_price": {"amount": p.min_price, "currency": p.currency},
            "created_at": p.created_at.isoformat(), "updated_at": p.updated_at.isoformat(),
            "published_at": p.published_at.isoformat() if p.published_at else None}


def _sku(s) -> dict:
    return {"id": s.id, "product_id": s.product_id, "code": s.code,
            "price": {"amount": s.price, "currency": s.currency}, "attributes": s.attributes or {},
            "available": s.available, "reserved": s.reserved, "sold": s.sold}


@app.command("list")
def list_cmd(market: str | None = typer.Option(None, "--market"), shop: str | None = typer.Option(None, "--shop"),
             q: str | None = typer.Option(None, "--q", help="words in title or description"),
             as_json: bool = JSON) -> None:
    """Live products, in id order."""
    with uow(write=False) as session:
        items = [_product(p) for p in every_page(lambda token: service.list_products(
            session, market=market, shop_id=shop, q=q, page_size=200, page_token=token))]
    if as_json:
        dump(items)
        return
    table = Table("id", "market", "shop", "title", "from")
    for p in items:
        table.add_row(p["id"], p["market"], p["shop_id"], p["title"],
                      format_money(p["min_price"]["amount"], p["min_price"]["currency"]))
    console.print(table)


def _print_product(product: dict, skus: list[dict]) -> None:
    console.print(f"{product['title']}  {product['id']}  ({product['status']}, "
                  f"market {product['market']}, shop {product['shop_id']})", markup=False, highlight=False)
    table = Table("sku", "code", "price", "available", "reserved", "sold")
    for s in skus:
        table.add_row(s["id"], s["code"], format_money(s["price"]["amount"], s["price"]["currency"]),
                      str(s["available"]), str(s["reserved"]), str(s["sold"]))
    console.print(table)


@app.command("show")
def show_cmd(product_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """One product and its SKUs with their stock."""
    with uow(write=False) as session:
        product = service.get_product(session, product_id, actor=cli_actor(session, as_email))
        out, skus = _product(product), [_sku(s) for s in service.product_skus(session, product.id)]
    if as_json:
        dump({**out, "skus": skus})
    else:
        _print_product(out, skus)


@app.command("publish")
def publish_cmd(product_id: str, as_email: str | None = AS) -> None:
    """Put a product on sale (its shop must be able to sell in a live market)."""
    with uow() as session:
        product = service.publish(session, product_id=product_id, actor=cli_actor(session, as_email))
        title = product.title
    console.print(f"{product_id} ({title}) is live", markup=False, highlight=False)


@app.command("stock")
def stock_cmd(sku_id: str, available: int,
              expected: int | None = typer.Option(None, "--expected",
                                                  help="change only if the SKU still has this many available"),
              as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Set the units available of a SKU (units on hand; reserved and sold stay)."""
    with uow() as session:
        sku = _sku(service.set_available(session, sku_id=sku_id, available=available, expected_available=expected,
                                         actor=cli_actor(session, as_email)))
    if as_json:
        dump(sku)
    else:
        console.print(f"{sku_id}: {sku['available']} available, {sku['reserved']} reserved, {sku['sold']} sold",
                      markup=False, highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="products", help="Products, SKUs and stock.")
