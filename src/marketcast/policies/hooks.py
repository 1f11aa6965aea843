"""Hook points of the policies area (core/hooks.py): the areas judged by policies re-judge what a version that
takes effect affects.

The worker's job runs in two steps (policies/jobs.py): `versions_due` first, where a long pass may call
`checkpoint()` between chunks so no transaction lasts longer than a chunk, then the announcement, which fires
`versions_effective` for the versions that became due in between (and for every version when something
announces directly, as the scenario does). A crash between the two leaves the versions unannounced: the next
run judges again (a verdict that did not change writes nothing) and announces."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from marketcast.core.hooks import Hook


@dataclass(frozen=True)
class EffectiveVersion:
    id: str
    key: str
    market: str | None  # None: a global version
    effective_from: datetime


@dataclass(frozen=True)
class DueVersions:
    versions: list[EffectiveVersion]
    checkpoint: Callable[[], None]  # commits the work done so far and opens the next transaction


versions_due: Hook[DueVersions] = Hook("policies.versions_due")
versions_effective: Hook[list[EffectiveVersion]] = Hook("policies.versions_effective")


def changes(versions: list[EffectiveVersion]) -> list[tuple[str, str | None]]:
    """(key, market) of each version, the shape the re-judging passes take."""
    return [(v.key, v.market) for v in versions]
