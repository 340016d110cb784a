"""A small world for end-to-end tests: both fakes, a ledger and a Syncer on one clock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs

from hikewoo_core import MemoryLedger, Syncer, SyncSettings
from hikewoo_core._ports import LedgerPort
from hikewoo_core.testing import FakeClock, FakeHike, FakeWooCommerce

ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


@attrs.define
class World:
    """Everything a scenario needs."""

    clock: FakeClock
    woo: FakeWooCommerce
    hike: FakeHike
    ledger: LedgerPort
    syncer: Syncer

    def tick(self, seconds: float = 2) -> None:
        self.clock.advance(seconds)

    def order(
        self,
        status: str = "processing",
        lines: Sequence[tuple[str, int, str]] = (("MUG", 2, "12.50"), ("TEA", 1, "8.00")),
        *,
        billing: dict[str, Any] | None = None,
        line_extra: dict[int, dict[str, Any]] | None = None,
        payment_method: str = "bacs",
        age: timedelta | None = None,
        tick: float = 2,
    ) -> int:
        """Add a WooCommerce order (REST response form) and return its id.

        ``age`` dates its creation that long ago (it is modified now); ``tick`` moves the
        clock first (0: in the same second as what came before).
        """
        self.tick(tick)
        items = []
        for index, (sku, quantity, price) in enumerate(lines):
            item: dict[str, Any] = {
                "id": index + 1,
                "name": f"Product {sku}",
                "product_id": 100 + index,
                "quantity": quantity,
                "sku": sku,
                "subtotal": str(Decimal(price) * quantity),
                "total": str(Decimal(price) * quantity),
                "price": float(price),
            }
            item.update((line_extra or {}).get(index, {}))
            items.append(item)
        payload: dict[str, Any] = {
            "status": status,
            "currency": "USD",
            "billing": ADA if billing is None else billing,
            "line_items": items,
            "payment_method": payment_method,
            "payment_method_title": "Direct bank transfer",
        }
        if age is not None:
            created = self.clock.now() - age
            payload["date_created_gmt"] = created.strftime("%Y-%m-%dT%H:%M:%S")
        return self.woo.add_order(payload)

    def resync(self, settings: SyncSettings | None = None) -> Syncer:
        """A new Syncer on the same ledger (as after a restart)."""
        self.syncer = Syncer(
            woo=self.woo,
            hike=self.hike,
            ledger=self.ledger,
            clock=self.clock,
            settings=settings or self.syncer.settings,
            sleep=self.clock.advance,  # settling an unknown outcome moves the fake clock
        )
        return self.syncer


def make_world(
    settings: SyncSettings | None = None,
    ledger: Callable[[FakeClock], LedgerPort] | None = None,
) -> World:
    """A fresh world; ``ledger`` builds the ledger from the shared clock (memory by default)."""
    clock = FakeClock()
    woo = FakeWooCommerce(clock=clock)
    hike = FakeHike(clock=clock)
    for sku, stock in (("MUG", 50), ("TEA", 80), ("SER-1", 10)):
        hike.add_product(sku, f"Product {sku}", stock=stock, serial_number_enabled=sku == "SER-1")
        woo.add_product(sku, f"Product {sku}", "12.50")  # Hike sales sell them in WooCommerce
    store = ledger(clock) if ledger is not None else MemoryLedger(clock=clock)
    syncer = Syncer(
        woo=woo, hike=hike, ledger=store, clock=clock, settings=settings, sleep=clock.advance
    )
    return World(clock, woo, hike, store, syncer)


def spy_processed(w: World) -> list[int]:
    """The id of every order the syncer processes from now on (a backfill's
    ``process_order``), in order: the list fills as the world runs."""
    processed: list[int] = []
    process = w.syncer.process_order

    def spy(order: Any, **kw: Any) -> Any:
        processed.append(order.id)
        return process(order, **kw)

    w.syncer.process_order = spy  # type: ignore[method-assign]
    return processed
