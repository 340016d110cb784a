"""What the loopback servers' request handlers share: reading a body, writing an answer."""

from __future__ import annotations

from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler

__all__ = ["read_body", "write_answer"]


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request's body, as long as its ``Content-Length`` says (none: empty)."""
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length > 0 else b""


def write_answer(
    handler: BaseHTTPRequestHandler,
    status: int,
    headers: Mapping[str, str],
    data: bytes,
    *,
    content_type: str,
) -> None:
    """Answer with ``status``, ``headers`` (``content_type`` unless they name one), the
    length of ``data``, and ``data``."""
    handler.send_response(status)
    if not any(name.lower() == "content-type" for name in headers):
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)
