"""The programs area's worker jobs: auto-enrollment, then closing the periods that ended, each period in its own
transaction (a killed worker leaves the period open for the next run; two workers close it once)."""

from marketcast.core.db import unit_of_work
from marketcast.programs import enrollment, standings

MAX_PERIODS_PER_RUN = 500


def auto_enroll() -> int:
    with unit_of_work() as session:
        return enrollment.auto_enroll(session)


def close_periods() -> int:
    closed = 0
    for _ in range(MAX_PERIODS_PER_RUN):
        with unit_of_work(write=False) as session:
            due = standings.due_periods(session)
        if not due:
            break
        for program_id, period in due:
            with unit_of_work() as session:
                closed += standings.close_one(session, program_id=program_id, period=period) is not None
    return closed


JOBS = {"programs_auto_enroll": auto_enroll, "programs_close_periods": close_periods}
