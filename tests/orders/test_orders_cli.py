"""`marketcast orders list / show / refund / expire`."""

import json

from typer.testing import CliRunner

from marketcast.cli import app
from marketcast.core import clock

runner = CliRunner()


def test_list_show_refund_expire(paid_order, place, buyer, make_skus, counters, at, shop):
    order, skus = paid_order(2)
    r = runner.invoke(app, ["orders", "list", "--shop", shop["id"], "--json"])
    assert r.exit_code == 0, r.output
    assert [o["id"] for o in json.loads(r.stdout)] == [order["id"]]
    r = runner.invoke(app, ["orders", "show", order["id"], "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["status"] == "paid"
    line = order["lines"][0]["id"]
    r = runner.invoke(app, ["orders", "refund", order["id"], "--line", f"{line}:1", "--restock", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["amount"] == order["lines"][0]["unit_price"]
    assert counters(skus)[skus[0]] == (9, 0, 1)
    r = runner.invoke(app, ["orders", "refund", order["id"], "--line", f"{line}:5"])
    assert r.exit_code == 1 and "refund_exceeds_quantity" in r.output
    r = runner.invoke(app, ["orders", "refund", order["id"], "--line", "nonsense"])
    assert r.exit_code == 2
    with clock.frozen(at(2024, 9, 2, 12)):
        pending = place(buyer["headers"], [(skus[0], 1)]).json()
    with clock.frozen(at(2024, 9, 2, 13)):
        r = runner.invoke(app, ["orders", "expire"])
    assert r.exit_code == 0 and "expired 1" in r.output
    r = runner.invoke(app, ["orders", "show", pending["id"]])
    assert r.exit_code == 0 and "cancelled" in r.output
    assert runner.invoke(app, ["orders", "show", "ord_missing"]).exit_code == 1
