"""The OpenAPI document, true to what the server does (docs/adr/0021).

FastAPI writes the operations; `install` then derives, for each one, the problem+json responses it can return
and its security from what the route is made of, plus the error codes the route declares with `@raises`:

- 401 `unauthenticated`, `invalid_token` from an authentication dependency (`requires`), 403 `wrong_role`
  when it names roles; `security` is the bearer scheme, `[]` for anonymous operations;
- 422 `validation_error` and `invalid_text` when the operation takes any parameter or body, `invalid_page_token`
  with `page_token`; 413 `payload_too_large` when it takes a body;
- 400/409/422 idempotency codes, a required `Idempotency-Key` and the `Idempotent-Replayed` answer header
  where the operation reads an `Idempotency-Key` header;
- whatever the endpoint declares: `@raises("order_not_found", "card_declined")` — codes from the catalogue
  (`core.error_codes`), grouped by their status.

Every such response is the one `Problem` schema as `application/problem+json`; its description lists the
codes and the `x-problem-codes` extension names them for tools (the contract tests check that a code the
server sends is one its operation declares)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi

from marketcast.core.error_codes import CATALOGUE, lookup
from marketcast.core.errors import Problem

F = TypeVar("F", bound=Callable[..., Any])
PROBLEM = "application/problem+json"
BEARER = "bearerAuth"
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_CODES = ("idempotency_key_required", "invalid_idempotency_key", "idempotency_key_reused",
                     "idempotency_in_progress")
# What `core.text.reason` answers: declare it with `@raises(*REASON_CODES, …)` on a route that takes a reason.
REASON_CODES = ("reason_required", "invalid_reason", "reason_too_long")
_TAGS: dict[str, str] = {}


def api_router(tag: str, description: str, prefix: str = "/api/v1") -> APIRouter:
    """An area's router: its operations carry `tag`, which the document declares with `description`."""
    _TAGS[tag] = description
    return APIRouter(prefix=prefix, tags=[tag])


def declare_tag(tag: str, description: str) -> None:
    _TAGS[tag] = description


def raises(*codes: str) -> Callable[[F], F]:
    """Declare the error codes an endpoint answers with beyond those derived from its dependencies."""
    for code in codes:
        lookup(code)  # an unknown code fails at import, not in production

    def mark(endpoint: F) -> F:
        endpoint.__problem_codes__ = (*getattr(endpoint, "__problem_codes__", ()), *codes)  # type: ignore[attr-defined]
        return endpoint

    return mark


def auth_dependency(roles: tuple[str, ...] | None) -> Callable[[F], F]:
    """Mark a dependency as authenticating: `roles` () for any signed-in user, None for an optional token."""

    def mark(dependency: F) -> F:
        dependency.__auth_roles__ = roles  # type: ignore[attr-defined]
        return dependency

    return mark


def _flat(dependant: Dependant) -> Iterable[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _flat(sub)


@dataclass(frozen=True)
class _Auth:
    token: str  # "none", "optional" or "required"
    roles: bool  # limited to some roles


def _auth_of(dependant: Dependant) -> _Auth:
    marks = [dep.call.__auth_roles__ for dep in _flat(dependant)
             if dep.call is not None and hasattr(dep.call, "__auth_roles__")]
    required = [roles for roles in marks if roles is not None]
    token = "required" if required else "optional" if marks else "none"
    return _Auth(token, any(required))


def _reads_idempotency_key(dependant: Dependant) -> bool:
    return any(p.alias == IDEMPOTENCY_HEADER for dep in _flat(dependant) for p in dep.header_params)


def _takes_input(dependant: Dependant) -> bool:
    return any(dep.path_params or dep.query_params or dep.header_params or dep.cookie_params or dep.body_params
               for dep in _flat(dependant))


def codes_of(route: Any) -> list[str]:
    """Every error code the operation can answer with, in catalogue order."""
    codes = set(getattr(route.endpoint, "__problem_codes__", ()))
    auth = _auth_of(route.dependant)
    if auth.token != "none":
        codes.add("invalid_token")
    if auth.token == "required":
        codes.add("unauthenticated")
    if auth.roles:
        codes.add("wrong_role")
    if _takes_input(route.dependant):
        codes.update(("validation_error", "invalid_text"))  # core.text_guard reads every path, query and body
    if route.methods & {"POST", "PUT", "PATCH"}:
        codes.add("payload_too_large")  # core.body_limit, before the body is read
    if any(p.alias == "page_token" for dep in _flat(route.dependant) for p in dep.query_params):
        codes.add("invalid_page_token")
    if _reads_idempotency_key(route.dependant):
        codes.update(IDEMPOTENCY_CODES)
    return [code for code in CATALOGUE if code in codes]


def _problem_response(status: int, codes: list[str]) -> dict[str, Any]:
    lines = "\n".join(f"- `{code}`: {CATALOGUE[code].meaning}" for code in codes)
    response: dict[str, Any] = {
        "description": f"{_STATUS_WORDS.get(status, 'Error')}.\n\n{lines}",
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "x-problem-codes": codes,
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": {"description": "Seconds to wait before retrying.",
                                               "schema": {"type": "integer"}}}
    return response


_STATUS_WORDS = {400: "Bad request", 401: "Authentication required", 402: "Payment required", 403: "Forbidden",
                 404: "Not found", 409: "Conflict", 413: "Payload too large", 415: "Unsupported media type",
                 422: "Invalid input", 429: "Too many requests",
                 503: "Service busy"}


def _security(route: Any) -> list[dict[str, list[str]]]:
    token = _auth_of(route.dependant).token
    by_token: dict[str, list[dict[str, list[str]]]] = {"none": [], "optional": [{BEARER: []}, {}],
                                                       "required": [{BEARER: []}]}
    return by_token[token]


def _apply_route(operation: dict[str, Any], route: Any) -> None:
    responses = operation.setdefault("responses", {})
    for status in [s for s in responses if s.startswith("4")]:
        del responses[status]  # FastAPI's HTTPValidationError, or a hand-written one: the errors come from here
    by_status: dict[int, list[str]] = {}
    for code in codes_of(route):
        by_status.setdefault(CATALOGUE[code].status, []).append(code)
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = _problem_response(status, codes)
    operation["security"] = _security(route)
    if _reads_idempotency_key(route.dependant):
        for param in operation.get("parameters", []):
            if param["in"] == "header" and param["name"] == IDEMPOTENCY_HEADER:
                param["required"] = True
                param["schema"] = {"type": "string", "minLength": 1, "maxLength": 255}
                param["description"] = ("A unique value per intended request (e.g. a UUID): a retry with the same "
                                        "key and body answers the first response again and creates nothing.")
        for status, response in responses.items():
            if status.startswith("2"):
                response.setdefault("headers", {})["Idempotent-Replayed"] = {
                    "description": "`true` when this is the stored answer to an earlier request with this key.",
                    "schema": {"type": "string", "enum": ["true"]}}


def _binary_files(node: Any) -> None:
    """Uploads as `format: binary` (what generated clients read as a file), not 3.1's contentMediaType."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("contentMediaType") == "application/octet-stream":
            node.pop("contentMediaType")
            node["format"] = "binary"
        for value in node.values():
            _binary_files(value)
    elif isinstance(node, list):
        for value in node:
            _binary_files(value)


def _components(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    components["securitySchemes"] = {BEARER: {
        "type": "http", "scheme": "bearer",
        "description": "A token from `POST /api/v1/auth/tokens` (or `marketcast tokens create`)."}}


def api_routes(app: FastAPI) -> list[Any]:
    """The operations of the document: FastAPI routes that are in the schema."""
    return [rc for rc in routing.iter_route_contexts(app.routes)
            if isinstance(rc.original_route, routing.APIRoute) and rc.include_in_schema]


def build(app: FastAPI) -> dict[str, Any]:
    routes = api_routes(app)
    used = {tag for route in routes for tag in route.tags}
    schema = get_openapi(
        title=app.title, version=app.version, summary=app.summary, description=app.description,
        routes=app.routes, webhooks=app.webhooks.routes, contact=app.contact, license_info=app.license_info,
        servers=app.servers, tags=[{"name": t, "description": _TAGS.get(t, "")} for t in sorted(used)])
    for route in routes:
        for method in route.methods:
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _apply_route(operation, route)
    for item in schema.get("webhooks", {}).values():
        for operation in item.values():
            operation.get("responses", {}).pop("422", None)  # what a receiver answers is not FastAPI's 422
    _components(schema)
    _binary_files(schema)
    return schema


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def operation_id(route: routing.APIRoute) -> str:
    """Operation ids are the endpoints' names (`create_order`); tests/contract check they are unique."""
    return route.name
