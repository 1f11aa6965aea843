"""What the HTTP layer answers by itself is problem+json with catalogued codes too."""


def test_a_body_that_is_not_utf8_is_a_422_naming_the_body(client):
    r = client.post("/api/v1/auth/signup", content=b'{"email": "\xff"}', headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert (r.json()["code"], r.json()["field"]) == ("validation_error", "body")


def test_an_unknown_path_and_a_wrong_method_are_problems(client):
    r = client.get("/api/v1/no-such-thing")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = client.put("/api/v1/markets")
    assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed")
