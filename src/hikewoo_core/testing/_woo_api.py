"""The ``/wc/v3`` routes of the loopback WooCommerce server over a :class:`FakeWooCommerce` (pure).

Routes: ``/orders`` (list, create), ``/orders/<id>`` (get, update, delete),
``/orders/batch``, ``/orders/<id>/refunds[/<id>]``, ``/products`` (list, create) and
``/products/<id>`` (get).

Order lists behave as WooCommerce 10.0.2 was seen to: filters ``status`` (``a,b`` or
``status[0]=a``), ``after``/``before`` (created), ``modified_after``/``modified_before``
(exclusive bounds, ``dates_are_gmt``), ``include``/``exclude``, ``customer``,
``product``, ``created_via``, ``search``, ``orderby``/``order``,
``page``/``per_page`` (1..100, else the real 400) and ``offset``, ``_fields``;
``X-WP-Total``/``X-WP-TotalPages`` (``0``/``0`` past the last page, as observed); a
``Link`` header with ``prev``/``next`` built from the request's own query, auth
parameters included. The store's time zone is UTC, so ``dates_are_gmt`` changes nothing.

``orderby=modified`` and ``orderby=date`` sort by the whole second only, and records
of the same second come back in an arbitrary order that depends on ``per_page`` and
the offset (the fake's ``tie_order``/``seed``; the real store's MySQL filesort with
``LIMIT``): offset pages over a tie repeat some records and skip others, as the
captured ``orders_list_orderby_modified_page1/2`` show. ``orderby=id`` and
``include`` are exact.

``POST /orders/batch`` answers 413 above 100 items, a per-item 400 for an unknown
id, and does not validate ``status``: an unknown status makes the order ``pending``
(a single ``PUT`` answers 400); ``set_paid`` pays only when it is JSON ``true``. Order
lists ignore query parameters they do not know, as WooCommerce does (``statuss=`` lists
every order): the client is the one that refuses them. New orders' line items are
resolved against the catalogue by SKU or product id; unknown ones become nameless
product-0 lines.

Product lists take ``sku`` (comma-separated, compared as MySQL does: ignoring case),
``include``/``exclude``, ``status``, ``type``, ``search``, ``orderby``/``order``
(default ``date``/``desc``) and the same paging. ``POST /products`` refuses a
duplicated SKU with the real ``product_invalid_sku``.
``DELETE /orders/<id>?force=true`` deletes for good (a later read answers 404), as the
real store does; without ``force`` the order moves to the trash.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import attrs

from .._datetimes import UTC, assume_utc
from .._errors import ApiError
from ..woo._convert import dump_woo_product
from ..woo._models import WooOrder, WooProduct, WooStatus
from ..woo._php_query import PhpArray
from ._woo import FakeWooCommerce
from ._woo_rules import read_product_body, rest_order, rest_refund

__all__ = ["Reply", "WooApi", "error_reply"]

_ORDERBY = ("date", "id", "include", "title", "slug", "modified")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HIDDEN = frozenset({WooStatus.TRASH.value, WooStatus.AUTO_DRAFT.value})
_BATCH_LIMIT = 100
_ROUTE = re.compile(r"/wc/v3/orders(?:/(batch|\d+)(?:/(refunds)(?:/(\d+))?)?)?/?")
_PRODUCT_ROUTE = re.compile(r"/wc/v3/products(?:/(\d+))?/?")
_PERMISSION = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": (
        "woocommerce_rest_cannot_delete",
        "Sorry, you are not allowed to delete this resource.",
    ),
    "batch": (
        "woocommerce_rest_cannot_batch",
        "Sorry, you are not allowed to batch manipulate this resource.",
    ),
}
Handler = Callable[[], "Reply"]


@attrs.frozen
class Reply:
    """An answer: HTTP status, JSON body, extra headers."""

    status: int
    body: Any
    headers: Mapping[str, str] = attrs.field(factory=dict)


def error_reply(error: ApiError, headers: Mapping[str, str] | None = None) -> Reply:
    """The WordPress error body ``{"code", "message", "data"}`` for ``error``."""
    body = {"code": error.code, "message": error.api_message, "data": error.data}
    return Reply(error.status, body, dict(headers or {}))


def _invalid(problems: Mapping[str, tuple[str, str]]) -> ApiError:
    params = {name: message for name, (_, message) in problems.items()}
    details = {n: {"code": c, "message": m, "data": None} for n, (c, m) in problems.items()}
    data = {"status": 400, "params": params, "details": details}
    return ApiError(400, "rest_invalid_param", f"Invalid parameter(s): {', '.join(params)}", data)


def _is_true(value: object) -> bool:
    """``rest_sanitize_boolean``: ``true``, ``1``, ``yes``, ``on`` (any case) are true."""
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def _words(value: object) -> list[str]:
    if isinstance(value, dict):
        return [w for v in value.values() for w in _words(v)]
    return [w for w in re.split(r"[\s,]+", str(value or "")) if w]


def _date(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return assume_utc(parsed)


class _Params:
    """WordPress-style validation of list parameters, collecting every problem."""

    def __init__(self, get: PhpArray) -> None:
        self.get = get
        self.problems: dict[str, tuple[str, str]] = {}

    def integer(
        self, name: str, default: int | None, low: int, high: int | None = None
    ) -> int | None:
        raw = self.get.get(name)
        if raw is None or raw == "":
            return default
        if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw):
            self.problems[name] = ("rest_invalid_type", f"{name} is not of type integer.")
            return default
        value = int(raw)
        if value < low or (high is not None and value > high):
            text = (
                f"{name} must be between {low} (inclusive) and {high} (inclusive)"
                if high is not None
                else f"{name} must be greater than or equal to {low}"
            )
            self.problems[name] = ("rest_out_of_bounds", text)
            return default
        return value

    def choice(self, name: str, default: str, allowed: Sequence[str]) -> str:
        raw = self.get.get(name, default)
        if raw not in allowed:
            names = ", ".join(allowed[:-1]) + f", and {allowed[-1]}"
            if len(allowed) == 2:
                names = f"{allowed[0]} and {allowed[1]}"
            self.problems[name] = ("rest_not_in_enum", f"{name} is not one of {names}.")
            return default
        return str(raw)

    def date(self, name: str) -> datetime | None:
        raw = self.get.get(name)
        if raw is None:
            return None
        try:
            return _date(str(raw))
        except ValueError:
            self.problems[name] = ("rest_invalid_date", "Invalid date.")
            return None

    def ids(self, name: str) -> list[int]:
        return [int(w) for w in _words(self.get.get(name)) if w.isdigit()]


def _matches(order: WooOrder, p: _Params, dates: Mapping[str, datetime | None]) -> bool:
    statuses = _words(p.get.get("status", "any")) or ["any"]
    status = str(order.status)
    if "any" in statuses:
        if status in _HIDDEN and status not in statuses:
            return False
    elif status not in statuses:
        return False
    created, modified = order.date_created_gmt, order.date_modified_gmt
    bounds = (
        (dates["after"], created, 1),
        (dates["before"], created, -1),
        (dates["modified_after"], modified, 1),
        (dates["modified_before"], modified, -1),
    )
    for bound, stamp, side in bounds:  # WP_Date_Query: both bounds exclusive
        if bound is not None and not (stamp > bound if side > 0 else stamp < bound):
            return False
    include, exclude = p.ids("include"), p.ids("exclude")
    via = _words(p.get.get("created_via"))
    customer, product = p.get.get("customer"), p.get.get("product")
    search = str(p.get.get("search") or "").lower()
    haystack = f"{order.billing.first_name} {order.billing.last_name} {order.billing.email}"
    return (
        (not include or order.id in include)
        and order.id not in exclude
        and (not via or order.created_via in via)
        and (customer is None or str(order.customer_id) == customer)
        and (product is None or any(str(li.product_id) == product for li in order.line_items))
        and (not search or search in haystack.lower())
    )


def _window(p: _Params) -> tuple[int, int, int]:
    """``(per_page, page, first index)`` of a list request; invalid values: the real 400."""
    per_page = p.integer("per_page", 10, 1, 100) or 10
    page = p.integer("page", 1, 1) or 1
    offset = p.integer("offset", None, 0)
    if p.problems:
        raise _invalid(p.problems)
    return per_page, page, offset if offset is not None else (page - 1) * per_page


def _link_query(get: PhpArray, page: int) -> str:
    def pairs(name: str, value: str | PhpArray) -> Iterable[tuple[str, str]]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from pairs(f"{name}[{key}]", item)
        else:
            yield name, value

    params: dict[str, str | PhpArray] = {k: v for k, v in get.items() if k != "status"}
    status = get.get("status", "any")
    words: PhpArray = {str(i): w for i, w in enumerate(_words(status))}
    params["status"] = status if isinstance(status, dict) else words
    params.setdefault("dp", "2")
    params.setdefault("context", "view")
    params["page"] = str(page)
    encoded = [
        (quote(k, safe=""), quote(v, safe="")) for n, v0 in params.items() for k, v in pairs(n, v0)
    ]
    return "&".join(f"{k}={v}" for k, v in encoded)


class WooApi:
    """Dispatches ``/wc/v3`` requests to the fake; call with the store locked."""

    def __init__(self, fake: FakeWooCommerce) -> None:
        self.fake = fake

    def route(
        self, method: str, route: str
    ) -> tuple[str, Callable[[PhpArray, Any, str], Reply]] | None:
        """``(permission, handler)`` for a request, or ``None`` (``rest_no_route``)."""
        products = _PRODUCT_ROUTE.fullmatch(route)
        if products is not None:
            return self._product_route(method, products.group(1))
        match = _ROUTE.fullmatch(route)
        if match is None:
            return None
        item, refunds, refund_id = match.groups()
        editable = method in ("POST", "PUT", "PATCH")
        if item is None:
            table = {"GET": ("list", self._list), "POST": ("create", self._create)}
            return table.get(method)
        if item == "batch":
            return ("batch", self._batch) if editable and refunds is None else None
        order_id = int(item)
        if refunds is None:
            if method == "GET":
                return "view", lambda g, b, u: self._get(order_id)
            if editable:
                return "edit", lambda g, b, u: self._update(order_id, b)
            if method == "DELETE":
                return "delete", lambda g, b, u: self._delete(order_id, _is_true(g.get("force")))
            return None
        if refund_id is not None:
            rid = int(refund_id)
            return (
                ("view", lambda g, b, u: self._refund(order_id, rid)) if method == "GET" else None
            )
        if method == "GET":
            return "list", lambda g, b, u: self._refunds(order_id, g, u)
        if method == "POST":
            return "create", lambda g, b, u: self._add_refund(order_id, b)
        return None

    @staticmethod
    def permission_error(permission: str) -> ApiError:
        """The 401 a route answers when the request has no user."""
        code, message = _PERMISSION[permission]
        return ApiError(401, code, message, {"status": 401})

    # --- orders ---------------------------------------------------------------------------
    def _list(self, get: PhpArray, body: Any, url: str) -> Reply:
        p = _Params(get)
        dates = {
            name: p.date(name) for name in ("after", "before", "modified_after", "modified_before")
        }
        orderby = p.choice("orderby", "date", _ORDERBY)
        order = p.choice("order", "desc", ("asc", "desc"))
        per_page, _, start = _window(p)
        found = [o for o in self.fake.orders() if _matches(o, p, dates)]
        include = p.ids("include")
        tie = f"orders|{orderby}|{order}|{per_page}|{start}"

        def key(o: WooOrder) -> tuple[Any, ...]:
            if orderby == "modified":  # whole seconds; a tie in arbitrary order
                return (o.date_modified_gmt, self.fake._tie_key(tie, o.id))
            if orderby == "date":
                return (o.date_created_gmt, self.fake._tie_key(tie, o.id))
            if orderby == "include" and o.id in include:
                return (include.index(o.id), o.id)
            return (o.id,)

        found.sort(key=key, reverse=order == "desc" and orderby != "include")
        return self._paged(p, found, rest_order, url)

    def _paged(
        self, p: _Params, items: Sequence[Any], dump: Callable[[Any], dict[str, Any]], url: str
    ) -> Reply:
        per_page, page, start = _window(p)
        chosen = [dump(item) for item in items[start : start + per_page]]
        total, pages = len(items), math.ceil(len(items) / per_page)
        if not chosen and page > 1:
            total = pages = 0  # what WooCommerce 10.0.2 answers past the last page
        fields = [f for f in str(p.get.get("_fields") or "").split(",") if f]
        if fields:
            chosen = [{k: v for k, v in item.items() if k in fields} for item in chosen]
        glue = "&" if "?" in url else "?"
        links = []
        if page > 1:
            links.append(f'<{url}{glue}{_link_query(p.get, min(page - 1, pages))}>; rel="prev"')
        if pages > page:
            links.append(f'<{url}{glue}{_link_query(p.get, page + 1)}>; rel="next"')
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        if links:
            headers["Link"] = ", ".join(links)
        return Reply(200, chosen, headers)

    def _get(self, order_id: int) -> Reply:
        return Reply(200, self.fake.get_order(order_id))

    def _create(self, get: PhpArray, body: Any, url: str) -> Reply:
        order = self.fake.write_order(body)
        return Reply(201, rest_order(order), {"Location": f"{url}/{order.id}"})

    def _update(self, order_id: int, body: Any) -> Reply:
        return Reply(200, rest_order(self.fake.write_order(body, order_id)))

    def _delete(self, order_id: int, force: bool = False) -> Reply:
        if force:  # WooCommerce answers with the order as it was before the delete
            before = self.fake.get_order(order_id)
            self.fake.delete_order(order_id, force=True)
            return Reply(200, before)
        self.fake.delete_order(order_id)
        return Reply(200, self.fake.get_order(order_id))

    def _batch(self, get: PhpArray, body: Any, url: str) -> Reply:
        slots = {k: body.get(k) or [] for k in ("create", "update", "delete")}
        if sum(len(v) for v in slots.values()) > _BATCH_LIMIT:
            message = f"Unable to accept more than {_BATCH_LIMIT} items for this request."
            raise ApiError(
                413, "woocommerce_rest_request_entity_too_large", message, {"status": 413}
            )
        out: dict[str, list[Any]] = {}
        for kind, items in slots.items():
            if not items:
                continue
            out[kind] = []
            for item in items:
                out[kind].append(self._batch_item(kind, item))
        return Reply(200, out)

    def _batch_item(self, kind: str, item: Any) -> Any:
        item_id = item if kind == "delete" else (item.get("id") if isinstance(item, dict) else None)
        try:
            if kind == "create":  # status unchecked in a batch: see batch_status
                return rest_order(self.fake._write_batch_item(item))
            if type(item_id) is not int:
                item_id = 0
            if kind == "update":
                changes = {k: v for k, v in item.items() if k != "id"} if item_id else {}
                return rest_order(self.fake._write_batch_item(changes, item_id))
            return self._delete(item_id).body
        except ApiError as exc:
            return {"id": item_id or 0, "error": error_reply(exc).body}

    # --- refunds --------------------------------------------------------------------------
    def _parent(self, order_id: int) -> None:
        try:
            self.fake.get_order(order_id)
        except ApiError:  # the refunds controller's bare-int data gives HTTP 500
            raise ApiError(
                500, "woocommerce_rest_invalid_order_id", "Invalid order ID.", 404
            ) from None

    def _refunds(self, order_id: int, get: PhpArray, url: str) -> Reply:
        self._parent(order_id)
        refunds = sorted(self.fake.refunds(order_id), key=lambda r: r.id, reverse=True)
        return self._paged(_Params(get), refunds, rest_refund, url)

    def _refund(self, order_id: int, refund_id: int) -> Reply:
        self._parent(order_id)
        for refund in self.fake.refunds(order_id):
            if refund.id == refund_id:
                return Reply(200, rest_refund(refund))
        raise ApiError(
            404, "woocommerce_rest_shop_order_refund_invalid_id", "Invalid ID.", {"status": 404}
        )

    def _add_refund(self, order_id: int, body: Any) -> Reply:
        refund = self.fake.write_refund(order_id, body)
        return Reply(201, rest_refund(refund))

    # --- products -------------------------------------------------------------------------
    def _product_route(
        self, method: str, item: str | None
    ) -> tuple[str, Callable[[PhpArray, Any, str], Reply]] | None:
        if item is None:
            table = {"GET": ("list", self._products), "POST": ("create", self._add_product)}
            return table.get(method)
        product_id = int(item)
        if method == "GET":
            return "view", lambda g, b, u: self._product(product_id)
        return None

    def _product(self, product_id: int) -> Reply:
        return Reply(200, dump_woo_product(self.fake.product(product_id)))

    def _products(self, get: PhpArray, body: Any, url: str) -> Reply:
        p = _Params(get)
        orderby = p.choice("orderby", "date", _ORDERBY)
        order = p.choice("order", "desc", ("asc", "desc"))
        per_page, _, start = _window(p)
        include, exclude = p.ids("include"), p.ids("exclude")
        sku = str(p.get.get("sku") or "")
        matched = self.fake._catalogue.filter_skus(sku) if sku else None
        statuses = _words(p.get.get("status", "any")) or ["any"]
        kinds = _words(p.get.get("type"))
        search = str(p.get.get("search") or "").lower()

        def wanted(x: WooProduct) -> bool:
            return (
                (matched is None or x.id in matched)
                and (not include or x.id in include)
                and x.id not in exclude
                and ("any" in statuses or x.status in statuses)
                and (not kinds or x.type in kinds)
                and (not search or search in x.name.lower())
            )

        found = [x for x in self.fake.products() if wanted(x)]
        tie = f"products|{orderby}|{order}|{per_page}|{start}"

        def key(x: WooProduct) -> tuple[Any, ...]:
            if orderby in ("date", "modified"):
                stamp = x.date_created_gmt if orderby == "date" else x.date_modified_gmt
                return (stamp or _EPOCH, self.fake._tie_key(tie, x.id))
            if orderby in ("title", "slug"):
                text = x.name.lower() if orderby == "title" else x.slug
                return (text, self.fake._tie_key(tie, x.id))
            if orderby == "include" and x.id in include:
                return (include.index(x.id), x.id)
            return (x.id,)

        found.sort(key=key, reverse=order == "desc" and orderby != "include")
        return self._paged(p, found, dump_woo_product, url)

    def _add_product(self, get: PhpArray, body: Any, url: str) -> Reply:
        product = self.fake.add_product(**read_product_body(body))
        return Reply(201, dump_woo_product(product), {"Location": f"{url}/{product.id}"})

    @staticmethod
    def decode(body: bytes) -> Any:
        """The JSON body (``{}`` when empty); invalid JSON is the real 400."""
        if not body.strip():
            return {}
        try:
            value = json.loads(body)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            data = {"status": 400, "json_error_code": 4, "json_error_message": "Syntax error"}
            raise ApiError(400, "rest_invalid_json", "Invalid JSON body passed.", data)
        return value
