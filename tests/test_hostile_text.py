"""Text no database can store, sent to every path parameter, query parameter and JSON body field of the OpenAPI
document (as an operator, so requests get past authentication): every answer is a 4xx problem+json.

(Found in an attack: NUL bytes on PostgreSQL and lone surrogates on both databases in ids, filters, page tokens
and bodies gave 500s, some anonymously.) The operations come from the app's own document, so routes added later
are probed without touching this file."""

import base64
import json

import pytest

from marketcast.app import create_app

# In a URL: a NUL, percent-encoded. In JSON: a NUL and a lone surrogate, as JSON escapes.
URL_PROBES = ["%00", "x%00y"]
BODY_PROBES = ["\x00", "x\ud800y", "\udfff"]
# Page tokens that decode to text no database can hold.
TOKEN_PROBES = [base64.urlsafe_b64encode(json.dumps([v]).encode()).decode().rstrip("=") for v in BODY_PROBES]


def _operations():
    spec = create_app().openapi()
    for path, methods in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, op in methods.items():
            yield spec, path, method.upper(), op


def _resolve(spec, schema):
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            resolved = _resolve(spec, option)
            if resolved.get("type") == "object" or "properties" in resolved:
                return resolved
    return schema


def _plausible(spec, schema) -> str:
    """A value that passes a parameter's own validation, so the probe of another one is what is judged."""
    schema = _resolve(spec, schema)
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            return _plausible(spec, option)
    if "enum" in schema:
        return str(schema["enum"][0])
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "integer":
        return str(max(1, schema.get("minimum", 1)))
    if kind == "boolean":
        return "true"
    if fmt == "date-time":
        return "2024-01-01T00:00:00Z"
    if fmt == "date":
        return "2024-01-01"
    return "US"


def _cases():
    for spec, path, method, op in _operations():
        params = [p for p in op.get("parameters", []) if p["in"] in ("path", "query")]
        for target in params:
            probes = TOKEN_PROBES + URL_PROBES if target["name"] == "page_token" else URL_PROBES
            for probe in probes:
                yield pytest.param(spec, path, method, params, target["name"], probe, None,
                                   id=f"{method} {path} {target['name']}={probe[:8]}")
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            body = _resolve(spec, content["application/json"]["schema"])
            for field in body.get("properties", {}):
                for probe in BODY_PROBES:
                    yield pytest.param(spec, path, method, params, None, None, (field, probe),
                                       id=f"{method} {path} body.{field}={probe.encode('unicode_escape')[:8]}")


def _url(spec, path, params, target, probe):
    query = []
    for p in params:
        value = probe if p["name"] == target else _plausible(spec, p.get("schema", {}))
        if p["in"] == "path":
            path = path.replace("{" + p["name"] + "}", value if p["name"] == target else "x")
        elif p.get("required") or p["name"] == target:
            query.append(f"{p['name']}={value}")
    return path + ("?" + "&".join(query) if query else "")


@pytest.mark.parametrize(("spec", "path", "method", "params", "target", "probe", "body"), list(_cases()))
def test_hostile_text_is_a_4xx_problem(client, operator, spec, path, method, params, target, probe, body):
    url = _url(spec, path, params, target, probe)
    content = json.dumps({body[0]: body[1]}) if body else None
    headers = {**operator, "content-type": "application/json", "Idempotency-Key": "probe-key"}
    r = client.request(method, url, content=content, headers=headers)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
