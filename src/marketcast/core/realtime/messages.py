"""A room message: `{type, seq, data}` on the wire, encoded once however many viewers receive it."""

import json
from typing import Any

from pydantic_core import to_jsonable_python


class Message:
    """One message of a room. `latest` names a "latest value" (units left of one deal, the viewer count): a
    newer message with the same `latest` replaces an older one still waiting in a viewer's queue."""

    __slots__ = ("seq", "type", "data", "latest", "text")

    def __init__(self, seq: int, type: str, data: dict[str, Any], latest: str | None = None):
        self.seq = seq
        self.type = type
        self.data = data
        self.latest = latest
        self.text = json.dumps({"type": type, "seq": seq, "data": data}, separators=(",", ":"))

    def __repr__(self) -> str:
        return f"Message({self.seq}, {self.type!r}, latest={self.latest!r})"


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """The data as JSON types (datetimes as ISO text), taken when the message is queued: a caller that changes
    its dict afterwards does not change what is sent."""
    return to_jsonable_python(data)
