"""Every write endpoint of the API refuses a caller without credentials, and changes nothing.

The routes come from the app's OpenAPI spec, so endpoints added later are covered without touching
this file. The body is an empty JSON object: FastAPI runs dependencies (authentication among them)
before it validates the body, so an endpoint that answers 422 here checks its caller too late."""

import re

import pytest
from sqlalchemy import func, select

from marketcast.core.db import Base, unit_of_work
from marketcast.core.settings import reset_settings

WRITE_METHODS = ("post", "put", "patch", "delete")
# Anyone may call these: they are how one gets credentials.
# Signing up, signing in, and a LIVE viewer's tap on a product (anonymous viewers count in the figures).
PUBLIC_WRITES = {("post", "/api/v1/auth/signup"), ("post", "/api/v1/auth/tokens"),
                 ("post", "/api/v1/live/sessions/{session_id}/clicks")}


def _write_routes() -> list[tuple[str, str]]:
    from marketcast.app import create_app

    spec = create_app().openapi()
    reset_settings()  # create_app read settings before the test fixtures set the environment
    return sorted(
        (method, path)
        for path, operations in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
        if method in WRITE_METHODS and (method, path) not in PUBLIC_WRITES
    )


ROUTES = _write_routes()


def _row_counts() -> dict[str, int]:
    with unit_of_work(write=False) as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def test_there_are_write_routes_to_check():
    # Guards against the list going silently empty (e.g. a prefix change), which would pass everything below.
    assert len(ROUTES) >= 5, ROUTES


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m.upper()} {p}" for m, p in ROUTES])
def test_write_without_credentials_is_401(client, method, path):
    before = _row_counts()
    # Placeholder path values: a market-code shape and an id shape satisfy most path patterns.
    url = re.sub(r"\{[^}]*code[^}]*\}", "US", path)
    url = re.sub(r"\{[^}]+\}", "x_00000000000000000000000000", url)
    response = client.request(method.upper(), url, json={})
    assert response.status_code == 401, f"{method.upper()} {path} answered {response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unauthenticated"
    after = _row_counts()
    assert after == before
    assert after["outbox_events"] == 0
