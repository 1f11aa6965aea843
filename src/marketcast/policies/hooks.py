"""Hook points of the policies area (core/hooks.py): the areas judged by policies re-judge what a version that
took effect affects, in the transaction that announces it."""

from dataclasses import dataclass
from datetime import datetime

from marketcast.core.hooks import Hook


@dataclass(frozen=True)
class EffectiveVersion:
    id: str
    key: str
    market: str | None  # None: a global version
    effective_from: datetime


versions_effective: Hook[list[EffectiveVersion]] = Hook("policies.versions_effective")
