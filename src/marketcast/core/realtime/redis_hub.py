"""Rooms carried by Redis between server processes: one stream per room, its seq given by Redis.

Publishing runs one Lua script: INCR the room's counter, XADD the message with that counter as its stream id
(`<seq>-0`), trim to about `history` entries, refresh the keys' expiry. So seq is atomic per room whichever
process or host publishes, and the stream is the replay buffer every process shares. Each process reads a room
it has viewers in with `XREAD BLOCK` from the last id it delivered: a dropped Redis connection resumes from that
id and loses nothing (pub/sub would drop what was sent meanwhile; docs/adr/0017).

Viewer counts: each process writes its own count into the room's presence hash every `presence_interval`
(with Redis' time); a script sums the fresh entries, drops stale ones (a killed process stops counting after
`presence_stale_seconds`) and, when the total changed, publishes one `viewers` message for the whole room."""

import asyncio
import json
import logging
import os
import socket
import uuid
from typing import Any

import redis
import redis.asyncio as aredis

from marketcast.core.realtime.hub import DELIVERIES_PER_TURN, Hub, Joined, Outgoing, Room
from marketcast.core.realtime.messages import Message, jsonable
from marketcast.core.realtime.queue import Subscription

log = logging.getLogger("marketcast.realtime")

_XADD = """
local function xadd(seq_key, stream_key, maxlen, ttl, type, data, latest)
  local seq = redis.call('INCR', seq_key)
  redis.call('XADD', stream_key, 'MAXLEN', '~', maxlen, seq .. '-0', 't', type, 'd', data, 'l', latest)
  redis.call('EXPIRE', seq_key, ttl)
  redis.call('EXPIRE', stream_key, ttl)
  return seq
end
"""

# KEYS: seq, stream. ARGV: maxlen, ttl seconds, type, data (JSON), latest ('' for none).
PUBLISH = _XADD + "return xadd(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])"

# KEYS: presence hash, seq, stream. ARGV: member, count, stale ms, maxlen, ttl seconds, message type.
PRESENCE = _XADD + """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. now)
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
local total = 0
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local member, value = entries[i], entries[i + 1]
  if member ~= '_total' then
    local count, at = string.match(value, '(%d+):(%d+)')
    if now - tonumber(at) > tonumber(ARGV[3]) then
      redis.call('HDEL', KEYS[1], member)
    else
      total = total + tonumber(count)
    end
  end
end
if tonumber(redis.call('HGET', KEYS[1], '_total') or '0') ~= total then
  redis.call('HSET', KEYS[1], '_total', total)
  xadd(KEYS[2], KEYS[3], ARGV[4], ARGV[5], ARGV[6], '{"count":' .. total .. '}', ARGV[6])
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return total
"""


class RedisHub(Hub):
    def __init__(self, url: str, *, prefix: str = "marketcast", ttl_seconds: int = 86400,
                 presence_stale_seconds: float = 15.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.url = url
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self.presence_stale_seconds = presence_stale_seconds
        self.member = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._sync = redis.Redis.from_url(url)
        self._publish_sync = self._sync.register_script(PUBLISH)
        self._async: aredis.Redis | None = None
        self._readers: dict[str, asyncio.Task] = {}
        self._room_locks: dict[str, asyncio.Lock] = {}

    def keys(self, room: str) -> tuple[str, str, str]:
        # One hash tag per room: the room's keys live on one node of a Redis Cluster, as a script needs.
        base = f"{self.prefix}:room:{{{room}}}"
        return f"{base}:seq", f"{base}:stream", f"{base}:presence"

    def publish_sync(self, room: str, type: str, data: dict[str, Any], *, latest: str | None = None) -> int:
        seq_key, stream_key, _ = self.keys(room)
        text = json.dumps(jsonable(data), separators=(",", ":"))
        return int(self._publish_sync(keys=[seq_key, stream_key],
                                      args=[self.history, self.ttl_seconds, type, text, latest or ""]))

    async def publish(self, room: str, type: str, data: dict[str, Any], *, latest: str | None = None) -> int:
        self._bind_loop()
        seq_key, stream_key, _ = self.keys(room)
        text = json.dumps(jsonable(data), separators=(",", ":"))
        return int(await self._publish_async(keys=[seq_key, stream_key],
                                             args=[self.history, self.ttl_seconds, type, text, latest or ""]))

    def _script_args(self, message: Outgoing) -> tuple[list[str], list[Any]]:
        room, type, data, latest = message
        seq_key, stream_key, _ = self.keys(room)
        text = json.dumps(jsonable(data), separators=(",", ":"))
        return [seq_key, stream_key], [self.history, self.ttl_seconds, type, text, latest or ""]

    def publish_many_sync(self, messages: list[Outgoing]) -> list[int]:
        """One round trip for all of them (a pipeline runs its scripts in order, so seq follows the list). The
        script goes by its SHA: a pipeline given the Script object asks SCRIPT EXISTS first, a second round trip
        on every publish; Redis lost it (a restart) only when it answers NOSCRIPT, and then it is loaded again."""
        if not messages:
            return []
        for attempt in (1, 2):
            pipe = self._sync.pipeline(transaction=False)
            for message in messages:
                keys, args = self._script_args(message)
                pipe.evalsha(self._publish_sync.sha, len(keys), *keys, *args)
            try:
                return [int(seq) for seq in pipe.execute()]
            except redis.exceptions.NoScriptError:  # every command of the pipeline failed alike: none ran
                if attempt == 2:
                    raise
                self._sync.script_load(PUBLISH)
        raise AssertionError("unreachable")

    async def publish_many(self, messages: list[Outgoing]) -> list[int]:
        self._bind_loop()
        if not messages:
            return []
        assert self._async is not None
        for attempt in (1, 2):
            pipe = self._async.pipeline(transaction=False)
            for message in messages:
                keys, args = self._script_args(message)
                pipe.evalsha(self._publish_sync.sha, len(keys), *keys, *args)
            try:
                return [int(seq) for seq in await pipe.execute()]
            except redis.exceptions.NoScriptError:
                if attempt == 2:
                    raise
                await self._async.script_load(PUBLISH)
        raise AssertionError("unreachable")

    async def join(self, room: str, *, after_seq: int | None = None, counted: bool = True) -> Joined:
        self._bind_loop()
        assert self._async is not None
        lock = self._room_locks.setdefault(room, asyncio.Lock())
        async with lock:
            state = self._room(room)
            if room not in self._readers:
                seq_key, _, _ = self.keys(room)
                state.seq = int(await self._async.get(seq_key) or 0)
                state.buffer.clear()
                self._readers[room] = asyncio.get_running_loop().create_task(self._read(state),
                                                                              name=f"realtime-read-{room}")
            last = state.seq
            subscription = Subscription(room, limit=self.queue_limit, after=last, counted=counted)
            state.subscribers.add(subscription)
        replay = state.replay(after_seq, last)
        if replay is None and after_seq is not None and 0 <= after_seq < last:
            replay = await self._stored(room, after_seq, last)
        return Joined(subscription, last, replay)

    async def _stored(self, room: str, after_seq: int, last: int) -> list[Message] | None:
        """Messages (after_seq, last] from the room's stream, or None when some are no longer kept."""
        assert self._async is not None
        _, stream_key, _ = self.keys(room)
        entries: Any = await self._async.xrange(stream_key, min=f"{after_seq + 1}-0", max=f"{last}-0")
        messages = [_message(entry_id, fields) for entry_id, fields in entries]
        if len(messages) == last - after_seq and messages and messages[0].seq == after_seq + 1:
            return messages
        return None

    async def _read(self, state: Room) -> None:
        assert self._async is not None
        _, stream_key, _ = self.keys(state.name)
        idle_rounds = 0
        while True:
            try:
                answer: Any = await self._async.xread({stream_key: f"{state.seq}-0"}, block=1000, count=500)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away: retry from the same id, nothing is lost meanwhile
                log.warning("reading room %s from Redis failed; retrying", state.name, exc_info=True)
                await asyncio.sleep(0.5)
                continue
            for _, entries in answer or ():
                for index, (entry_id, fields) in enumerate(entries, 1):
                    message = _message(entry_id, fields)
                    if message.seq != state.seq + 1:
                        # Trimmed past us (this process fell a whole history behind): its viewers resync.
                        for subscription in list(state.subscribers):
                            subscription.behind.set()
                    state.seq = message.seq
                    state.buffer.append(message)
                    state.deliver(message)
                    if index % DELIVERIES_PER_TURN == 0:
                        await asyncio.sleep(0)
            if state.subscribers or state.reported > 0:
                idle_rounds = 0
                continue
            idle_rounds += 1
            if idle_rounds >= 30:  # no viewer here for half a minute: stop reading the room
                async with self._room_locks.setdefault(state.name, asyncio.Lock()):
                    if not state.subscribers:
                        self._readers.pop(state.name, None)
                        return

    def _loop_bound(self) -> None:
        for task in self._readers.values():
            task.cancel()
        self._readers.clear()
        self._room_locks.clear()
        self._async = aredis.Redis.from_url(self.url)
        self._publish_async = self._async.register_script(PUBLISH)
        self._presence_script = self._async.register_script(PRESENCE)

    async def _report_presence(self) -> None:
        stale_ms = int(self.presence_stale_seconds * 1000)
        for state in list(self.rooms.values()):
            count = state.local_viewers()
            if count == 0 and state.reported <= 0:
                continue
            presence_key = self.keys(state.name)
            seq_key, stream_key, hash_key = presence_key
            total = await self._presence_script(
                keys=[hash_key, seq_key, stream_key],
                args=[self.member, count, stale_ms, self.history, self.ttl_seconds, self.presence_type])
            state.reported = count
            state.viewers = int(total)

    async def close(self) -> None:
        await super().close()
        for task in self._readers.values():
            task.cancel()
        self._readers.clear()
        if self._async is not None:
            await self._async.aclose()
            self._async = None
        self._sync.close()


def _message(entry_id: bytes | str, fields: dict) -> Message:
    entry = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    get = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
           for k, v in fields.items()}
    return Message(int(entry.split("-", 1)[0]), get["t"], json.loads(get["d"]), get.get("l") or None)
