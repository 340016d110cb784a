"""Sync settings (pure): the integration's switches, with the seed's behaviour as defaults."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import attrs

from ._datetimes import require_aware
from ._enums import TextEnum
from ._errors import ConfigurationError
from ._mapping import DEFAULT_STATUS_TABLE, StatusTable

__all__ = ["SyncDirection", "SyncSettings"]


class SyncDirection(TextEnum):
    """Which way sales orders sync (Hike's "Sync Settings")."""

    BOTH = "both"
    WOO_TO_HIKE = "woo_to_hike"
    HIKE_TO_WOO = "hike_to_woo"
    OFF = "off"

    @property
    def woo_to_hike(self) -> bool:
        """Whether WooCommerce changes flow to Hike."""
        return self in (SyncDirection.BOTH, SyncDirection.WOO_TO_HIKE)

    @property
    def hike_to_woo(self) -> bool:
        """Whether Hike changes flow to WooCommerce."""
        return self in (SyncDirection.BOTH, SyncDirection.HIKE_TO_WOO)


def _check_label(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise ConfigurationError(f"{attribute.name} must not be empty")


@attrs.frozen(kw_only=True)
class SyncSettings:
    """How the integration behaves. ``SyncSettings()`` is Hike's documented behaviour.

    - ``direction``: WooCommerce → Hike, Hike → WooCommerce, both (default) or off.
    - ``status_table``: the WooCommerce ⇄ Hike status table (rules 1.1); override it to
      map plugin statuses.
    - ``woo_payment_label``: the payment type name WooCommerce payments get in Hike.
    - ``sync_voided_to_woo``: Hike voids do not sync by default; on, a synced sale that is
      voided in Hike cancels its WooCommerce order (as Hike's BigCommerce integration does).
    - ``update_inventory``: "Update inventory in Hike when an order is created in
      WooCommerce". Off, sales are created with Hike's "do not update inventory" flag.
    - ``outlet_id`` / ``register_id``: where WooCommerce orders land in Hike.
    - ``reject_bundles``: refuse Product Bundles orders like composites (default on).
    - ``sync_from``: orders and sales created before this instant are historical and sync
      only through a manual historical sync. ``None``: the ledger's activation time.
    - ``lease_seconds``: how long an executor holds a pair while it syncs it without
      renewing the lease (it is renewed every third of that while the executor works):
      longer than any one remote write may take.
    - ``unsettled_horizon``: how long a Hike sale seen unsettled (lay-by, parked, on
      account) is read again on every run, waiting for it to settle.
    - ``unknown_sku``: what a Hike sale with a line WooCommerce has no product for (by
      SKU) becomes: ``"refuse"`` (default) refuses the sale with the reason, since
      WooCommerce would store such a line as an empty line of product 0;
      ``"custom_line"`` writes those lines as fee lines named after them.
    """

    direction: SyncDirection = SyncDirection.BOTH
    status_table: StatusTable = DEFAULT_STATUS_TABLE
    woo_payment_label: str = attrs.field(default="WooCommerce", validator=_check_label)
    sync_voided_to_woo: bool = False
    update_inventory: bool = True
    outlet_id: int = 1
    register_id: int = 1
    reject_bundles: bool = True
    sync_from: datetime | None = None
    lease_seconds: float = 300.0
    woo_created_via: str = "hike"
    unsettled_horizon: timedelta = timedelta(days=90)
    unknown_sku: Literal["refuse", "custom_line"] = "refuse"

    def __attrs_post_init__(self) -> None:
        if self.sync_from is not None:
            require_aware("sync_from", self.sync_from)
        if self.lease_seconds <= 0:
            raise ConfigurationError("lease_seconds must be positive")
        if self.unknown_sku not in ("refuse", "custom_line"):
            raise ConfigurationError(
                f"unknown_sku must be 'refuse' or 'custom_line', got {self.unknown_sku!r}"
            )
