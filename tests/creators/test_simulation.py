"""Simulating a creator policy before it changes: the prediction equals what the change then does, creator by
creator, and simulating writes nothing."""

import csv
import io

from typer.testing import CliRunner

from marketcast.cli import app as cli
from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.policies import jobs as policy_jobs
from marketcast.policies import service as policies
from tests.creators.conftest import problem
from tests.sellers.conftest import events, row_counts

SIMULATIONS = "/api/v1/policies/{}/simulations"
PILOT = "creator.affiliate.pilot_below_followers"


def test_the_prediction_equals_the_real_moves_subject_by_subject(client, creator, us, at, operator):
    born = {600: "1990-01-01", 1500: "1990-01-01", 2500: "2006-08-01", 4000: "1990-01-01", 8000: "1990-01-01",
            12000: "2006-07-20"}
    ids = {n: creator(followers=n, born=b)[1]["id"] for n, b in born.items()}
    with clock.frozen(at(2024, 7, 1, 0, 1)):
        policy_jobs.announce_policies()  # July: pilot under 5,000
    with clock.frozen(at(2024, 7, 10)):
        before = row_counts()
        r = client.post(SIMULATIONS.format(PILOT), headers=operator,
                        json={"market": "US", "value": 10000, "effective_from": "2024-08-01T00:00:00Z"})
        assert r.status_code == 200, r.text
        predicted = r.json()
        assert row_counts() == before  # not even an event
        with unit_of_work() as session:
            policies.schedule(session, key=PILOT, market="US", value=10000, effective_from=at(2024, 8, 1),
                              reason="pilot under 10,000", actor=SYSTEM)
    assert predicted["evaluated"] == 6 and predicted["subject_type"] == "creator"
    # 8,000 followers go back to the pilot; 12,000 aged 17 turns 18 on 2024-07-20 (active under either value);
    # 2,500 aged 17 turns 18 on the day of the change, into the pilot.
    assert predicted["counts"] == {"active->pilot": 1, "ineligible->active": 1, "ineligible->pilot": 1}
    with clock.frozen(at(2024, 8, 1, 0, 1)):
        policy_jobs.announce_policies()
    real = {e.data["creator_id"]: (e.data["old_status"], e.data["new_status"])
            for e in events("creator.affiliate_status_changed") if e.occurred_at >= at(2024, 8, 1)}
    assert {m["subject_id"]: (m["from"], m["to"]) for m in predicted["sample"]} == real
    assert real == {ids[8000]: ("active", "pilot"), ids[12000]: ("ineligible", "active"),
                    ids[2500]: ("ineligible", "pilot")}
    sample = {m["subject_id"]: m for m in predicted["sample"]}
    assert sample[ids[8000]]["figures"] == {"followers": 8000, "age": 34} and sample[ids[8000]]["label"]


def test_the_full_list_as_csv_and_from_the_cli(client, creator, us, at, operator, tmp_path):
    ids = sorted(creator(followers=n)[1]["id"] for n in (1100, 2200, 3300))
    with clock.frozen(at(2024, 6, 15)):
        r = client.post(SIMULATIONS.format(PILOT), headers={**operator, "Accept": "text/csv"},
                        json={"market": "US", "value": 5000, "effective_from": "2024-07-01T00:00:00Z"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert sorted(row["subject_id"] for row in rows) == ids
        assert {(row["from"], row["to"]) for row in rows} == {("ineligible", "pilot")}
        out = tmp_path / "moves.csv"
        result = CliRunner().invoke(cli, ["policy", "simulate", PILOT, "5,000", "--market", "US", "--from",
                                          "2024-07-01", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert "ineligible->pilot: 3" in result.output
    assert sorted(row["subject_id"] for row in csv.DictReader(out.open())) == ids


def test_bad_simulations_name_the_field(client, us, operator, make_user, at):
    url = SIMULATIONS.format(PILOT)
    with clock.frozen(at(2024, 6, 15)):
        problem(client.post(SIMULATIONS.format("live.bag.max_products"), headers=operator,
                            json={"market": "US", "value": 10}), 422, "policy_not_simulated", "key")
        problem(client.post(url, headers=operator, json={"market": "US", "value": -5}), 422, "invalid_policy_value",
                "value")
        problem(client.post(url, headers=operator, json={"market": "US", "value": 5,
                                                         "effective_from": "2024-01-01T00:00:00Z"}),
                422, "effective_from_in_past", "effective_from")
        problem(client.post(SIMULATIONS.format("no.such.key"), headers=operator, json={"market": "US", "value": 1}),
                404, "policy_not_found")
        _, spain_only = make_user("operator", markets=["ES"])
        problem(client.post(url, headers=spain_only, json={"market": "US", "value": 5}), 403, "market_out_of_scope")
        _, creator_user = make_user("creator")
        problem(client.post(url, headers=creator_user, json={"market": "US", "value": 5}), 403, "wrong_role")
