"""Build the WooCommerce REST requests both clients send, and sign them (pure, no httpx).

Query parameters are kept as :func:`~hikewoo_core.woo.auth.flatten_params` pairs (PHP's
``status[0]=a`` form) from the start, so what is signed is exactly what is sent.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from .._http_types import Request
from .._redact import redact_pairs
from ..errors import ConfigurationError
from ._php_query import query_pairs
from .auth import (
    AuthMode,
    OAuth1Signer,
    ParamValue,
    WooCredentials,
    api_root,
    basic_auth_header,
    choose_auth_mode,
    endpoint_url,
    flatten_params,
    query_auth_params,
    strip_auth_params,
)

__all__ = [
    "DATE_FILTERS",
    "MAX_PER_PAGE",
    "WooRequests",
    "ceil_second",
    "format_filter_date",
    "inclusive_after",
    "order_filters",
    "order_path",
]

UTC = timezone.utc
#: WooCommerce refuses ``per_page`` above this (``rest_invalid_param``) and batches above it (413).
MAX_PER_PAGE = 100
#: The list filters that take a date-time (``after``/``before`` filter on the created date).
DATE_FILTERS: frozenset[str] = frozenset({"after", "before", "modified_after", "modified_before"})
# Body keys whose items are *added* when sent without an ``id``: a PUT carrying them is
# not safe to send twice.
_ITEM_LISTS = ("line_items", "shipping_lines", "fee_lines", "coupon_lines")


def ceil_second(value: datetime) -> datetime:
    """``value`` rounded up to a whole second (WooCommerce stores whole seconds)."""
    if value.microsecond:
        return value.replace(microsecond=0) + timedelta(seconds=1)
    return value


def inclusive_after(value: datetime | None) -> datetime | None:
    """The exclusive ``after`` bound that keeps orders stamped at ``value`` itself.

    WooCommerce's ``after``/``modified_after`` are exclusive and its times whole
    seconds, so ``m >= value`` is sent as ``m > ceil(value) - 1 s``.
    """
    return None if value is None else ceil_second(value) - timedelta(seconds=1)


def format_filter_date(value: datetime, *, round_up: bool = False) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` as WooCommerce's date filters expect.

    An aware value is converted to UTC (send it with ``dates_are_gmt=true``); a naive one
    is sent as is (the site's local time). Sub-second parts are dropped, or rounded up
    with ``round_up`` (for the exclusive ``*_before`` bounds, so that no whole second
    inside the bound is lost).
    """
    if value.tzinfo is not None and value.utcoffset() is not None:
        value = value.astimezone(UTC)
    if round_up:
        value = ceil_second(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _is_aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


def _check_int(name: str, value: object, low: int, high: float = math.inf) -> int:
    if type(value) is not int or not low <= value <= high:
        bound = f"between {low} and {high}" if high != math.inf else f">= {low}"
        raise ConfigurationError(f"{name} must be an integer {bound}, got {value!r}")
    return value


def _scalar(value: object) -> ParamValue:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (str, int, float)) or value is None:
        return value
    raise ConfigurationError(f"cannot send {type(value).__name__} as a query parameter")


def order_filters(filters: Mapping[str, Any]) -> dict[str, ParamValue]:
    """WooCommerce list parameters from keyword filters, checked and formatted.

    Names are WooCommerce's (``status``, ``modified_after``, ``per_page``, ``include``,
    ...). ``None`` values are left out; lists and tuples become PHP arrays; datetimes in
    :data:`DATE_FILTERS` are formatted as WooCommerce expects, and aware ones (converted
    to UTC) set ``dates_are_gmt=true``. Mixing aware and naive datetimes, an aware one
    with ``dates_are_gmt=False``, a ``per_page`` outside 1..100 or a ``page`` below 1
    raise :class:`~hikewoo_core.ConfigurationError` before anything is sent.
    """
    out: dict[str, ParamValue] = {}
    kinds: set[bool] = set()
    for name, value in filters.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            if name not in DATE_FILTERS:
                raise ConfigurationError(f"{name!r} is not a date filter ({sorted(DATE_FILTERS)})")
            kinds.add(_is_aware(value))
            out[name] = format_filter_date(value, round_up=name.endswith("before"))
        elif isinstance(value, Mapping):
            out[name] = {str(k): _scalar(v) for k, v in value.items()}
        elif isinstance(value, (list, tuple, set, frozenset)):
            items = sorted(value) if isinstance(value, (set, frozenset)) else value
            out[name] = [_scalar(v) for v in items]
        else:
            out[name] = _scalar(value)
    if "per_page" in out:
        _check_int("per_page", out["per_page"], 1, MAX_PER_PAGE)
    if "page" in out:
        _check_int("page", out["page"], 1)
    if len(kinds) > 1:
        raise ConfigurationError("date filters mix aware and naive datetimes; use aware ones")
    if True in kinds:
        if filters.get("dates_are_gmt") is False:
            raise ConfigurationError("aware datetimes are sent in UTC: dates_are_gmt must be true")
        out["dates_are_gmt"] = True
    return out


def order_path(order_id: int, *rest: str | int) -> str:
    """``orders/<id>[/...]`` after checking ``order_id`` is a positive integer."""
    for value in (order_id, *(r for r in rest if not isinstance(r, str))):
        _check_int("an id", value, 1)
    return "/".join(["orders", str(order_id), *(str(r) for r in rest)])


def _pairs_url(url: str, pairs: Sequence[tuple[str, str]]) -> str:
    if not pairs:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(pairs, quote_via=quote, safe='')}"


class WooRequests:
    """The store's address and credentials, turned into signed :class:`Request` objects.

    ``prepare`` (the request flow's hook) applies the auth mode before *every* attempt:
    OAuth 1.0a signs again with a fresh nonce, so a retry never replays one.
    """

    def __init__(
        self,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        auth_mode: AuthMode | str | None = None,
        rest_route: bool = False,
        signature_method: str = "HMAC-SHA256",
        clock: Callable[[], float] = time.time,
        nonce_factory: Callable[[], str] | None = None,
    ) -> None:
        self.creds = WooCredentials(consumer_key, consumer_secret)
        self.mode = choose_auth_mode(url, auth_mode)
        self.root = api_root(url, self.mode, rest_route=rest_route)
        self.scheme = urlsplit(self.root).scheme
        self._signer: OAuth1Signer | None = None
        if self.mode is AuthMode.OAUTH1:
            extra = {} if nonce_factory is None else {"nonce_factory": nonce_factory}
            self._signer = OAuth1Signer(self.creds, signature_method, clock, **extra)
        self._lock = threading.Lock()  # the signer's nonce memory is shared by threads

    def __repr__(self) -> str:
        [(_, key)] = redact_pairs([("consumer_key", self.creds.consumer_key)])
        return f"url={self.root!r}, auth_mode={self.mode.value!r}, consumer_key={key!r}"

    # --- building -------------------------------------------------------------------
    def build(
        self,
        method: str,
        path: str,
        params: Mapping[str, ParamValue] | None = None,
        *,
        json: Any = None,
        idempotent: bool = False,
    ) -> Request:
        """A request for endpoint ``path`` (``"orders/12"``) with PHP-style query pairs."""
        return self._request(method, path, flatten_params(params or {}), json, idempotent)

    def _request(
        self,
        method: str,
        path: str,
        pairs: Sequence[tuple[str, str]],
        json: Any = None,
        idempotent: bool = False,
    ) -> Request:
        # The endpoint's own query (``?rest_route=...``) travels as parameters: httpx
        # replaces a URL's query with the ``params`` it is given.
        url, _, own = endpoint_url(self.root, path).partition("?")
        params = dict([*query_pairs(own), *pairs])
        return Request(method, url, params=params, json=json, idempotent=idempotent)

    def follow(self, link: str, path: str) -> Request:
        """A ``GET`` of ``path`` with the query of a ``Link: rel="next"`` URL.

        The Link repeats the previous request's auth parameters (a spent OAuth nonce,
        or the consumer secret): they are stripped and the request is signed afresh by
        :meth:`prepare`. Only the query is kept, applied to our own endpoint URL, so a
        Link naming another host never receives the credentials.
        """
        pairs = query_pairs(urlsplit(strip_auth_params(link)).query)
        return self._request("GET", path, pairs)

    @staticmethod
    def put_is_idempotent(body: Mapping[str, Any]) -> bool:
        """Whether an update may be sent again: not when it carries item lists.

        WooCommerce *adds* a line, shipping, fee or coupon item sent without an ``id``,
        so repeating such an update would duplicate it.
        """
        return not any(body.get(key) for key in _ITEM_LISTS)

    # --- auth -------------------------------------------------------------------------
    def prepare(self, request: Request, attempt: int) -> Request:
        """Apply the auth mode to ``request`` (called by the flow before each attempt)."""
        del attempt  # every attempt is prepared the same way, with a fresh nonce
        if self._signer is not None:  # AuthMode.OAUTH1
            pairs = [(k, str(v)) for k, v in request.params.items()]
            with self._lock:
                oauth = self._signer.sign(request.method, _pairs_url(request.url, pairs))
            return request.with_params(oauth)
        if self.mode is AuthMode.QUERY:
            return request.with_params(query_auth_params(self.creds))
        header = basic_auth_header(self.creds.consumer_key, self.creds.consumer_secret)
        return request.with_headers({"Authorization": header})
