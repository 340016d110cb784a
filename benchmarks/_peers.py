"""The peer of the pipeline benchmark: pydantic v2 models of the same shape as ours.

Same fields and defaults as :mod:`hikewoo_core.woo._models`, money as ``Decimal``,
``*_gmt`` times as aware UTC datetimes (WooCommerce sends them naive, so an
``AfterValidator`` attaches UTC, as our parser does), strict types (``strict=True``:
no ``"12"`` for an int), unknown keys ignored, frozen. Validated from the raw bytes
with ``model_validate_json`` (pydantic-core parses the JSON itself, in Rust).
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

UTC = timezone.utc
ZERO = Decimal(0)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
ItemRef = int | str | None  # "" or an id, as plugins send it


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")


class Meta(_Model):
    key: str
    value: Any = None
    id: int | None = None
    display_key: str | None = None
    display_value: Any = None


class Address(_Model):
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


class LineTax(_Model):
    id: int
    total: Decimal = ZERO
    subtotal: Decimal | None = None


class Image(_Model):
    id: ItemRef = None
    src: str = ""


class LineItem(_Model):
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
    taxes: tuple[LineTax, ...] = ()
    meta_data: tuple[Meta, ...] = ()
    sku: str | None = None
    price: Decimal | None = None
    image: Image | None = None
    parent_name: str | None = None
    composite_parent: ItemRef = None
    composite_children: tuple[int, ...] = ()
    bundled_by: ItemRef = None
    bundled_items: tuple[int, ...] = ()
    bundled_item_title: str | None = None


class TaxLine(_Model):
    id: int
    rate_code: str = ""
    rate_id: int | None = None
    label: str = ""
    compound: bool = False
    tax_total: Decimal = ZERO
    shipping_tax_total: Decimal = ZERO
    rate_percent: Decimal | None = None
    meta_data: tuple[Meta, ...] = ()


class ShippingLine(_Model):
    id: int
    method_title: str = ""
    method_id: str = ""
    instance_id: str | None = None
    total: Decimal = ZERO
    total_tax: Decimal = ZERO
    taxes: tuple[LineTax, ...] = ()
    tax_status: str | None = None
    meta_data: tuple[Meta, ...] = ()


class FeeLine(_Model):
    id: int
    name: str = ""
    tax_class: str = ""
    tax_status: str = ""
    total: Decimal = ZERO
    total_tax: Decimal = ZERO
    taxes: tuple[LineTax, ...] = ()
    meta_data: tuple[Meta, ...] = ()


class CouponLine(_Model):
    id: int
    code: str = ""
    discount: Decimal = ZERO
    discount_tax: Decimal = ZERO
    discount_type: str | None = None
    nominal_amount: Decimal | None = None
    free_shipping: bool | None = None
    meta_data: tuple[Meta, ...] = ()


class RefundSummary(_Model):
    id: int
    total: Decimal
    reason: str = ""


class Order(_Model):
    id: int
    status: str
    currency: str
    total: Decimal
    date_created_gmt: UtcDatetime
    date_modified_gmt: UtcDatetime
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
    billing: Address = Field(default_factory=Address)
    shipping: Address = Field(default_factory=Address)
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    date_paid: str | None = None
    date_paid_gmt: UtcDatetime | None = None
    date_completed: str | None = None
    date_completed_gmt: UtcDatetime | None = None
    cart_hash: str = ""
    meta_data: tuple[Meta, ...] = ()
    line_items: tuple[LineItem, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()
    shipping_lines: tuple[ShippingLine, ...] = ()
    fee_lines: tuple[FeeLine, ...] = ()
    coupon_lines: tuple[CouponLine, ...] = ()
    refunds: tuple[RefundSummary, ...] = ()
    currency_symbol: str | None = None
    payment_url: str | None = None
    is_editable: bool | None = None
    needs_payment: bool | None = None
    needs_processing: bool | None = None
