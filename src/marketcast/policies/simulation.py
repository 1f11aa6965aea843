"""Simulating a policy value before it changes: who it would move, and how, with nothing written.

What a value does is known only to the areas that read it, and they sit above this one: sellers judge
applications, creators their affiliate status. So each of them registers a simulator for the keys it reads
(dependency inversion, docs/adr/0012); this module runs the one registered for a key and
turns the moves it reports into counts, a sample and the full list. A simulator judges each subject under the
policies in force now (as they stand) and again as of `effective_from` with the value in place of the key's;
what differs is a move."""

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Request:
    key: str
    market: str
    value: Any
    effective_from: datetime
    at: datetime  # now: what the subjects are as they stand


@dataclass(frozen=True)
class Move:
    subject_type: str  # application | creator
    subject_id: str
    label: str  # what people call the subject: a shop name, a handle
    old: str
    new: str
    figures: dict[str, Any] = field(default_factory=dict)  # what decided it: followers, age, trailing GMV …

    @property
    def name(self) -> str:
        return f"{self.old}->{self.new}"

    def as_json(self) -> dict[str, Any]:
        return {"subject_type": self.subject_type, "subject_id": self.subject_id, "label": self.label,
                "from": self.old, "to": self.new, "figures": self.figures}


# A simulator yields the moves of a request and counts what it judged in `stats["evaluated"]`.
Simulator = Callable[[Session, Request, Counter], Iterator[Move]]
_SIMULATORS: dict[str, tuple[str, Simulator]] = {}


def register(keys: tuple[str, ...], subject_type: str, simulator: Simulator) -> None:
    """Called by an area for the keys its rules read (at import of its service module)."""
    for key in keys:
        _SIMULATORS[key] = (subject_type, simulator)


def simulated_keys() -> list[str]:
    return sorted(_SIMULATORS)


def simulator_for(key: str) -> tuple[str, Simulator] | None:
    return _SIMULATORS.get(key)


def summarize(moves: Iterator[Move], stats: Counter, *, sample_size: int) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    sample: list[dict[str, Any]] = []
    for move in moves:
        counts[move.name] += 1
        if len(sample) < sample_size:
            sample.append(move.as_json())
    return {"evaluated": stats["evaluated"], "moved": sum(counts.values()), "counts": dict(sorted(counts.items())),
            "sample": sample}


CSV_COLUMNS = ("subject_type", "subject_id", "label", "from", "to", "figures")


def csv_lines(moves: Iterator[Move]) -> Iterator[str]:
    """The full list as CSV lines (figures as key=value pairs), one move at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for move in moves:
        writer.writerow([move.subject_type, move.subject_id, move.label, move.old, move.new,
                         " ".join(f"{k}={v}" for k, v in move.figures.items())])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
