"""The three ports the executor talks through: a WooCommerce, a Hike, and a ledger (pure).

The HTTP clients (:class:`hikewoo_core.woo.WooClient`, :class:`hikewoo_core.hike.HikeClient`),
the in-memory fakes (:mod:`hikewoo_core.testing`) and the ledgers
(:class:`~hikewoo_core.MemoryLedger`, :class:`~hikewoo_core.SqliteLedger`) implement
them. They are structural (:class:`typing.Protocol`): anything with these methods fits.

Port methods use the ``read_*`` / ``write_*`` / ``find_*`` names so that they never
clash with a client's own convenience API (``WooClient.get_order`` and so on).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import attrs

from ._enums import TextEnum
from ._mapping import HikeStatus
from ._unreadable import Unreadable
from ._window import OrderWindow
from .hike._models import (
    FulfilmentStatus,
    HikeCustomer,
    HikePayment,
    HikeProduct,
    HikeRegisterClosure,
    HikeSale,
    HikeSaleDraft,
    PaymentStatus,
)
from .woo._models import WooOrder, WooProduct, WooRefund

__all__ = [
    "Fence",
    "HikePort",
    "Unreadable",
    "Intent",
    "IntentState",
    "LedgerPort",
    "Link",
    "Origin",
    "RefundLink",
    "WooPort",
]


@runtime_checkable
class WooPort(Protocol):
    """What the executor needs from a WooCommerce store."""

    def read_order(self, order_id: int) -> WooOrder:
        """The order as it is now."""
        ...

    def read_refunds(self, order_id: int) -> list[WooRefund]:
        """Every refund of the order, full objects (with line items and meta)."""
        ...

    def read_orders(self, window: OrderWindow | None = None) -> Iterator[WooOrder | Unreadable]:
        """The orders in ``window`` (all pages, lazily; default: every order until now),
        oldest modification first (orders modified in the same second in any order).

        An item of a page that does not parse comes as :class:`Unreadable` instead of
        stopping the read.
        """
        ...

    def write_order(self, body: Mapping[str, Any], order_id: int | None = None) -> WooOrder:
        """Create an order (``order_id`` None) or update one; returns the stored order."""
        ...

    def write_refund(self, order_id: int, body: Mapping[str, Any]) -> WooRefund:
        """Create a refund. The executor always sends ``api_refund: false``."""
        ...

    def find_orders_by_meta(
        self, key: str, value: str, window: OrderWindow | None = None
    ) -> list[WooOrder]:
        """The orders in ``window`` whose ``meta_data`` has ``key == value``, by id (to
        resolve an unknown create).

        WooCommerce cannot filter on meta, so a lookup lists orders: the executor
        narrows the window to the channel its create body named and to orders created
        since shortly before its intent.
        """
        ...

    def find_product(self, sku: str) -> WooProduct | None:
        """The product with exactly this SKU, if the store has one."""
        ...


@runtime_checkable
class HikePort(Protocol):
    """What the executor needs from a Hike store."""

    def read_sale(self, sale_id: int) -> HikeSale:
        """The sale as it is now."""
        ...

    def read_sales(
        self,
        *,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
    ) -> Iterator[HikeSale | Unreadable]:
        """Sales (and refund sales) changed in a window, oldest first; an item that
        does not parse comes as :class:`Unreadable` instead of stopping the read."""
        ...

    def find_sales_by_reference(
        self, external_reference: str, *, around: datetime | None = None
    ) -> list[HikeSale]:
        """Sales carrying this external reference (to resolve an unknown create).

        Hike has no filter on a reference: sales are listed by transaction date and
        matched. ``around`` is the transaction date the sale was created with; without
        it only recent sales are searched. The executor persists it before the create,
        so a process started after a crash finds a sale of any age.
        """
        ...

    def write_sale(self, draft: HikeSaleDraft) -> HikeSale:
        """Create a sale or a refund sale; returns it with Hike's id and number."""
        ...

    def write_sale_status(
        self, sale_id: int, status: HikeStatus, payments: Sequence[HikePayment] | None = None
    ) -> HikeSale:
        """Set a sale's statuses (and, when given, replace its payments)."""
        ...

    def find_customer(self, email: str) -> HikeCustomer | None:
        """The customer with this email, if Hike has one."""
        ...

    def find_product(self, sku: str) -> HikeProduct | None:
        """The product with this SKU, if Hike has one."""
        ...

    def read_register_closure(self, closure_id: int) -> HikeRegisterClosure:
        """One opening of a register (open while ``closed_at`` is None)."""
        ...

    def write_serial_numbers(
        self, sale_id: int, line_index: int, serial_numbers: Sequence[str]
    ) -> HikeSale:
        """Enter or edit the serial numbers of one line of a sale."""
        ...


class Origin(TextEnum):
    """Which system a synced pair started in."""

    WOO = "woo"
    HIKE = "hike"


class IntentState(TextEnum):
    """A write intent is pending until the executor records its outcome."""

    PENDING = "pending"
    DONE = "done"


@attrs.frozen(kw_only=True)
class Link:
    """A WooCommerce order and the Hike sale it is synced with, as of the last sync."""

    woo_order_id: int
    hike_sale_id: int
    origin: Origin
    woo_status: str
    hike_fulfilment: FulfilmentStatus
    hike_payment: PaymentStatus
    woo_modified_gmt: datetime | None = None
    hike_modified_at: datetime | None = None
    woo_fingerprint: str | None = None
    """What the planner read of the order when it was last fully processed (see
    :func:`hikewoo_core.woo_fingerprint`): equal stamps do not mean an unchanged
    order, since WooCommerce stamps ``date_modified_gmt`` in whole seconds."""


@attrs.frozen
class Fence:
    """Proof of holding a lease: what :meth:`LedgerPort.acquire_lease` gave, kept by the
    holder and checked by the ledger before it records anything on the holder's behalf.

    ``token`` grows every time a lease changes hands, so a holder whose lease was taken
    over (it was paused, or cut off from the ledger, longer than the lease) is told apart
    from the new holder even though both use the same resource name.
    """

    resource: str
    owner: str
    token: int


@attrs.frozen(kw_only=True)
class RefundLink:
    """A WooCommerce refund and the Hike refund sale it is synced with."""

    woo_order_id: int
    woo_refund_id: int
    hike_refund_sale_id: int
    origin: Origin
    amount: Decimal


@attrs.frozen(kw_only=True)
class Intent:
    """A remote write the executor is about to make (or made, once ``DONE``).

    ``payload`` is informational (what the write was about, for recovery and
    reports). Ledgers store it as JSON and hand back the JSON-safe form:
    ``Decimal`` as a string, ``datetime`` as an ISO 8601 string, an enum as its value.
    """

    key: str
    kind: str
    payload: Mapping[str, Any]
    state: IntentState = IntentState.PENDING
    created_at: datetime | None = None
    result_id: int | None = None


@runtime_checkable
class LedgerPort(Protocol):
    """Durable memory of the sync: links, refund links, intents, cursors, checkpoints.

    Implementations must make each method atomic. ``complete_intent`` records the
    outcome *and* the link changes that go with it in one transaction.
    """

    # links
    def link_for_woo(self, woo_order_id: int) -> Link | None:
        """The link of a WooCommerce order, if synced."""
        ...

    def link_for_hike(self, hike_sale_id: int) -> Link | None:
        """The link of a Hike sale, if synced."""
        ...

    def refund_links(self, woo_order_id: int) -> list[RefundLink]:
        """Every synced refund of a WooCommerce order."""
        ...

    def refund_link_for_hike(self, hike_refund_sale_id: int) -> RefundLink | None:
        """The link of a Hike refund sale, if synced."""
        ...

    # intents (crash safety)
    def begin_intent(self, intent: Intent, *, fence: Fence | None = None) -> Intent:
        """Record a pending intent; return the stored one if the key already exists.

        Idempotent by ``key``: a second call returns what was stored first (check its
        ``state``: it may be ``DONE``). ``created_at`` defaults to the ledger's clock.
        With ``fence``, raises :class:`~hikewoo_core.LeaseError` (recording nothing)
        unless the lease still carries the fence's token, checked in the same transaction.
        """
        ...

    def reattempt_intent(
        self, key: str, payload: Mapping[str, Any], *, fence: Fence | None = None
    ) -> None:
        """Record that a new attempt of a pending intent starts: replace its payload
        (the attempt's id and time, so a later executor knows its write may still land).

        Does nothing to an intent already done; ``fence`` as for :meth:`begin_intent`.
        """
        ...

    def pending_intents(self) -> list[Intent]:
        """Intents begun but never completed (a crash happened in between)."""
        ...

    def complete_intent(
        self,
        key: str,
        *,
        result_id: int | None,
        link: Link | None = None,
        refund_link: RefundLink | None = None,
        fence: Fence | None = None,
    ) -> None:
        """Mark an intent done and store the link (or refund link) it produced, atomically.

        With ``fence``, raises :class:`~hikewoo_core.LeaseError` (recording nothing)
        unless the lease still carries the fence's token.
        """
        ...

    def save_link(self, link: Link) -> None:
        """Insert or replace the link of ``link.woo_order_id``.

        A Hike sale belongs to one WooCommerce order at most: linking a sale that
        another order holds raises :class:`~hikewoo_core.HikeWooError`.
        """
        ...

    def links(self) -> Iterator[Link]:
        """Every link, ordered by WooCommerce order id (for reports and tests)."""
        ...

    def all_refund_links(self) -> Iterator[RefundLink]:
        """Every refund link, ordered by WooCommerce refund id (for reports and tests)."""
        ...

    def save_refund_link(self, link: RefundLink) -> None:
        """Record a synced refund outside an intent.

        Saving the same WooCommerce refund / Hike refund sale pair again is a no-op
        (it may update the amount); pairing either id with a different partner
        raises :class:`~hikewoo_core.HikeWooError`: each refund syncs exactly once.
        """
        ...

    # cursors, checkpoints, webhook de-duplication, leases, activation
    def get_checkpoint(self, name: str) -> dict[str, Any] | None:
        """A named checkpoint (e.g. a backfill partition's progress), if set."""
        ...

    def set_checkpoint(self, name: str, value: Mapping[str, Any]) -> None:
        """Store a named checkpoint as JSON.

        ``Decimal`` values are stored as strings, ``datetime`` as ISO 8601 strings
        and enums as their values; :meth:`get_checkpoint` returns that JSON form.
        """
        ...

    def activated_at(self) -> datetime:
        """When the sync was activated: recorded (from the ledger's clock) on the first
        call, and that same instant on every call after. Orders created before it are
        historical and sync only through a manual historical sync.
        """
        ...

    def prune_seen(self, older_than: datetime) -> int:
        """Forget de-duplication keys first seen before ``older_than``; return how many."""
        ...

    def get_cursor(self, name: str) -> str | None:
        """A named cursor (e.g. the incremental window's end), if set."""
        ...

    def set_cursor(self, name: str, value: str) -> None:
        """Set a named cursor."""
        ...

    def add_if_new(self, key: str) -> bool:
        """Remember ``key``; True if it was not seen before (webhook de-duplication)."""
        ...

    def acquire_lease(self, resource: str, owner: str, ttl_seconds: float) -> int | None:
        """Take the lease on ``resource`` for ``owner``; return its fencing token, or
        ``None`` while another owner holds an unexpired lease.

        Taking a free, released or expired lease issues a new token, larger than every
        token issued before by this ledger; asking again while holding it renews it and
        keeps the token.
        """
        ...

    def renew_lease(self, fence: Fence, ttl_seconds: float) -> bool:
        """Extend a held lease to ``ttl_seconds`` from now; ``False`` (changing nothing)
        if it no longer carries ``fence.token``: another owner took it meanwhile."""
        ...

    def release_lease(self, resource: str, owner: str) -> None:
        """Give up a lease held by ``owner``."""
        ...
