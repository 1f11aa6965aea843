"""Pilot graduation: on followers (the rules), and on results the affiliate area reports (days, orders, no
frozen commission)."""

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.creators import service
from marketcast.policies import service as policies
from tests.creators.test_creator_reevaluation import statuses
from tests.sellers.conftest import events


def pilots(creator, at, *counts):
    ids = [creator(followers=n)[1]["id"] for n in counts]
    with clock.frozen(at(2024, 7, 1)), unit_of_work() as session:
        service.reevaluate(session, market="US", trigger="july")
    assert set(statuses(ids)) == {"pilot"}
    return ids


def test_reaching_the_pilot_threshold_graduates(creator, us, at):
    (cid,) = pilots(creator, at, 2000)
    with clock.frozen(at(2024, 7, 5)), unit_of_work() as session:
        service.set_followers(session, creator_id=cid, count=5000, as_of=at(2024, 7, 4), actor=SYSTEM)
    assert statuses([cid]) == ["active"]


def test_results_graduate_only_after_the_days_with_the_orders_and_nothing_frozen(creator, us, at):
    with clock.frozen(at(2024, 6, 1)), unit_of_work() as session:
        policies.schedule(session, key="creator.pilot.graduation_orders", market="US", value=5,
                          effective_from=at(2024, 6, 2), reason="five orders", actor=SYSTEM)
    early, few, frozen, good = pilots(creator, at, 1100, 1200, 1300, 1400)
    with clock.frozen(at(2024, 7, 20)), unit_of_work() as session:
        assert service.pilots_due(session) == []
        assert not service.graduate(session, creator_id=early, orders_attributed=50, has_frozen=False)
    with clock.frozen(at(2024, 7, 31)), unit_of_work() as session:
        assert sorted(service.pilots_due(session, market="US")) == sorted([early, few, frozen, good])
        done = service.graduate_many(session, results=[
            service.PilotResults(few, 4, False), service.PilotResults(frozen, 9, True),
            service.PilotResults(good, 5, False)])
    assert done == [good]
    assert statuses([early, few, frozen, good]) == ["pilot", "pilot", "pilot", "active"]
    moved = [e.data for e in events("creator.affiliate_status_changed") if e.data["creator_id"] == good][-1]
    assert (moved["old_status"], moved["new_status"]) == ("pilot", "active")
    with unit_of_work(write=False) as session:
        last = service.history(session, creator_id=good)[-1]
        assert last.kind == "graduation"
        criteria = {r["rule"]: r for r in last.rules}
        assert criteria["graduation_orders"]["compared"] == {"actual": 5, "required": 5}
        assert criteria["pilot_days"]["passed"] and criteria["no_frozen_commission"]["passed"]
        assert criteria["pilot_threshold"]["passed"]  # graduated: the threshold no longer holds it back
        # Graduated stays active when judged again, though still under 5,000 followers.
    with clock.frozen(at(2024, 8, 1)), unit_of_work() as session:
        assert service.reevaluate(session, market="US", trigger="again")["moved"] == 0
