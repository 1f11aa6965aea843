"""What the creators area does when lower areas change (core/hooks.py)."""

from sqlalchemy.orm import Session

from marketcast.creators import reevaluation
from marketcast.policies import hooks as policy_hooks


@policy_hooks.versions_due.subscribe
def _rederive_due(session: Session, due: policy_hooks.DueVersions) -> None:
    reevaluation.reevaluate_after(session, changes=policy_hooks.changes(due.versions))
    due.checkpoint()


@policy_hooks.versions_effective.subscribe
def _rederive(session: Session, versions: list[policy_hooks.EffectiveVersion]) -> None:
    reevaluation.reevaluate_after(session, changes=policy_hooks.changes(versions))
