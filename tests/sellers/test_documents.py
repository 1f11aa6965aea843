"""Application documents: type checked by content, size limited, stored by hash, recorded after the write."""

import hashlib
from pathlib import Path

import pytest

from marketcast.core.settings import get_settings
from tests.sellers.conftest import APPS, problem, row_counts

PDF = b"%PDF-1.7\n" + b"x" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"j" * 100


def upload(client, app_id, headers, name="licence.pdf", content=PDF, mime="application/pdf", type_="business_licence"):
    return client.post(f"{APPS}/{app_id}/documents", data={"type": type_}, files={"file": (name, content, mime)},
                       headers=headers)


def stored(app_id):
    folder = Path(get_settings().upload_dir) / app_id
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(("name", "content", "mime"), [
    ("licence.pdf", PDF, "application/pdf"), ("id.PNG", PNG, "image/png"), ("id.jpeg", JPEG, "image/jpeg"),
    ("bank.jpg", JPEG, "application/octet-stream")])
def test_upload_is_stored_by_hash_and_listed(client, seller, apply, operator, name, content, mime):
    headers, _ = seller()
    app = apply(headers)
    r = upload(client, app["id"], headers, name=name, content=content, mime=mime)
    assert r.status_code == 201, r.text
    sha = hashlib.sha256(content).hexdigest()
    doc = r.json()
    assert (doc["type"], doc["file_name"], doc["size"], doc["sha256"]) == ("business_licence", name, len(content), sha)
    assert (Path(get_settings().upload_dir) / app["id"] / sha).read_bytes() == content
    assert stored(app["id"]) == [sha]  # no temporary file left behind
    listed = client.get(f"{APPS}/{app['id']}/documents", headers=operator).json()
    assert [d["id"] for d in listed["items"]] == [doc["id"]] and listed["next_page_token"] is None


def test_file_too_large_is_413_and_nothing_is_kept(client, seller, apply, settings_env):
    headers, _ = seller()
    app = apply(headers)
    settings_env(MARKETCAST_UPLOAD_MAX_BYTES="1000")
    before = row_counts()
    problem(upload(client, app["id"], headers), 413, "file_too_large", "file")
    assert row_counts() == before and stored(app["id"]) == []
    assert upload(client, app["id"], headers, content=PDF[:1000]).status_code == 201


@pytest.mark.parametrize(("name", "content", "mime"), [
    ("notes.pdf", b"hello, I am text", "application/pdf"),  # named PDF, is not one
    ("id.pdf", PNG, "application/pdf"),  # a PNG dressed as a PDF
    ("id.png", PNG, "application/pdf"),  # right name, wrong declared type
    ("script.exe", b"MZ\x90\x00", "application/octet-stream"),
    ("empty.pdf", b"", "application/pdf"),
])
def test_unsupported_types_are_415(client, seller, apply, name, content, mime):
    headers, _ = seller()
    app = apply(headers)
    before = row_counts()
    problem(upload(client, app["id"], headers, name=name, content=content, mime=mime), 415,
            "unsupported_file_type", "file")
    assert row_counts() == before and stored(app["id"]) == []


def test_only_the_applying_seller_uploads(client, seller, apply, make_user):
    headers, _ = seller()
    app = apply(headers)
    other, _ = seller()
    op, buyer = make_user("operator")[1], make_user("buyer")[1]
    before = row_counts()
    problem(upload(client, app["id"], {}), 401, "unauthenticated")
    problem(upload(client, app["id"], other), 403, "not_owner")
    problem(upload(client, app["id"], buyer), 403, "wrong_role")
    problem(upload(client, app["id"], op), 403, "wrong_role")
    problem(upload(client, "app_missing", headers), 404, "application_not_found")
    problem(upload(client, app["id"], headers, type_="selfie"), 422, "validation_error", "type")
    assert row_counts() == before and stored(app["id"]) == []


def test_a_document_downloads_as_an_attachment_never_inline(client, seller, apply, operator, make_user):
    headers, _ = seller()
    app = apply(headers)
    polyglot = PDF + b"<html><script>alert(1)</script></html>"  # a valid PDF that is also HTML
    doc = upload(client, app["id"], headers, name="licence ü.pdf", content=polyglot).json()
    url = f"{APPS}/{app['id']}/documents/{doc['id']}/file"
    for who in (operator, headers):
        r = client.get(url, headers=who)
        assert r.status_code == 200 and r.content == polyglot
        assert r.headers["content-disposition"].startswith('attachment; filename="licence _.pdf"')
        assert "filename*=UTF-8''licence%20%C3%BC.pdf" in r.headers["content-disposition"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in r.headers["content-security-policy"]
    other, _ = seller()
    problem(client.get(url, headers=other), 403, "not_owner")
    problem(client.get(url, headers=make_user("operator", markets=["ES"])[1]), 403, "market_out_of_scope")
    problem(client.get(f"{APPS}/{app['id']}/documents/doc_01nosuchdocument000000000/file", headers=operator), 404,
            "document_not_found")
    other_app = apply(other)
    problem(client.get(f"{APPS}/{other_app['id']}/documents/{doc['id']}/file", headers=operator), 404,
            "document_not_found")
