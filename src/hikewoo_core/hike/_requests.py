"""The Hike requests and their answers, shared by both clients (pure, no httpx).

Every path, parameter and field name comes from :mod:`hikewoo_core.hike._schema`.
The clients build a :class:`~hikewoo_core._http_types.Request` here, run it
through the shared HTTP layer, and read the answer here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import attrs

from .._convert import decode_json
from .._datetimes import UTC, require_aware
from .._errors import ConfigurationError, PayloadError
from .._http_types import QueryValue, Request
from .._page_guard import PageGuard
from .._retry import RetryPolicy
from .._unreadable import Unreadable, unreadable
from ._convert import dump_hike, dump_hike_sale, encode_statuses, parse_hike
from ._models import (
    FulfilmentStatus,
    HikeCustomer,
    HikeOutlet,
    HikePayment,
    HikeProduct,
    HikeSale,
    HikeSaleDraft,
    PaymentStatus,
)
from ._schema import ENDPOINTS, FIELDS, MAX_PAGE_SIZE, PARAMS, StatusEncoding

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PAGE_SIZE",
    "HIKE_RETRY_POLICY",
    "HINT_401",
    "Pager",
    "check_page_size",
    "closure_request",
    "create_sale_request",
    "customer_request",
    "decode",
    "format_when",
    "list_request",
    "matching_reference",
    "modified_in",
    "oauth_base",
    "outlets_request",
    "parse_customer_lookup",
    "parse_items",
    "parse_one",
    "parse_outlets",
    "parse_product_lookup",
    "parse_sale_answer",
    "parse_sales_tolerant",
    "product_by_sku_request",
    "read_sale_request",
    "reference_windows",
    "serial_numbers_request",
    "update_status_request",
    "window_params",
]

T = TypeVar("T")

#: Hike's REST API root.
DEFAULT_BASE_URL = "https://api.hikeup.com/api/v1"
#: Records asked for per page when the caller does not say.
DEFAULT_PAGE_SIZE = 200
#: Hike answers HTTP 500 when it *refuses* a request with a message (a bad
#: ``page_size``): not worth a retry, so 500 is not a retry status here.
HIKE_RETRY_POLICY = RetryPolicy(retry_statuses=frozenset({429, 502, 503, 504}))
#: Added to the error when Hike refuses the access token for good.
HINT_401 = (
    "Hike refused the access token (expired or revoked) and refreshing it did not "
    "help; authorize the app again to get new tokens"
)

_PAGING = PARAMS["paging"]
_SALE = FIELDS["HikeSale"]


def oauth_base(base_url: str) -> str:
    """The host root the OAuth2 endpoints hang from: ``base_url`` without ``/api/v1``."""
    parts = urlsplit(base_url.rstrip("/"))
    path = parts.path.removesuffix("/api/v1")
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")


def _url(base_url: str, operation: str) -> str:
    return f"{base_url.rstrip('/')}{ENDPOINTS[operation].path}"


def check_page_size(page_size: int) -> int:
    """``page_size`` if Hike accepts it (1 to 500); else :class:`ConfigurationError`.

    Checked here because Hike answers a bad one with HTTP 500.
    """
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise ConfigurationError(f"page_size must be an integer, got {page_size!r}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ConfigurationError(f"page_size must be 1 to {MAX_PAGE_SIZE}, got {page_size}")
    return page_size


def format_when(value: datetime, name: str = "a date filter") -> str:
    """An aware datetime as Hike's date filters take it: ISO 8601 UTC with ``Z``.

    A naive one raises :class:`~hikewoo_core.ConfigurationError` naming ``name``
    (:func:`hikewoo_core._datetimes.require_aware`)."""
    return require_aware(name, value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def decode(content: bytes, what: str) -> Any:
    """A response body as JSON (``None`` when empty), unwrapping an ABP envelope.

    Hike runs on ASP.NET; if it wraps an answer as ``{"result": ..., "success": true}``
    (ASP.NET Boilerplate's envelope; public clients saw bare bodies), ``result`` is used.
    """
    if not content.strip():
        return None
    body = decode_json(content, None, what=what)
    if isinstance(body, dict) and "result" in body and "success" in body:
        return body["result"]
    return body


def window_params(
    operation: str,
    after: datetime | None,
    before: datetime | None,
    labels: tuple[str, str] = ("since", "until"),
) -> dict[str, QueryValue]:
    """The date-range parameters of a list operation (``list_sales``, ...); a naive bound
    raises :class:`~hikewoo_core.ConfigurationError` naming it as ``labels`` say."""
    names = PARAMS[operation]
    params: dict[str, QueryValue] = {}
    if after is not None:
        params[names["from"].key] = format_when(after, labels[0])
    if before is not None:
        params[names["to"].key] = format_when(before, labels[1])
    if "sorting" in names:
        params[names["sorting"].key] = "transactionDate"
    return params


def sales_window_params(
    modified_after: datetime | None, modified_before: datetime | None, lookback: timedelta
) -> dict[str, QueryValue]:
    """The ``list_sales`` window ``read_sales`` lists (by transaction date, from
    ``modified_after - lookback``); a naive bound raises
    :class:`~hikewoo_core.ConfigurationError` naming it, before anything is sent."""
    if modified_after is not None:
        require_aware("modified_after", modified_after)
    since = None if modified_after is None else modified_after - lookback
    return window_params(
        "list_sales", since, modified_before, ("modified_after", "modified_before")
    )


def list_request(base_url: str, operation: str, params: Mapping[str, QueryValue]) -> Request:
    """A ``get_all`` request without its paging parameters (see :class:`Pager`)."""
    return Request("GET", _url(base_url, operation), params=dict(params))


@attrs.define
class Pager:
    """Walks a ``get_all`` list: ``page_size`` + ``skip_count`` in, ``{totalCount, items}`` out.

    Every page passes a :class:`~hikewoo_core._page_guard.PageGuard`: a server that
    ignores ``skip_count`` (the same page again) or sends more than ``totalCount``
    items stops the walk with :class:`~hikewoo_core.UnexpectedResponseError`.
    """

    request: Request
    page_size: int = attrs.field(default=DEFAULT_PAGE_SIZE, converter=check_page_size)
    skip: int = 0
    done: bool = False
    guard: PageGuard = attrs.field(factory=lambda: PageGuard("Hike list"))

    def next_request(self) -> Request:
        """The request for the next page."""
        return self.request.with_params(
            {_PAGING["page_size"].key: self.page_size, _PAGING["skip_count"].key: self.skip}
        )

    def feed(self, body: Any, what: str) -> list[Any]:
        """The raw items of a page; marks the walk done after the last page."""
        items_key, total_key = _PAGING["items"].key, _PAGING["total"].key
        if isinstance(body, list):  # a bare array: the whole list at once
            items, total = body, None
        elif isinstance(body, dict) and isinstance(body.get(items_key), list):
            items, total = body[items_key], body.get(total_key)
        else:
            raise PayloadError([("$", f"expected {{{total_key}, {items_key}}}")], what=what)
        if total is not None and (isinstance(total, bool) or not isinstance(total, int)):
            raise PayloadError([(f"$.{total_key}", "expected an integer")], what=what)
        self.guard.check(f"{_PAGING['skip_count'].key}={self.skip}", items, total)
        self.skip += len(items)
        full_page = len(items) >= self.page_size and not isinstance(body, list)
        self.done = not full_page or (total is not None and self.skip >= total)
        return items


def parse_items(items: Iterable[Any], cls: type[T], what: str) -> list[T]:
    """Parse the items of a page; a bad item raises with its path (``$.items[3]...``)."""
    out: list[T] = []
    for index, item in enumerate(items):
        try:
            out.append(parse_hike(item, cls))
        except PayloadError as exc:
            prefix = f"$.{_PAGING['items'].key}[{index}]"
            raise PayloadError(
                [(prefix + path[1:], message) for path, message in exc.problems], what=what
            ) from None
    return out


def parse_sales_tolerant(items: Iterable[Any]) -> list[HikeSale | Unreadable]:
    """Parse the sales of a page, a sale that does not parse becoming
    :class:`~hikewoo_core.Unreadable` (with its own problems) instead of failing
    the page: one bad sale must not stop a sync run."""
    out: list[HikeSale | Unreadable] = []
    for item in items:
        try:
            out.append(parse_hike(item, HikeSale))
        except PayloadError as exc:
            out.append(unreadable("hike", item, _SALE["id"].key, _SALE["modified_at"].key, exc))
    return out


def parse_one(body: Any, cls: type[T]) -> T:
    """One record (a JSON object) as ``cls``."""
    return parse_hike(body, cls)


def _id_of(body: Any) -> int | None:
    if type(body) is int:
        return body
    if isinstance(body, dict):
        value = body.get(_SALE["id"].key)
        if type(value) is int:
            return value
    return None


def parse_sale_answer(body: Any) -> HikeSale | int | None:
    """What a create or update answered: the sale, only its id, or nothing (empty body).

    Hike's answer to ``create_ecommerce_sale`` is not published (assumed: the sale).
    """
    if body is None:
        return None
    if isinstance(body, dict) and _SALE["fulfilment_status"].key in body:
        return parse_hike(body, HikeSale)
    sale_id = _id_of(body)
    if sale_id is None:
        raise PayloadError([("$", "expected the sale or its id")], what="Hike sale answer")
    return sale_id


def _first(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get(_PAGING["items"].key), list):
        body = body[_PAGING["items"].key]
    if isinstance(body, list):
        return body[0] if body else None
    return body


def parse_product_lookup(body: Any, sku: str) -> HikeProduct | None:
    """The product a SKU lookup answered (an object, a list or a page), or ``None``."""
    if isinstance(body, list) or (isinstance(body, dict) and _PAGING["items"].key in body):
        items = body if isinstance(body, list) else body[_PAGING["items"].key]
        matches = [p for p in parse_items(items, HikeProduct, "Hike products") if p.sku == sku]
        return matches[0] if matches else None
    return None if body is None else parse_hike(body, HikeProduct)


def parse_customer_lookup(body: Any) -> HikeCustomer | None:
    """The customer an email lookup answered, or ``None``."""
    found = _first(body)
    return None if found is None else parse_hike(found, HikeCustomer)


def parse_outlets(body: Any) -> list[HikeOutlet]:
    """The outlets of ``/outlets/get_all_active`` (a page or a bare array)."""
    pager = Pager(Request("GET", "-"), page_size=MAX_PAGE_SIZE)
    return parse_items(pager.feed(body, "Hike outlets"), HikeOutlet, "Hike outlets")


def outlets_request(base_url: str) -> Request:
    """``GET`` the active outlets."""
    return Request("GET", _url(base_url, "list_outlets"))


def read_sale_request(base_url: str, sale_id: int) -> Request:
    """``GET`` one sale by id."""
    return Request(
        "GET", _url(base_url, "read_sale"), params={PARAMS["read_sale"]["id"].key: sale_id}
    )


def closure_request(base_url: str, closure_id: int) -> Request:
    """``GET`` one register closure by id."""
    key = PARAMS["read_register_closure"]["id"].key
    return Request("GET", _url(base_url, "read_register_closure"), params={key: closure_id})


def product_by_sku_request(base_url: str, sku: str) -> Request:
    """``GET`` a product by SKU."""
    key = PARAMS["product_by_sku"]["sku"].key
    return Request("GET", _url(base_url, "product_by_sku"), params={key: sku})


def customer_request(base_url: str, email: str) -> Request:
    """``GET`` a customer by email."""
    key = PARAMS["find_customer"]["email"].key
    return Request("GET", _url(base_url, "find_customer"), params={key: email})


def create_sale_request(base_url: str, draft: HikeSaleDraft, encoding: StatusEncoding) -> Request:
    """``POST`` a new sale or refund sale. Not idempotent: a lost answer is an unknown outcome."""
    operation = "create_refund_sale" if draft.refund_of is not None else "create_sale"
    body = dump_hike_sale(draft, status_encoding=encoding)
    return Request(ENDPOINTS[operation].method, _url(base_url, operation), json=body)


def update_status_request(
    base_url: str,
    sale_id: int,
    fulfilment: FulfilmentStatus,
    payment: PaymentStatus,
    *,
    payments: Sequence[HikePayment] | None,
    encoding: StatusEncoding,
) -> Request:
    """Set a sale's statuses (and replace its payments when given). Idempotent."""
    body: dict[str, Any] = {
        _SALE["id"].key: sale_id,
        _SALE["fulfilment_status"].key: fulfilment.value,
        _SALE["payment_status"].key: payment.value,
    }
    if payments is not None:
        body[_SALE["payments"].key] = [dump_hike(p) for p in payments]
    body = encode_statuses(body, encoding)
    endpoint = ENDPOINTS["update_sale_status"]
    return Request(
        endpoint.method, _url(base_url, "update_sale_status"), json=body, idempotent=True
    )


def serial_numbers_request(
    base_url: str, sale_id: int, line_index: int, serial_numbers: Sequence[str]
) -> Request:
    """Enter or replace the serial numbers of one line. Idempotent."""
    names = PARAMS["set_serial_numbers"]
    body = {
        names["sale_id"].key: sale_id,
        names["line_index"].key: line_index,
        names["serial_numbers"].key: list(serial_numbers),
    }
    endpoint = ENDPOINTS["set_serial_numbers"]
    return Request(
        endpoint.method, _url(base_url, "set_serial_numbers"), json=body, idempotent=True
    )


def matching_reference(sales: Iterable[HikeSale], reference: str) -> list[HikeSale]:
    """The sales carrying ``reference``, by id, each once."""
    found = {s.id: s for s in sales if s.external_reference == reference}
    return [found[k] for k in sorted(found)]


def reference_windows(
    now: datetime, lookback: timedelta, hint: datetime | None
) -> list[tuple[datetime, datetime]]:
    """The transaction-date windows to list when looking a reference up.

    Hike publishes no filter on a reference, so sales are listed by transaction date:
    the last ``lookback`` up to a day ahead (clock skew), and a day either side of
    ``hint`` (the draft's own transaction date, when known) if that lies elsewhere.
    """
    require_aware("the clock's time", now)
    if hint is not None:
        require_aware("around (or the draft's transaction_date)", hint)
    windows = [(now - lookback, now + timedelta(days=1))]
    if hint is not None and not (now - lookback <= hint <= now + timedelta(days=1)):
        windows.append((hint - timedelta(days=1), hint + timedelta(days=1)))
    return windows


def modified_in(sale: HikeSale, after: datetime | None, before: datetime | None) -> bool:
    """Whether a sale's modification time is in ``[after, before)`` (unknown: yes)."""
    when = sale.modified_at
    if when is None:
        return True
    return (after is None or when >= after) and (before is None or when < before)
