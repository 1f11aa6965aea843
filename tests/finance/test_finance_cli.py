"""`marketcast finance …`: the same operations as the API, from the command line."""

import json

from typer.testing import CliRunner

from marketcast.cli import app
from marketcast.core import clock
from tests.finance.conftest import set_policy


def test_cli_ledger_balance_statements_and_adjustments(db, steps, make_shop, product, make_buyer, at):
    set_policy(db, "shop.settlement.hold_days", 0)
    runner = CliRunner()
    with clock.frozen(at(2024, 7, 1, 15)):
        shop, buyer = make_shop(), make_buyer()
        _, sku = product(shop, price=5000)
        steps.deliver(shop, steps.sale(buyer, [(sku, 1)])["id"])
        ledger = runner.invoke(app, ["finance", "ledger", shop["id"], "--json"])
        assert ledger.exit_code == 0, ledger.output
        assert [(e["kind"], e["amount"]["amount"]) for e in json.loads(ledger.output)] == \
            [("sale", 5000), ("referral_fee", -400)]
        bad = runner.invoke(app, ["finance", "ledger", shop["id"], "--kind", "fee"])
        assert bad.exit_code == 1 and "field: kind" in bad.output
        adjusted = runner.invoke(app, ["finance", "adjust", shop["id"], "--amount=-100", "--reason", "late parcel",
                                       "--json"])
        assert adjusted.exit_code == 0, adjusted.output
        assert json.loads(adjusted.output)["amount"]["amount"] == -100
        refused = runner.invoke(app, ["finance", "adjust", shop["id"], "--amount", "0", "--reason", "nothing"])
        assert refused.exit_code == 1 and "invalid_entry_amount" in refused.output
        balance = json.loads(runner.invoke(app, ["finance", "balance", shop["id"], "--json"]).output)
        assert balance["payable"]["amount"] == 4500
        fees = runner.invoke(app, ["finance", "fees", shop["id"]])
        assert "8% referral fee" in fees.output
    with clock.frozen(at(2024, 7, 8, 15)):
        assert "1 statements closed" in runner.invoke(app, ["finance", "settle"]).output
        [stmt] = json.loads(runner.invoke(app, ["finance", "statements", shop["id"], "--json"]).output)
        shown = runner.invoke(app, ["finance", "statement", shop["id"], stmt["id"]])
        assert "net" in shown.output and "45.00 USD" in shown.output
        as_csv = runner.invoke(app, ["finance", "statement", shop["id"], stmt["id"], "--csv"])
        assert as_csv.output.splitlines()[0].startswith("statement_id,entry_id")
        assert len(as_csv.output.splitlines()) == 4
        every = json.loads(runner.invoke(app, ["finance", "all-statements", "--market", "US", "--json"]).output)
        assert every["totals"][0]["net"] == 4500
        [payout] = json.loads(runner.invoke(app, ["finance", "payouts", shop["id"], "--json"]).output)
        paid = runner.invoke(app, ["finance", "pay", payout["id"], "--reference", "ACH 1"])
        assert paid.exit_code == 0 and "is paid" in paid.output
