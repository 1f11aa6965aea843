"""`marketcast serve` as a black box in a subprocess, on the test database, for tests that need real
processes, sockets and connections (parallel logins, shutdown). Traffic goes to 127.0.0.1 only."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    def __init__(self, process: subprocess.Popen, base: str, log: Path):
        self.process, self.base, self.log = process, base, log

    def stop(self, within: float) -> float | None:
        """SIGTERM, then the seconds it took to exit, or None if it was still running after `within` (killed)."""
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=within)
            return time.monotonic() - began
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            return None


def serve(database_url: str, log: Path, *, workers: int = 2, **env: str) -> Served:
    port = free_port()
    cli = Path(sys.executable).with_name("marketcast")
    process = subprocess.Popen(
        [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, "MARKETCAST_DATABASE_URL": database_url, **env},
        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    served = Served(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 180  # a busy 2-core machine imports slowly
    while time.monotonic() < deadline and process.poll() is None:
        # Every worker up (each logs its start), not only the first to answer.
        if log.read_text().count("Application startup complete") >= workers:
            try:
                if httpx.get(f"{served.base}/healthz", timeout=1).status_code == 200:
                    return served
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    served.stop(within=5)
    pytest.fail(f"marketcast serve did not come up:\n{log.read_text()[-2000:]}")


def together(n: int, call: Callable[[int], object]) -> list:
    """n threads released at once, each calling call(i) on its own connection; their results in order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait(timeout=60)
        try:
            results[i] = call(i)
        except Exception as exc:  # reported to the test, which fails on anything it does not expect
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def request(base: str, method: str, path: str, body: dict | None = None, timeout: float = 60) -> int | str:
    """Status of one request on a fresh connection (or the error's name). Plain http.client: a client that builds
    a TLS context per call (httpx) spends more time in the test process than the server takes to answer."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=payload, headers={"content-type": "application/json"} if payload else {})
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError as exc:
        return type(exc).__name__
    finally:
        conn.close()


def timed_get(base: str, path: str, timeout: float) -> tuple[int | str, float]:
    """(status or the error's name, seconds) of one GET on a fresh connection."""
    began = time.monotonic()
    status = request(base, "GET", path, timeout=timeout)
    return status, time.monotonic() - began


def serve_in_thread(app):
    """The app on a free port, served by uvicorn in a thread of this process (so it uses the test database).
    A context manager yielding (host, port)."""
    import contextlib

    import uvicorn

    @contextlib.contextmanager
    def running():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        host, port = sock.getsockname()
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.05)
        try:
            yield host, port
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()

    return running()


def raw_request(address: tuple[str, int], head: str, body: bytes = b"", timeout: float = 10) -> bytes:
    """Send a request head (and the start of a body) on a raw socket; what the server answers before `timeout`,
    without ever sending the rest of the body."""
    with socket.create_connection(address, timeout=timeout) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer or len(answer) < _answer_length(answer):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except TimeoutError:
            pass
        return answer


def _answer_length(answer: bytes) -> int:
    """Head and body as the answer's Content-Length says (the body may come in a later segment than the head)."""
    head, _, _ = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(head) + 4 + int(value)
    return 0
