"""`marketcast programs …`: define, refuse a bad definition (nothing written), enroll, exclude, close, standings."""

import json

from typer.testing import CliRunner

from marketcast.cli import app
from marketcast.core import clock

from .conftest import BASE
from .test_standings import sell


def test_the_cli_defines_enrolls_closes_and_explains(make_shop, live_markets, at):
    runner = CliRunner()
    shop, other = make_shop(), make_shop()
    with clock.frozen(at(2024, 3, 20)):
        bad = runner.invoke(app, ["programs", "create", "-d", json.dumps(BASE | {"criteria": []})])
        assert bad.exit_code == 1 and "criteria_required" in bad.output
        assert json.loads(runner.invoke(app, ["programs", "list", "--json"]).output) == []
        made = runner.invoke(app, ["programs", "create", "-d", json.dumps(BASE), "--json"])
        assert made.exit_code == 0, made.output
        program = json.loads(made.output)["id"]
        assert runner.invoke(app, ["programs", "enroll", program, shop["id"]]).exit_code == 0
        assert runner.invoke(app, ["programs", "enroll", program, other["id"]]).exit_code == 0
        excluded = runner.invoke(app, ["programs", "exclude", program, other["id"], "--reason", "fake orders"])
        assert excluded.exit_code == 0 and "fake orders" in excluded.output
        metrics = runner.invoke(app, ["programs", "metrics"])
        assert metrics.exit_code == 0 and "effective_live_hours" in metrics.output
    sell(shop["id"], at(2024, 4, 3), orders=4, gmv=50_000)
    with clock.frozen(at(2024, 5, 2)):
        closed = runner.invoke(app, ["programs", "close"])
        assert closed.exit_code == 0 and "1 periods closed" in closed.output
        got = json.loads(runner.invoke(app, ["programs", "standings", program, "--period", "2024-04-01",
                                             "--json"]).output)
        assert got["status"] == "closed" and [i["shop_id"] for i in got["items"]] == [shop["id"]]
        table = runner.invoke(app, ["programs", "standings", program, "--period", "2024-04-01"])
        assert "4 orders of 3" in table.output
