"""Test wiring. Each run gets its own throwaway database, built by the real migrations:

- MARKETCAST_TEST_BACKEND=sqlite (default): a temp SQLite file.
- MARKETCAST_TEST_BACKEND=postgres: a fresh database created on the server named by
  MARKETCAST_TEST_DATABASE_URL (an admin URL), dropped at the end.

Tables are emptied after every test, so tests can commit freely."""

import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from marketcast import areas
from marketcast.core import clock
from marketcast.core.db import Base, get_engine, reset_engine, unit_of_work
from marketcast.core.settings import reset_settings

# Shops, products and stock counters shared by the catalog and orders tests.
pytest_plugins = ["tests.support.commerce"]

BACKEND = os.environ.get("MARKETCAST_TEST_BACKEND", "sqlite")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _admin_url() -> str | None:
    return os.environ.get("MARKETCAST_TEST_DATABASE_URL")


def _pg_admin_engine(url: str):
    url = make_url(url).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if BACKEND == "postgres":
        admin = _admin_url()
        if not admin:
            if IN_CI:
                pytest.fail("CI=true but MARKETCAST_TEST_DATABASE_URL is not set")
            pytest.skip("PostgreSQL not configured (MARKETCAST_TEST_DATABASE_URL)")
        name = f"marketcast_test_{worker}_{uuid.uuid4().hex[:8]}"
        engine = _pg_admin_engine(admin)
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(admin).set(drivername="postgresql+psycopg", database=name)
        yield url.render_as_string(hide_password=False)
        reset_engine()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
    else:
        with tempfile.TemporaryDirectory(prefix="marketcast-test-") as tmp:
            yield f"sqlite:///{tmp}/test-{worker}.db"
            reset_engine()


@pytest.fixture(scope="session", autouse=True)
def _database(database_url: str, tmp_path_factory) -> Iterator[None]:
    os.environ["MARKETCAST_DATABASE_URL"] = database_url
    os.environ.setdefault("MARKETCAST_SECRET_KEY", "test-secret")
    os.environ.setdefault("MARKETCAST_WEBHOOK_ALLOW_PRIVATE_URLS", "true")  # test receivers listen on 127.0.0.1
    os.environ["MARKETCAST_UPLOAD_DIR"] = str(tmp_path_factory.mktemp("uploads"))
    reset_settings()
    reset_engine()
    from marketcast.core.migrate import upgrade

    upgrade(database_url)
    areas.load()  # every table and every hook subscription, as the app, CLI and worker have them
    yield


@pytest.fixture(autouse=True)
def _clean_tables() -> Iterator[None]:
    yield
    clock.set_now(None)
    clock.set_offset(timedelta(0))  # a test that installed a sandbox clock leaves real time behind it
    engine = get_engine()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    # DELETE, children first, on both backends: tests leave few rows, and on PostgreSQL a TRUNCATE of every
    # table costs ~0.7 s (new files, fsync) against ~7 ms for DELETE, which made the suite twice as slow.
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def db():
    """A unit of work for arranging and asserting; commits when the test's block ends."""
    return unit_of_work


@pytest.fixture
def app():
    from marketcast.app import create_app
    from tests.contract.declared_codes import DeclaredCodesMiddleware

    app = create_app()
    app.add_middleware(DeclaredCodesMiddleware)  # every problem answer is one its operation declares
    return app


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_user():
    """make_user(role, markets=None, email=None) -> (user_id, headers with a Bearer token)."""
    from marketcast.core.auth import service as auth

    def _make(role: str, markets: list[str] | None = None, email: str | None = None, password: str | None = None):
        email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.com"
        with unit_of_work() as session:
            user = auth.create_user(session, email=email, role=role, markets=markets, password=password)
            token = auth.issue_token(session, user=user)
            user_id = user.id
        return user_id, {"Authorization": f"Bearer {token}"}

    return _make


@pytest.fixture
def operator(make_user) -> dict[str, str]:
    return make_user("operator")[1]


@pytest.fixture
def at():
    """at(2024, 7, 1) -> an aware UTC datetime; tests travel in time with clock.frozen(at(...))."""
    return lambda *parts: datetime(*parts, tzinfo=UTC)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis URL for tests marked `redis` (scripts/test.sh finds or starts one); skipped without, failed in CI."""
    url = os.environ.get("MARKETCAST_TEST_REDIS_URL")
    problem = None if url else "MARKETCAST_TEST_REDIS_URL is not set"
    if url:
        import redis

        try:
            with redis.Redis.from_url(url, socket_connect_timeout=3) as client:
                client.ping()
        except redis.RedisError as exc:
            problem = f"Redis at {url} does not answer: {exc}"
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but {problem}")
        pytest.skip(problem)
    return url


def pytest_collection_modifyitems(items):
    # Schemathesis (4.32) names its items "test[GET /path]", but pytest 9 builds node ids from the original
    # name, so every fuzzed operation had the same id; put the operation back so reports and xdist tell them apart.
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and item.id.params is None:
            item._id = item.id.with_params(label)


@pytest.fixture(scope="session")
def live_server(_database) -> Iterator[str]:
    from marketcast.app import create_app

    # Bind first and hand the socket to uvicorn, so no other process can take the port in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(), log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            pytest.fail(f"the live server on {base} did not answer /healthz")
        time.sleep(0.05)
    from marketcast.web import charts

    charts.warm_up()  # the renderer starts once per process, not inside the first test that draws a chart
    yield base
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def settings_env() -> Iterator:
    """settings_env(MARKETCAST_X="...") sets environment settings for one test, then restores them."""
    saved: dict[str, str | None] = {}

    def _set(**values: str) -> None:
        for key, value in values.items():
            saved.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        reset_settings()

    yield _set
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reset_settings()
