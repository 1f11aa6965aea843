"""The article, replayed: the state it describes, on the dates it implies, loaded once however often it runs."""

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from marketcast.cli import app as cli
from marketcast.core.db import Base, unit_of_work
from marketcast.core.outbox import OutboxEvent

runner = CliRunner()


def load(*args: str) -> dict:
    result = runner.invoke(cli, ["scenario", "tiktok-us-2024", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def row_counts() -> dict[str, int]:
    with unit_of_work(write=False) as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def test_markets_as_the_article_tells(client):
    load()
    markets = {m["code"]: m for m in client.get("/api/v1/markets").json()["items"]}
    assert markets["US"]["status"] == "live"
    assert markets["ES"]["status"] == "planned" and markets["ES"]["launch_window"] == "2025-Q1"
    for code in ("DE", "IT", "FR", "MX"):
        assert markets[code]["status"] == "postponed" and markets[code]["launch_window"] is None
    history = client.get("/api/v1/markets/ES/history").json()["items"]
    moves = [(e["from_window"], e["to_window"]) for e in history if e["kind"] == "rescheduled"]
    assert moves == [("2024-07", "2025-Q1")]
    assert history[-1]["at"].startswith("2024-05-20")


def test_policies_change_on_their_dates(client):
    load()

    def value(key: str, at: str):
        r = client.get(f"/api/v1/policies/{key}", params={"market": "US", "at": at})
        assert r.status_code == 200, r.text
        return r.json()["value"]

    assert value("creator.affiliate.min_followers", "2024-06-30T23:59:59Z") == 5000
    assert value("creator.affiliate.min_followers", "2024-07-01T00:00:00Z") == 1000
    assert value("seller.cross_border.min_external_gmv", "2024-05-31T23:59:59Z") == {"amount": 200_000_000,
                                                                                      "currency": "USD"}
    assert value("seller.cross_border.min_external_gmv", "2024-06-01T00:00:00Z") is None


def test_printed_state_as_of_a_day():
    before = load("--at", "2024-05-15")
    after = load("--at", "2024-07-02")
    es_before = next(m for m in before["markets"] if m["code"] == "ES")
    es_after = next(m for m in after["markets"] if m["code"] == "ES")
    assert (es_before["status"], es_before["launch_window"]) == ("planned", "2024-07")
    assert (es_after["status"], es_after["launch_window"]) == ("planned", "2025-Q1")
    assert before["policies"]["US"]["creator.affiliate.min_followers"]["value"] == 5000
    assert after["policies"]["US"]["creator.affiliate.min_followers"]["value"] == 1000
    assert after["policies"]["US"]["seller.cross_border.min_external_gmv"]["value"] is None
    human = runner.invoke(cli, ["scenario", "tiktok-us-2024", "--at", "2024-05-15"])
    assert human.exit_code == 0 and "creator.affiliate.min_followers" in human.output


def test_waitlisted_sellers_hear_of_the_reschedule():
    load()
    with unit_of_work(write=False) as session:
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "market.launch_rescheduled")).all()
    spain = [e.data for e in events if e.data["market"] == "ES"]
    assert len(spain) == 3
    assert all(d["old_window"] == "2024-07" and d["new_window"] == "2025-Q1" for d in spain)


def test_loading_twice_duplicates_nothing():
    load()
    first = row_counts()
    assert load() is not None and row_counts() == first
    load("--demo")
    demo = row_counts()
    load("--demo")
    assert row_counts() == demo  # a second demo load adds nothing either
    # --demo adds the operator's console login, two paid orders of today for the demo seller to ship, five LIVEs
    # of theirs in the last 90 days with 8 paid deal orders (delivered), and the statements of those weeks.
    assert demo["users"] == first["users"] + 1 and demo["orders"] == first["orders"] + 2 + 8
    assert demo["live_sessions"] == first["live_sessions"] + 5 and demo["live_host_days"] == first["live_host_days"] + 5
    changed = {name for name in demo if demo[name] != first[name]}
    orders_and_what_follows = {"orders", "order_lines", "payment_attempts", "outbox_events", "shop_daily_orders",
                               "ledger_entries", "finance_order_holds", "shop_statements", "shop_statement_entries",
                               "shop_payouts"}
    assert changed - {"users"} - orders_and_what_follows == {n for n in changed if n.startswith(("gmv_", "live_"))}


def test_cross_border_applicants_turn_eligible_when_the_gmv_rule_goes():
    before = {a["shop_name"]: a for a in load("--at", "2024-05-15")["us_cross_border_applicants"]}
    after = {a["shop_name"]: a for a in load("--at", "2024-06-15")["us_cross_border_applicants"]}
    under = ("Guangzhou Style Apparel", "Ningbo Kitchenware Ltd")
    over = ("Shenzhen Home Goods Co", "Yiwu Craft Trading Co")
    for name in under:
        assert before[name]["outcome"] == "ineligible"
        assert before[name]["failed_rules"] == ["cross_border_external_gmv"]
        assert after[name]["outcome"] == "eligible"
        change = after[name]["change"]
        assert change["at"].startswith("2024-06-01")
        [rule] = change["rules"]
        assert rule["rule"] == "cross_border_external_gmv" and rule["passed"]
        assert rule["policy_key"] == "seller.cross_border.min_external_gmv"
        assert rule["policy_effective_from"].startswith("2024-06-01") and rule["policy_version_id"].startswith("pol_")
    for name in over:
        assert before[name]["outcome"] == after[name]["outcome"] == "eligible" and after[name]["change"] is None
    with unit_of_work(write=False) as session:
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "application.now_eligible")).all()
    assert sorted(e.occurred_at.date().isoformat() for e in events) == ["2024-06-01", "2024-06-01"]
    human = runner.invoke(cli, ["scenario", "tiktok-us-2024", "--at", "2024-06-15"])
    assert "2024-06-01: cross_border_external_gmv now passes" in " ".join(human.output.split())


def test_local_shops_sell_and_their_gmv_adds_up(client, operator):
    shops = load("--at", "2024-12-31")["us_local_shops"]
    assert {s["name"] for s in shops} == {"Austin Candle Works", "Brooklyn Mug Studio", "Portland Tea House",
                                         "Denver Knit Co"}
    r = client.get("/api/v1/reports/gmv", headers=operator,
                   params={"market": "US", "from": "2024-01-01", "to": "2024-12-31", "group_by": "market"})
    [us] = r.json()["items"]
    net = sum(s["net_gmv_365d"]["amount"] for s in shops)
    assert us["net_gmv"]["amount"] == net > 0 and us["refunds"]["amount"] > 0
