import threading
import time
from datetime import UTC, datetime

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import new_session, unit_of_work
from marketcast.core.errors import Conflict
from marketcast.policies import service

JULY_1 = datetime(2024, 7, 1, tzinfo=UTC)


def test_two_operators_racing_for_the_same_instant_one_wins(us_es):
    """The second waits on the first's row (PostgreSQL: the unique index; SQLite: the write lock), then conflicts."""
    outcome: dict[str, str] = {}

    def second() -> None:
        try:
            with unit_of_work() as session:
                service.schedule(session, key="creator.affiliate.min_followers", market="US", value=2000,
                                 effective_from=JULY_1, reason="second", actor=SYSTEM)
            outcome["second"] = "scheduled"
        except Conflict as exc:
            outcome["second"] = exc.code

    with clock.frozen(datetime(2024, 6, 10, tzinfo=UTC)):
        first = new_session()
        service.schedule(first, key="creator.affiliate.min_followers", market="US", value=1000,
                         effective_from=JULY_1, reason="first", actor=SYSTEM)
        first.flush()
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)  # let the second reach its insert while the first is uncommitted
        first.commit()
        first.close()
        racer.join(timeout=30)
    assert outcome == {"second": "policy_version_exists"}
    with unit_of_work(write=False) as session:
        assert service.value(session, key="creator.affiliate.min_followers", market="US", at=JULY_1) == 1000
