"""WooCommerce: models, parsing, and (lazily imported) the REST clients."""

from __future__ import annotations

from .convert import (
    dump_woo_order,
    dump_woo_refund,
    parse_woo_error,
    parse_woo_order,
    parse_woo_orders,
    parse_woo_refund,
    parse_woo_refunds,
    woo_order_write_body,
)
from .models import (
    WooAddress,
    WooCouponLine,
    WooError,
    WooFeeLine,
    WooImage,
    WooLineItem,
    WooLineTax,
    WooMeta,
    WooOrder,
    WooRefund,
    WooRefundSummary,
    WooShippingLine,
    WooStatus,
    WooTaxLine,
)

__all__ = [
    "WooAddress",
    "WooCouponLine",
    "WooError",
    "WooFeeLine",
    "WooImage",
    "WooLineItem",
    "WooLineTax",
    "WooMeta",
    "WooOrder",
    "WooRefund",
    "WooRefundSummary",
    "WooShippingLine",
    "WooStatus",
    "WooTaxLine",
    "dump_woo_order",
    "dump_woo_refund",
    "parse_woo_error",
    "parse_woo_order",
    "parse_woo_orders",
    "parse_woo_refund",
    "parse_woo_refunds",
    "woo_order_write_body",
]
