"""The request model and the commands a request flow yields (pure, no httpx).

A flow (see :func:`hikewoo_core._http.request_flow`) yields :class:`Send`,
:class:`Sleep` and :class:`Refresh` commands; a driver performs them. None of these
objects shows a secret in its ``repr``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import attrs

from ._redact import REDACTED, SECRET_HEADERS, redact_mapping, redact_url
from ._retry import RETRY_SAFE_METHODS
from .errors import ConfigurationError

__all__ = [
    "REFRESH",
    "Command",
    "QueryValue",
    "Refresh",
    "Request",
    "Send",
    "Sleep",
]

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
