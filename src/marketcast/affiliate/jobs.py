"""The affiliate area's worker jobs, each in its own transaction."""

from marketcast.affiliate import commissions, membership, statements
from marketcast.core.db import unit_of_work


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


JOBS = {"affiliate_rate_decreases": rate_decreases, "affiliate_settlement": settle_commissions}
