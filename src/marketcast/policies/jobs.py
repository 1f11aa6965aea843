"""The policies area's worker job."""

from marketcast.core import clock
from marketcast.core.db import unit_of_work
from marketcast.policies import service


def announce_policies() -> int:
    """Announce versions whose time has come; the areas they affect re-judge in the same transaction."""
    with unit_of_work() as session:
        return len(service.announce_effective_versions(session, now=clock.now()))


JOBS = {"policies_effective": announce_policies}
