"""A diagnostic room, mounted only with MARKETCAST_REALTIME_DIAGNOSTICS=true (never in a default install): publish
a message through one server process and watch it arrive on a WebSocket served by another, to check that Redis
carries rooms between processes. It goes through the same path as the product's rooms: a request's unit of work,
`publish_after_commit`, the hub, `serve_room`."""

from typing import Any

from fastapi import APIRouter, Query, WebSocket
from pydantic import BaseModel, Field

from marketcast.core import realtime
from marketcast.core.web_deps import MaybeUser, UnitOfWork

router = APIRouter(prefix="/api/v1/realtime/diagnostics", include_in_schema=False)

_ROOM = "diagnostics:{name}"


class MessageIn(BaseModel):
    type: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict)
    latest: str | None = Field(None, max_length=80)


@router.post("/rooms/{name}/messages", status_code=202)
def post_message(name: str, body: MessageIn, uow: UnitOfWork) -> dict[str, bool]:
    realtime.publish_after_commit(uow, _ROOM.format(name=name), body.type, body.data, latest=body.latest)
    return {"queued": True}


@router.websocket("/rooms/{name}/ws")
async def room_socket(websocket: WebSocket, name: str, actor: MaybeUser,
                      after_seq: int | None = Query(None, ge=0)) -> None:
    role = actor.role if actor is not None else None
    await websocket.accept()  # ends the unit of work the token was read in
    hub = realtime.hub()
    room = _ROOM.format(name=name)
    await realtime.serve_room(websocket, hub, room, after_seq=after_seq,
                              snapshot=lambda: {"room": name, "viewers": hub.viewers(room), "role": role})


class BurstIn(BaseModel):
    count: int = Field(ge=1, le=10000)
    size: int = Field(0, ge=0, le=65536)  # padding, in characters
    interval_ms: float = Field(0, ge=0, le=10000)  # between two messages; 0: all at once
    burst: int = 0  # echoed in each message, so a client can tell bursts apart


@router.post("/rooms/{name}/bursts", status_code=202)
async def post_burst(name: str, body: BurstIn) -> dict[str, int]:
    """Publish `count` messages stamped with this host's monotonic clock (bench/live_fanout.py measures delivery
    latency against it): the fan-out alone, with no transaction per message."""
    import asyncio
    import time

    hub = realtime.hub()
    room = _ROOM.format(name=name)
    pad = "x" * body.size
    if not body.interval_ms:  # all at once, as a transaction's queue is sent: one round trip with Redis
        stamp = time.monotonic()
        seqs = await hub.publish_many([(room, "burst", {"t": stamp, "b": body.burst, "i": i, "pad": pad}, None)
                                       for i in range(body.count)])
        return {"last_seq": seqs[-1]}
    last = 0
    for i in range(body.count):
        last = await hub.publish(room, "burst", {"t": time.monotonic(), "b": body.burst, "i": i, "pad": pad})
        await asyncio.sleep(body.interval_ms / 1000)
    return {"last_seq": last}
