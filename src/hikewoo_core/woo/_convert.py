"""Parse WooCommerce JSON into models and dump models back to JSON (pure).

``parse_*`` accept a decoded ``dict`` or raw ``bytes``/``str``, decoded with ``loads=``
(by default orjson when the ``fast`` extra is installed, else :func:`json.loads`; both
give the same results, see :mod:`hikewoo_core._json`).
Any problem raises :class:`~hikewoo_core.PayloadError` listing every problem with
its JSON path; nothing else escapes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
import cattrs

from .._convert import (
    Converters,
    JsonLoads,
    _Invalid,
    build_converters,
    decode_json,
    describe,
)
from .._errors import PayloadError
from .._money import format_money
from .._unreadable import Unreadable, unreadable
from ._models import (
    ItemRef,
    WooAddress,
    WooCouponLine,
    WooError,
    WooFeeLine,
    WooImage,
    WooLineItem,
    WooLineTax,
    WooMeta,
    WooOrder,
    WooProduct,
    WooRefund,
    WooShippingLine,
    WooStatus,
    WooTaxLine,
)

_KNOWN_STATUSES = {s.value: s for s in WooStatus}


def _structure_status(value: object, _: object = None) -> WooStatus | str:
    if type(value) is not str:
        raise _Invalid(f"expected a status string, got {describe(value)}")
    if not value:
        raise _Invalid("expected a status, got an empty string")
    return _KNOWN_STATUSES.get(value, value)


def _structure_item_ref(value: object, _: object = None) -> ItemRef | None:
    if value is None or value == "":
        return None
    if type(value) is int:
        return ItemRef(value)
    # isascii(): str.isdigit() also says yes to full-width digits and to "\u00b2".
    if type(value) is str and value.isascii() and value.isdigit():
        return ItemRef(int(value))
    raise _Invalid(f'expected an item id or "", got {describe(value)}')


def _order_breaches(order: dict[str, Any]) -> list[tuple[str, str]]:
    """An order line's ``quantity`` is never negative (a refund line's is, by design,
    but refunds are read as :class:`WooRefund`)."""
    lines = order.get("line_items")
    if not isinstance(lines, (list, tuple)):  # as the converters read arrays and objects
        return []
    try:  # the common case, at C speed: no quantity below 0 (a NaN, a negative: below)
        if min([line["quantity"] for line in lines], default=0) >= 0:
            return []
    except (KeyError, TypeError):  # not an object, no quantity, not a number: below
        pass
    return [
        (f"$.line_items[{index}].quantity", f"expected a quantity of 0 or more, got {quantity}")
        for index, line in enumerate(lines)
        if isinstance(line, dict) and type(quantity := line.get("quantity")) is int and quantity < 0
    ]


def _hooks(conv: cattrs.Converter) -> None:
    conv.register_structure_hook(WooStatus | str, _structure_status)
    conv.register_structure_hook(ItemRef | None, _structure_item_ref)
    conv.register_unstructure_hook(WooStatus | str, str)


#: The keys WooCommerce sends in every order (REST API v3: the docs examples and the 273
#: orders of a live 10.0.2 store all have them), read in one go by the fast path. Left
#: out: those of recent versions or of plugins (``image``, ``parent_name``, ``composite_*``,
#: ``bundled_*``, ``currency_symbol``, ``payment_url``, ``is_editable``, ``needs_*``,
#: ``display_key``, ``display_value``, ``rate_percent``), and an address's ``email`` and
#: ``phone`` (a shipping address may have neither). An object that lacks one is read
#: key by key instead: only slower (about 0.5 µs), never read differently.
_NEWER_ORDER_KEYS = {"currency_symbol", "payment_url", "is_editable", "needs_payment",
                     "needs_processing"}  # fmt: skip
_ALWAYS_SENT: dict[type, tuple[str, ...]] = {
    WooOrder: tuple(
        a.name
        for a in attrs.fields(WooOrder)
        if a.default is not attrs.NOTHING and a.name not in _NEWER_ORDER_KEYS
    ),
    WooLineItem: (
        "name", "variation_id", "tax_class", "subtotal", "subtotal_tax", "total_tax", "taxes",
        "meta_data", "sku", "price",
    ),
    WooAddress: (
        "first_name", "last_name", "company", "address_1", "address_2", "city", "state",
        "postcode", "country",
    ),
    WooMeta: ("id", "value"),
    WooLineTax: ("total", "subtotal"),
    WooImage: ("id", "src"),
    WooTaxLine: (
        "rate_code", "rate_id", "label", "compound", "tax_total", "shipping_tax_total",
        "meta_data",
    ),
    WooShippingLine: ("method_title", "method_id", "total", "total_tax", "taxes", "meta_data"),
    WooFeeLine: ("name", "tax_class", "tax_status", "total", "total_tax", "taxes", "meta_data"),
    WooCouponLine: ("code", "discount", "discount_tax", "meta_data"),
}  # fmt: skip

_CONVERTERS: Converters = build_converters(
    {}, _hooks, checks={WooOrder: _order_breaches}, sent=_ALWAYS_SENT
)


def parse_woo_order(data: Any, *, loads: JsonLoads | None = None) -> WooOrder:
    """Parse one order (a REST response body or a webhook body).

    >>> order = parse_woo_order(
    ...     b'{"id": 7, "status": "completed", "currency": "USD", "total": "9.50",'
    ...     b' "date_created_gmt": "2026-11-27T02:08:10",'
    ...     b' "date_modified_gmt": "2026-11-27T02:08:11"}'
    ... )
    >>> order.status == "completed", order.total, order.date_modified_gmt.tzname()
    (True, Decimal('9.50'), 'UTC')
    """
    return _CONVERTERS.parse(data, WooOrder, loads=loads, what="WooCommerce order")


def parse_woo_refund(data: Any, *, loads: JsonLoads | None = None) -> WooRefund:
    """Parse one refund (``/orders/<id>/refunds/<refund_id>``)."""
    return _CONVERTERS.parse(data, WooRefund, loads=loads, what="WooCommerce refund")


def parse_woo_error(data: Any, *, loads: JsonLoads | None = None) -> WooError:
    """Parse a WooCommerce error body ``{"code", "message", "data"}``."""
    return _CONVERTERS.parse(data, WooError, loads=loads, what="WooCommerce error")


def _parse_list(
    data: Any, loads: JsonLoads | None, cls: type[Any], what: str, *, owned: bool = False
) -> list[Any]:
    payload = decode_json(data, loads, what=what)
    owned = owned or payload is not data
    if not isinstance(payload, list):
        raise PayloadError([("$", f"expected a JSON array, got {describe(payload)}")], what=what)
    items: list[Any] = []
    problems: list[tuple[str, str]] = []
    for index, item in enumerate(payload):
        try:
            items.append(_CONVERTERS.structure(item, cls, what=what, owned=owned))
        except PayloadError as exc:
            problems.extend((f"$[{index}]{p[1:]}", m) for p, m in exc.problems)
    if problems:
        raise PayloadError(problems, what=what)
    return items


def parse_woo_orders_tolerant(
    data: Any, *, loads: JsonLoads | None = None
) -> list[WooOrder | Unreadable]:
    """Parse a list of orders, an item that does not parse becoming :class:`Unreadable`
    (with its own problems, paths from ``$``) instead of failing the whole page.

    A body that is not a JSON array still raises :class:`~hikewoo_core.PayloadError`.
    """
    what = "WooCommerce order"
    payload = decode_json(data, loads, what="WooCommerce order list")
    owned = payload is not data
    if not isinstance(payload, list):
        problem = ("$", f"expected a JSON array, got {describe(payload)}")
        raise PayloadError([problem], what="WooCommerce order list")
    items: list[WooOrder | Unreadable] = []
    for item in payload:
        try:
            items.append(_CONVERTERS.structure(item, WooOrder, what=what, owned=owned))
        except PayloadError as exc:
            items.append(unreadable("woo", item, "id", "date_modified_gmt", exc))
    return items


def parse_woo_orders(data: Any, *, loads: JsonLoads | None = None) -> list[WooOrder]:
    """Parse a list of orders (``GET /orders``); problems are reported for every item."""
    return _parse_list(data, loads, WooOrder, "WooCommerce order list")


def parse_woo_refunds(data: Any, *, loads: JsonLoads | None = None) -> list[WooRefund]:
    """Parse a list of refunds (``GET /orders/<id>/refunds``)."""
    return _parse_list(data, loads, WooRefund, "WooCommerce refund list")


def dump_woo_order(order: WooOrder) -> dict[str, Any]:
    """The order in WooCommerce's REST JSON form; ``parse_woo_order`` reads it back equal."""
    result: dict[str, Any] = _CONVERTERS.fast.unstructure(order)
    return result


def dump_woo_refund(refund: WooRefund) -> dict[str, Any]:
    """The refund in WooCommerce's REST JSON form; ``parse_woo_refund`` reads it back equal."""
    result: dict[str, Any] = _CONVERTERS.fast.unstructure(refund)
    return result


def _line_body(line: WooLineItem, currency: str, include_ids: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"product_id": line.product_id, "quantity": line.quantity}
    if include_ids:
        body["id"] = line.id
    if line.variation_id:
        body["variation_id"] = line.variation_id
    if line.sku:
        body["sku"] = line.sku
    body["subtotal"] = format_money(line.subtotal or line.total, currency)
    body["total"] = format_money(line.total, currency)
    if line.meta_data:
        body["meta_data"] = [{"key": m.key, "value": m.value} for m in line.meta_data]
    return body


def woo_order_write_body(
    order: WooOrder, *, include_ids: bool = False, fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """The body WooCommerce accepts to create (or, with ``include_ids``, update) ``order``.

    Read-only fields are left out, money is written as strings at the order's
    currency precision, and ``created_via`` is kept (writable on create since
    WooCommerce 9.9). ``fields`` limits the body to the named top-level keys.
    """
    cur = order.currency
    body: dict[str, Any] = {
        "status": str(order.status),
        "currency": cur,
        "customer_id": order.customer_id,
        "customer_note": order.customer_note,
        "billing": _CONVERTERS.fast.unstructure(order.billing),
        "shipping": _CONVERTERS.fast.unstructure(order.shipping),
        "payment_method": order.payment_method,
        "payment_method_title": order.payment_method_title,
        "transaction_id": order.transaction_id,
        "meta_data": [{"key": m.key, "value": m.value} for m in order.meta_data],
        "line_items": [_line_body(li, cur, include_ids) for li in order.line_items],
        "shipping_lines": [
            {"method_id": s.method_id, "method_title": s.method_title,
             "total": format_money(s.total, cur)}
            | ({"id": s.id} if include_ids else {})
            for s in order.shipping_lines
        ],
        "fee_lines": [
            {"name": f.name, "total": format_money(f.total, cur), "tax_status": f.tax_status
             or "none"} | ({"id": f.id} if include_ids else {})
            for f in order.fee_lines
        ],
    }  # fmt: skip
    if order.created_via:
        body["created_via"] = order.created_via
    if include_ids:
        body["id"] = order.id
    if order.billing.email is None:
        body["billing"].pop("email", None)
    if fields is not None:
        wanted = set(fields)
        body = {k: v for k, v in body.items() if k in wanted}
    return body


# --- products -----------------------------------------------------------------------------
#: Product fields WooCommerce sends as ``""`` when unset (no SKU, no price): ``None`` here.
_PRODUCT_BLANKS = ("sku", "price", "regular_price", "sale_price")


def _product_payload(payload: Any) -> Any:
    if isinstance(payload, dict) and any(payload.get(k) == "" for k in _PRODUCT_BLANKS):
        return {**payload, **{k: None for k in _PRODUCT_BLANKS if payload.get(k) == ""}}
    return payload


def parse_woo_product(data: Any, *, loads: JsonLoads | None = None) -> WooProduct:
    """Parse one product (``GET /products/<id>``, ``POST /products``).

    ``""`` in ``sku``, ``price``, ``regular_price`` and ``sale_price`` (WooCommerce's
    "not set") becomes ``None``; anything else that is not of its type is a
    :class:`~hikewoo_core.PayloadError`.

    >>> product = parse_woo_product(
    ...     b'{"id": 10, "name": "Test Mug", "type": "simple", "status": "publish",'
    ...     b' "sku": "MUG-001", "price": "25.00", "sale_price": ""}'
    ... )
    >>> product.sku, product.price, product.sale_price
    ('MUG-001', Decimal('25.00'), None)
    """
    payload = _product_payload(decode_json(data, loads, what="WooCommerce product"))
    return _CONVERTERS.structure(payload, WooProduct, what="WooCommerce product")


def parse_woo_products(data: Any, *, loads: JsonLoads | None = None) -> list[WooProduct]:
    """Parse a list of products (``GET /products``); problems are reported for every item."""
    what = "WooCommerce product list"
    payload = decode_json(data, loads, what=what)
    owned = payload is not data
    if isinstance(payload, list):
        payload = [_product_payload(item) for item in payload]
    return _parse_list(payload, None, WooProduct, what, owned=owned)


def dump_woo_product(product: WooProduct) -> dict[str, Any]:
    """The product in WooCommerce's REST JSON form (``None`` SKU and prices as ``""``);
    ``parse_woo_product`` reads it back equal."""
    result: dict[str, Any] = _CONVERTERS.fast.unstructure(product)
    for key in _PRODUCT_BLANKS:
        if result.get(key) is None:
            result[key] = ""
    return result
