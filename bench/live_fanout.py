"""Fan-out of one room to many WebSocket viewers: Marketcast's rooms against a bare `websockets` broadcast to the
same viewers, in the same run.

    .venv/bin/python bench/live_fanout.py                   # 500 viewers
    .venv/bin/python bench/live_fanout.py --viewers 2000    # the issue's figure
    .venv/bin/python bench/live_fanout.py --viewers 200 --bursts 3 --burst 50 --rounds 1

Three servers take turns (`--rounds` times, so that the load of a shared machine weighs on each alike):

- `bare`: a `websockets` server that calls `websockets.broadcast()` for each message (no queue, no backpressure:
  the fastest Python can put one frame on many sockets);
- `one`: `marketcast serve` (one process, rooms in memory), every viewer on it;
- `two`: two `marketcast serve` processes behind one Redis, half the viewers on each, the messages published
  through the first (so half of them cross Redis to reach their viewers).

Marketcast's viewers join the diagnostic room (core/realtime/diagnostics.py, mounted for the bench with
MARKETCAST_REALTIME_DIAGNOSTICS): the same WebSocket route machinery, hub, queues and Redis streams as a LIVE
session's room, without the snapshot's database read. Each server is sent, per measurement:

- a steady stream (`--rate` messages/s for `--seconds`): delivery latency p50 / p99, publisher's clock to viewer;
- `--bursts` bursts of `--burst` messages at once (fewer than the per-viewer queue limit, which would otherwise
  close the viewers as behind): deliveries/s = viewers x burst / (last delivery - trigger), the median burst.

The ratio is each room server's deliveries/s over the bare server's (goal: at least 0.5). Viewers run in
`--client-processes` processes of their own (bench/fanout_peers.py). Everything listens on 127.0.0.1 and stops
by itself; the Redis keys use a prefix of their own and are deleted afterwards."""

import argparse
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from fanout_peers import run_viewers

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ROOM = "fanout"
ROOM_PATH = f"/api/v1/realtime/diagnostics/rooms/{ROOM}"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not come up in {timeout:.0f} s")


class Server:
    """One server under test: its processes, where viewers connect, and how a burst is triggered."""

    def __init__(self, name: str):
        self.name = name
        self.processes: list[subprocess.Popen] = []
        self.ports: list[int] = []

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


class Bare(Server):
    def __init__(self):
        super().__init__("bare")
        port = free_port()
        self.ports = [port]
        self.processes = [subprocess.Popen([sys.executable, str(BENCH / "fanout_peers.py"), str(port)],
                                           stdout=subprocess.PIPE, text=True)]
        line = self.processes[0].stdout.readline()
        if "ready" not in line:
            raise SystemExit(f"the bare server did not start: {line}")
        from contextlib import ExitStack

        from websockets.sync.client import connect

        self.stack = ExitStack()
        self.control = self.stack.enter_context(connect(f"ws://127.0.0.1:{port}/control"))

    def paths(self, n: int) -> list[tuple[int, list[str]]]:
        return [(self.ports[0], ["/viewer"] * n)]

    def burst(self, count: int, size: int, interval_ms: float, burst: int) -> None:
        import json

        self.control.send(json.dumps({"count": count, "size": size, "interval_ms": interval_ms, "burst": burst}))
        self.control.recv(timeout=600)

    def stop(self) -> None:
        self.stack.close()
        super().stop()


class Rooms(Server):
    def __init__(self, name: str, database_url: str, processes: int, env: dict[str, str], log_dir: Path):
        super().__init__(name)
        cli = Path(sys.executable).with_name("marketcast")
        for n in range(processes):
            port = free_port()
            self.ports.append(port)
            log = (log_dir / f"{name}-{n}.log").open("w")
            self.processes.append(subprocess.Popen(
                [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                env={**os.environ, "MARKETCAST_DATABASE_URL": database_url, "MARKETCAST_REALTIME_DIAGNOSTICS": "true",
                     **env}, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT))
        for port in self.ports:
            wait_for(lambda port=port: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200,
                     f"marketcast serve on {port}")
        self.http = httpx.Client(timeout=600)

    def paths(self, n: int) -> list[tuple[int, list[str]]]:
        share = [n // len(self.ports) + (1 if i < n % len(self.ports) else 0) for i in range(len(self.ports))]
        return [(port, [f"{ROOM_PATH}/ws"] * k) for port, k in zip(self.ports, share, strict=True)]

    def burst(self, count: int, size: int, interval_ms: float, burst: int) -> None:
        answer = self.http.post(f"http://127.0.0.1:{self.ports[0]}{ROOM_PATH}/bursts",
                                json={"count": count, "size": size, "interval_ms": interval_ms, "burst": burst})
        answer.raise_for_status()

    def stop(self) -> None:
        self.http.close()
        super().stop()


class Viewers:
    """`processes` viewer processes, each given a share of every server's viewers."""

    def __init__(self, processes: int):
        context = multiprocessing.get_context("spawn")
        self.pipes = []
        self.procs = []
        for _ in range(processes):
            here, there = context.Pipe()
            proc = context.Process(target=run_viewers, args=(there,), daemon=True)
            proc.start()
            self.pipes.append(here)
            self.procs.append(proc)

    def ask(self, command: tuple) -> list[tuple]:
        for pipe in self.pipes:
            pipe.send(command)
        return [pipe.recv() for pipe in self.pipes]

    def connect(self, server: Server, n: int) -> None:
        for port, paths in server.paths(n):
            shares = [paths[i::len(self.pipes)] for i in range(len(self.pipes))]
            for pipe, share in zip(self.pipes, shares, strict=True):
                pipe.send(("connect", "127.0.0.1", port, share))
            self.held = [pipe.recv()[1] for pipe in self.pipes]  # connections each process holds

    def measure(self, server: Server, *, n: int, count: int, size: int, interval_ms: float, burst: int,
                timeout: float) -> tuple[float, float, int, list[float], list[int]]:
        """(seconds from trigger to the last delivery, trigger time, deliveries, latencies, close codes)."""
        self.ask(("reset",))
        began = time.monotonic()
        server.burst(count, size, interval_ms, burst)
        for pipe, share in zip(self.pipes, self.held, strict=True):
            pipe.send(("wait", share * count, timeout))
        tallies = [pipe.recv() for pipe in self.pipes]
        received = sum(t[1] for t in tallies)
        last = max(t[2] for t in tallies)
        latencies = [x for t in tallies for x in t[3]]
        closed = [c for t in tallies for c in t[4]]
        return last - began, began, received, latencies, closed

    def quit(self) -> None:
        self.ask(("quit",))
        for proc in self.procs:
            proc.join(timeout=10)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def note(args, text: str) -> None:
    if args.verbose:
        print(f"    {time.strftime('%H:%M:%S')} {text}", flush=True)


def run_one(server: Server, args, results: dict) -> None:
    viewers = Viewers(args.client_processes)
    try:
        note(args, f"{server.name}: connecting {args.viewers} viewers")
        viewers.connect(server, args.viewers)
        note(args, f"{server.name}: connected")
        time.sleep(args.settle)  # viewer counts settle before measuring
        expected = args.viewers
        # The steady stream.
        count = max(1, int(args.rate * args.seconds))
        _, _, received, latencies, closed = viewers.measure(server, n=expected, count=count, size=args.size,
                                                            interval_ms=1000 / args.rate, burst=0,
                                                            timeout=args.seconds + 60)
        note(args, f"{server.name}: stream received {received} of {expected * count}")
        entry = results.setdefault(server.name, {"stream": [], "bursts": [], "lost": 0, "closed": 0})
        entry["stream"] += latencies
        entry["lost"] += expected * count - received
        entry["closed"] += len(closed)
        # Bursts.
        for b in range(1, args.bursts + 1):
            elapsed, _, received, latencies, closed = viewers.measure(server, n=expected, count=args.burst,
                                                                      size=args.size, interval_ms=0, burst=b,
                                                                      timeout=120)
            note(args, f"{server.name}: burst {b} received {received} of {expected * args.burst} in {elapsed:.2f} s")
            entry["bursts"].append(received / elapsed if elapsed > 0 else 0.0)
            entry["lost"] += expected * args.burst - received
            entry["closed"] += len(closed)
            entry.setdefault("burst_latency", []).extend(latencies)
            time.sleep(0.3)
    finally:
        viewers.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20.0, help="messages/s of the steady stream")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the steady stream")
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--burst", type=int, default=100, help="messages per burst (below the queue limit, 256)")
    parser.add_argument("--size", type=int, default=64, help="padding per message, characters")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--only", choices=["bare", "one", "two"], action="append")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit: thousands of sockets
    if args.viewers * 2 + 200 > hard:
        raise SystemExit(f"{args.viewers} viewers need more open files than the limit ({hard})")
    redis_url = os.environ.get("MARKETCAST_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"mc-bench-{uuid.uuid4().hex[:8]}"
    kinds = args.only or ["bare", "one", "two"]
    results: dict = {}
    log_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"marketcast-fanout-{prefix}"
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"{args.viewers} viewers, {args.client_processes} viewer processes; stream {args.rate:g}/s for "
          f"{args.seconds:g} s; {args.bursts} bursts of {args.burst}; {args.size} characters of padding; "
          f"{args.rounds} round(s); server logs in {log_dir}", flush=True)
    # Imported here, not at the top: the viewer processes (spawned) import this module and need none of it.
    from throwaway import database

    from marketcast.core.migrate import upgrade

    with database(use_sqlite=args.sqlite) as url:
        upgrade(url)
        try:
            for round_no in range(1, args.rounds + 1):
                for kind in kinds:
                    began = time.monotonic()
                    note(args, f"starting {kind}")
                    if kind == "bare":
                        server: Server = Bare()
                    elif kind == "one":
                        server = Rooms("one", url, 1, {}, log_dir)
                    else:
                        server = Rooms("two", url, 2, {"MARKETCAST_REDIS_URL": redis_url,
                                                       "MARKETCAST_REDIS_PREFIX": prefix}, log_dir)
                    try:
                        run_one(server, args, results)
                    finally:
                        server.stop()
                    print(f"  round {round_no} {kind}: done in {time.monotonic() - began:.0f} s", flush=True)
        finally:
            if "two" in kinds:
                import redis

                with redis.Redis.from_url(redis_url) as client:
                    keys = list(client.scan_iter(match=f"{prefix}:*"))
                    if keys:
                        client.delete(*keys)
    report(results, args)


def report(results: dict, args) -> None:
    names = {"bare": "bare websockets broadcast", "one": "marketcast, one process", "two": "marketcast, two + Redis"}
    print()
    print(f"{'server':<28} {'stream p50':>11} {'stream p99':>11} {'burst deliveries/s':>19} {'burst p99':>10} "
          f"{'lost':>6} {'closed':>7} {'ratio':>6}")
    bare = statistics.median(results["bare"]["bursts"]) if "bare" in results else None
    for kind in ("bare", "one", "two"):
        if kind not in results:
            continue
        entry = results[kind]
        rate = statistics.median(entry["bursts"]) if entry["bursts"] else 0.0
        ratio = f"{rate / bare:.2f}" if bare else "-"
        print(f"{names[kind]:<28} {percentile(entry['stream'], 50) * 1000:>9.1f}ms "
              f"{percentile(entry['stream'], 99) * 1000:>9.1f}ms {rate:>19,.0f} "
              f"{percentile(entry.get('burst_latency', []), 99) * 1000:>8.0f}ms {entry['lost']:>6} "
              f"{entry['closed']:>7} {ratio:>6}")
    print("\nratio: burst deliveries/s over the bare broadcast's (goal: at least 0.50); lost: deliveries that did not "
          "arrive; closed: viewers the server closed")


if __name__ == "__main__":
    main()
