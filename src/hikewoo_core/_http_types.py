"""The request model and the commands a request flow yields (pure, no httpx).

A flow (see :func:`hikewoo_core._http.request_flow`) yields :class:`Send`,
:class:`Sleep` and :class:`Refresh` commands; a driver performs them. None of these
objects shows a secret in its ``repr``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, urlsplit

import attrs

from ._errors import ConfigurationError
from ._redact import REDACTED, SECRET_HEADERS, is_secret_param, redact_mapping, redact_url
from ._retry import RETRY_SAFE_METHODS

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "MAX_ERROR_BODY",
    "REFRESH",
    "Command",
    "QueryValue",
    "Refresh",
    "Request",
    "Send",
    "Sleep",
    "check_max_body",
]

#: The largest response body read (bytes, after decompression) unless a client is told
#: otherwise: a page of 100 orders of 100 lines each is about 10 MB, so this leaves room
#: for bigger orders and refuses what only a broken or hostile server sends.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: Error bodies are read up to this many bytes and cut there: what is kept of an
#: error is a few hundred characters (see ``MAX_ERROR_TEXT``).
MAX_ERROR_BODY = 64 * 1024


def check_max_body(value: int) -> int:
    """``value`` if it is a usable ``max_response_bytes`` (a positive integer)."""
    if type(value) is not int or value < 1:
        raise ConfigurationError(f"max_response_bytes must be a positive integer, got {value!r}")
    return value


_Primitive: TypeAlias = str | int | float | bool | None
#: A query parameter value, as httpx accepts it (a sequence repeats the name).
QueryValue: TypeAlias = _Primitive | Sequence[_Primitive]


def _upper(method: str) -> str:
    return method.upper()


def _headers_repr(headers: Mapping[str, str]) -> str:
    shown = {
        name: REDACTED if name.lower() in SECRET_HEADERS else value
        for name, value in headers.items()
    }
    return repr(shown)


def _mapping_repr(values: Mapping[str, Any] | None) -> str:
    return "None" if values is None else repr(redact_mapping(values))


def _body_repr(body: object) -> str:
    # Bodies hold customer data: show their shape, never their content.
    if body is None:
        return "None"
    if isinstance(body, Mapping):
        return f"<JSON object, {len(body)} keys>"
    if isinstance(body, Sequence) and not isinstance(body, str):
        return f"<JSON array, {len(body)} items>"
    return f"<JSON {type(body).__name__}>"


def _header_secrets(value: str) -> Iterator[str]:
    scheme, _, credentials = value.partition(" ")
    if not credentials:
        yield value
        return
    yield credentials
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return
        user, _, password = decoded.partition(":")
        yield from (decoded, user, password)


@attrs.frozen
class Request:
    """One HTTP request, before auth is applied, in a form both clients share.

    ``url`` is absolute or relative to the client's ``base_url``; ``params`` are
    merged into its query; ``json`` is a JSON body and ``form`` a form-encoded one
    (at most one of them). ``idempotent=True`` declares that sending the request
    twice is harmless (e.g. a ``PUT`` of a status), which allows retries after
    failures where the server may have acted; ``GET``, ``HEAD`` and ``OPTIONS``
    always may be retried. The ``repr`` hides secrets and bodies.
    """

    method: str = attrs.field(converter=_upper)
    url: str = attrs.field(repr=redact_url)
    params: Mapping[str, QueryValue] = attrs.field(factory=dict, repr=_mapping_repr)
    json: Any = attrs.field(default=None, repr=_body_repr)
    form: Mapping[str, str] | None = attrs.field(default=None, repr=_mapping_repr)
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=_headers_repr)
    idempotent: bool = False

    def __attrs_post_init__(self) -> None:
        if self.json is not None and self.form is not None:
            raise ConfigurationError("a request has a JSON body or a form body, not both")

    @property
    def retry_safe(self) -> bool:
        """Whether the request may be sent again when its outcome is unknown."""
        return self.idempotent or self.method in RETRY_SAFE_METHODS

    def secret_values(self) -> Iterator[str]:
        """The secrets this request carries: values of secret query and form parameters
        (see :data:`~hikewoo_core._redact.SECRET_PARAMS`) and of secret headers, with a
        ``Basic`` header's decoded ``user:password`` and its halves. What a response
        could echo back, so what is scrubbed from the text kept from it."""
        pairs: list[tuple[str, object]] = list(parse_qsl(urlsplit(self.url).query))
        pairs += list(self.params.items()) + list((self.form or {}).items())
        for name, value in pairs:
            if is_secret_param(name) and isinstance(value, str):
                yield value
        for name, value in self.headers.items():
            if name.lower() in SECRET_HEADERS:
                yield from _header_secrets(value)

    def with_params(self, params: Mapping[str, QueryValue]) -> Request:
        """A copy with ``params`` added (replacing parameters of the same name)."""
        return attrs.evolve(self, params={**self.params, **params})

    def with_headers(self, headers: Mapping[str, str]) -> Request:
        """A copy with ``headers`` added (replacing headers of the same name, in any case)."""
        added = {name.lower() for name in headers}
        kept = {k: v for k, v in self.headers.items() if k.lower() not in added}
        return attrs.evolve(self, headers={**kept, **headers})


@attrs.frozen
class Send:
    """Send ``request`` (attempt number ``attempt``, 1-based); reply with the
    response, or with the ``httpx.RequestError`` raised instead."""

    request: Request
    attempt: int


@attrs.frozen
class Sleep:
    """Wait ``seconds`` before the next attempt; reply with ``None``."""

    seconds: float


@attrs.frozen
class Refresh:
    """The server answered 401: refresh credentials if possible; reply with a
    ``bool``, ``True`` to send the request again."""


#: The one :class:`Refresh` command.
REFRESH = Refresh()

#: What a request flow yields.
Command: TypeAlias = Send | Sleep | Refresh
