"""Realtime rooms: numbered messages fanned out to WebSocket viewers, in process or through Redis (docs/adr/0017).

- `hub()` is this process's hub: in memory by default, `RedisHub` when `MARKETCAST_REDIS_URL` is set, so every
  server process serving a room sees the same messages, numbered by Redis, in the same order.
- Services call `publish_after_commit(session, room, type, data)`: sent after the commit, never on a rollback;
  `call_after_commit(session, action)` runs a function on the same terms.
- A WebSocket route accepts, then hands the socket to `serve_room` (core.realtime.connection)."""

import threading
from typing import Any

from marketcast.core.realtime.after_commit import call_after_commit, pending, publish_after_commit
from marketcast.core.realtime.connection import CLOSE_BEHIND, close_code, refuse, serve_room
from marketcast.core.realtime.hub import Hub, Joined
from marketcast.core.realtime.messages import Message
from marketcast.core.realtime.queue import Subscription
from marketcast.core.settings import get_settings

__all__ = ["CLOSE_BEHIND", "Hub", "Joined", "Message", "Subscription", "call_after_commit", "close_code", "hub",
           "pending", "publish_after_commit", "refuse", "reset_hub", "serve_room"]

_hub: Hub | None = None
_lock = threading.Lock()


def hub() -> Hub:
    """This process's hub, made from the settings on first use."""
    global _hub
    if _hub is None:
        with _lock:
            if _hub is None:
                _hub = _make()
    return _hub


def _make() -> Hub:
    settings = get_settings()
    options: dict[str, Any] = dict(history=settings.realtime_history, queue_limit=settings.realtime_queue_limit,
                   presence_interval=settings.realtime_presence_interval_seconds)
    if settings.redis_url:
        from marketcast.core.realtime.redis_hub import RedisHub

        return RedisHub(settings.redis_url, prefix=settings.redis_prefix, **options)
    return Hub(**options)


def reset_hub() -> None:
    """Forget this process's hub (tests; settings changed). Its loop-bound tasks end with their loop."""
    global _hub
    with _lock:
        _hub = None
