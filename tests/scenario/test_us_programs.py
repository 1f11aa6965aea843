"""The merchant self-broadcast support plan, replayed: qualifying and non-qualifying shops as of 2024-05-01 and
2024-08-01 with the reasons, the lower referral fee of the month after a qualifying one, and the demo's recent
statements."""

from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from marketcast.cli import app as cli

from .test_tiktok_us_2024 import load

runner = CliRunner()


def _by_shop(plan: dict) -> dict[str, dict]:
    return {s["shop"]: s for s in plan["standings"]}


def test_the_plan_as_of_may_and_august():
    may = load("--at", "2024-05-01")["us_self_broadcast_plan"]
    assert may["closed_months"] == ["2024-04-01"] and may["criteria"][0] == {"metric": "effective_live_hours",
                                                                             "min": 14}
    april = _by_shop(may)
    assert {name: s["qualifies"] for name, s in april.items()} == {
        "Austin Candle Works": False, "Brooklyn Mug Studio": True, "Portland Tea House": True,
        "Denver Knit Co": False}
    assert "3 sessions of 4 (1 short)" in april["Austin Candle Works"]["explanation"]
    assert "11.93 of 14 effective live hours (2.07 short)" in april["Denver Knit Co"]["explanation"]
    assert april["Portland Tea House"]["benefit"] == {"referral_fee_discount_bps": 200, "rank": 1,
                                                      "reward": {"amount": 250_000, "currency": "USD"}}
    august = load("--at", "2024-08-01")["us_self_broadcast_plan"]
    assert august["closed_months"] == ["2024-04-01", "2024-05-01", "2024-06-01", "2024-07-01"]
    july = _by_shop(august)
    assert [n for n, s in july.items() if s["qualifies"]] == ["Austin Candle Works", "Portland Tea House"]
    assert "(10.03 short); 2 sessions of 4 (2 short)" in july["Brooklyn Mug Studio"]["explanation"]
    assert july["Portland Tea House"]["earned_so_far"]["discounted_months"] == 4  # every month
    assert july["Denver Knit Co"]["earned_so_far"] == {"reward": 166_666, "discounted_months": 1}  # June only
    human = " ".join(runner.invoke(cli, ["scenario", "tiktok-us-2024", "--at", "2024-08-01"]).output.split())
    assert "Earned so far" in human and "Denver Knit Co │ no" in human  # the table (its cells wrap)


def _fees(client, operator, shop_id: str, month: str) -> set[int]:
    r = client.get(f"/api/v1/shops/{shop_id}/ledger", headers=operator,
                   params={"kind": "referral_fee", "from": f"2024-{month}-01T00:00:00Z",
                           "to": f"2024-{month}-28T00:00:00Z", "page_size": 200})
    assert r.status_code == 200, r.text
    return {i["details"]["referral_bps"] for i in r.json()["items"]}


def test_the_month_after_a_qualifying_one_pays_two_points_less(client, operator):
    plan = _by_shop(load("--at", "2024-08-01")["us_self_broadcast_plan"])
    portland, austin = plan["Portland Tea House"]["shop_id"], plan["Austin Candle Works"]["shop_id"]
    # 6% from April, 8% from July (the market's policy); Portland qualified every month, Austin in May only
    # before July.
    assert _fees(client, operator, portland, "04") == {600} and _fees(client, operator, portland, "05") == {400}
    assert _fees(client, operator, austin, "05") == {600} and _fees(client, operator, austin, "06") == {400}
    assert _fees(client, operator, austin, "07") == {800} and _fees(client, operator, portland, "07") == {600}


def test_the_demo_has_statements_of_recent_weeks(client, operator):
    plan = _by_shop(load("--demo")["us_self_broadcast_plan"])
    shop_id = plan["Austin Candle Works"]["shop_id"]  # the demo seller's shop
    r = client.get(f"/api/v1/shops/{shop_id}/statements", headers=operator, params={"page_size": 200})
    assert r.status_code == 200, r.text
    since = datetime.now(UTC) - timedelta(days=91)
    recent = [s for s in r.json()["items"] if datetime.fromisoformat(s["period_start"]) >= since]
    assert len(recent) >= 2 and all(s["net"]["amount"] > 0 for s in recent)
