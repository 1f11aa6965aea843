"""The `marketcast live` commands, and the snapshot the realtime rooms show a viewer who joins."""

import json
from datetime import timedelta

from typer.testing import CliRunner

from marketcast.cli import app
from marketcast.core import clock
from marketcast.core.db import unit_of_work
from marketcast.live import service


def test_the_snapshot_shows_the_pin_and_the_open_deal_as_of_now(steps, open_deal, shop, make_buyer, at):
    deal, sku, live = open_deal(allotment=3, duration_minutes=5)
    steps.pin(shop, live["id"], deal["product_id"])
    steps.buy(make_buyer(), sku, deal["id"])
    clock.set_now(clock.now() + timedelta(seconds=60))
    with unit_of_work(write=False) as s:
        snap = service.snapshot(s, session_id=live["id"])
    assert snap["session"]["status"] == "live" and snap["pinned_product_id"] == deal["product_id"]
    assert snap["bag"] == [deal["product_id"]]
    assert (snap["deal"]["id"], snap["deal"]["status"], snap["deal"]["units_left"]) == (deal["id"], "open", 2)
    assert snap["deal"]["seconds_remaining"] == 4 * 60
    json.dumps(snap)  # JSON-ready as it is


def test_cli_runs_a_session_and_a_deal(shop, product, at):
    clock.set_now(at(2030, 1, 1, 12))
    pid, sku = product(stock=10)
    runner = CliRunner()
    made = runner.invoke(app, ["live", "create", "Night market", "--market", "US", "--shop", shop["id"],
                               "--playback-url", "https://stream.example.com/n.m3u8", "--json"])
    assert made.exit_code == 0, made.output
    session_id = json.loads(made.output)["id"]
    assert runner.invoke(app, ["live", "start", session_id]).exit_code == 1  # empty bag: an error, nothing done
    assert runner.invoke(app, ["live", "add", session_id, pid]).exit_code == 0
    assert runner.invoke(app, ["live", "start", session_id]).exit_code == 0
    assert runner.invoke(app, ["live", "pin", session_id, pid]).exit_code == 0
    deal = runner.invoke(app, ["live", "deals", "create", session_id, sku, "--price", "500", "--allotment", "4",
                               "--json"])
    assert deal.exit_code == 0, deal.output
    deal_id = json.loads(deal.output)["id"]
    assert runner.invoke(app, ["live", "deals", "start", deal_id]).exit_code == 0
    clock.set_now(at(2030, 1, 1, 12, 6))
    moved = runner.invoke(app, ["live", "deals", "advance"])
    assert moved.exit_code == 0 and "deal moves" in moved.output
    shown = json.loads(runner.invoke(app, ["live", "deals", "show", deal_id, "--json"]).output)
    assert (shown["status"], shown["returned"]) == ("ended", 4)
    listed = json.loads(runner.invoke(app, ["live", "list", "--market", "US", "--json"]).output)
    assert [x["id"] for x in listed] == [session_id]
