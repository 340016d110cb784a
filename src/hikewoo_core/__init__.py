"""hikewoo_core: keep sales orders, statuses, payments and refunds in step between
Hike POS and WooCommerce.

A pure core plans (models, mapping, refunds, planner); a thin shell does the I/O
(HTTP clients, ledger, executor).

The public API has two tiers: this package, and the subpackages
:mod:`hikewoo_core.woo` (the WooCommerce clients and models),
:mod:`hikewoo_core.hike` (the Hike clients, models and field table) and
:mod:`hikewoo_core.testing` (the fakes). Every other module is private (its name
starts with an underscore) and may change without notice. Importing this package loads
neither httpx nor ``sqlite3`` (nor psycopg): the durable ledgers are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._backfill import BackfillReport, Partition, Progress, partitions
from ._errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    HikeWooError,
    LeaseError,
    OutcomeUnknownError,
    PayloadError,
    ReconciliationError,
    RemoteError,
    ResponseTooLargeError,
    RetriesExhaustedError,
    RuleViolation,
    SerialNumberError,
    TransportError,
    UnexpectedResponseError,
    UnsupportedProductError,
    WebhookSignatureError,
)
from ._lazy import lazy_exports as _lazy_exports
from ._ledger._memory import MemoryLedger
from ._mapping import DEFAULT_STATUS_TABLE, HikeStatus, StatusRow, StatusTable
from ._money import currency_places, format_money, parse_money, quantize_money
from ._plan import (
    Action,
    CreateHikeRefundSale,
    CreateHikeSale,
    CreateWooOrder,
    CreateWooRefund,
    Mismatch,
    Note,
    Plan,
    RecordLink,
    Reject,
    Skip,
    StockImpact,
    UpdateHikeSale,
    UpdateWooOrder,
    Write,
)
from ._planner import (
    HikeSaleState,
    WooOrderState,
    plan_hike_sale,
    plan_woo_order,
    woo_fingerprint,
)
from ._ports import (
    Fence,
    HikePort,
    Intent,
    IntentState,
    LedgerPort,
    Link,
    Origin,
    RefundLink,
    Unreadable,
    WooPort,
)
from ._redact import redact_url
from ._refunds import RefundDecision, reconcile_refunds, refunds_to_sync, remaining_refundable
from ._reports import Failure, SyncReport, WebhookResult
from ._retry import RetryPolicy, SettlePolicy
from ._serials import check_serial_entry, serial_entry_allowed
from ._settings import SyncDirection, SyncSettings
from ._sync import Syncer
from ._window import OrderWindow
from .hike._convert import dump_hike_sale, parse_hike_sale
from .hike._models import FulfilmentStatus, HikeSale, PaymentStatus
from .woo._convert import dump_woo_order, dump_woo_refund, parse_woo_order, parse_woo_refund
from .woo._models import WooOrder, WooRefund, WooStatus
from .woo._webhooks import WooWebhookEvent, verify_woo_webhook

if TYPE_CHECKING:
    from ._ledger._postgres import PostgresLedger
    from ._ledger._sqlite import SqliteLedger

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
    "RemoteError",
    "ResponseTooLargeError",
    "RetriesExhaustedError",
    "RuleViolation",
    "SerialNumberError",
    "TransportError",
    "UnexpectedResponseError",
    "UnsupportedProductError",
    "WebhookSignatureError",
    # the sync
    "Syncer",
    "SyncSettings",
    "SyncDirection",
    "SyncReport",
    "Failure",
    "WebhookResult",
    "RetryPolicy",
    "SettlePolicy",
    # backfill
    "BackfillReport",
    "Partition",
    "Progress",
    "partitions",
    # the status table
    "DEFAULT_STATUS_TABLE",
    "HikeStatus",
    "StatusRow",
    "StatusTable",
    # ledgers
    "MemoryLedger",
    "SqliteLedger",
    "PostgresLedger",
    # plans and the planner
    "Plan",
    "Action",
    "Write",
    "CreateHikeSale",
    "CreateHikeRefundSale",
    "CreateWooOrder",
    "CreateWooRefund",
    "UpdateHikeSale",
    "UpdateWooOrder",
    "RecordLink",
    "Note",
    "Skip",
    "Reject",
    "Mismatch",
    "StockImpact",
    "plan_woo_order",
    "plan_hike_sale",
    "woo_fingerprint",
    "WooOrderState",
    "HikeSaleState",
    # refunds and serial numbers
    "RefundDecision",
    "reconcile_refunds",
    "refunds_to_sync",
    "remaining_refundable",
    "check_serial_entry",
    "serial_entry_allowed",
    # ports (implement these to plug in your own systems or ledger)
    "WooPort",
    "OrderWindow",
    "HikePort",
    "LedgerPort",
    "Link",
    "RefundLink",
    "Intent",
    "IntentState",
    "Fence",
    "Origin",
    "Unreadable",
    # webhooks and security
    "WooWebhookEvent",
    "verify_woo_webhook",
    "redact_url",
    # models and parsing (all of them are in hikewoo_core.woo and hikewoo_core.hike)
    "WooOrder",
    "WooRefund",
    "WooStatus",
    "HikeSale",
    "FulfilmentStatus",
    "PaymentStatus",
    "parse_woo_order",
    "dump_woo_order",
    "parse_woo_refund",
    "dump_woo_refund",
    "parse_hike_sale",
    "dump_hike_sale",
    "format_money",
    "parse_money",
    "quantize_money",
    "currency_places",
]

if TYPE_CHECKING:
    __version__: str
else:  # a type checker sees the imports above, and a typo as an error
    _getattr, __dir__ = _lazy_exports(
        __name__,
        {"SqliteLedger": "._ledger._sqlite", "PostgresLedger": "._ledger._postgres"},
        __all__,
    )

    def __getattr__(name: str) -> Any:
        if name == "__version__":
            from importlib.metadata import version

            return version("hikewoo-core")
        return _getattr(name)
