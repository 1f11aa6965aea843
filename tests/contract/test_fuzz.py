"""Fuzz every operation of the public API from its own OpenAPI document (Schemathesis, in-process), as an
operator, a seller with a shop and a buyer in turn: the server never answers 5xx, every status, content type
and body is the one the document declares, and every problem's `code` is one its operation lists for that
status. The operation list comes from the app itself, so routers added later are fuzzed without touching
this file."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marketcast.core.settings import reset_settings
from tests.support.commerce import write_product, write_shop

pytestmark = pytest.mark.slow


def declared_problem_code(ctx, response, case):
    """A problem+json answer carries a code its operation declares for that status (x-problem-codes)."""
    if not 400 <= response.status_code < 500 or case.method.upper() != case.operation.method.upper():
        return None  # also skips the unsupported-method probes (TRACE …), answered 405 by the router
    declared = case.operation.definition.raw["responses"].get(str(response.status_code), {})
    code = response.json().get("code")
    assert code in declared.get("x-problem-codes", []), (
        f"{case.operation.label} answered {response.status_code} {code}, not declared for that status")
    return None


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          declared_problem_code]


def _load_schema():
    # Loaded at collection so each operation is its own test. (schemathesis.pytest.from_fixture would load
    # it later, but breaks on pytest 9: it sets Function._nodeid.) Serving the spec touches no database;
    # requests made during the tests reach the test database, which is configured by then.
    from marketcast.app import create_app

    app = create_app()
    app.openapi()  # built once here (it is cached): on a busy machine the loader's 10 s read would not do
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    reset_settings()  # create_app read settings before the test fixtures set the environment
    return loaded


# Only the API: console pages are HTML forms, not in the spec's promises. Logins are throttled per
# address, so fuzzing them mostly exercises the lockout, and revoking the fuzzer's own token would leave it
# nothing but 401s; tests/core/test_auth.py covers both instead.
schema = (
    _load_schema()
    .include(path_regex=r"^/(api/v1/|healthz$)")
    .exclude(path_regex=r"^/api/v1/auth/tokens")
)


# Fixed seed by default so a run is repeatable and CI stays stable; MARKETCAST_FUZZ_EXPLORE=1 draws new
# inputs every run and MARKETCAST_FUZZ_EXAMPLES raises the budget, for hunting bugs on purpose.
EXAMPLES = int(os.environ.get("MARKETCAST_FUZZ_EXAMPLES", "4"))
EXPLORE = os.environ.get("MARKETCAST_FUZZ_EXPLORE", "") == "1"


def _caller(role, make_user, db):
    user_id, headers = make_user(role)
    if role == "seller":  # a shop with a live product in the live market US, so requests get past ownership
        shop_id = write_shop(db, user_id=user_id, email=f"{user_id}@example.com")
        write_product(db, shop_id=shop_id, stock=[5])
    return headers


# The operator gets Schemathesis' coverage phase too (boundary values, missing and wrongly typed fields:
# every 422 path), on SQLite only: it is most of the requests, and what it checks is the document, not the
# database. The seller and the buyer get a few generated requests each, which meet their 403s and 404s.
OPERATOR_PHASES = [Phase.explicit, Phase.generate] if os.environ.get("MARKETCAST_TEST_BACKEND", "sqlite") == "sqlite" \
    else [Phase.generate]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=not EXPLORE, print_blob=True, phases=OPERATOR_PHASES,
          suppress_health_check=list(HealthCheck))
def test_api_operation_as_operator(case, make_user, live_markets, db):
    case.call_and_validate(headers=_caller("operator", make_user, db), checks=CHECKS)


@pytest.mark.parametrize("role", ["seller", "buyer"])
@schema.parametrize()
@settings(max_examples=max(2, EXAMPLES // 2), deadline=None, derandomize=not EXPLORE, print_blob=True,
          phases=[Phase.generate], suppress_health_check=list(HealthCheck))
def test_api_operation_as(case, role, make_user, live_markets, db):
    case.call_and_validate(headers=_caller(role, make_user, db), checks=CHECKS)
