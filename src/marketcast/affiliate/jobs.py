"""The affiliate area's worker jobs, each in its own transaction."""

from marketcast.affiliate import commissions, membership, statements
from marketcast.core.db import unit_of_work
from marketcast.creators import service as creators


def rate_decreases() -> int:
    """Reminders 2 days before a scheduled rate decrease, then the decreases that are due."""
    with unit_of_work() as session:
        return sum(membership.remind_and_apply(session))


def settle_commissions() -> int:
    """Commissions past their hold become settleable; then the statements of the period that ended close."""
    with unit_of_work() as session:
        ready = commissions.make_settleable(session)
    with unit_of_work() as session:
        return ready + statements.close_due(session)


def graduate_pilots() -> int:
    """Pilots whose days are over graduate with enough attributed orders and no frozen commission: the creators
    area judges, from the results this area counts."""
    with unit_of_work() as session:
        due = creators.pilots_due(session)
        results = commissions.pilot_results(session, creator_ids=due)
        return len(creators.graduate_many(session, results=[
            creators.PilotResults(cid, orders, frozen) for cid, (orders, frozen) in results.items()]))


JOBS = {"affiliate_rate_decreases": rate_decreases, "affiliate_settlement": settle_commissions,
        "affiliate_pilot_graduation": graduate_pilots}
