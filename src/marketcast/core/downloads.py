"""Serving a stored upload back: always as a download, never shown in the browser.

An upload can be a polyglot (a file that is a valid PDF and also HTML or script), so it is sent with
`Content-Disposition: attachment`, `X-Content-Type-Options: nosniff` and a sandboxing CSP: no browser renders
it in the site's origin, whatever bytes it holds."""

from pathlib import Path
from urllib.parse import quote

from fastapi.responses import FileResponse


def attachment(path: Path, *, file_name: str, content_type: str) -> FileResponse:
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in file_name)
    return FileResponse(path, media_type=content_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    })
