"""A read-only dry run against your real WooCommerce store: what would the sync do?

It reads the orders changed in the last few days and prints, for each, the plan the
sync would apply, with its reasons. It never applies a plan, and its HTTP clients
refuse to send anything but GET: nothing is written to WooCommerce or Hike.

Set the store and an API key (WooCommerce -> Settings -> Advanced -> REST API; a
read-only key is enough), then run ``python examples/dry_run_real_store.py``::

    HIKEWOO_WOO_URL=https://shop.example
    HIKEWOO_WOO_KEY=ck_...
    HIKEWOO_WOO_SECRET=cs_...

Optional: ``HIKEWOO_HIKE_TOKEN`` (a Hike OAuth2 access token; without it the plans are
made against an empty Hike, so every customer looks new), ``HIKEWOO_HIKE_URL`` (Hike's
API base), ``HIKEWOO_DAYS`` (how far back, default 7) and ``HIKEWOO_LIMIT`` (at most
this many orders, default 20). Without the three WooCommerce variables it says it is
skipping and exits 0 (that is how CI runs it).
"""

from __future__ import annotations

import itertools
import os
from datetime import datetime, timedelta, timezone

import httpx

from hikewoo_core import (
    HikePort,
    HikeWooError,
    MemoryLedger,
    OrderWindow,
    Syncer,
    SyncSettings,
    plan_woo_order,
)
from hikewoo_core.testing import FakeHike
from hikewoo_core.woo import WooClient

WOO_VARIABLES = ("HIKEWOO_WOO_URL", "HIKEWOO_WOO_KEY", "HIKEWOO_WOO_SECRET")


def refuse_writes(request: httpx.Request) -> None:
    """An httpx event hook: this dry run may read, never write."""
    if request.method not in ("GET", "HEAD"):
        raise RuntimeError(f"dry run: refusing to send {request.method} {request.url.path}")


def read_only_client() -> httpx.Client:
    """An httpx client that raises before sending anything but GET or HEAD."""
    return httpx.Client(timeout=30, event_hooks={"request": [refuse_writes]})


def dry_run(env: dict[str, str]) -> None:
    """Print the plan for each recently changed order; write nothing."""
    days, limit = int(env.get("HIKEWOO_DAYS", "7")), int(env.get("HIKEWOO_LIMIT", "20"))
    now = datetime.now(timezone.utc)
    since = now - timedelta(days=days)
    # Orders since `since` plan as an automatic sync would see them (not as historical).
    settings = SyncSettings(sync_from=since)

    with (
        read_only_client() as http,
        WooClient(
            env["HIKEWOO_WOO_URL"], env["HIKEWOO_WOO_KEY"], env["HIKEWOO_WOO_SECRET"], client=http
        ) as woo,
    ):
        hike: HikePort
        if env.get("HIKEWOO_HIKE_TOKEN"):
            from hikewoo_core.hike import HikeClient

            token, base_url = env["HIKEWOO_HIKE_TOKEN"], env.get("HIKEWOO_HIKE_URL")
            if base_url:
                hike = HikeClient(token, client=http, base_url=base_url)
            else:
                hike = HikeClient(token, client=http)
            print("Hike: read through the API (customers are looked up by email)")
        else:
            hike = FakeHike()
            print("Hike: no HIKEWOO_HIKE_TOKEN, planning against an empty Hike")
        syncer = Syncer(woo=woo, hike=hike, settings=settings, ledger=MemoryLedger())

        print(f"Orders changed since {since:%Y-%m-%d %H:%M} UTC (at most {limit}):")
        orders = woo.read_orders(OrderWindow(modified_after=since))
        count = 0
        for order in itertools.islice(orders, limit):
            count += 1
            try:
                state = syncer.woo_order_state(order)  # reads only
                plan = plan_woo_order(state, settings, activated_at=syncer.activated_at)
            except HikeWooError as exc:
                print(f"\n#{order.number} ({order.status}): cannot plan: {exc}")
                continue
            print(f"\n#{order.number} ({order.status}, {order.total} {order.currency}):")
            for line in plan.explain().splitlines():
                print(f"   {line}")
        print(f"\n{count} order(s) planned; dry run: nothing was written.")


def main() -> None:
    """Run the dry run if the store is configured, else say why it is skipped."""
    env = dict(os.environ)
    missing = [name for name in WOO_VARIABLES if not env.get(name)]
    if missing:
        print(
            f"Skipping the dry run: {', '.join(missing)} not set. Set HIKEWOO_WOO_URL,"
            " HIKEWOO_WOO_KEY and HIKEWOO_WOO_SECRET to plan your store's recent orders"
            " (read-only; nothing is written)."
        )
        return
    dry_run(env)


if __name__ == "__main__":
    main()
