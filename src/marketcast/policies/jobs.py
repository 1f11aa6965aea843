"""The policies area's worker job."""

from marketcast.core import clock
from marketcast.core.db import begin_write, unit_of_work
from marketcast.policies import hooks, service


def announce_policies() -> int:
    """Let the areas re-judge what the versions whose time has come affect (`hooks.versions_due`, a chunk per
    transaction where they chunk), then announce the versions in one last transaction."""
    now = clock.now()
    with unit_of_work() as session:
        due = [service.effective(v) for v in service.due_versions(session, now=now)]
        if due:
            def checkpoint() -> None:
                session.commit()
                begin_write(session)

            hooks.versions_due.fire(session, hooks.DueVersions(due, checkpoint))
        return len(service.announce_effective_versions(session, now=now, judged={v.id for v in due}))


JOBS = {"policies_effective": announce_policies}
