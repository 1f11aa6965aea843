import json

from typer.testing import CliRunner

from marketcast.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["reports", "gmv", *args])


def test_json_and_table(markets3, sale, refund, at):
    sale("US", "shop_a", 123_456, at(2024, 7, 1, 10), units=2)
    sale("MX", "shop_m", 50_000, at(2024, 7, 1, 11))
    refund("US", "shop_a", 456, at(2024, 7, 2, 9))
    r = run("--from", "2024-07-01", "--to", "2024-07-31", "--group-by", "market", "--json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert (body["from"], body["to"], body["group_by"]) == ("2024-07-01", "2024-07-31", "market")
    assert [(i["market"], i["net_gmv"]["amount"], i["net_gmv"]["currency"]) for i in body["items"]] == [
        ("MX", 50_000, "MXN"), ("US", 123_000, "USD")]
    r = run("--from", "2024-07-01", "--to", "2024-07-31", "--market", "us")
    assert r.exit_code == 0, r.output
    assert "1,234.56 USD" in r.stdout and "-4.56 USD" in r.stdout and "1,230.00 USD" in r.stdout
    assert "MXN" not in r.stdout
    r = run("--from", "2024-07-01", "--to", "2024-07-31", "--shop", "shop_m", "--group-by", "shop", "--json")
    assert [i["shop_id"] for i in json.loads(r.stdout)["items"]] == ["shop_m"]


def test_errors(markets3):
    r = run("--from", "2024-01-01", "--to", "2025-06-01")
    assert r.exit_code == 1 and "invalid_date_range" in r.output
    r = run("--from", "July")
    assert r.exit_code == 2 and "not an ISO date" in r.output
    r = run("--group-by", "week")
    assert r.exit_code == 1 and "group_by" in r.output
    r = run("--market", "ZZ")
    assert r.exit_code == 1 and "market_not_found" in r.output
    r = run("--from", "2024-07-01", "--to", "2024-07-02")
    assert r.exit_code == 0 and "no paid orders" in r.stdout
