"""The two load generators of bench/hot_sku_checkout.py, both on one asyncio loop in the bench's own process.

- `http_buyers`: C buyers, each on its own keep-alive HTTP/1.1 connection, posting single-unit orders with fresh
  Idempotency-Keys until the SKU is sold out. The client speaks HTTP over asyncio streams by hand (a request is one
  write, an answer a status line, headers and a Content-Length body): a full HTTP client library would spend more
  CPU per request than the server's cheapest route, and on 2 cores that CPU is taken from the server under test.
  `http_ceiling` measures that: the same client against GET /healthz.
- `psycopg_buyers`: the same logical writes straight through psycopg's async driver, C connections, one
  transaction per order (guarded stock UPDATE, an order row, a line row, an outbox row) on scratch tables."""

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Tally:
    """What a run did: successful orders with their latencies (seconds), refusals by code, other failures."""

    latencies: list[float] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def count(self, code: str) -> None:
        self.codes[code] = self.codes.get(code, 0) + 1

    def merge(self, other: "Tally") -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.elapsed += other.elapsed
        for code, n in other.codes.items():
            self.codes[code] = self.codes.get(code, 0) + n

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class Connection:
    """One keep-alive HTTP/1.1 connection to the server under test (loopback only)."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "benchmarks talk to this machine only"
        self.host, self.port = parts.hostname, parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = [f"{method} {path} HTTP/1.1", f"host: {self.host}:{self.port}", f"content-length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("the server closed the connection")
        status, length, close = int(status_line.split()[1]), 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _buyer(base_url: str, token: str, sku_id: str, tally: Tally, deadline: float) -> None:
    conn = Connection(base_url)
    body = json.dumps({"lines": [{"sku_id": sku_id, "quantity": 1}]}).encode()
    base = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    try:
        while time.perf_counter() < deadline:
            headers = {**base, "idempotency-key": uuid.uuid4().hex}
            started = time.perf_counter()
            status, data = await conn.request("POST", "/api/v1/orders", headers, body)
            if status == 201:
                tally.latencies.append(time.perf_counter() - started)
                continue
            code = json.loads(data).get("code", str(status)) if data else str(status)
            tally.count(code)
            if code == "out_of_stock":
                return
            if status >= 500 or len(tally.errors) < 20:
                tally.errors.append(f"{status} {data[:200]!r}")
            if status >= 500:
                return
    finally:
        await conn.close()


async def warm_up(base_url: str, tokens: list[str], rounds: int = 3) -> None:
    """Every worker imports, connects its pool and caches before the clock starts: reads only, no stock moves."""
    async def one(token: str) -> None:
        conn = Connection(base_url)
        for _ in range(rounds):
            status, data = await conn.request("GET", "/api/v1/auth/me", {"authorization": f"Bearer {token}"})
            assert status == 200, data
        await conn.close()

    for start in range(0, len(tokens), 8):  # a few at a time: enough to open each worker's pool
        await asyncio.gather(*(one(token) for token in tokens[start:start + 8]))


async def http_buyers(base_url: str, tokens: list[str], sku_id: str, max_seconds: float) -> Tally:
    tally = Tally()
    started = time.perf_counter()
    await asyncio.gather(*(_buyer(base_url, t, sku_id, tally, started + max_seconds) for t in tokens))
    tally.elapsed = time.perf_counter() - started
    return tally


async def http_ceiling(base_url: str, clients: int, requests: int) -> Tally:
    """The client's own limit: `requests` GET /healthz over `clients` connections."""
    tally = Tally()

    async def one(count: int) -> None:
        conn = Connection(base_url)
        for _ in range(count):
            started = time.perf_counter()
            status, _ = await conn.request("GET", "/healthz", {})
            assert status == 200
            tally.latencies.append(time.perf_counter() - started)
        await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(one(requests // clients) for _ in range(clients)))
    tally.elapsed = time.perf_counter() - started
    return tally


SCRATCH = ("skus", "orders", "order_lines", "outbox_events")


async def psycopg_buyers(url: str, clients: int, units: int, max_seconds: float) -> Tally:
    """The ceiling: the same writes as a checkout, by hand, on copies of the real tables (same columns and
    indexes: CREATE TABLE … (LIKE … INCLUDING ALL)), one transaction per order."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        # The idle server keeps pooled connections open; on a shared PostgreSQL (max_connections 100) they and the
        # ceiling's own would not all fit. Closed here, the server's pool reconnects when its next turn starts.
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
                            " current_database() AND pid <> pg_backend_pid() AND state = 'idle'")
        for table in SCRATCH:
            await admin.execute(f"DROP TABLE IF EXISTS scratch_{table}")
            await admin.execute(f"CREATE TABLE scratch_{table} (LIKE {table} INCLUDING ALL)")
        await admin.execute(
            "INSERT INTO scratch_skus (id, product_id, shop_id, code, price, currency, attributes, available,"
            " reserved, sold, created_at) VALUES ('sku_hot', 'prd_hot', 'shp_hot', 'C0', 1250, 'USD', '{}', %s,"
            " 0, 0, now())", (units,))
    tally = Tally()
    connections = [await psycopg.AsyncConnection.connect(url) for _ in range(clients)]
    started = time.perf_counter()
    deadline = started + max_seconds
    await asyncio.gather(*(_raw_buyer(conn, n, tally, deadline) for n, conn in enumerate(connections)))
    tally.elapsed = time.perf_counter() - started
    for conn in connections:
        await conn.close()
    return tally


async def _raw_buyer(conn, n: int, tally: Tally, deadline: float) -> None:
    buyer = f"usr_buyer{n}"
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        order_id, line_id, event_id = (f"{p}_{uuid.uuid4().hex[:24]}" for p in ("ord", "oln", "evt"))
        async with conn.transaction():
            cur = await conn.execute(
                "UPDATE scratch_skus SET available = available - 1, reserved = reserved + 1"
                " WHERE id = 'sku_hot' AND available >= 1 RETURNING id")
            if await cur.fetchone() is None:
                tally.count("out_of_stock")
                return
            await conn.execute(
                "INSERT INTO scratch_orders (id, shop_id, market, buyer_id, status, currency, total_amount,"
                " refunded_amount, expires_at, created_at, updated_at) VALUES (%s, 'shp_hot', 'US', %s,"
                " 'pending_payment', 'USD', 1250, 0, now() + interval '30 minutes', now(), now())",
                (order_id, buyer))
            await conn.execute(
                "INSERT INTO scratch_order_lines (id, order_id, sku_id, product_id, title, quantity, unit_price,"
                " amount, currency, refunded_quantity) VALUES (%s, %s, 'sku_hot', 'prd_hot', 'Mug', 1, 1250,"
                " 1250, 'USD', 0)", (line_id, order_id))
            await conn.execute(
                "INSERT INTO scratch_outbox_events (id, type, occurred_at, market, data, dispatched)"
                " VALUES (%s, 'order.created', now(), 'US', %s, false)",
                (event_id, json.dumps({"order_id": order_id, "buyer_id": buyer, "amount": 1250})))
        tally.latencies.append(time.perf_counter() - started)


async def raw_oversold(url: str, units: int) -> int:
    import psycopg

    async with await psycopg.AsyncConnection.connect(url) as conn:
        cur = await conn.execute("SELECT available, (SELECT count(*) FROM scratch_orders) FROM scratch_skus")
        available, orders = await cur.fetchone()
        for table in SCRATCH:
            await conn.execute(f"DROP TABLE scratch_{table}")
        await conn.commit()
    return max(0, orders - units) + max(0, -available)
