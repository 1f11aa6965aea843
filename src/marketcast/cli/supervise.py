"""`marketcast serve --with-worker`: the API in this process and the worker loop in a child process, so one
command runs a whole install (the demo delivers webhooks, announces policies, expires orders) and one Ctrl-C
or SIGTERM stops both.

The worker is the same `marketcast worker` command, told its parent's pid so that it also stops if this
process is killed outright. A worker that dies on its own is started again after a pause; stopping gives it
a grace period, then kills it (a delivery cut short is retried later: the claims are leases, ADR 0006)."""

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

log = logging.getLogger("marketcast.supervise")

STOP_GRACE_SECONDS = 10.0
RESTART_PAUSE_SECONDS = 2.0


def worker_command() -> list[str]:
    return [sys.executable, "-m", "marketcast.cli", "worker", "--parent-pid", str(os.getpid())]


class WorkerProcess:
    """One worker child, started again if it exits while the server still runs."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self._watch = threading.Thread(target=self._keep_running, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._watch.start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen(worker_command())
        print(f"worker started (pid {self.process.pid})", file=sys.stderr, flush=True)

    def _keep_running(self) -> None:
        while not self.stopping.is_set():
            code = self.process.wait() if self.process else 0
            if self.stopping.wait(RESTART_PAUSE_SECONDS):
                return
            log.error("the worker exited with status %s; starting it again", code)
            self._spawn()

    def stop(self) -> None:
        self.stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # after a terminal's Ctrl-C it has had SIGINT already: harmless
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print(f"worker stopped (pid {process.pid})", file=sys.stderr, flush=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_with_worker(serve: Callable[[], None]) -> None:
    """Run `serve` (uvicorn, blocking) with a worker child beside it; both end when `serve` does."""
    worker = WorkerProcess()
    # Uvicorn shuts down gracefully on SIGINT or SIGTERM, then raises the same signal again with the handler
    # that was there before it: this one, so SIGTERM ends up here as Ctrl-C does instead of killing us at once.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    worker.start()
    try:
        serve()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        worker.stop()
