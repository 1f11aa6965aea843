"""Application documents (KYB files): checked, stored by content hash, then recorded.

The file is written (to a temporary name, then renamed) before its row is added, so a row never points
at a missing file; a failed transaction at worst leaves an unreferenced file, which is harmless."""

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor, Role
from marketcast.core.errors import DomainError, NotFound
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.pagination import paginate
from marketcast.core.settings import get_settings
from marketcast.sellers import service
from marketcast.sellers.models import Application, ApplicationDocument

CHUNK = 64 * 1024
# What the first bytes of each accepted type are, and the names and content types that may go with it.
KINDS = {
    "pdf": (b"%PDF-", {".pdf"}, "application/pdf"),
    "png": (b"\x89PNG\r\n\x1a\n", {".png"}, "image/png"),
    "jpeg": (b"\xff\xd8\xff", {".jpg", ".jpeg"}, "image/jpeg"),
}
GENERIC_TYPES = {"", "application/octet-stream"}


class FileTooLarge(DomainError):
    status = 413
    code = "file_too_large"


class UnsupportedFileType(DomainError):
    status = 415
    code = "unsupported_file_type"


def _kind(head: bytes, file_name: str, content_type: str) -> str:
    suffix = Path(file_name).suffix.lower()
    declared = (content_type or "").split(";")[0].strip().lower()
    for kind, (magic, suffixes, mime) in KINDS.items():
        if head.startswith(magic):
            if suffix not in suffixes or declared not in GENERIC_TYPES | {mime}:
                raise UnsupportedFileType(f"{file_name!r} holds a {kind.upper()} but is named or typed otherwise "
                                          f"({suffix or 'no extension'}, {declared or 'no content type'})",
                                          field="file")
            return mime
    raise UnsupportedFileType("only PDF, PNG and JPEG files are accepted (checked by their content)", field="file")


def _clean_name(file_name: str | None) -> str:
    name = Path((file_name or "").replace("\\", "/")).name.replace("\x00", "").strip()
    return name[-255:] or "upload"


def save_document(session: Session, *, application_id: str, actor: Actor, doc_type: str, file_name: str | None,
                  content_type: str | None, stream: BinaryIO) -> ApplicationDocument:
    app = service.get_application(session, application_id, actor=actor)
    actor.require_role(Role.SELLER, "uploading a document")
    settings = get_settings()
    name = _clean_name(file_name)
    folder = Path(settings.upload_dir) / app.id
    folder.mkdir(parents=True, exist_ok=True)
    digest, size, mime = hashlib.sha256(), 0, None
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                if mime is None:
                    mime = _kind(chunk, name, content_type or "")
                size += len(chunk)
                if size > settings.upload_max_bytes:
                    raise FileTooLarge(f"files may be at most {settings.upload_max_bytes} bytes", field="file",
                                       max_bytes=settings.upload_max_bytes)
                digest.update(chunk)
                out.write(chunk)
        if mime is None:
            raise UnsupportedFileType("the file is empty", field="file")
        sha = digest.hexdigest()
        os.replace(tmp_name, folder / sha)  # same content, same name: a repeat upload rewrites identical bytes
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    doc = ApplicationDocument(id=new_id("doc"), application_id=app.id, type=doc_type, file_name=name,
                              content_type=mime, size=size, sha256=sha, uploaded_by=actor.email,
                              uploaded_at=clock.now())
    session.add(doc)
    return doc


def list_documents(session: Session, *, application_id: str, actor: Actor, page_size: int | None = None,
                   page_token: str | None = None) -> tuple[list[ApplicationDocument], str | None]:
    app = service.get_application(session, application_id, actor=actor)
    return paginate(session, select(ApplicationDocument).where(ApplicationDocument.application_id == app.id),
                    order_by=[ApplicationDocument.id], page_size=page_size, page_token=page_token)


def seller_documents(session: Session, *, seller_id: str, actor: Actor) -> list[ApplicationDocument]:
    """Every document of a seller's applications (the seller, or an operator who may see the seller)."""
    seller = service.view_seller(session, seller_id=seller_id, actor=actor)
    apps = select(Application.id).where(Application.seller_id == seller.id)
    if actor.markets is not None:
        apps = apps.where(Application.market.in_(actor.markets))
    return list(session.scalars(select(ApplicationDocument).where(ApplicationDocument.application_id.in_(apps))
                                .order_by(ApplicationDocument.id)))


def get_document(session: Session, *, application_id: str, document_id: str, actor: Actor) -> ApplicationDocument:
    """One document, for whoever may read its application (the applying seller, operators of its market)."""
    app = service.get_application(session, application_id, actor=actor)
    doc = session.get(ApplicationDocument, document_id) if looks_like_id(document_id) else None
    if doc is None or doc.application_id != app.id:
        raise NotFound("document", document_id)
    if not path_of(doc).is_file():
        raise NotFound("document file", doc.sha256)
    return doc


def path_of(doc: ApplicationDocument) -> Path:
    return Path(get_settings().upload_dir) / doc.application_id / doc.sha256
