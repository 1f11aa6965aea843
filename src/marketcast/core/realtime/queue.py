"""A viewer's bounded queue: what the room sent that this connection has not written yet.

A slow viewer never slows the room: publishing only appends here (or replaces a "latest value" already waiting),
and when more than `limit` messages wait the subscription is marked `behind` and its connection is closed; the
viewer reconnects with its last `seq` and gets what it missed, or a fresh snapshot."""

import asyncio
from collections import OrderedDict

from marketcast.core.realtime.messages import Message


class Subscription:
    def __init__(self, room: str, *, limit: int, after: int, counted: bool = True):
        self.room = room
        self.limit = limit
        self.counted = counted  # counts as a viewer (the host does not)
        # The highest seq offered: a message at or below it is already sent or replayed (a delivery scheduled
        # before this subscription joined), so seq never goes backwards on a connection.
        self.last_seq = after
        self._pending: OrderedDict[int, Message] = OrderedDict()
        self._latest: dict[str, int] = {}  # latest key -> seq of the waiting message that holds it
        self._ready = asyncio.Event()
        self.behind = asyncio.Event()  # set once when the queue overflowed; nothing is queued after that
        self.coalesced = 0

    def offer(self, message: Message) -> None:
        """Called on the event loop for each message of the room, in seq order."""
        if message.seq <= self.last_seq or self.behind.is_set():
            return
        self.last_seq = message.seq
        if message.latest is not None:
            older = self._latest.pop(message.latest, None)
            if older is not None:
                del self._pending[older]
                self.coalesced += 1
            self._latest[message.latest] = message.seq
        if len(self._pending) >= self.limit:
            self._pending.clear()
            self._latest.clear()
            self.behind.set()
            self._ready.set()
            return
        self._pending[message.seq] = message
        self._ready.set()

    def waiting(self) -> int:
        return len(self._pending)

    async def next_batch(self) -> list[Message]:
        """Every waiting message, in seq order (waits for at least one; empty once the viewer is behind)."""
        while not self._pending:
            if self.behind.is_set():
                return []
            self._ready.clear()
            await self._ready.wait()
        batch = list(self._pending.values())
        self._pending.clear()
        self._latest.clear()
        return batch
