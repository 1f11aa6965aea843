import json

from typer.testing import CliRunner

from marketcast.cli import app
from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.policies import service as policies
from tests.sellers.conftest import GMV_KEY, events, row_counts, usd

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["applications", *args])


def test_queue_show_approve_reject_reevaluate(seller, apply, make_user, at):
    with clock.frozen(at(2024, 1, 1)), unit_of_work() as session:
        version = policies.schedule(session, key=GMV_KEY, market="US", value=usd(2_000_000),
                                    effective_from=at(2024, 1, 2), reason="t", actor=SYSTEM).id
    with clock.frozen(at(2024, 1, 3)):
        small = apply(seller()[0], external_records=[{"platform": "amazon", "annual_gmv": usd(1_500_000)}])
        big = apply(seller()[0])
        listed = json.loads(run("list", "--market", "us", "--outcome", "ineligible", "--json").stdout)
        assert [a["id"] for a in listed] == [small["id"]]
        assert listed[0]["failed_rules"] == ["cross_border_external_gmv"]
        shown = run("show", small["id"])
        assert shown.exit_code == 0 and f"({version}, in force since 2024-01-02)" in shown.stdout
        assert json.loads(run("show", small["id"], "--json").stdout)["explanation"][0].startswith("ineligible")
        r = run("approve", small["id"], "--reason", "ok")
        assert r.exit_code == 1 and "rules_not_overridden" in r.output
        r = run("approve", small["id"], "--reason", "ok", "--override", "cross_border_external_gmv")
        assert r.exit_code == 0 and "shop shp_" in r.stdout
        r = run("reject", big["id"], "--reason", "duplicate brand")
        assert r.exit_code == 0 and "reviewer" in r.stdout
        statuses = {a["id"]: a["status"] for a in json.loads(run("list", "--json").stdout)}
        assert statuses == {small["id"]: "approved", big["id"]: "rejected"}
        assert run("list").exit_code == 0
    with unit_of_work() as session, clock.frozen(at(2024, 1, 3)):
        policies.schedule(session, key=GMV_KEY, market="US", value=None, effective_from=at(2024, 2, 1), reason="t",
                          actor=SYSTEM)
    third = apply(seller()[0], external_records=[])
    with clock.frozen(at(2024, 1, 15)):
        r = run("reevaluate", "--market", "US", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout) == {"evaluated": 1, "now_eligible": 0, "no_longer_eligible": 1}
    with clock.frozen(at(2024, 2, 2)):
        r = run("reevaluate", "--market", "US")
    assert r.exit_code == 0 and "1 now eligible" in r.stdout
    assert [e.data["application_id"] for e in events("application.now_eligible")] == [third["id"]]


def test_cli_errors_exit_1_and_write_nothing(seller, apply, make_user):
    app_id = apply(seller()[0])["id"]
    make_user("operator", markets=["ES"], email="es-ops@example.com")
    before = row_counts()
    r = run("approve", app_id, "--reason", "ok", "--as", "es-ops@example.com")
    assert r.exit_code == 1 and "market_out_of_scope" in r.output
    r = run("reevaluate", "--market", "US", "--as", "es-ops@example.com")
    assert r.exit_code == 1 and "market_out_of_scope" in r.output
    assert run("show", "app_nope").exit_code == 1
    # Decisions are written as of now only: there is no --at to judge under other times' policies.
    assert run("reevaluate", "--market", "US", "--at", "2024-01-15").exit_code == 2
    assert row_counts() == before
