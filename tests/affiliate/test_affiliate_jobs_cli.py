"""The pilot graduation job (counts here, judgement in the creators area) and the operator's CLI."""

import json

from typer.testing import CliRunner

from marketcast.affiliate import jobs
from marketcast.cli import app
from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.creators.models import Creator
from marketcast.policies import service as policies


def test_a_pilot_graduates_on_orders_unless_a_commission_is_frozen(db, steps, shop, product, make_creator,
                                                                   make_buyer, operator, at):
    with clock.frozen(at(2031, 1, 1, 12)):
        with db() as s:
            policies.schedule(s, key="creator.pilot.graduation_orders", market="US", value=2,
                              effective_from=clock.now(), reason="test", actor=SYSTEM)
            policies.schedule(s, key="creator.affiliate.pilot_below_followers", market="US", value=50_000,
                              effective_from=clock.now(), reason="test", actor=SYSTEM)
        pid, sku = product()
        collab = steps.collaboration(shop, product_ids=[pid])
        good, flagged = make_creator(status="pilot"), make_creator(status="pilot")
        for c in (good, flagged):
            steps.join(c, collab["id"])
            token = steps.link(c, pid)["token"]
            for _ in range(2):
                steps.sale(make_buyer(), [(sku, 1)], attribution={"link_token": token})
        [c] = steps.commissions(flagged)[:1]
        steps.call("POST", f"/commissions/{c['id']}/freeze", operator, json={"reason": "suspicious"})
    with clock.frozen(at(2031, 1, 20, 12)):
        assert jobs.graduate_pilots() == 0  # the pilot's 30 days are not over
    with clock.frozen(at(2031, 2, 1, 12)):
        assert jobs.graduate_pilots() == 1
    with db(write=False) as s:
        assert s.get(Creator, good["id"]).affiliate_status == "active"
        assert s.get(Creator, flagged["id"]).affiliate_status == "pilot"


def test_cli_lists_freezes_and_unfreezes_commissions(steps, shop, product, creator, buyer):
    pid, sku = product()
    collab = steps.collaboration(shop, product_ids=[pid], commission_rate_bps=1000)
    steps.join(creator, collab["id"])
    steps.sale(buyer, [(sku, 2)], attribution={"creator_id": creator["id"], "source": "showcase"})
    runner = CliRunner()
    listed = runner.invoke(app, ["commissions", "list", "--market", "US", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)
    assert (row["creator_id"], row["amount"]["amount"], row["source"]) == (creator["id"], 200, "showcase")
    frozen = runner.invoke(app, ["commissions", "freeze", row["id"], "--reason", "chargeback pattern", "--json"])
    assert frozen.exit_code == 0 and json.loads(frozen.output)["status"] == "frozen"
    again = runner.invoke(app, ["commissions", "unfreeze", row["id"], "--reason", ""])
    assert again.exit_code == 1 and "reason_required" in again.output
    assert runner.invoke(app, ["commissions", "unfreeze", row["id"], "--reason", "cleared"]).exit_code == 0
    shown = runner.invoke(app, ["collaborations", "list", "--market", "US"])
    assert shown.exit_code == 0 and collab["id"] in shown.output
    rate = runner.invoke(app, ["collaborations", "set-rate", collab["id"], "90000"])
    assert rate.exit_code == 1 and "rate_out_of_bounds" in rate.output
    assert runner.invoke(app, ["collaborations", "set-rate", collab["id"], "1500"]).exit_code == 0
    members = runner.invoke(app, ["collaborations", "show", collab["id"], "--json"])
    assert json.loads(members.output)["members"][0]["commission_rate_bps"] == 1500
