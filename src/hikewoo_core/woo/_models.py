"""Typed, immutable models of WooCommerce REST API v3 orders, refunds and products (pure).

Attribute names are the WooCommerce JSON names. Money is :class:`~decimal.Decimal`;
``*_gmt`` timestamps are timezone-aware UTC datetimes; the site-local timestamps
(``date_created``, ...) are kept as the strings WooCommerce sent, since they carry
no timezone. Unknown fields (plugins add many) are ignored when parsing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, NewType

import attrs

from .._enums import TextEnum
from .._fastgen import deferred
from .._money import ZERO

#: An order item id as plugins send it: ``""`` (none) or an integer id.
ItemRef = NewType("ItemRef", int)


class WooStatus(TextEnum):
    """The order statuses WooCommerce core knows.

    Members compare equal to their plain strings (``WooStatus.COMPLETED ==
    "completed"``). A status a plugin registers (``"shipped"``) is kept as a plain
    ``str`` on the order: never rejected.
    """

    PENDING = "pending"
    PROCESSING = "processing"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    FAILED = "failed"
    CHECKOUT_DRAFT = "checkout-draft"
    AUTO_DRAFT = "auto-draft"
    TRASH = "trash"


@attrs.frozen(kw_only=True)
class WooMeta:
    """One ``meta_data`` entry; ``value`` may be any JSON value."""

    key: str
    value: Any = None
    id: int | None = None
    display_key: str | None = None
    display_value: Any = None


@attrs.frozen(kw_only=True)
class WooAddress:
    """A billing or shipping address (shipping has no email)."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    email: str | None = None
    phone: str | None = None


@attrs.frozen(kw_only=True)
class WooLineTax:
    """A tax amount on a line; ``id`` is the tax *rate* id."""

    id: int
    total: Decimal = ZERO
    subtotal: Decimal | None = None


@attrs.frozen(kw_only=True)
class WooImage:
    """A line item's product image (``id`` is ``None`` when WooCommerce sends ``""``)."""

    id: ItemRef | None = None
    src: str = ""


@attrs.frozen(kw_only=True)
class WooLineItem:
    """A product line. On a refund, ``quantity`` and the money fields are negative.

    ``composite_*`` and ``bundled_*`` are filled when the Composite Products or
    Product Bundles extensions are active.

    ``taxes`` and ``image`` are *checked* when the line is parsed and *built* when first
    read: nothing in the sync reads them, and building them is a tenth of the time a
    100-line order takes to build from its JSON. Only the building waits: a malformed
    tax or image is a :class:`~hikewoo_core.PayloadError` from the parser, with its JSON
    path (``$.line_items[1].taxes[0].total``), as for every other field, so a line that
    parsed always reads. Until the first read the line keeps the JSON of the two fields,
    which the parser decoded itself from the bytes or text it was given; from a ``dict``
    (that the caller may change afterwards) they are built at once. Nothing else
    changes: they read as a ``WooImage | None`` and a ``tuple[WooLineTax, ...]``, and
    equality, hashing, ``repr``, pickling, copying, :func:`attrs.evolve`, cattrs and
    :func:`~hikewoo_core.woo.dump_woo_order` see the built values. A read costs about
    0.2 µs more than that of another field (a descriptor), plus the building, once.
    """

    id: int
    product_id: int
    quantity: int
    total: Decimal
    name: str = ""
    variation_id: int = 0
    tax_class: str = ""
    subtotal: Decimal = ZERO
    subtotal_tax: Decimal = ZERO
    total_tax: Decimal = ZERO
    taxes: tuple[WooLineTax, ...] = ()
    meta_data: tuple[WooMeta, ...] = ()
    sku: str | None = None
    price: Decimal | None = None
    image: WooImage | None = None
    parent_name: str | None = None
    composite_parent: ItemRef | None = None
    composite_children: tuple[int, ...] = ()
    bundled_by: ItemRef | None = None
    bundled_items: tuple[int, ...] = ()
    bundled_item_title: str | None = None

    def meta(self, key: str, default: Any = None) -> Any:
        """The value of the first ``meta_data`` entry named ``key``."""
        return _meta(self.meta_data, key, default)


deferred(WooLineItem, "taxes", "image")


@attrs.frozen(kw_only=True)
class WooTaxLine:
    """An order-level tax line (read-only in WooCommerce)."""

    id: int
    rate_code: str = ""
    rate_id: int | None = None
    label: str = ""
    compound: bool = False
    tax_total: Decimal = ZERO
    shipping_tax_total: Decimal = ZERO
    rate_percent: Decimal | None = None
    meta_data: tuple[WooMeta, ...] = ()


@attrs.frozen(kw_only=True)
class WooShippingLine:
    """A shipping line."""

    id: int
    method_title: str = ""
    method_id: str = ""
    instance_id: str | None = None
    total: Decimal = ZERO
    total_tax: Decimal = ZERO
    taxes: tuple[WooLineTax, ...] = ()
    tax_status: str | None = None
    meta_data: tuple[WooMeta, ...] = ()


@attrs.frozen(kw_only=True)
class WooFeeLine:
    """A fee line."""

    id: int
    name: str = ""
    tax_class: str = ""
    tax_status: str = ""
    total: Decimal = ZERO
    total_tax: Decimal = ZERO
    taxes: tuple[WooLineTax, ...] = ()
    meta_data: tuple[WooMeta, ...] = ()


@attrs.frozen(kw_only=True)
class WooCouponLine:
    """A coupon line."""

    id: int
    code: str = ""
    discount: Decimal = ZERO
    discount_tax: Decimal = ZERO
    discount_type: str | None = None
    nominal_amount: Decimal | None = None
    free_shipping: bool | None = None
    meta_data: tuple[WooMeta, ...] = ()


@attrs.frozen(kw_only=True)
class WooRefundSummary:
    """An entry of ``order.refunds``. WooCommerce sends ``total`` negative."""

    id: int
    total: Decimal
    reason: str = ""

    @property
    def amount(self) -> Decimal:
        """The refunded amount as a positive number."""
        return -self.total


@attrs.frozen(kw_only=True)
class WooOrder:
    """A WooCommerce order as the REST API v3 returns it.

    ``status`` is a :class:`WooStatus` for core statuses and a plain ``str`` for
    plugin statuses; either way ``order.status == "completed"`` works.
    """

    id: int
    status: WooStatus | str
    currency: str
    total: Decimal
    date_created_gmt: datetime
    date_modified_gmt: datetime
    parent_id: int = 0
    number: str = ""
    order_key: str = ""
    created_via: str = ""
    version: str = ""
    date_created: str | None = None
    date_modified: str | None = None
    discount_total: Decimal = ZERO
    discount_tax: Decimal = ZERO
    shipping_total: Decimal = ZERO
    shipping_tax: Decimal = ZERO
    cart_tax: Decimal = ZERO
    total_tax: Decimal = ZERO
    prices_include_tax: bool = False
    customer_id: int = 0
    customer_ip_address: str = ""
    customer_user_agent: str = ""
    customer_note: str = ""
    billing: WooAddress = attrs.field(factory=WooAddress)
    shipping: WooAddress = attrs.field(factory=WooAddress)
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    date_paid: str | None = None
    date_paid_gmt: datetime | None = None
    date_completed: str | None = None
    date_completed_gmt: datetime | None = None
    cart_hash: str = ""
    meta_data: tuple[WooMeta, ...] = ()
    line_items: tuple[WooLineItem, ...] = ()
    tax_lines: tuple[WooTaxLine, ...] = ()
    shipping_lines: tuple[WooShippingLine, ...] = ()
    fee_lines: tuple[WooFeeLine, ...] = ()
    coupon_lines: tuple[WooCouponLine, ...] = ()
    refunds: tuple[WooRefundSummary, ...] = ()
    currency_symbol: str | None = None
    payment_url: str | None = None
    is_editable: bool | None = None
    needs_payment: bool | None = None
    needs_processing: bool | None = None

    def meta(self, key: str, default: Any = None) -> Any:
        """The value of the first ``meta_data`` entry named ``key``."""
        return _meta(self.meta_data, key, default)

    @property
    def total_refunded(self) -> Decimal:
        """What WooCommerce says was refunded: the sum of ``refunds[].total``, positive."""
        return sum((r.amount for r in self.refunds), ZERO)


@attrs.frozen(kw_only=True)
class WooRefund:
    """A refund of an order (``/orders/<id>/refunds/<refund_id>``).

    ``amount`` is positive. ``line_items`` carry negative quantities and totals and
    the meta ``_refunded_item_id`` naming the order line they refund.
    """

    id: int
    amount: Decimal
    date_created_gmt: datetime | None = None
    date_created: str | None = None
    reason: str = ""
    refunded_by: int = 0
    refunded_payment: bool = False
    meta_data: tuple[WooMeta, ...] = ()
    line_items: tuple[WooLineItem, ...] = ()
    shipping_lines: tuple[WooShippingLine, ...] = ()
    tax_lines: tuple[WooTaxLine, ...] = ()
    fee_lines: tuple[WooFeeLine, ...] = ()

    def meta(self, key: str, default: Any = None) -> Any:
        """The value of the first ``meta_data`` entry named ``key``."""
        return _meta(self.meta_data, key, default)

    def refunded_quantities(self) -> Iterator[tuple[int, int]]:
        """``(order_line_item_id, units)`` for each refunded line, units positive."""
        for line in self.line_items:
            ref = line.meta("_refunded_item_id")
            try:
                item_id = int(ref)
            except (TypeError, ValueError):
                continue
            yield item_id, abs(line.quantity)


@attrs.frozen(kw_only=True)
class WooProduct:
    """A product as ``/wc/v3/products`` returns it (the fields a sync needs).

    ``sku``, ``price``, ``regular_price`` and ``sale_price`` are ``None`` where
    WooCommerce sends ``""`` (no SKU, no price set). ``price`` is what a new order
    line costs: the sale price while on sale, else the regular price. ``type`` is
    ``"simple"``, ``"variable"``, ``"grouped"``, ``"external"`` or a plugin's type
    (``"composite"``, ``"bundle"``); ``status`` is ``"publish"``, ``"draft"``,
    ``"pending"`` or ``"private"``.

    WooCommerce compares SKUs as MySQL does (case-insensitively): the ``sku`` filter of
    the product list may return products whose SKU differs in case, and a comma in
    the filter splits it into several SKUs. Compare ``product.sku`` exactly before
    trusting a match (``WooClient.find_product`` does).
    """

    id: int
    name: str
    type: str
    status: str
    sku: str | None = None
    price: Decimal | None = None
    regular_price: Decimal | None = None
    sale_price: Decimal | None = None
    parent_id: int = 0
    slug: str = ""
    tax_status: str = "taxable"
    tax_class: str = ""
    manage_stock: bool = False
    stock_quantity: int | None = None
    stock_status: str = "instock"
    virtual: bool = False
    date_created_gmt: datetime | None = None
    date_modified_gmt: datetime | None = None
    meta_data: tuple[WooMeta, ...] = ()

    def meta(self, key: str, default: Any = None) -> Any:
        """The value of the first ``meta_data`` entry named ``key``."""
        return _meta(self.meta_data, key, default)


@attrs.frozen(kw_only=True)
class WooError:
    """A WooCommerce error body. ``data`` may be an object or a bare integer."""

    code: str
    message: str
    data: Any = None


def _meta(entries: tuple[WooMeta, ...], key: str, default: Any) -> Any:
    for entry in entries:
        if entry.key == key:
            return entry.value
    return default
