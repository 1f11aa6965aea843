"""The scenario's US creators: at least 20,000 with log-normal followers; as of 2024-06-15 and 2024-07-15 how
many are ineligible, pilot and active and how many the change moved; a simulation as of 2024-06-15 predicts
exactly those moves."""

import json
import statistics

import pytest
from typer.testing import CliRunner

from marketcast.cli import app as cli
from marketcast.scenario import us_creators

runner = CliRunner()


def test_the_population_is_heavy_tailed():
    followers = [f for _, f, _ in us_creators.population()]
    assert len(followers) >= 20_000
    assert statistics.mean(followers) > 1.5 * statistics.median(followers)  # a long right tail
    assert 0.15 < sum(f < 1000 for f in followers) / len(followers) < 0.35
    assert max(followers) > 100 * statistics.median(followers)


@pytest.mark.slow
def test_the_july_change_moves_exactly_what_the_june_simulation_predicted(monkeypatch):
    monkeypatch.setenv("MARKETCAST_SCENARIO_CREATORS", str(us_creators.POPULATION))
    june = runner.invoke(cli, ["scenario", "tiktok-us-2024", "--json", "--at", "2024-06-15"])
    assert june.exit_code == 0, june.output
    before = json.loads(june.stdout)["us_creators"]
    after = json.loads(runner.invoke(cli, ["scenario", "tiktok-us-2024", "--json", "--at", "2024-07-15"]).stdout)[
        "us_creators"]
    assert before["total"] == after["total"] == 20_000
    assert before["statuses"]["pilot"] == 0 and before["moved_by_the_change"] == 0
    assert after["statuses"]["pilot"] > 5_000 and after["moved_by_the_change"] == sum(after["moves"].values())
    # Creators between 1,000 and 4,999 followers move from ineligible to the pilot; none go straight to active
    # but those who turned 18 meanwhile with 5,000 or more.
    assert after["moves"]["ineligible->pilot"] == after["statuses"]["pilot"]
    sim = before["simulation_2024_06_15"]
    assert sim["equals_what_happened"] and sim["counts"] == after["moves"]
    assert sim["moved"] == after["moved_by_the_change"]
    human = runner.invoke(cli, ["scenario", "tiktok-us-2024", "--at", "2024-07-15"])
    assert "US creators as of 2024-07-15: 20,000" in human.output and "exactly what happened" in human.output


def test_a_smaller_population_tells_the_same_story():
    out = json.loads(runner.invoke(cli, ["scenario", "tiktok-us-2024", "--json", "--at", "2024-07-15"]).stdout)
    creators = out["us_creators"]
    assert creators["total"] == 1500 and creators["simulation_2024_06_15"]["equals_what_happened"]
    assert set(creators["moves"]) <= {"ineligible->pilot", "ineligible->active"}
