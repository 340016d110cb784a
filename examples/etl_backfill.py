"""ETL job: backfill a date range of WooCommerce orders into Hike, with a progress bar.

The range is split into partitions that run in parallel (``concurrent.futures``) on one
SQLite ledger; each partition checkpoints its position, so rerunning the job after a
crash resumes where it stopped. Against the in-memory fakes here; swap in ``WooClient``
and ``HikeClient`` for real stores.

Run it with ``python examples/etl_backfill.py [--orders 2000] [--workers 4]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hikewoo_core import BackfillReport, Progress, SqliteLedger, Syncer, partitions
from hikewoo_core.testing import FakeClock, FakeHike, FakeWooCommerce

START = datetime(2026, 6, 1, tzinfo=timezone.utc)


class ProgressBar:
    """A thread-safe text progress bar fed by the backfill's progress callbacks."""

    def __init__(self, total: int, width: int = 40) -> None:
        self.total, self.width = total, width
        self.done: dict[str, int] = {}
        self.lock = threading.Lock()
        self.shown = -1
        self.started = time.monotonic()

    def __call__(self, progress: Progress) -> None:
        with self.lock:
            self.done[progress.partition] = progress.done
            done = sum(self.done.values())
            percent = done * 100 // self.total
            if percent == self.shown:
                return
            self.shown = percent
            filled = self.width * done // self.total
            elapsed = time.monotonic() - self.started
            eta = f"{elapsed * (self.total - done) / done:5.1f}s" if done else "  ?  "
            bar = "#" * filled + "." * (self.width - filled)
            end = "\n" if done == self.total or not sys.stderr.isatty() else ""
            if sys.stderr.isatty() or percent % 25 == 0:
                print(f"\r[{bar}] {percent:3d}% {done}/{self.total} eta {eta}", end=end,
                      file=sys.stderr)  # fmt: skip


def seed(woo: FakeWooCommerce, clock: FakeClock, count: int) -> None:
    """Historical orders spread over June 2026."""
    for i in range(count):
        clock.set(START + timedelta(days=45) * i / count)
        woo.add_order(
            {
                "status": "completed" if i % 4 else "processing",
                "currency": "AUD",
                "billing": {"first_name": f"Buyer{i}", "last_name": "Example",
                            "email": f"buyer{i}@example.com"},
                "line_items": [
                    {"id": 1, "name": "Espresso cup", "product_id": 10, "sku": "CUP-01",
                     "quantity": 1 + i % 3, "total": f"{12.5 * (1 + i % 3):.2f}"},
                ],
            }
        )  # fmt: skip


def main() -> None:
    """Seed the fake store, then run the partitioned backfill and print the reports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    clock = FakeClock(START)
    woo, hike = FakeWooCommerce(clock=clock), FakeHike(clock=clock)
    hike.add_product("CUP-01", "Espresso cup", stock=100_000)
    seed(woo, clock, args.orders)
    clock.set(START + timedelta(days=60))

    with tempfile.TemporaryDirectory() as tmp:
        ledger = SqliteLedger(Path(tmp) / "ledger.db", clock=clock)
        syncer = Syncer(woo=woo, hike=hike, ledger=ledger, clock=clock)
        after, before = START, START + timedelta(days=45)
        parts = partitions(after, before, args.workers)
        bar = ProgressBar(args.orders)

        def run(part):  # type: ignore[no-untyped-def]
            return syncer.backfill_partition(part, progress=bar, checkpoint_every=50)

        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            reports: list[BackfillReport] = list(pool.map(run, parts))
        for report in reports:
            print(report.explain().splitlines()[0])
        print(f"Hike now holds {len(hike.sales())} sales; stock of CUP-01: {hike.stock('CUP-01')}")
        rerun = [syncer.backfill_partition(p) for p in parts]
        print(f"rerun: {sum(r.created for r in rerun)} new sales (every partition is complete)")
        ledger.close()


if __name__ == "__main__":
    main()
