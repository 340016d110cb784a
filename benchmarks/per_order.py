"""CPU per applied order: plan, apply and record one new order, in one thread, no HTTP.

    python benchmarks/per_order.py                 # MemoryLedger and SqliteLedger, 3,000
    python benchmarks/per_order.py --orders 10000 --profile

Runs ``Syncer.backfill(..., concurrency=1)`` over a WooCommerce stand-in that yields
orders parsed beforehand (so parsing and HTTP are not counted) into ``FakeHike``, with a
``MemoryLedger`` and with a ``SqliteLedger`` on ``/dev/shm`` (a tmpfs where there is one),
and prints the process CPU time per order (median of ``--rounds``). ``--profile`` prints
the top of a cProfile of one run per ledger instead.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _orders import BASE, Renderer, docs_example

from hikewoo_core import MemoryLedger, OrderWindow, SqliteLedger, Syncer, parse_woo_order
from hikewoo_core.testing import FakeHike
from hikewoo_core.woo._models import WooOrder


class ParsedWoo:
    """Orders parsed beforehand, order ``i`` created and modified at ``BASE + i`` s."""

    def __init__(self, count: int) -> None:
        template, _ = docs_example()
        renderer = Renderer(template)
        self.orders = [parse_woo_order(renderer.render(i)) for i in range(count)]

    def read_orders(self, window: OrderWindow | None = None) -> Iterator[WooOrder]:
        low = None if window is None else window.modified_after
        first = 0 if low is None else max(int((low - BASE).total_seconds()), 0)
        end = None if window is None else window.created_before
        for order in self.orders[first:]:
            if end is not None and order.date_created_gmt >= end:
                return
            yield order

    def read_order(self, order_id: int) -> WooOrder:
        return self.orders[order_id - 1]

    def read_refunds(self, order_id: int) -> list[Any]:
        return []


def one_run(woo: ParsedWoo, ledger_kind: str, scratch: str) -> float:
    """CPU seconds per order of one backfill of every order of ``woo``."""
    count = len(woo.orders)
    if ledger_kind == "sqlite":
        ledger: Any = SqliteLedger(Path(scratch) / f"ledger-{time.monotonic_ns()}.sqlite")
    else:
        ledger = MemoryLedger()
    syncer = Syncer(woo=woo, hike=FakeHike(), ledger=ledger)  # type: ignore[arg-type]
    start = time.process_time()
    report = syncer.backfill(
        BASE - timedelta(seconds=1), BASE + timedelta(seconds=count), concurrency=1
    )
    cpu = time.process_time() - start
    if ledger_kind == "sqlite":
        ledger.close()
    if report.created != count or report.failed:
        raise RuntimeError(report.explain())
    return cpu / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    shm = Path("/dev/shm")  # noqa: S108 - a tmpfs: the ledger's fsyncs cost nothing there
    parent = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    woo = ParsedWoo(args.orders)
    with tempfile.TemporaryDirectory(prefix="hikewoo-per-order-", dir=parent) as scratch:
        for kind in ("memory", "sqlite"):
            if args.profile:
                profile = cProfile.Profile()
                profile.runcall(one_run, woo, kind, scratch)
                print(f"\n{kind} ledger, {args.orders:,} orders, cProfile:")
                pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
                continue
            runs = [one_run(woo, kind, scratch) for _ in range(args.rounds)]
            print(
                f"{kind:>6} ledger: {statistics.median(runs) * 1e6:6.0f} us CPU per order "
                f"(median of {args.rounds} runs of {args.orders:,} orders, one thread)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
