"""This server process's viewers of each LIVE room, reported to the session's figures about once a second
(metrics.record_presence): a connection is counted here on join and leave, never written per viewer.

`PROCESS_ID` names the process in `live_presence`; a process that dies stops being counted after
metrics.PRESENCE_TTL. The room's WebSocket route calls `joined`/`left` (and `ensure_reporting` for every connection,
hosts too); `report_due` is what the flusher runs."""

import asyncio
import logging
import os
import socket
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from marketcast.core.db import unit_of_work
from marketcast.live import metrics

PROCESS_ID = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
REPORT_EVERY = 1.0  # seconds
KEEPALIVE_EVERY = 5.0  # report an unchanged room this often, so its presence stays fresh
log = logging.getLogger(__name__)


@dataclass
class _Room:
    viewers: int = 0
    joined: list[str] = field(default_factory=list)
    changed: bool = True
    quiet_for: float = 0.0


_rooms: dict[str, _Room] = defaultdict(_Room)


def joined(session_id: str, viewer_key: str) -> None:
    room = _rooms[session_id]
    room.viewers += 1
    room.joined.append(viewer_key)
    room.changed = True


def left(session_id: str) -> None:
    room = _rooms[session_id]
    room.viewers = max(0, room.viewers - 1)
    room.changed = True


def viewers(session_id: str) -> int:
    room = _rooms.get(session_id)
    return room.viewers if room else 0


def report_due(elapsed: float = REPORT_EVERY) -> dict[str, int]:
    """Write each changed room's report (and each quiet one's every KEEPALIVE_EVERY), one transaction per room;
    returns the rooms reported with their viewers. A room left empty is dropped once reported."""
    done = {}
    for session_id, room in list(_rooms.items()):
        room.quiet_for += elapsed
        if not room.changed and room.quiet_for < KEEPALIVE_EVERY:
            continue
        batch, room.joined, room.changed, room.quiet_for = room.joined, [], False, 0.0
        try:
            with unit_of_work() as session:
                metrics.record_presence(session, session_id=session_id, process_id=PROCESS_ID,
                                        viewers=room.viewers, joined=batch)
        except IntegrityError:  # the session is gone (a database emptied under a running server): stop counting it
            log.warning("live session %s no longer exists: its room is no longer reported", session_id)
            _rooms.pop(session_id, None)
            continue
        except Exception:  # the database is busy or away: keep the joins for the next report
            log.exception("live presence report for %s failed", session_id)
            room.joined[:0], room.changed = batch, True
            continue
        done[session_id] = room.viewers
        if room.viewers == 0 and not room.joined:
            _rooms.pop(session_id, None)
    return done


_reporter: asyncio.Task | None = None


def ensure_reporting() -> None:
    """Start this process's reporter on the running event loop, once."""
    global _reporter
    if _reporter is None or _reporter.done():
        _reporter = asyncio.get_running_loop().create_task(report_forever(), name="live-presence")


async def report_forever() -> None:
    """The process's flusher: started with the first room connection, runs the reports off the event loop, and
    (without Redis) tells the rooms watched here of the deal moves the worker made (live/watch.py)."""
    from marketcast.live import watch

    while True:
        await asyncio.sleep(REPORT_EVERY)
        await asyncio.to_thread(report_due)
        await asyncio.to_thread(watch.tell_moves_safely)
