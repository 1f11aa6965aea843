"""The live area's worker job: deals move scheduled -> counting_down -> open -> ended on time, each move a
guarded UPDATE in its own transaction (a killed worker leaves a deal where it was; the next run moves it once)."""

from marketcast.core.db import unit_of_work
from marketcast.live import deals


def advance_deals() -> int:
    with unit_of_work() as session:
        return deals.advance(session)


JOBS = {"live_deals": advance_deals}
