"""WooCommerce: models (orders, refunds, products), parsing, auth, webhooks and the REST
clients.

``WooClient`` and ``AsyncWooClient`` are imported on first use, so importing the
models does not import httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports as _lazy_exports
from ._auth import AuthMode, OAuth1Signer, WooCredentials, choose_auth_mode
from ._convert import (
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
    WooRefundSummary,
    WooShippingLine,
    WooStatus,
    WooTaxLine,
)
from ._responses import BatchItem, BatchResult
from ._webhooks import SeenStore, WebhookDeduplicator, WooWebhookEvent, verify_woo_webhook

if TYPE_CHECKING:
    from ._client import WooClient
    from ._client_async import AsyncWooClient

__all__ = [
    # the clients
    "WooClient",
    "AsyncWooClient",
    "BatchItem",
    "BatchResult",
    # auth
    "AuthMode",
    "OAuth1Signer",
    "WooCredentials",
    "choose_auth_mode",
    # webhooks
    "SeenStore",
    "WebhookDeduplicator",
    "WooWebhookEvent",
    "verify_woo_webhook",
    # models and parsing
    "ItemRef",
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


if not TYPE_CHECKING:  # a type checker sees the imports above, and a typo as an error
    __getattr__, __dir__ = _lazy_exports(
        __name__, {"WooClient": "._client", "AsyncWooClient": "._client_async"}, __all__
    )
