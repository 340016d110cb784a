"""hikewoo_core: keep sales orders, statuses, payments and refunds in step between
Hike POS and WooCommerce.

A pure core plans (models, mapping, refunds, planner); a thin shell does the I/O
(HTTP clients, ledger, executor). Everything public is importable from here.
"""

from __future__ import annotations

from typing import Any

from ._redact import redact_url
from .backfill import BackfillReport, Partition, Progress, partitions
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    HikeWooError,
    LeaseError,
    OutcomeUnknownError,
    PayloadError,
    ReconciliationError,
    ResponseTooLargeError,
    RetriesExhaustedError,
    RuleViolation,
    SerialNumberError,
    TransportError,
    UnexpectedResponseError,
    UnsupportedProductError,
    WebhookSignatureError,
)
from .hike.convert import dump_hike_sale, parse_hike_sale
from .hike.models import FulfilmentStatus, HikeSale, PaymentStatus
from .ledger import MemoryLedger, SqliteLedger
from .mapping import DEFAULT_STATUS_TABLE, HikeStatus, StatusRow, StatusTable
from .money import format_money, parse_money
from .plan import Plan
from .settings import SyncDirection, SyncSettings
from .sync import Syncer, SyncReport, WebhookResult
from .woo.convert import (
    dump_woo_order,
    dump_woo_refund,
    parse_woo_order,
    parse_woo_refund,
)
from .woo.models import WooOrder, WooRefund, WooStatus
from .woo.webhooks import WooWebhookEvent, verify_woo_webhook

__all__ = [
    # errors
    "ApiError",
    "AuthenticationError",
    "ConfigurationError",
    "HikeWooError",
    "LeaseError",
    "OutcomeUnknownError",
    "PayloadError",
    "ReconciliationError",
    "ResponseTooLargeError",
    "RetriesExhaustedError",
    "RuleViolation",
    "SerialNumberError",
    "TransportError",
    "UnexpectedResponseError",
    "UnsupportedProductError",
    "WebhookSignatureError",
    # the sync
    "BackfillReport",
    "DEFAULT_STATUS_TABLE",
    "HikeStatus",
    "MemoryLedger",
    "Partition",
    "Plan",
    "Progress",
    "SqliteLedger",
    "StatusRow",
    "StatusTable",
    "SyncDirection",
    "SyncReport",
    "SyncSettings",
    "Syncer",
    "partitions",
    # webhooks and security
    "WebhookResult",
    "WooWebhookEvent",
    "redact_url",
    "verify_woo_webhook",
    # models and parsing
    "FulfilmentStatus",
    "HikeSale",
    "PaymentStatus",
    "WooOrder",
    "WooRefund",
    "WooStatus",
    "dump_hike_sale",
    "dump_woo_order",
    "dump_woo_refund",
    "format_money",
    "parse_hike_sale",
    "parse_money",
    "parse_woo_order",
    "parse_woo_refund",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("hikewoo-core")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
