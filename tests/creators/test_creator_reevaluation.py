"""Re-evaluation when a threshold takes effect: the worker, the API and the CLI run one set-based pass in chunks
that records and announces each move, and nothing else."""

from sqlalchemy import func, select
from typer.testing import CliRunner

from marketcast.cli import app as cli
from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.creators import service
from marketcast.creators.models import StatusChange
from marketcast.policies import jobs as policy_jobs
from tests.creators.conftest import CREATORS, problem
from tests.sellers.conftest import events


def statuses(ids):
    with unit_of_work(write=False) as session:
        return [service.find(session, i).affiliate_status for i in ids]


def test_the_worker_moves_the_creators_when_the_july_versions_take_effect(client, creator, us, at, operator):
    counts = (500, 1200, 4999, 5000, 9000)
    ids = [creator(followers=n)[1]["id"] for n in counts]
    young = creator(followers=3000, born="2007-03-01")[1]["id"]
    assert statuses(ids + [young]) == ["ineligible", "ineligible", "ineligible", "active", "active", "ineligible"]
    with clock.frozen(at(2024, 7, 1, 0, 5)):
        policy_jobs.announce_policies()
    assert statuses(ids + [young]) == ["ineligible", "pilot", "pilot", "active", "active", "ineligible"]
    moved = [e.data for e in events("creator.affiliate_status_changed") if e.data["trigger"].startswith("policy")]
    assert sorted(e["creator_id"] for e in moved) == sorted(ids[1:3])
    for e in moved:
        assert (e["old_status"], e["new_status"], e["rule"]) == ("ineligible", "pilot", "pilot_threshold")
        assert e["policy_version_id"] == us["creator.affiliate.pilot_below_followers"]
        assert us["creator.affiliate.min_followers"] in e["policy_versions"]
    history = client.get(f"{CREATORS}/{ids[1]}/history", headers=operator).json()
    assert history[-1]["kind"] == "reevaluation" and history[-1]["trigger"].startswith("policy change")
    assert history[-1]["at"].startswith("2024-07-01")
    # Again: nothing moves, nothing is written.
    with clock.frozen(at(2024, 7, 2)), unit_of_work() as session:
        again = service.reevaluate(session, market="US", trigger="again")
        changes = session.scalar(select(func.count()).select_from(StatusChange))
    assert again == {"market": "US", "evaluated": 6, "moved": 0, "moves": {}}
    with unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(StatusChange)) == changes


def test_small_chunks_judge_every_creator_once(creator, us, at):
    ids = [creator(followers=n)[1]["id"] for n in range(1000, 1000 + 23 * 100, 100)]
    with clock.frozen(at(2024, 7, 1)), unit_of_work() as session:
        result = service.reevaluate(session, market="US", trigger="test", chunk_size=4)
    assert result["evaluated"] == 23 and result["moves"] == {"ineligible->pilot": 23}
    assert set(statuses(ids)) == {"pilot"}


def test_the_api_and_the_cli_reevaluate(client, creator, us, at, operator, make_user):
    ids = [creator(followers=n)[1]["id"] for n in (2000, 3000)]
    with clock.frozen(at(2024, 7, 1)):
        r = client.post(f"{CREATORS}/reevaluate", headers=operator, json={"market": "us"})
    assert r.status_code == 200 and r.json()["moves"] == {"ineligible->pilot": 2}
    _, spain_only = make_user("operator", markets=["ES"])
    problem(client.post(f"{CREATORS}/reevaluate", headers=spain_only, json={"market": "US"}), 403,
            "market_out_of_scope")
    problem(client.post(f"{CREATORS}/reevaluate", headers=operator, json={"market": "ZZ"}), 422, "unknown_market",
            "market")
    with unit_of_work() as session:
        service.set_followers(session, creator_id=ids[0], count=6000, as_of=at(2024, 6, 30),
                              actor=SYSTEM)
    result = CliRunner().invoke(cli, ["creators", "reevaluate", "--market", "US"])
    assert result.exit_code == 0, result.output
    assert "2 judged, 0 moved" in result.output  # set_followers already moved it
    shown = CliRunner().invoke(cli, ["creators", "show", ids[1], "--at", "2024-07-02"])
    assert shown.exit_code == 0 and "pilot" in shown.output and "pilot threshold: failed" in shown.output
