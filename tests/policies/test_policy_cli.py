import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from marketcast.cli import app
from marketcast.core import clock

FOLLOWERS = "creator.affiliate.min_followers"
GMV = "seller.cross_border.min_external_gmv"
runner = CliRunner()


@pytest.fixture(autouse=True)
def june():
    with clock.frozen(datetime(2024, 6, 10, tzinfo=UTC)):
        yield


def cli(*args):
    return runner.invoke(app, ["policy", *args])


def test_set_then_get(us_es):
    r = cli("set", FOLLOWERS, "1,000", "--market", "US", "--from", "2024-07-01", "--reason", "Lowered threshold")
    assert r.exit_code == 0, r.output
    assert "scheduled pol_" in r.output
    before = json.loads(cli("get", FOLLOWERS, "--market", "US", "--json").stdout)
    assert (before["value"], before["source"]) == (5000, "default")
    after = json.loads(cli("get", FOLLOWERS, "--market", "US", "--at", "2024-07-01", "--json").stdout)
    assert (after["value"], after["source"], after["set_by"]) == (1000, "market", "system")
    text = cli("get", FOLLOWERS, "--market", "US", "--at", "2024-08-01").stdout
    assert "is 1000 followers" in text and "'Lowered threshold'" in text


def test_set_money_in_major_units_then_none(us_es):
    assert cli("set", GMV, "$2,000,000", "--market", "US", "--from", "2024-07-01", "--reason", "r").exit_code == 0
    assert cli("set", GMV, "none", "--market", "US", "--from", "2025-01-01", "--reason", "relaxed").exit_code == 0
    r = json.loads(cli("get", GMV, "--market", "US", "--at", "2024-08-01", "--json").stdout)
    assert r["value"] == {"amount": 200_000_000, "currency": "USD"}
    assert json.loads(cli("get", GMV, "--market", "US", "--at", "2025-01-01", "--json").stdout)["value"] is None
    history = json.loads(cli("history", GMV, "--market", "US", "--at", "2024-08-01", "--json").stdout)
    assert [(h["value"], h["status"]) for h in history] == [(r["value"], "in_force"), (None, "scheduled")]


def test_bad_input_exits_nonzero_and_writes_nothing(us_es, snapshot):
    for args in (["set", FOLLOWERS, "many", "--market", "US", "--from", "2024-07-01", "--reason", "r"],
                 ["set", FOLLOWERS, "10", "--market", "US", "--from", "2024-01-01", "--reason", "r"],
                 ["set", FOLLOWERS, "10", "--from", "2024-07-01", "--reason", "r"],
                 ["set", GMV, "100 EUR", "--market", "US", "--from", "2024-07-01", "--reason", "r"]):
        r = cli(*args)
        assert r.exit_code != 0, args
    assert snapshot() == ([], 0)
    r = cli("get", "no.such.key")
    assert r.exit_code == 1 and "policy_not_found" in r.output


def test_global_withdraw_list_explain_in_force(us_es, make_user):
    make_user("operator", markets=["ES"], email="es@example.com")
    r = cli("set", FOLLOWERS, "3000", "--global", "--from", "2024-07-01", "--reason", "r", "--as", "es@example.com")
    assert r.exit_code == 1 and "market_out_of_scope" in r.output
    assert cli("set", FOLLOWERS, "3000", "--global", "--from", "2024-07-01", "--reason", "everywhere").exit_code == 0
    version_id = json.loads(cli("history", FOLLOWERS, "--json").stdout)[0]["id"]
    in_force = json.loads(cli("in-force", "--market", "ES", "--at", "2024-07-02", "--json").stdout)
    assert {i["key"]: i["value"] for i in in_force}[FOLLOWERS] == 3000
    assert "3000 followers" in cli("explain", FOLLOWERS, "--market", "ES", "--at", "2024-07-02").stdout
    assert cli("list").exit_code == 0
    assert FOLLOWERS in [k["key"] for k in json.loads(cli("list", "--json").stdout)]
    assert cli("withdraw", version_id, "--reason", "not yet").exit_code == 0
    assert json.loads(cli("history", FOLLOWERS, "--json").stdout)[0]["status"] == "withdrawn"
