"""Black box: `marketcast serve --with-worker` serves the API and delivers webhooks from one command, and one
Ctrl-C (SIGINT to the terminal's process group) or a SIGTERM to the server stops the server and its worker;
a worker that dies meanwhile is started again."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from marketcast.core import outbox
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import make_engine, unit_of_work
from marketcast.core.migrate import upgrade
from marketcast.markets.events import MarketStatusChanged
from marketcast.webhooks import service
from tests.support.webhooks import Receiver

STOPPED_WITHIN = 40  # seconds; generous because the test machine may be busy, never a performance claim


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # a zombie has stopped running; only its exit status is left


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _worker_pids(lines: list[str]) -> list[int]:
    return [int(line.split("pid ")[1].rstrip(")\n")) for line in lines if line.startswith("worker started")]


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see the worker process")
@pytest.mark.parametrize("stop", ["ctrl_c", "sigterm"])
def test_one_command_serves_delivers_and_stops_both(tmp_path, database_url, stop):
    if not database_url.startswith("sqlite"):
        pytest.skip("the black-box server runs on its own SQLite file")
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    upgrade(url)
    engine = make_engine(url)
    receiver = Receiver()
    with unit_of_work(engine) as session:
        service.create_subscription(session, url=receiver.url, event_types=["market.*"], actor=SYSTEM)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "MARKETCAST_DATABASE_URL": url, "MARKETCAST_WORKER_INTERVAL_SECONDS": "0.2"}
    cli = Path(sys.executable).with_name("marketcast")
    server = subprocess.Popen([str(cli), "serve", "--with-worker", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)  # its own process group, as a terminal would give it
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(server.stderr), daemon=True).start()
    try:
        assert _wait(lambda: _healthy(f"http://127.0.0.1:{port}") or server.poll() is not None, 90), lines
        assert server.poll() is None, "".join(lines)
        [worker_pid] = _worker_pids(lines)
        assert not _gone(worker_pid)
        if stop == "sigterm":  # a worker that dies on its own is started again
            os.kill(worker_pid, signal.SIGKILL)
            assert _wait(lambda: len(_worker_pids(lines)) == 2, 60), "".join(lines)
            worker_pid = _worker_pids(lines)[1]

        with unit_of_work(engine) as session:
            event = outbox.emit(session, MarketStatusChanged(market="US", from_status="live", to="paused",
                                                             reason="review", from_window=None, launch_window=None),
                                market="US")
            event_id = event.id
        assert receiver.wait_for(1, timeout=60), "".join(lines)
        assert receiver.ids() == [event_id]

        if stop == "ctrl_c":
            os.killpg(server.pid, signal.SIGINT)
        else:
            server.send_signal(signal.SIGTERM)
        server.wait(timeout=STOPPED_WITHIN)
        assert _wait(lambda: _gone(worker_pid), 5), "the worker outlived the server"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        receiver.close()
        engine.dispose()
