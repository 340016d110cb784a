"""ETL job: backfill a date range of WooCommerce orders into Hike, with progress bars.

The range is split into partitions that run in parallel (``concurrent.futures``) on one
SQLite ledger; each partition checkpoints its position, so rerunning the job after a
crash resumes where it stopped. The backfill's ``progress`` callback drives tqdm: a bar
per partition and one for the total. tqdm is an example-only dependency (``pip install
tqdm``, or the ``examples`` dependency group); without it the job prints a plain line at
each quarter of the way. Against the in-memory fakes here; swap in ``WooClient`` and
``HikeClient`` for real stores.

Run it with ``python examples/etl_backfill.py [--orders 2000] [--workers 4]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hikewoo_core import BackfillReport, Partition, Progress, SqliteLedger, Syncer, partitions
from hikewoo_core.testing import FakeClock, FakeHike, FakeWooCommerce

try:
    from tqdm import tqdm
except ImportError:  # a bare install: plain lines instead of bars
    tqdm = None

START = datetime(2026, 6, 1, tzinfo=timezone.utc)


class ProgressBars:
    """The backfill's ``progress`` callback, called from every worker thread.

    ``Progress.done`` counts a partition's orders so far (resumed ones included), so each
    call moves that partition's bar, and the total's, by the difference since its last
    call. With tqdm the bars are drawn on stderr; without it, a line is printed at each
    quarter of the total.
    """

    def __init__(self, parts: Sequence[Partition], totals: Mapping[str, int]) -> None:
        self.lock = threading.Lock()
        self.names = {p.name: f"partition {p.index + 1} of {p.count}" for p in parts}
        self.totals = totals
        self.done = dict.fromkeys(totals, 0)
        self.total = sum(totals.values())
        self.quarters = 0
        self.bars: dict[str, Any] = {}
        if tqdm is None:
            return
        self.overall = tqdm(
            total=self.total, desc="all partitions", unit=" orders", file=sys.stderr
        )
        for position, part in enumerate(parts, start=1):
            self.bars[part.name] = tqdm(
                total=totals[part.name],
                desc=self.names[part.name],
                unit=" orders",
                position=position,
                file=sys.stderr,
            )

    def __call__(self, progress: Progress) -> None:
        with self.lock:
            step = progress.done - self.done[progress.partition]
            self.done[progress.partition] = progress.done
            if self.bars:
                self.bars[progress.partition].update(step)
                self.overall.update(step)
                return
            done = sum(self.done.values())
            while self.quarters < 4 and done * 4 >= self.total * (self.quarters + 1):
                self.quarters += 1
                each = ", ".join(f"{self.done[n]}/{self.totals[n]}" for n in self.names)
                print(f"progress: {done}/{self.total} orders; partitions {each}")

    def close(self) -> None:
        """Leave the finished bars on the screen."""
        for bar in self.bars.values():
            bar.close()
        if self.bars:
            self.overall.close()


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
        # Each bar's end: the orders created in its partition (your warehouse may know it).
        created = [o.date_created_gmt for o in woo.orders()]
        totals = {p.name: sum(p.after <= c < p.before for c in created) for p in parts}
        bars = ProgressBars(parts, totals)

        def run(part: Partition) -> BackfillReport:
            return syncer.backfill_partition(
                part, progress=bars, total=totals[part.name], checkpoint_every=50
            )

        try:
            with ThreadPoolExecutor(max_workers=args.workers) as pool:
                reports: list[BackfillReport] = list(pool.map(run, parts))
        finally:
            bars.close()
        for report in reports:
            print(report.explain().splitlines()[0])
        print(f"Hike now holds {len(hike.sales())} sales; stock of CUP-01: {hike.stock('CUP-01')}")
        rerun = [syncer.backfill_partition(p) for p in parts]
        print(f"rerun: {sum(r.created for r in rerun)} new sales (every partition is complete)")
        ledger.close()


if __name__ == "__main__":
    main()
