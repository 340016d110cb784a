"""Read WooCommerce responses: pages, batch results, and the hints auth errors deserve (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from .._api_errors import MAX_ERROR_TEXT, with_api_hint
from .._convert import JsonLoads, decode_json, describe
from .._errors import ApiError, AuthenticationError, PayloadError
from .._redact import redact_url, scrub, scrub_json
from ._auth import AuthMode, parse_link_header
from ._convert import parse_woo_order
from ._models import WooOrder

__all__ = [
    "BatchItem",
    "BatchResult",
    "Page",
    "auth_hint",
    "parse_batch",
    "parse_page",
    "with_hint",
]

T = TypeVar("T")


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


@attrs.frozen
class Page(Generic[T]):
    """One page of a list: its items, ``X-WP-Total``, ``X-WP-TotalPages`` and ``rel="next"``.

    The totals are ``None`` when the server (or a proxy) did not send them.
    """

    items: list[T]
    total: int | None = None
    total_pages: int | None = None
    next_url: str | None = None


def parse_page(
    content: bytes,
    headers: Mapping[str, str],
    parse: Callable[[Any], list[T]],
) -> Page[T]:
    """A :class:`Page` from a list response's body and headers."""
    links = parse_link_header(headers.get("Link") or "")
    return Page(
        items=parse(content),
        total=_header_int(headers, "X-WP-Total"),
        total_pages=_header_int(headers, "X-WP-TotalPages"),
        next_url=links.get("next"),
    )


# --- batch ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BatchItem:
    """The outcome of one item of a batch: the stored order, or the error WooCommerce gave.

    ``index`` is the item's position in the sequence passed in; ``id`` the order id it
    names (``0`` when WooCommerce did not echo one).
    """

    index: int
    id: int
    order: WooOrder | None = None
    error: ApiError | None = None

    @property
    def ok(self) -> bool:
        """Whether this item succeeded."""
        return self.error is None


@attrs.frozen
class BatchResult:
    """Per-item outcomes of a batch, in input order. Failed items are never dropped.

    WooCommerce answers a batch with HTTP 200 even when items fail: each failure is a
    ``{"id", "error": {"code", "message", "data"}}`` entry, kept here as an
    :class:`~hikewoo_core.ApiError`. A chunk the server refused whole (e.g. 413) gives
    every item of that chunk the same error.
    """

    items: tuple[BatchItem, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every item succeeded."""
        return all(item.ok for item in self.items)

    @property
    def orders(self) -> list[WooOrder]:
        """The orders of the items that succeeded, in input order."""
        return [item.order for item in self.items if item.order is not None]

    @property
    def errors(self) -> list[BatchItem]:
        """The items that failed, in input order."""
        return [item for item in self.items if item.error is not None]

    def raise_for_errors(self) -> None:
        """Raise the first item error, if any (the others stay readable on ``errors``)."""
        for item in self.items:
            if item.error is not None:
                raise item.error

    def __add__(self, other: BatchResult) -> BatchResult:
        return BatchResult((*self.items, *other.items))


def _item_error(
    raw: Mapping[str, Any], method: str, url: str, secrets: tuple[str | None, ...]
) -> ApiError:
    code, message, data = raw.get("code"), raw.get("message"), raw.get("data")
    status = data if type(data) is int else None
    if isinstance(data, Mapping) and type(data.get("status")) is int:
        status = data["status"]
    text = scrub(message if isinstance(message, str) else describe(message), secrets)
    return ApiError(
        status or 400,
        scrub(code, secrets) if isinstance(code, str) and code else "unknown_error",
        text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "…",
        scrub_json(data, secrets),
        method=method,
        url=redact_url(url),
    )


def parse_batch(
    content: bytes,
    kind: str,
    sent: Sequence[Mapping[str, Any]],
    *,
    first_index: int = 0,
    loads: JsonLoads | None = None,
    method: str = "POST",
    url: str = "",
    secrets: Iterable[str | None] = (),
) -> list[BatchItem]:
    """The items of the ``kind`` (``"update"``/``"create"``) slot of a batch response.

    A failed item's error keeps at most ``MAX_ERROR_TEXT`` characters of its message,
    with ``secrets`` scrubbed from it and from its data.
    """
    hidden = tuple(secrets)
    what = "WooCommerce batch response"
    body = decode_json(content, loads, what=what)
    slot = body.get(kind) if isinstance(body, dict) else None
    if not isinstance(slot, list) or len(slot) != len(sent):
        raise PayloadError(
            [(f"$.{kind}", f"expected an array of {len(sent)} results, got {describe(slot)}")],
            what=what,
        )
    items: list[BatchItem] = []
    for offset, (raw, asked) in enumerate(zip(slot, sent, strict=True)):
        index = first_index + offset
        given = asked.get("id")
        fallback = given if type(given) is int else 0
        if isinstance(raw, dict) and isinstance(raw.get("error"), dict):
            echoed = raw.get("id")
            order_id = echoed if type(echoed) is int and echoed else fallback
            error = _item_error(raw["error"], method, url, hidden)
            items.append(BatchItem(index=index, id=order_id, error=error))
            continue
        try:
            order = parse_woo_order(raw, loads=loads)
        except PayloadError as exc:
            problems = [(f"$.{kind}[{offset}]{p[1:]}", m) for p, m in exc.problems]
            raise PayloadError(problems, what=what) from None
        items.append(BatchItem(index=index, id=order.id, order=order))
    return items


# --- auth hints -----------------------------------------------------------------------

_NOBODY = "WooCommerce saw no valid credentials: the consumer key may be unknown or revoked, "
_PLAIN_HTTP = (
    "WooCommerce ignores Basic auth and query keys over plain HTTP; use OAuth 1.0a or HTTPS. "
    "Behind a proxy that terminates TLS, PHP may believe it serves plain HTTP: then use "
    "AuthMode.OAUTH1 with the http:// address WordPress knows"
)
_SIGNATURE = (
    "the consumer secret may be wrong, or the URL signed differs from the one WordPress "
    "rebuilds from its Site Address (scheme, host, port and path are signed: behind a "
    "proxy or in a subdirectory, use the exact address WordPress is configured with)"
)
_MESSAGES = {
    "Invalid timestamp.": "this machine's clock is more than 15 minutes off the server's",
    "Invalid nonce - nonce has already been used.": (
        "a nonce was replayed (e.g. a Link URL followed as-is); every request must be signed afresh"
    ),
    "Invalid signature - provided signature does not match.": _SIGNATURE,
    "Consumer key is invalid.": (
        "check the key pair under WooCommerce > Settings > Advanced > REST API"
    ),
    "Consumer secret is invalid.": (
        "check the key pair under WooCommerce > Settings > Advanced > REST API"
    ),
}


def auth_hint(error: ApiError, mode: AuthMode, scheme: str) -> str:
    """The hint that matters for an authentication failure, given how we authenticated."""
    if error.status == 403:
        return (
            "the credentials were accepted but lack the permission: the key needs "
            "read/write access and a user who can manage WooCommerce"
        )
    if error.code == "woocommerce_rest_authentication_missing_parameter":
        return "the OAuth parameters did not reach WordPress intact (a proxy rewriting the query?)"
    if error.code == "woocommerce_rest_authentication_error":
        if "write permissions" in error.api_message or "read permissions" in error.api_message:
            return "the API key's permissions are too narrow: give it read/write access"
        return _MESSAGES.get(error.api_message, _SIGNATURE)
    if error.code.startswith("woocommerce_rest_cannot_"):
        if mode is AuthMode.OAUTH1:
            return (
                _NOBODY + "or the OAuth parameters were dropped by a proxy; check the key "
                "and that requests reach /wp-json/wc/ paths"
            )
        if mode is AuthMode.QUERY:
            return _NOBODY + "or the server does not see HTTPS. " + _PLAIN_HTTP
        if mode is AuthMode.BASIC:
            return (
                _NOBODY + "or the host strips the Authorization header (try "
                "auth_mode=AuthMode.QUERY over HTTPS). " + _PLAIN_HTTP
            )
        return (
            "WordPress saw no valid application password: the host may strip the "
            "Authorization header, or the site does not see HTTPS (application passwords "
            f"need it; this client uses {scheme})"
        )
    if error.code in ("invalid_username", "incorrect_password", "invalid_email"):
        return "check the WordPress user name and application password"
    return ""


def with_hint(error: AuthenticationError, mode: AuthMode, scheme: str) -> AuthenticationError:
    """A copy of ``error`` carrying :func:`auth_hint` (``error`` itself if there is none)."""
    hint = auth_hint(error, mode, scheme)
    return with_api_hint(error, hint, AuthenticationError) if hint else error
