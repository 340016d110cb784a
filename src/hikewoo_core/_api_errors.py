"""Turn an unsuccessful HTTP answer into an :class:`ApiError` (pure, no httpx).

:func:`hikewoo_core._http.error_from_response` feeds this from an ``httpx.Response``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TypeVar

from ._errors import ApiError, AuthenticationError
from ._redact import redact_url, scrub, scrub_json

__all__ = ["MAX_ERROR_TEXT", "api_error", "with_api_hint"]

E = TypeVar("E", bound=ApiError)

#: Longest error text kept from a response body (characters).
MAX_ERROR_TEXT = 500


def with_api_hint(error: ApiError, hint: str, cls: type[E]) -> E:
    """A copy of ``error`` as a ``cls`` (``type(error)`` to keep its class), carrying
    ``hint``: the same status, code, message, data, method and URL."""
    return cls(
        error.status,
        error.code,
        error.api_message,
        error.data,
        method=error.method,
        url=error.url,
        hint=hint,
    )


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "…"


def _fields(status: int, text: str, reason: str) -> tuple[str, str, Any]:
    fallback = f"http_{status}"
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return fallback, _truncate(text.strip()) or reason, None
    code = body.get("code")
    error = body.get("error")
    if not (isinstance(code, str) and code):
        code = error if isinstance(error, str) and error else fallback
    for candidate in (
        body.get("message"),  # WordPress / WooCommerce
        body.get("error_description"),  # OAuth2 token endpoint
        error.get("message") if isinstance(error, dict) else None,
        body.get("Message"),  # ASP.NET
    ):
        if isinstance(candidate, str) and candidate:
            return code, _truncate(candidate), body.get("data")
    return code, _truncate(text.strip()), body.get("data")


def api_error(
    status: int,
    text: str,
    *,
    reason: str = "",
    www_authenticate: str | None = None,
    location: str | None = None,
    method: str = "",
    url: str = "",
    hint_for_401: str = "",
    secrets: Iterable[str | None] = (),
) -> ApiError:
    """The :class:`ApiError` for an answer with ``status`` and body ``text``.

    Reads a JSON ``{"code", "message", "data"}`` body (``data`` may be an object or
    a bare int, as WooCommerce refund endpoints send) or an OAuth2 ``{"error",
    "error_description"}`` body; any other body becomes the message, cut to
    :data:`MAX_ERROR_TEXT` characters (``reason`` when empty). 401 and 403 give an
    :class:`AuthenticationError`; a 401 carries ``hint_for_401`` and the server's
    ``WWW-Authenticate`` challenge, a redirect its (redacted) ``location``.
    ``url`` is redacted here too, and ``secrets`` are scrubbed from the code, message
    and data once decoded (a body may write them with ``\\u`` escapes).

    >>> api_error(500, '{"code": "x", "message": "No.", "data": 404}').data_status
    404
    """
    code, message, data = _fields(status, text, reason)
    hidden = tuple(secrets)
    if hidden:
        code, message, data = scrub(code, hidden), scrub(message, hidden), scrub_json(data, hidden)
    hints: list[str] = []
    if status == 401:
        if hint_for_401:
            hints.append(hint_for_401)
        if www_authenticate:
            hints.append(f"WWW-Authenticate: {_truncate(www_authenticate)}")
    elif 300 <= status < 400 and location:
        hints.append(f"redirected to {redact_url(location)}")
    cls = AuthenticationError if status in (401, 403) else ApiError
    return cls(
        status,
        code,
        message,
        data,
        method=method,
        url=redact_url(url) if url else "",
        hint="; ".join(hints),
    )
