"""What :class:`WooClient` and :class:`AsyncWooClient` share: settings, bodies, parsing (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from .._api_errors import with_api_hint
from .._convert import JsonLoads, decode_json
from .._datetimes import UTC, checked_clock, require_aware, utc_now
from .._errors import ApiError, ConfigurationError
from .._http_types import DEFAULT_MAX_RESPONSE_BYTES, Request, check_max_body
from .._page_guard import PageGuard
from .._redact import scrubbing
from .._retry import DEFAULT_RETRY_POLICY, RetryPolicy
from .._unreadable import Unreadable
from .._window import OrderWindow
from ._auth import AuthMode, ParamValue
from ._convert import (
    parse_woo_order,
    parse_woo_orders,
    parse_woo_orders_tolerant,
    parse_woo_products,
    parse_woo_refund,
    parse_woo_refunds,
)
from ._models import WooOrder, WooProduct, WooRefund
from ._paging import ModifiedScan
from ._requests import MAX_PER_PAGE, WooRequests, inclusive_after, order_filters, order_path
from ._responses import Page, parse_page

__all__ = [
    "LOOKUP_FIELDS",
    "LOOKUP_MARGIN",
    "UNIQUE_ORDERINGS",
    "WooCore",
    "draft_order_id",
]

#: Fields asked for when searching orders by meta (a page is ~50x smaller than full orders).
LOOKUP_FIELDS = "id,status,created_via,date_created_gmt,meta_data"
#: Margin for clock skew when looking up an order a create may have made.
LOOKUP_MARGIN = timedelta(minutes=5)
#: Orderings under which no two items tie, so offset paging over them is stable.
UNIQUE_ORDERINGS = frozenset({"id", "include"})
#: Statuses a found order must not have to count as "created" (a draft is a failed create).
_NOT_CREATED = frozenset({"checkout-draft", "trash", "auto-draft"})


def draft_order_id(error: ApiError) -> int | None:
    """The ``new_draft_order_id`` a failed create left behind (WooCommerce 9.x), if any."""
    data = error.data
    if isinstance(data, Mapping):
        value = data.get("new_draft_order_id")
        if type(value) is int and value > 0:
            return value
    return None


def _page_number(request: Request) -> int:
    try:
        return int(str(request.params.get("page", "1")))
    except ValueError:
        return 0


def _meta_matches(raw: Any, key: str, value: str) -> bool:
    if not isinstance(raw, Mapping) or str(raw.get("status")) in _NOT_CREATED:
        return False
    meta = raw.get("meta_data")
    if not isinstance(meta, list):
        return False
    return any(
        isinstance(m, Mapping) and m.get("key") == key and str(m.get("value")) == str(value)
        for m in meta
    )


class WooCore:
    """The I/O-free half of a WooCommerce client (see :class:`~hikewoo_core.woo.WooClient`)."""

    def __init__(
        self,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        auth_mode: AuthMode | str | None,
        rest_route: bool,
        retry: RetryPolicy | None,
        signature_method: str,
        clock: Callable[[], datetime] | None,
        nonce_factory: Callable[[], str] | None,
        concurrency: int,
        loads: JsonLoads | None,
        created_via: str | None,
        lookup_window: timedelta,
        delete_failed_drafts: bool,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        what = "the WooCommerce client's clock time"
        self._clock = utc_now if clock is None else checked_clock(clock, what)
        if type(concurrency) is not int or concurrency < 1:
            raise ConfigurationError(f"concurrency must be a positive integer, got {concurrency!r}")
        self.concurrency = concurrency
        self.delete_failed_drafts = delete_failed_drafts
        self.requests = WooRequests(
            url,
            consumer_key,
            consumer_secret,
            auth_mode=auth_mode,
            rest_route=rest_route,
            signature_method=signature_method,
            clock=self._clock,
            nonce_factory=nonce_factory,
        )
        self.retry = retry or DEFAULT_RETRY_POLICY
        self.loads = loads
        if created_via is not None and not created_via:
            raise ConfigurationError("created_via must be a non-empty string or None")
        self.created_via = created_via
        self.lookup_window = lookup_window
        self.max_response_bytes = check_max_body(max_response_bytes)

    # --- settings ---------------------------------------------------------------------
    @property
    def auth_mode(self) -> AuthMode:
        """The auth mode in use (chosen from the URL scheme unless given)."""
        return self.requests.mode

    @property
    def url(self) -> str:
        """The REST API root, e.g. ``https://shop.example/wp-json/wc/v3``."""
        return self.requests.root

    def now(self) -> datetime:
        """The client's clock as an aware UTC datetime."""
        return self._clock().astimezone(UTC)

    def now_end(self) -> datetime:
        """The end of the client's current second: a read "until now" includes what was
        stamped in this second (WooCommerce stamps whole seconds)."""
        return self.now().replace(microsecond=0) + timedelta(seconds=1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.requests!r})"

    def secrets(self) -> tuple[str, str]:
        """The credentials to scrub from any text kept from a response."""
        return (self.requests.creds.consumer_key, self.requests.creds.consumer_secret)

    # --- requests ---------------------------------------------------------------------
    def list_request(self, path: str, filters: Mapping[str, Any]) -> Request:
        """``GET path`` with checked, formatted list filters."""
        return self.requests.build("GET", path, order_filters(filters))

    def order_request(self, order_id: int) -> Request:
        """``GET orders/<id>``."""
        return self.requests.build("GET", order_path(order_id))

    def create_request(self, body: Mapping[str, Any]) -> Request:
        """``POST orders`` (never retried once it may have reached the server)."""
        return self.requests.build("POST", "orders", json=dict(body))

    def update_request(self, order_id: int, body: Mapping[str, Any]) -> Request:
        """``PUT orders/<id>``; retried after a lost answer only when that is harmless."""
        idempotent = self.requests.put_is_idempotent(body)
        return self.requests.build(
            "PUT", order_path(order_id), json=dict(body), idempotent=idempotent
        )

    def delete_request(self, order_id: int, *, force: bool) -> Request:
        """``DELETE orders/<id>`` (``force=true`` deletes for good instead of trashing)."""
        return self.requests.build(
            "DELETE", order_path(order_id), {"force": force}, idempotent=True
        )

    def batch_requests(
        self, updates: Sequence[Mapping[str, Any]]
    ) -> list[tuple[int, list[dict[str, Any]], Request]]:
        """``POST orders/batch`` requests, 100 updates each: ``(first index, chunk, request)``."""
        bodies: list[dict[str, Any]] = []
        for index, update in enumerate(updates):
            order_id = update.get("id")
            if type(order_id) is not int or order_id < 1:
                raise ConfigurationError(f"update #{index} needs an integer 'id', got {order_id!r}")
            bodies.append(dict(update))
        out = []
        for start in range(0, len(bodies), MAX_PER_PAGE):
            chunk = bodies[start : start + MAX_PER_PAGE]
            safe = all(self.requests.put_is_idempotent(b) for b in chunk)
            request = self.requests.build(
                "POST", "orders/batch", json={"update": chunk}, idempotent=safe
            )
            out.append((start, chunk, request))
        return out

    def refund_body(self, body: Mapping[str, Any], allow_gateway_refund: bool) -> dict[str, Any]:
        """The refund body with ``api_refund: false`` unless gateway refunds are allowed.

        WooCommerce defaults ``api_refund`` to **true**, which asks the payment gateway to
        send the money back. A sync records refunds already paid out at the till, so this
        client sends ``false``; a body asking for ``true`` without
        ``allow_gateway_refund=True`` is refused rather than silently changed.
        """
        out = dict(body)
        if allow_gateway_refund:
            return out
        if out.get("api_refund") not in (None, False):
            raise ConfigurationError(
                "the refund body asks for api_refund=true (a refund through the payment "
                "gateway); pass allow_gateway_refund=True to allow it"
            )
        out["api_refund"] = False
        return out

    def with_reference(self, body: Mapping[str, Any], key: str, value: str) -> dict[str, Any]:
        """``body`` carrying the external reference in ``meta_data`` and ``created_via``."""
        if not key or not value:
            raise ConfigurationError("reference_key and reference_value must be non-empty")
        out = dict(body)
        meta = [dict(m) for m in out.get("meta_data") or ()]
        clash = [m.get("value") for m in meta if m.get("key") == key]
        if any(str(v) != str(value) for v in clash):
            raise ConfigurationError(f"the body's meta_data already sets {key!r} to another value")
        if not clash:
            meta.append({"key": key, "value": value})
        out["meta_data"] = meta
        if self.created_via is not None:
            out.setdefault("created_via", self.created_via)
        return out

    def lookup_filters(self, window: OrderWindow) -> dict[str, Any]:
        """List filters that narrow a search by meta (WooCommerce cannot filter on meta)."""
        return {
            "status": "any",
            **self.created_window(window),
            "modified_after": inclusive_after(window.modified_after),
            "modified_before": window.modified_before,
            "orderby": "id",
            "order": "asc",
            "per_page": MAX_PER_PAGE,
            "_fields": LOOKUP_FIELDS,
        }

    @staticmethod
    def matching_ids(raws: Iterable[Any], key: str, value: str, window: OrderWindow) -> list[int]:
        """Ids of the (non-draft, non-trashed) orders whose ``meta_data`` has ``key == value``,
        created through the window's channel (stores before WooCommerce 9.9 ignore the
        filter)."""
        return sorted(
            raw["id"]
            for raw in raws
            if _meta_matches(raw, key, value)
            and type(raw["id"]) is int
            and (window.created_via is None or raw.get("created_via") == window.created_via)
        )

    @staticmethod
    def created_window(window: OrderWindow) -> dict[str, Any]:
        """List filters for the orders created in ``window`` (its bounds and channel)."""
        return {
            "after": inclusive_after(window.created_after),
            "before": window.created_before,
            "created_via": window.created_via,
        }

    def lookup_since(self, created_after: datetime | None) -> datetime:
        """Where a lookup before a create starts (``lookup_window`` back by default)."""
        return created_after if created_after is not None else self.now() - self.lookup_window

    # --- parsing ----------------------------------------------------------------------
    def order(self, content: bytes) -> WooOrder:
        """Parse one order."""
        with scrubbing(self.secrets()):
            return parse_woo_order(content, loads=self.loads)

    def refund(self, content: bytes) -> WooRefund:
        """Parse one refund."""
        with scrubbing(self.secrets()):
            return parse_woo_refund(content, loads=self.loads)

    def order_page(self, content: bytes, headers: Mapping[str, str]) -> Page[WooOrder]:
        """Parse a page of orders."""
        with scrubbing(self.secrets()):
            return parse_page(content, headers, lambda c: parse_woo_orders(c, loads=self.loads))

    def order_page_tolerant(
        self, content: bytes, headers: Mapping[str, str]
    ) -> Page[WooOrder | Unreadable]:
        """Parse a page of orders, an order that does not parse becoming
        :class:`~hikewoo_core.Unreadable` (the port's ``read_orders``)."""
        with scrubbing(self.secrets()):
            return parse_page(
                content, headers, lambda c: parse_woo_orders_tolerant(c, loads=self.loads)
            )

    def refund_page(self, content: bytes, headers: Mapping[str, str]) -> Page[WooRefund]:
        """Parse a page of refunds."""
        with scrubbing(self.secrets()):
            return parse_page(content, headers, lambda c: parse_woo_refunds(c, loads=self.loads))

    def raw_page(self, content: bytes, headers: Mapping[str, str]) -> Page[Any]:
        """A page of raw JSON objects (``_fields`` answers that are not whole orders)."""

        def parse(data: bytes) -> list[Any]:
            value = decode_json(data, self.loads, what="WooCommerce order list")
            return value if isinstance(value, list) else []

        with scrubbing(self.secrets()):
            return parse_page(content, headers, parse)

    @staticmethod
    def paged(filters: Mapping[str, Any]) -> tuple[dict[str, ParamValue], bool]:
        """The checked filters of a read of every page, and whether its order has no ties.

        Ordered by ``id``, oldest first, unless the caller chose an order: WooCommerce
        sorts by one column, and rows that tie on it (orders created or modified in the
        same second) come back in a different order on each request, so offset paging
        over them repeats some rows and skips others; and ascending, orders created
        while the pages are read land after them instead of shifting every page by one.
        A caller's ``orderby=date`` keeps those risks.
        """
        chosen = {"orderby": "id", "order": "asc"} if "orderby" not in filters else {}
        params = order_filters({**chosen, **filters})
        return params, str(params.get("orderby")) in UNIQUE_ORDERINGS

    @staticmethod
    def speculation(params: Mapping[str, ParamValue], window: int) -> int:
        """How many pages after the first a bulk read requests before the first answer.

        The page count (``X-WP-TotalPages``) comes with the first page, so a read that
        waits for it spends a whole round trip with one request in flight: on a 100-page
        read with 8 in flight, one round trip of about 13; on a 3-page read, half the
        time; on a real store, where a page of 100 orders takes about 0.6 s to render,
        0.6 s per read. So ``iter_orders`` and ``iter_order_fields`` request the first
        ``window`` pages at once.

        The cost: a list shorter than the window gets requests for pages past its end,
        which WooCommerce answers ``200 []`` (captured on 10.0.2), a read cannot be
        harmed by them, and they end the read like any empty page. Each still costs the
        store a request: WordPress starts and counts the matching orders, though it loads
        none. Hence the bound: at most ``window - 1`` such requests per read, sent with
        the first one (the caller waits no longer for them); none when the window is one
        page (``concurrency=1``), and no more pages than an
        ``include`` list can fill. Reads that usually fit in one page (refunds, product
        and meta lookups) never speculate.
        """
        extra = max(0, window - 1)
        ids = params.get("include")
        if isinstance(ids, (list, tuple)):
            per_page = int(str(params.get("per_page", 10)))
            first = int(str(params.get("page", 1)))
            extra = min(extra, -(-len(ids) // per_page) - first)
        return max(0, extra)

    def scan_plan(
        self, start: datetime | None, end: datetime, size: int, filters: Mapping[str, Any]
    ) -> ModifiedScan[Any]:
        """The keyset scan of ``[start, end)``, its arguments checked now (not at the first
        page): aware bounds, a valid page size, known filters."""
        if start is not None:
            require_aware("after", start)
        order_filters({"per_page": size})
        return ModifiedScan(start, end, size, order_filters(self.whole_orders(filters)))

    @staticmethod
    def page_filters(filters: Mapping[str, Any], per_page: int) -> dict[str, ParamValue | Any]:
        """``filters`` with ``per_page`` defaulted (for reading every page)."""
        out = dict(filters)
        out.setdefault("per_page", per_page)
        return out

    @staticmethod
    def whole_orders(filters: Mapping[str, Any]) -> Mapping[str, Any]:
        """``filters``, refused if they trim the orders (``_fields``): parsed as orders,
        trimmed objects would fail on every missing field; use ``iter_order_fields``."""
        if filters.get("_fields") is not None:
            raise ConfigurationError(
                "_fields trims each order to the fields named, so the answer is not a list "
                "of orders: use iter_order_fields(fields, ...) to read trimmed objects"
            )
        return filters

    @staticmethod
    def fields_filters(fields: Iterable[str], filters: Mapping[str, Any]) -> dict[str, Any]:
        """List filters asking for ``fields`` only (``_fields=a,b``), 100 a page."""
        names: list[object] = [fields] if isinstance(fields, str) else list(fields)
        bad = [n for n in names if not isinstance(n, str) or not n or "," in n or n != n.strip()]
        if not names or bad:
            raise ConfigurationError(
                f"fields must be one or more field names (like 'id'), got {list(names)!r}"
            )
        out: dict[str, Any] = {**filters, "_fields": ",".join(map(str, names))}
        out.setdefault("per_page", MAX_PER_PAGE)
        return out

    @staticmethod
    def next_sequential(
        path_request: Request,
        page: Page[Any],
        per_page: int,
        follow: Callable[[str], Request],
        guard: PageGuard,
    ) -> Request | None:
        """The next page's request when ``X-WP-TotalPages`` is missing.

        Follows ``Link: rel="next"`` (re-signed, see :meth:`WooRequests.follow`), else asks
        for the next page number while pages come back full. ``page`` (the answer to
        ``path_request``) passes ``guard`` first: a repeated page stops the read.
        """
        current = _page_number(path_request)
        guard.check(f"page {current}", page.items, page.total)
        if not page.items:
            return None
        if page.next_url:
            nxt = follow(page.next_url)
            # a Link that does not move forward would loop for ever
            return nxt if _page_number(nxt) > current else None
        if len(page.items) < per_page:
            return None
        number = current + 1
        return path_request.with_params({"page": str(number)})

    @staticmethod
    def draft_error(error: ApiError, draft: int, outcome: str) -> ApiError:
        """``error`` noting what became of the draft order the failed create left."""
        hint = f"WooCommerce left draft order #{draft} behind ({outcome})"
        return with_api_hint(error, hint, type(error))

    # --- products (find_product) ------------------------------------------------------
    @staticmethod
    def sku_to_find(sku: str) -> bool:
        """Whether ``sku`` is worth asking for: a non-empty string (else nothing has it).

        An empty ``sku`` filter is no filter at all (every product would come back).
        """
        if not isinstance(sku, str):
            raise ConfigurationError(f"sku must be a string, got {type(sku).__name__}")
        return bool(sku)

    @staticmethod
    def product_filters(sku: str) -> dict[str, Any]:
        """List filters asking WooCommerce for the products with ``sku`` (100 a page)."""
        return {"sku": sku, "per_page": MAX_PER_PAGE}

    def product_page(self, content: bytes, headers: Mapping[str, str]) -> Page[WooProduct]:
        """Parse a page of products."""
        with scrubbing(self.secrets()):
            return parse_page(content, headers, lambda c: parse_woo_products(c, loads=self.loads))

    @staticmethod
    def exact_product(products: Iterable[WooProduct], sku: str) -> WooProduct | None:
        """The product whose SKU is exactly ``sku``, if any.

        WooCommerce's ``sku`` filter compares as MySQL does (ignoring case and trailing
        spaces) and splits the value on commas, so its answer may hold other products.
        """
        return next((p for p in products if p.sku == sku), None)
