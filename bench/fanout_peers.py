"""The two ends bench/live_fanout.py runs in processes of their own: the viewers, and the bare `websockets`
broadcast server it compares the rooms against.

Viewers are minimal WebSocket clients on asyncio protocols (a handshake, then frame headers parsed by hand, pings
answered): a client that parses every frame with a full WebSocket library costs more CPU than the servers under
test, and on a small machine the bench would then measure its own clients. Each text frame of a burst carries the
publisher's monotonic clock (`"t":…`, CLOCK_MONOTONIC is one clock for every process of the host); a viewer
records the delivery latency of each and the time of the last one."""

import asyncio
import base64
import json
import os
import re
import struct
import sys
import time

_T = re.compile(rb'"t":([0-9.]+)')
BURST_PREFIX = b'{"type":"burst"'


class Tally:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.received = 0
        self.last = 0.0
        self.latencies: list[float] = []
        self.closed: list[int] = []


class Viewer(asyncio.Protocol):
    def __init__(self, host: str, port: int, path: str, tally: Tally, ready: asyncio.Future):
        self.host, self.port, self.path, self.tally, self.ready = host, port, path, tally, ready
        self.buffer = bytearray()
        self.upgraded = False
        self.first = True
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write((f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
                         f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                        .encode())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            del self.buffer[:end + 4]
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                if not self.ready.done():
                    self.ready.set_exception(RuntimeError(head.decode(errors="replace")[:200]))
                return
            self.upgraded = True
        buf = self.buffer
        while len(buf) >= 2:
            opcode, length, offset = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, offset = struct.unpack_from("!H", buf, 2)[0], 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, offset = struct.unpack_from("!Q", buf, 2)[0], 10
            if len(buf) < offset + length:
                return
            payload = bytes(buf[offset:offset + length])
            del buf[:offset + length]
            self.frame(opcode, payload)

    def frame(self, opcode: int, payload: bytes) -> None:
        if opcode == 1:
            if self.first:  # the snapshot (or the bare server's hello)
                self.first = False
                if not self.ready.done():
                    self.ready.set_result(None)
                return
            if payload.startswith(BURST_PREFIX):
                now = time.monotonic()
                match = _T.search(payload)
                if match:
                    self.tally.latencies.append(now - float(match.group(1)))
                self.tally.received += 1
                self.tally.last = now
        elif opcode == 9:  # ping: pong, masked as a client must
            self.send(0xA, payload)
        elif opcode == 8:
            code = struct.unpack_from("!H", payload)[0] if len(payload) >= 2 else 1005
            self.tally.closed.append(code)
            self.send(0x8, payload[:2])
            if self.transport is not None:
                self.transport.close()

    def send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        assert self.transport is not None
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def connection_lost(self, exc) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"lost before the first message: {exc}"))


async def viewers_main(conn) -> None:
    """Commands from the bench over a multiprocessing pipe: connect, reset, wait for n messages, report, quit."""
    loop = asyncio.get_running_loop()
    tally = Tally()
    transports: list[asyncio.BaseTransport] = []
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        kind = command[0]
        if kind == "connect":
            _, host, port, paths = command
            for start in range(0, len(paths), 100):  # a hundred at a time: a listen backlog is finite
                futures = []
                for path in paths[start:start + 100]:
                    ready = loop.create_future()
                    transport, _ = await loop.create_connection(
                        lambda path=path, ready=ready, host=host, port=port: Viewer(host, port, path, tally, ready),
                        host, port)
                    transports.append(transport)
                    futures.append(ready)
                await asyncio.wait_for(asyncio.gather(*futures), 120)
            conn.send(("connected", len(transports)))
        elif kind == "reset":
            tally.reset()
            conn.send(("reset",))
        elif kind == "wait":
            _, expected, timeout = command
            deadline = time.monotonic() + timeout
            while tally.received < expected and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            conn.send(("tally", tally.received, tally.last, tally.latencies, tally.closed))
        elif kind == "quit":
            for transport in transports:
                transport.close()
            await asyncio.sleep(0.2)
            conn.send(("bye",))
            return


def run_viewers(conn) -> None:
    asyncio.run(viewers_main(conn))


async def bare_main(port: int) -> None:
    """A bare `websockets` server: every connection gets a hello, then whatever is broadcast. A connection on
    /control sends {"count", "size", "interval_ms", "burst"} and gets "done" once all of it was broadcast."""
    from websockets import broadcast
    from websockets.asyncio.server import serve

    viewers: set = set()
    seq = 0

    async def handler(ws) -> None:
        nonlocal seq
        if ws.request.path.startswith("/control"):
            async for text in ws:
                order = json.loads(text)
                pad = "x" * order.get("size", 0)
                for i in range(order["count"]):
                    seq += 1
                    data = {"t": time.monotonic(), "b": order.get("burst", 0), "i": i, "pad": pad}
                    broadcast(viewers, json.dumps({"type": "burst", "seq": seq, "data": data},
                                                  separators=(",", ":")))
                    if order.get("interval_ms"):
                        await asyncio.sleep(order["interval_ms"] / 1000)
                await ws.send("done")
            return
        await ws.send(json.dumps({"type": "hello", "seq": seq, "data": {}}))
        viewers.add(ws)
        try:
            await ws.wait_closed()
        finally:
            viewers.discard(ws)

    async with serve(handler, "127.0.0.1", port, max_queue=None, compression=None, backlog=2048):
        print("bare server ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(bare_main(int(sys.argv[1])))
