"""Build the WooCommerce REST requests both clients send, and sign them (pure, no httpx).

Query parameters are kept as :func:`~hikewoo_core.woo._auth.flatten_params` pairs (PHP's
``status[0]=a`` form) from the start, so what is signed is exactly what is sent.
"""

from __future__ import annotations

import difflib
import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from .._datetimes import UTC, require_aware
from .._errors import ConfigurationError
from .._http_types import Request
from .._redact import redact_pairs
from ._auth import (
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
from ._php_query import query_pairs

__all__ = [
    "DATE_FILTERS",
    "MAX_PER_PAGE",
    "FIELDS_RESERVED",
    "ORDER_LIST_FILTERS",
    "PAGED_RESERVED",
    "SCAN_RESERVED",
    "WRITABLE_STATUSES",
    "WooRequests",
    "ceil_second",
    "check_batch_updates",
    "check_order_filter_names",
    "format_filter_date",
    "inclusive_after",
    "order_filters",
    "order_path",
]

#: WooCommerce refuses ``per_page`` above this (``rest_invalid_param``) and batches above it (413).
MAX_PER_PAGE = 100
#: The list filters that take a date-time (``after``/``before`` filter on the created date).
DATE_FILTERS: frozenset[str] = frozenset({"after", "before", "modified_after", "modified_before"})
#: Every query parameter ``GET /wc/v3/orders`` takes on WooCommerce 10, from the source:
#: ``WC_REST_CRUD_Controller::get_collection_params`` (context, page, per_page, search,
#: after, before, modified_after, modified_before, dates_are_gmt, exclude, include, offset,
#: order, orderby, and parent/parent_exclude since orders are hierarchical;
#: includes/rest-api/Controllers/Version3/class-wc-rest-crud-controller.php @0059466f),
#: ``WC_REST_Orders_V2_Controller::get_collection_params`` (status, customer, product, dp,
#: order_item_display_meta, include_meta, exclude_meta; .../Version2/...-orders-v2-
#: controller.php @01ddd4f3), ``WC_REST_Orders_Controller`` (status as an array,
#: created_via since 9.9; .../Version3/class-wc-rest-orders-controller.php, trunk), plus
#: WordPress's ``_fields``. Also listed in the official docs' "List all orders" table
#: (https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-orders) and in
#: shared/reference/woocommerce-rest-v3.md section 4. WooCommerce ignores any other name
#: without a word (a typo like ``statuss=`` lists every order), so the client refuses it;
#: WordPress's other global parameters (``_envelope``, ``_jsonp``, ``_method``,
#: ``_embed``) change the answer's shape or the method, and are refused the same way.
ORDER_LIST_FILTERS: frozenset[str] = frozenset(
    {
        "_fields", "after", "before", "context", "created_via", "customer", "dates_are_gmt",
        "dp", "exclude", "exclude_meta", "include", "include_meta", "modified_after",
        "modified_before", "offset", "order", "order_item_display_meta", "orderby", "page",
        "parent", "parent_exclude", "per_page", "product", "search", "status",
    }
)  # fmt: skip
_OFFSET = (
    "with offset WooCommerce ignores page, so every page read would return the same "
    "orders; use page (the first page to read) or list_orders(offset=...)"
)
#: Filters :meth:`~hikewoo_core.woo.WooClient.iter_orders` cannot honour (it pages by number).
PAGED_RESERVED: Mapping[str, str] = {"offset": _OFFSET}
#: Filters ``iter_order_fields`` cannot honour.
FIELDS_RESERVED: Mapping[str, str] = {
    "offset": _OFFSET,
    "_fields": "name the fields in the fields argument",
}
_SCAN = "the scan sets it itself (it pages on the modification time)"
#: Filters ``iter_orders_modified`` sets itself: a value given would be overridden, or
#: (``offset``) break its paging.
SCAN_RESERVED: Mapping[str, str] = {
    "modified_after": f"{_SCAN}; pass after= (and overlap=)",
    "modified_before": f"{_SCAN}; pass before=",
    "per_page": f"{_SCAN}; pass page_size=",
    "page": _SCAN,
    "offset": _SCAN,
    "orderby": f"{_SCAN}, oldest change first",
    "order": f"{_SCAN}, oldest change first",
    "dates_are_gmt": f"{_SCAN}: aware datetimes, sent in UTC",
}
#: The ``status`` values a single ``PUT /orders/<id>`` accepts on a store without plugin
#: statuses (the schema enum: ``auto-draft`` + ``wc_get_order_statuses()``; captured:
#: ``order_update_invalid_status_error.json``). ``POST /orders/batch`` does not check it.
WRITABLE_STATUSES: tuple[str, ...] = (
    "auto-draft", "pending", "processing", "on-hold", "completed",
    "cancelled", "refunded", "failed", "checkout-draft",
)  # fmt: skip
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
    """``YYYY-MM-DDTHH:MM:SS`` in UTC, as WooCommerce's date filters expect with
    ``dates_are_gmt=true``.

    ``value`` must be aware (a naive one raises :class:`~hikewoo_core.ConfigurationError`:
    WooCommerce would read it as the shop's local time). Sub-second parts are dropped, or
    rounded up with ``round_up`` (for the exclusive ``*_before`` bounds, so that no whole
    second inside the bound is lost).
    """
    value = require_aware("a date filter", value).astimezone(UTC)
    if round_up:
        value = ceil_second(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S")


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
    ...). ``None`` values are left out; lists and tuples become PHP arrays; the
    :data:`DATE_FILTERS` take timezone-aware datetimes only, sent in UTC with
    ``dates_are_gmt=true``. A naive datetime (or a string) for a date filter, an aware
    one with ``dates_are_gmt=False``, a ``per_page`` outside 1..100 or a ``page`` below 1
    raise :class:`~hikewoo_core.ConfigurationError` before anything is sent. Names are
    checked by :func:`check_order_filter_names` where the caller's filters come in.
    """
    out: dict[str, ParamValue] = {}
    dated = False
    for name, value in filters.items():
        if value is None:
            continue
        if name in DATE_FILTERS:
            # A naive datetime or a bare string is read by WooCommerce as the shop's
            # local time (no dates_are_gmt): refused, whatever the shop's time zone.
            require_aware(name, value)
        if isinstance(value, datetime):
            if name not in DATE_FILTERS:
                raise ConfigurationError(f"{name!r} is not a date filter ({sorted(DATE_FILTERS)})")
            dated = True
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
    if dated:
        if filters.get("dates_are_gmt") is False:
            raise ConfigurationError("aware datetimes are sent in UTC: dates_are_gmt must be true")
        out["dates_are_gmt"] = True
    return out


def check_order_filter_names(
    filters: Mapping[str, Any], method: str, reserved: Mapping[str, str] | None = None
) -> Mapping[str, Any]:
    """``filters`` after checking every name is one ``GET /orders`` takes and ``method``
    can honour; else :class:`~hikewoo_core.ConfigurationError`, before anything is sent.

    WooCommerce ignores a query parameter it does not know, so a typo (``statuss=``)
    would list every order: an unknown name is refused with the close matches
    (:func:`difflib.get_close_matches`) and the valid names (:data:`ORDER_LIST_FILTERS`).
    ``reserved`` maps the names ``method`` sets itself (or cannot honour) to the reason;
    one given a value (not ``None``) is refused with that reason.
    """
    unknown = sorted(name for name in filters if name not in ORDER_LIST_FILTERS)
    if unknown:
        guesses = []
        for name in unknown:
            close = difflib.get_close_matches(name, sorted(ORDER_LIST_FILTERS), n=3, cutoff=0.6)
            hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
            guesses.append(f"{name!r}{hint}")
        raise ConfigurationError(
            f"{method}: unknown filter{'s' if len(unknown) > 1 else ''} {', '.join(guesses)}; "
            "WooCommerce ignores a name it does not know (the listing would not be "
            f"filtered). Valid filters: {', '.join(sorted(ORDER_LIST_FILTERS))}"
        )
    for name, why in (reserved or {}).items():
        if filters.get(name) is not None:
            raise ConfigurationError(f"{method} cannot take the filter {name!r}: {why}")
    return filters


#: One problem of a batch: (item index, JSON path, message).
_Problem = tuple[int, str, str]


def _batch_problems(index: int, update: object, statuses: frozenset[str]) -> Iterable[_Problem]:
    """``(index, field, problem)`` for one batch update item."""
    if not isinstance(update, Mapping):
        yield index, "", f"expected an object, got {type(update).__name__}"
        return
    order_id = update.get("id")
    if type(order_id) is not int or order_id < 1:
        yield index, "id", f"needs an integer 'id', got {order_id!r}"
    status = update.get("status")
    if "status" in update and (not isinstance(status, str) or status not in statuses):
        yield (
            index,
            "status",
            (
                f"{status!r} is not an order status this store accepts "
                f"({', '.join(sorted(statuses))}); a batch would set the order to 'pending' "
                "(pass plugin statuses as extra_statuses=)"
            ),
        )
    if "set_paid" in update and not isinstance(update["set_paid"], bool):
        yield (
            index,
            "set_paid",
            (
                f"expected true or false, got {update['set_paid']!r} (a batch ignores any "
                "value but JSON true)"
            ),
        )
    for key in ("customer_id", "parent_id"):
        value = update.get(key)
        if key in update and (type(value) is not int or value < 0):
            yield index, key, f"expected a non-negative integer, got {value!r}"
    for key in ("customer_note", "payment_method", "payment_method_title", "transaction_id",
                "currency", "created_via"):  # fmt: skip
        if key in update and not isinstance(update[key], str):
            yield index, key, f"expected a string, got {type(update[key]).__name__}"
    for key in ("billing", "shipping"):
        address = update.get(key)
        if key not in update:
            continue
        if not isinstance(address, Mapping):
            yield index, key, f"expected an object, got {type(address).__name__}"
            continue
        for field, value in address.items():
            if value is not None and not isinstance(value, str):
                yield index, f"{key}.{field}", f"expected a string, got {type(value).__name__}"
    yield from _meta_problems(index, "meta_data", update)
    for key in _ITEM_LISTS:
        yield from _item_problems(index, key, update)


def _array_problems(
    index: int,
    path: str,
    value: object,
    entry_problems: Callable[[str, Mapping[str, Any]], Iterable[_Problem]],
) -> Iterable[_Problem]:
    """``value`` must be an array of objects; each object is checked by
    ``entry_problems(its_path, it)``."""
    if not isinstance(value, (list, tuple)):
        yield index, path, f"expected an array, got {type(value).__name__}"
        return
    for n, entry in enumerate(value):
        where = f"{path}[{n}]"
        if not isinstance(entry, Mapping):
            yield index, where, f"expected an object, got {type(entry).__name__}"
            continue
        yield from entry_problems(where, entry)


def _meta_problems(index: int, path: str, obj: Mapping[str, Any]) -> Iterable[_Problem]:
    """``meta_data`` must be ``[{"key": str, "value": ...}, ...]``: WooCommerce reads
    ``$meta['key']`` and ``$meta['value']`` of each entry without checking them."""
    if "meta_data" not in obj:
        return

    def entry_problems(where: str, entry: Mapping[str, Any]) -> Iterable[_Problem]:
        key = entry.get("key")
        if not isinstance(key, str) or not key:
            yield index, f"{where}.key", f"expected a non-empty string, got {key!r}"
        if "value" not in entry:
            yield index, f"{where}.value", "missing (WooCommerce would store null)"
        if "id" in entry and (type(entry["id"]) is not int or entry["id"] < 1):
            yield index, f"{where}.id", f"expected a positive integer, got {entry['id']!r}"

    yield from _array_problems(index, path, obj["meta_data"], entry_problems)


def _item_problems(index: int, key: str, update: Mapping[str, Any]) -> Iterable[_Problem]:
    """Line, shipping, fee and coupon items: objects with integer ids and quantities and
    string amounts (a batch skips the schema's types: ``"quantity": "0"`` does not remove
    a line there, while a single ``PUT`` reads it as ``0``)."""
    if key not in update:
        return

    def entry_problems(where: str, item: Mapping[str, Any]) -> Iterable[_Problem]:
        for field in ("id", "product_id", "variation_id", "quantity"):
            value = item.get(field)
            if value is not None and type(value) is not int:
                yield index, f"{where}.{field}", f"expected an integer, got {value!r}"
        for field in ("total", "subtotal"):
            value = item.get(field)
            if value is not None and not isinstance(value, str):
                text = f"expected a decimal string like '12.50', got {type(value).__name__}"
                yield index, f"{where}.{field}", text
        yield from _meta_problems(index, f"{where}.meta_data", item)

    yield from _array_problems(index, key, update[key], entry_problems)


def check_batch_updates(
    updates: Sequence[Mapping[str, Any]], extra_statuses: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The update items of a ``POST /orders/batch``, checked as a single ``PUT`` would be.

    WooCommerce hands each batch item to the controller **without** the schema check a
    single request gets (``WC_REST_Controller::batch_items`` builds a bare
    ``WP_REST_Request`` and calls ``update_item``): an unknown ``status`` answers 200
    and makes the order ``pending`` (captured on 10.0.2:
    ``orders_batch_update_invalid_status.json``, ``order_get_after_batch_invalid_status.json``),
    ``"set_paid": "true"`` is ignored (``true === $request['set_paid']``), a ``meta_data``
    entry without ``value`` stores null. So every item is checked here: an integer
    ``id``; ``status`` in :data:`WRITABLE_STATUSES` or ``extra_statuses`` (a plugin's
    statuses); ``set_paid`` a boolean; ids, strings, addresses, ``meta_data`` and the item
    lists of the types the schema declares. Every problem of every item is listed in one
    :class:`~hikewoo_core.ConfigurationError` naming the item's index and the field, and
    nothing is sent: no batch goes out half-checked.
    """
    if isinstance(extra_statuses, (str, bytes)):  # "shipped" would allow "s", "h", ...
        raise ConfigurationError(
            f"extra_statuses must be a collection of statuses, like [{extra_statuses!r}], "
            "not one string"
        )
    statuses = frozenset(WRITABLE_STATUSES) | frozenset(
        str(s).removeprefix("wc-") for s in extra_statuses
    )
    problems = [
        problem for index, update in enumerate(updates)
        for problem in _batch_problems(index, update, statuses)
    ]  # fmt: skip
    if problems:
        shown = [
            f"  update #{i}{f' {field}' if field else ''}: {text}" for i, field, text in problems
        ]
        if len(shown) > 20:
            shown = [*shown[:20], f"  ... and {len(shown) - 20} more"]
        n = len(problems)
        raise ConfigurationError(
            "\n".join(
                [
                    f"batch_update_orders: {n} problem{'s' if n != 1 else ''}; nothing was sent "
                    "(WooCommerce does not check batch items, it would store them as sent)",
                    *shown,
                ]
            )
        )
    return [dict(update) for update in updates]


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
        clock: Callable[[], datetime] | None = None,
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
