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


# The only enums that may stay inline, each with why.
INLINE_ENUMS_ALLOWED = {
    # A one-value flag on an answer header (present only on a replay): there is no set to name, and clients
    # read headers as strings anyway.
    "Idempotent-Replayed",
}


def _inline_enums(node, where, top=True):
    """Where an `enum` stands other than as a schema of its own in components (a closed set written into the
    property, parameter or body that uses it: a generated client makes a new enum class of each)."""
    if isinstance(node, dict):
        if "enum" in node and not top:
            yield where
        for key, value in node.items():
            yield from _inline_enums(value, f"{where}.{key}", top=False)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _inline_enums(value, f"{where}[{i}]", top=False)


def test_closed_sets_are_named_enums(spec):
    found = [w for name, schema in spec["components"]["schemas"].items()
             for w in _inline_enums(schema, name)]
    found += list(_inline_enums(spec["paths"], "paths"))
    found += list(_inline_enums(spec.get("webhooks", {}), "webhooks"))
    found = [w for w in found if not any(f".{allowed}." in w for allowed in INLINE_ENUMS_ALLOWED)]
    assert found == [], found
    for name in ("MarketStatus", "OrderStatus", "ApplicationOutcome", "Role", "CommissionStatus"):
        assert spec["components"]["schemas"][name]["type"] == "string", name


def test_every_reference_resolves(spec):
    refs = set(re.findall(r"'\$ref': '#/components/schemas/([^']+)'", str(spec)))
    assert refs - set(spec["components"]["schemas"]) == set()


# Properties that stay open objects, each with why.
OPEN_OBJECTS_ALLOWED = {
    ("EventOut", "data"),  # the payload of whichever type the event is: its schema is under `webhooks`
    ("EventTypeOut", "payload_schema"),  # a JSON Schema document
    ("RuleOut", "compared"),  # what each rule compared, different per rule (explained in `detail`)
    ("RuleResultOut", "compared"),
    ("SimulatedMoveOut", "figures"),  # the figures that decided a subject, different per subject type
}


def _untyped(schema):
    if set(schema) <= {"title", "description", "default", "examples"}:
        return True  # anything at all
    return (schema.get("type") == "object" and "properties" not in schema
            and schema.get("additionalProperties") in (True, {}, None))


def test_answers_and_their_fields_are_typed(spec):
    for name, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if status.startswith("2") and status != "204":
                assert response.get("content"), (name, status)
                for media_type, content in response["content"].items():
                    assert content.get("schema") not in (None, {}), (name, status, media_type)
    untyped = set()
    for model, schema in spec["components"]["schemas"].items():
        for field, prop in (schema.get("properties") or {}).items():
            forms = [prop, *prop.get("anyOf", []), *prop.get("oneOf", []), prop.get("items", {"type": "x"})]
            if any(_untyped(form) for form in forms):
                untyped.add((model, field))
    assert untyped - OPEN_OBJECTS_ALLOWED == set()


def test_a_policy_value_is_one_of_its_forms(spec):
    schemas = spec["components"]["schemas"]
    for model, field in [("ResolvedOut", "value"), ("VersionOut", "value"), ("ScheduleIn", "value"),
                         ("SimulationIn", "value"), ("PolicyKeyOut", "default"), ("PolicyEffective", "value")]:
        forms = schemas[model]["properties"][field]["oneOf"]
        assert {f.get("type") or f["$ref"] for f in forms} == {
            "integer", "boolean", "string", "null", "#/components/schemas/Money"}, model
