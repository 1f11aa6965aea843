"""What the sellers area does when lower areas change (core/hooks.py)."""

from sqlalchemy.orm import Session

from marketcast.policies import hooks as policy_hooks
from marketcast.sellers import service


@policy_hooks.versions_due.subscribe
def _rejudge_in_chunks(session: Session, due: policy_hooks.DueVersions) -> None:
    for _ in service.reevaluate_after_chunks(session, changes=policy_hooks.changes(due.versions)):
        due.checkpoint()


@policy_hooks.versions_effective.subscribe
def _rejudge(session: Session, versions: list[policy_hooks.EffectiveVersion]) -> None:
    service.reevaluate_after(session, changes=policy_hooks.changes(versions))
