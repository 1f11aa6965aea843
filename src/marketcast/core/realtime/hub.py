"""The hub of rooms of one server process, fanning messages out to its connections in memory.

Each room numbers its messages (`seq`, from 1, increasing by one per message) and keeps the last `history` of
them, so a viewer that reconnects with `after_seq=N` gets what it missed, or is told to take a fresh snapshot
when N is no longer kept. `RedisHub` (redis_hub.py) keeps the numbering and the history in Redis, so that every
process serving a room sees the same messages in the same order; this one serves a single process."""

import asyncio
import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from marketcast.core.realtime.messages import Message, jsonable
from marketcast.core.realtime.queue import Subscription

log = logging.getLogger("marketcast.realtime")

# Deliveries between two turns of the event loop: a burst of messages must give each connection's writer a turn
# to drain its queue, or a burst longer than the queue limit would close every viewer, fast ones included.
DELIVERIES_PER_TURN = 32


Outgoing = tuple[str, str, dict[str, Any], str | None]  # room, type, data, latest


@dataclass
class Room:
    name: str
    history: int
    seq: int = 0  # the last seq this process knows of
    buffer: deque[Message] = field(init=False)
    subscribers: set[Subscription] = field(default_factory=set)
    viewers: int = 0  # the room's viewer count (every process's, with Redis)
    reported: int = -1  # this process's count as last reported

    def __post_init__(self) -> None:
        self.buffer = deque(maxlen=self.history)

    def local_viewers(self) -> int:
        return sum(1 for s in self.subscribers if s.counted)

    def deliver(self, message: Message) -> None:
        for subscription in list(self.subscribers):
            subscription.offer(message)

    def replay(self, after_seq: int | None, last: int) -> list[Message] | None:
        """The kept messages after `after_seq` up to `last`, or None when a snapshot is needed instead."""
        if after_seq is None or after_seq > last or after_seq < 0:
            return None
        if after_seq == last:
            return []
        kept = [m for m in self.buffer if after_seq < m.seq <= last]
        if kept and kept[0].seq == after_seq + 1 and kept[-1].seq == last:
            return kept
        return None


@dataclass
class Joined:
    subscription: Subscription
    seq: int  # where the connection starts: a snapshot carries this seq, live messages follow it
    replay: list[Message] | None  # what the viewer missed; None: send a snapshot


class Hub:
    def __init__(self, *, history: int = 1000, queue_limit: int = 256, presence_type: str = "viewers",
                 presence_interval: float = 1.0):
        self.history = history
        self.queue_limit = queue_limit
        self.presence_type = presence_type
        self.presence_interval = presence_interval
        self.rooms: dict[str, Room] = {}
        self._lock = threading.Lock()  # publishers run on worker threads (after a commit), viewers on the loop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._presence: asyncio.Task | None = None
        self._delivery: asyncio.Task | None = None
        self._outgoing: asyncio.Queue[tuple[Room, Message]] = asyncio.Queue()

    # -- publishing -----------------------------------------------------------------------------------------
    def publish_sync(self, room: str, type: str, data: dict[str, Any], *, latest: str | None = None) -> int:
        """Publish from any thread; returns the message's seq."""
        data = jsonable(data)
        with self._lock:
            state = self._room(room)
            state.seq += 1
            message = Message(state.seq, type, data, latest)
            state.buffer.append(message)
            # Queued under the lock: the loop delivers in seq order.
            if state.subscribers and self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._outgoing.put_nowait, (state, message))
        return message.seq

    async def publish(self, room: str, type: str, data: dict[str, Any], *, latest: str | None = None) -> int:
        return self.publish_sync(room, type, data, latest=latest)

    def publish_many_sync(self, messages: list[Outgoing]) -> list[int]:
        """Publish several (room, type, data, latest) in this order, from any thread; their seqs."""
        return [self.publish_sync(room, type, data, latest=latest) for room, type, data, latest in messages]

    async def publish_many(self, messages: list[Outgoing]) -> list[int]:
        return self.publish_many_sync(messages)

    # -- viewers --------------------------------------------------------------------------------------------
    async def join(self, room: str, *, after_seq: int | None = None, counted: bool = True) -> Joined:
        self._bind_loop()
        with self._lock:
            state = self._room(room)
            last = state.seq
            subscription = Subscription(room, limit=self.queue_limit, after=last, counted=counted)
            state.subscribers.add(subscription)
            return Joined(subscription, last, state.replay(after_seq, last))

    def leave(self, subscription: Subscription) -> None:
        with self._lock:
            state = self.rooms.get(subscription.room)
            if state is not None:
                state.subscribers.discard(subscription)

    def viewers(self, room: str) -> int:
        state = self.rooms.get(room)
        return state.viewers if state is not None else 0

    def local_viewers(self, room: str) -> int:
        state = self.rooms.get(room)
        return state.local_viewers() if state is not None else 0

    def kept(self, room: str) -> list[Message]:
        """The messages of `room` this process still keeps (its replay buffer), oldest first."""
        with self._lock:
            state = self.rooms.get(room)
            return list(state.buffer) if state is not None else []

    def watched(self) -> list[str]:
        """The rooms with at least one connection in this process (viewers or not)."""
        with self._lock:
            return [name for name, state in self.rooms.items() if state.subscribers]

    async def close(self) -> None:
        for task in (self._presence, self._delivery):
            if task is not None:
                task.cancel()
        self._presence = self._delivery = None

    # -- inside ---------------------------------------------------------------------------------------------
    def _room(self, room: str) -> Room:
        state = self.rooms.get(room)
        if state is None:
            state = self.rooms[room] = Room(room, self.history)
        return state

    def _bind_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        if self._loop is not None and self._loop.is_running() and not self._loop.is_closed():
            raise RuntimeError("a realtime hub serves one event loop")
        # A new loop (tests start one per client): connections of the old one are gone.
        with self._lock:
            for state in self.rooms.values():
                state.subscribers.clear()
        self._loop = loop
        self._outgoing = asyncio.Queue()
        self._loop_bound()
        self._presence = loop.create_task(self._presence_loop(), name="realtime-presence")
        self._delivery = loop.create_task(self._deliver_loop(), name="realtime-delivery")

    async def _deliver_loop(self) -> None:
        delivered = 0
        while True:
            state, message = await self._outgoing.get()
            state.deliver(message)
            delivered += 1
            if delivered % DELIVERIES_PER_TURN == 0:
                await asyncio.sleep(0)

    def _loop_bound(self) -> None:
        """Hook for transports that hold loop-bound clients."""

    async def _presence_loop(self) -> None:
        while True:
            try:
                await self._report_presence()
            except Exception:  # a failed round is tried again at the next tick
                log.exception("viewer count update failed")
            await asyncio.sleep(self.presence_interval)

    async def _report_presence(self) -> None:
        for state in list(self.rooms.values()):
            count = state.local_viewers()
            if count != state.viewers:
                state.viewers = count
                self.publish_sync(state.name, self.presence_type, {"count": count}, latest=self.presence_type)
