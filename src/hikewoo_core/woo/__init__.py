"""WooCommerce: models (orders, refunds, products), parsing, and the REST clients (lazily)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._responses import BatchItem, BatchResult
from .convert import (
    dump_woo_order,
    dump_woo_product,
    dump_woo_refund,
    parse_woo_error,
    parse_woo_order,
    parse_woo_orders,
    parse_woo_product,
    parse_woo_products,
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
    WooProduct,
    WooRefund,
    WooRefundSummary,
    WooShippingLine,
    WooStatus,
    WooTaxLine,
)

if TYPE_CHECKING:
    from .client import WooClient
    from .client_async import AsyncWooClient

__all__ = [
    "AsyncWooClient",
    "BatchItem",
    "BatchResult",
    "WooClient",
    "WooAddress",
    "WooCouponLine",
    "WooError",
    "WooFeeLine",
    "WooImage",
    "WooLineItem",
    "WooLineTax",
    "WooMeta",
    "WooOrder",
    "WooProduct",
    "WooRefund",
    "WooRefundSummary",
    "WooShippingLine",
    "WooStatus",
    "WooTaxLine",
    "dump_woo_order",
    "dump_woo_product",
    "dump_woo_refund",
    "parse_woo_error",
    "parse_woo_order",
    "parse_woo_orders",
    "parse_woo_product",
    "parse_woo_products",
    "parse_woo_refund",
    "parse_woo_refunds",
    "woo_order_write_body",
]


def __getattr__(name: str) -> Any:
    # The clients import httpx; the models and converters must not.
    if name == "WooClient":
        from .client import WooClient

        return WooClient
    if name == "AsyncWooClient":
        from .client_async import AsyncWooClient

        return AsyncWooClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
