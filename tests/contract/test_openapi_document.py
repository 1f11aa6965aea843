"""The OpenAPI document says what the server does: errors, security, names, headers, files (docs/adr/0021)."""

import re

import pytest

from marketcast.core.error_codes import CATALOGUE

METHODS = {"get", "post", "put", "patch", "delete"}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def spec():
    from marketcast.app import create_app

    return create_app().openapi()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_fastapi_validation_schemas_are_gone(spec):
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert {"Problem", "FieldError"} <= set(schemas)


def test_every_error_response_is_a_problem_with_catalogued_codes(spec):
    for name, operation in _operations(spec):
        errors = {s: r for s, r in operation["responses"].items() if s.startswith("4")}
        for status, response in errors.items():
            assert response["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}, (name, status)
            codes = response["x-problem-codes"]
            assert codes, (name, status)
            for code in codes:
                assert CATALOGUE[code].status == int(status), (name, status, code)
                assert f"`{code}`" in response["description"], (name, status, code)


def test_operations_that_take_input_declare_422_and_authenticated_ones_401(spec):
    for name, operation in _operations(spec):
        takes_input = operation.get("parameters") or operation.get("requestBody")
        if takes_input:
            assert "validation_error" in operation["responses"]["422"]["x-problem-codes"], name
        if operation["security"] == [{"bearerAuth": []}]:
            assert {"unauthenticated", "invalid_token"} <= set(operation["responses"]["401"]["x-problem-codes"])


def test_bearer_security_scheme_and_anonymous_operations(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": spec["components"]["securitySchemes"]["bearerAuth"][
            "description"]}
    security = {name: operation["security"] for name, operation in _operations(spec)}
    assert security["POST /api/v1/auth/signup"] == []
    assert security["GET /api/v1/markets"] == []
    assert security["POST /api/v1/orders"] == [{"bearerAuth": []}]
    assert security["GET /api/v1/products/{product_id}"] == [{"bearerAuth": []}, {}]  # a token is optional


def test_operation_ids_are_plain_unique_names(spec):
    ids = [operation["operationId"] for _, operation in _operations(spec)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for operation_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", operation_id) and "api_v1" not in operation_id
    assert "create_order" in ids and "approve_application" in ids


def test_tags_servers_contact_and_descriptions(spec):
    declared = {tag["name"]: tag.get("description") for tag in spec["tags"]}
    assert all(declared.values()), declared
    for name, operation in _operations(spec):
        assert operation.get("description", "").strip(), f"{name} has no description (give it a docstring)"
        assert operation["tags"] and set(operation["tags"]) <= set(declared), name
    assert spec["servers"] and spec["info"]["contact"]["name"]


def test_idempotency_key_is_required_where_it_is_read(spec):
    found = 0
    for name, operation in _operations(spec):
        for param in operation.get("parameters", []):
            if param["name"] == "Idempotency-Key":
                found += 1
                assert param["required"] is True, name
                assert "idempotency_key_required" in operation["responses"]["400"]["x-problem-codes"], name
                ok = next(r for s, r in operation["responses"].items() if s.startswith("2"))
                assert "Idempotent-Replayed" in ok["headers"], name
    assert found >= 2  # checkout and refunds


def test_file_uploads_are_binary(spec):
    body = spec["paths"]["/api/v1/applications/{application_id}/documents"]["post"]["requestBody"]
    schema = body["content"]["multipart/form-data"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["file"]["format"] == "binary" and schema["properties"]["file"]["type"] == "string"
    assert "contentMediaType" not in str(spec)


def test_retry_after_is_declared_on_429(spec):
    for name, operation in _operations(spec):
        if "429" in operation["responses"]:
            assert "Retry-After" in operation["responses"]["429"]["headers"], name


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_nothing_from_another_host(client, page):
    html = client.get(page).text
    assert "/openapi.json" in html
    external = re.findall(r'(?:src|href)\s*=\s*["\']((?:https?:)?//[^"\']+)', html)
    assert external == [], external
    for asset in re.findall(r'(?:src|href)\s*=\s*["\'](/static-docs/[^"\']+)', html):
        assert client.get(asset).status_code == 200, asset


def test_schema_names_are_unique_across_areas(spec):
    # FastAPI names two models of the same name in two modules `marketcast__area__schemas__Name`, and a
    # generated client then drops one of them: give each model a name of its own.
    names = list(spec["components"]["schemas"])
    assert [n for n in names if "__" in n] == []
    titles = [s.get("title", n) for n, s in spec["components"]["schemas"].items()]
    assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)
