import json

from sqlalchemy import select
from typer.testing import CliRunner

from marketcast.catalog import service
from marketcast.cli import app
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.outbox import OutboxEvent

runner = CliRunner()
API = "/api/v1"


def catalog_events(session) -> list[str]:
    rows = session.scalars(select(OutboxEvent.type).where(OutboxEvent.type.like("product.%")
                                                           | OutboxEvent.type.like("inventory.%"))
                           .order_by(OutboxEvent.id))
    return list(rows)


def run(*args):
    return runner.invoke(app, ["products", *args])


def draft(client, shop, title="Linen Shirt") -> dict:
    r = client.post(f"{API}/shops/{shop['id']}/products", headers=shop["headers"], json={
        "title": title, "skus": [{"code": "M", "price": {"amount": 2500, "currency": "USD"}, "stock": 4}]})
    assert r.status_code == 201, r.text
    return r.json()


def test_publish_list_show_and_stock(client, db, make_shop):
    shop = make_shop()
    product = draft(client, shop)
    sku_id = product["skus"][0]["id"]
    assert json.loads(run("list", "--json").stdout) == []
    r = run("publish", product["id"], "--as", shop["email"])
    assert r.exit_code == 0, r.output
    assert "is live" in r.stdout
    listed = json.loads(run("list", "--market", "us", "--q", "linen", "--json").stdout)
    assert [(p["id"], p["status"], p["min_price"]["amount"]) for p in listed] == [(product["id"], "live", 2500)]
    assert json.loads(run("list", "--shop", "shp_other", "--json").stdout) == []
    assert "Linen Shirt" in run("list").stdout
    r = run("stock", sku_id, "7", "--as", shop["email"])
    assert r.exit_code == 0 and "7 available, 0 reserved, 0 sold" in r.stdout
    shown = json.loads(run("show", product["id"], "--json").stdout)
    assert [(s["id"], s["available"], s["reserved"], s["sold"]) for s in shown["skus"]] == [(sku_id, 7, 0, 0)]
    assert "Linen Shirt" in run("show", product["id"]).stdout
    with db(write=False) as s:
        assert catalog_events(s) == ["product.published", "inventory.changed"]


def test_errors_exit_1_and_change_nothing(client, db, make_shop, make_user):
    shop, other = make_shop(), make_shop()
    blocked = make_shop("applying")
    product, blocked_product = draft(client, shop), draft(client, blocked)
    sku_id = product["skus"][0]["id"]
    r = run("publish", product["id"], "--as", other["email"])
    assert r.exit_code == 1 and "not_owner" in r.output
    r = run("stock", sku_id, "9", "--as", other["email"])
    assert r.exit_code == 1 and "not_owner" in r.output
    r = run("publish", blocked_product["id"])
    assert r.exit_code == 1 and "shop_cannot_sell" in r.output
    r = run("stock", "--", sku_id, "-1")
    assert r.exit_code == 1 and "available" in r.output
    r = run("show", product["id"], "--as", other["email"])
    assert r.exit_code == 1 and "product_not_found" in r.output
    with db(write=False) as s:
        assert service.get_product(s, product["id"], actor=SYSTEM).status == "draft"
        assert service.get_sku(s, sku_id, actor=SYSTEM).available == 4
        assert catalog_events(s) == []

