"""Deal moves this server process tells its own rooms when no Redis joins the processes.

The worker opens scheduled deals and ends deals whose time is up in a process of its own; what it publishes
reaches viewers only through Redis. Without Redis, each server process looks, about once a second (the presence
loop, live/presence.py), at the deals of the sessions it has connections for: one query for the deals updated
since its last look (a take of units does not touch `updated_at`: purchases are told by the checkout), and a
`deal` message for each whose status is not the one in the newest `deal` message its room keeps
(rooms.told_status), so a move this process announced itself is not told twice. A look spans a few seconds more
than the time since the last one, so a move committed just after the last look read the clock is not missed."""

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import select

from marketcast.core import clock
from marketcast.core.db import unit_of_work
from marketcast.core.realtime import hub
from marketcast.core.settings import get_settings
from marketcast.live import buckets, deals, rooms
from marketcast.live.models import FlashDeal

OVERLAP = timedelta(seconds=3)
log = logging.getLogger(__name__)
_lock = threading.Lock()
_last_look: datetime | None = None


def tell_moves() -> int:
    """One look (see above); the number of `deal` messages published. Nothing to do with Redis configured."""
    global _last_look
    if get_settings().redis_url:
        return 0
    with _lock:
        watched = {s for s in map(rooms.session_of, hub().watched()) if s}
        now = clock.now()
        since = (min(_last_look, now) if _last_look else now) - OVERLAP  # a test's clock may go back
        _last_look = now
        if not watched:
            return 0
        with unit_of_work(write=False) as session:
            changed = list(session.scalars(select(FlashDeal).where(FlashDeal.session_id.in_(sorted(watched)),
                                                                   FlashDeal.updated_at > since)))
            running = [d.id for d in changed if d.buckets > 1 and d.status != "ended"]
            left = buckets.totals(session, running) if running else {}
            moved = [(d.session_id, deals.snapshot_of(d, now, (left[d.id], d.allotment - d.returned - left[d.id])
                                                      if d.id in left else None)) for d in changed]
        told = 0
        for session_id, snapshot in moved:
            if snapshot["status"] != rooms.told_status(session_id, snapshot["id"]):
                rooms.deal_moved(session_id=session_id, deal=snapshot)
                told += 1
        return told


def tell_moves_safely() -> None:
    try:
        tell_moves()
    except Exception:  # the database is busy or away: the next look spans this one
        log.exception("looking for deal moves failed")


def reset() -> None:
    """Forget the last look (tests)."""
    global _last_look
    with _lock:
        _last_look = None
