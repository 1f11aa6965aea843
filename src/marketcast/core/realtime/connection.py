"""One viewer's WebSocket on a room: the first message (a snapshot, or what was missed), then the room's messages
from the viewer's bounded queue, until the viewer leaves, falls behind, or the room closes it.

Close codes: 4000 + the HTTP status of a refusal (4401 unauthenticated, 4403 forbidden, 4404 no such room, with
the error code as the reason); CLOSE_BEHIND when the viewer fell too far behind: reconnect with `after_seq`."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from marketcast.core.errors import DomainError
from marketcast.core.realtime.hub import Hub
from marketcast.core.realtime.messages import Message
from marketcast.core.realtime.queue import Subscription

log = logging.getLogger("marketcast.realtime")

CLOSE_BEHIND = 4008
BEHIND_REASON = "behind: reconnect with after_seq"
# How long a close may wait for a viewer that does not read (its socket buffer full) before giving up on it.
CLOSE_WAIT_SECONDS = 5.0

Snapshot = Callable[[], dict[str, Any]]  # sync: reads the database in a unit of work of its own
OnText = Callable[[str, Subscription], Awaitable[None]]  # a text the viewer sent, and its subscription


def close_code(exc: DomainError) -> int:
    return 4000 + exc.status


async def refuse(websocket: WebSocket, exc: DomainError) -> None:
    """Close with 4000 + status and the error's code (a WebSocket has no problem+json). Accepted first: a
    handshake refused with HTTP 403 tells a browser nothing, a close frame carries the code and the reason."""
    if websocket.application_state == WebSocketState.CONNECTING:
        with contextlib.suppress(Exception):
            await websocket.accept()
    await _close(websocket, close_code(exc), exc.code)


async def serve_room(websocket: WebSocket, hub: Hub, room: str, *, after_seq: int | None, snapshot: Snapshot,
                     counted: bool = True, on_text: OnText | None = None,
                     snapshot_type: str = "snapshot") -> None:
    """Serve an accepted `websocket` on `room` until it ends. `snapshot` is called after joining the room, so
    every change committed before it is in the snapshot and every later one arrives as a message after it."""
    joined = await hub.join(room, after_seq=after_seq, counted=counted)
    subscription = joined.subscription
    sender = asyncio.create_task(_send(websocket, subscription, joined.seq, joined.replay, snapshot, snapshot_type))
    receiver = asyncio.create_task(_receive(websocket, on_text, subscription))
    behind = asyncio.create_task(subscription.behind.wait())
    try:
        done, _ = await asyncio.wait({sender, receiver, behind}, return_when=asyncio.FIRST_COMPLETED)
        if behind in done:
            await _close(websocket, CLOSE_BEHIND, BEHIND_REASON)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                if isinstance(exc, DomainError):
                    await refuse(websocket, exc)
                elif not isinstance(exc, WebSocketDisconnect | OSError | RuntimeError):
                    log.error("room %s connection failed", room, exc_info=exc)
    finally:
        hub.leave(subscription)
        for task in (sender, receiver, behind):
            task.cancel()
        for task in (sender, receiver, behind):
            with contextlib.suppress(BaseException):
                await task


async def _send(websocket: WebSocket, subscription: Subscription, seq: int, replay: list[Message] | None,
                snapshot: Snapshot, snapshot_type: str) -> None:
    if replay is None:
        data = await run_in_threadpool(snapshot)
        await websocket.send_text(Message(seq, snapshot_type, data).text)
    else:
        for message in replay:
            await websocket.send_text(message.text)
    while True:
        batch = await subscription.next_batch()
        if not batch:
            return
        for message in batch:
            await websocket.send_text(message.text)


async def _receive(websocket: WebSocket, on_text: OnText | None, subscription: Subscription) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is not None and on_text is not None:
            await on_text(text, subscription)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.DISCONNECTED:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(websocket.close(code, reason), CLOSE_WAIT_SECONDS)
