"""Documents as HTTP answers (the written record, a drill's after-action report): the media
type, the file name, for the record the submitted version it presents with that version's
SHA-256, and for HTML a policy that lets the document's own styles in and nothing else."""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.responses import Response

from jikoflow.models.enums import Lang
from jikoflow.models.response.schemas import RecordFile

MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}
VERSION_HEADER = "X-Record-Version"
SHA256_HEADER = "X-Record-SHA256"
_STYLE = re.compile(rb"<style>(.*?)</style>", re.DOTALL)


def document_csp(html: bytes) -> str:
    """A document's policy: its inline styles by hash, no script at all, in a sandbox."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
        for m in _STYLE.finditer(html)
    )
    return "; ".join(
        [
            "default-src 'none'",
            "style-src " + (hashes or "'none'"),
            "img-src data:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "sandbox",
        ]
    )


def document_response(body: bytes, fmt: str, filename: str, lang: Lang) -> Response:
    """A document for the browser to show (HTML, PDF) or save (Markdown) as `filename`."""
    response = Response(body, media_type=MEDIA_TYPES[fmt])
    # Markdown is a file to keep (and to check against its SHA-256); browsers show the others.
    disposition = "attachment" if fmt == "md" else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Content-Language"] = lang.value
    if fmt == "html":
        response.headers["Content-Security-Policy"] = document_csp(body)
    return response


def record_response(document: RecordFile) -> Response:
    """The record as a file; the headers name the submitted version it presents, if any."""
    response = document_response(document.body, document.format, document.filename, document.lang)
    if document.version is not None and document.sha256 is not None:
        response.headers[VERSION_HEADER] = str(document.version)
        response.headers[SHA256_HEADER] = document.sha256
    return response
