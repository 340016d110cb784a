"""Two executors in two processes on one SQLite ledger never write the same thing twice.

The parent serves one ``FakeWooCommerce`` and one ``FakeHike`` on loopback and plays the
shop: each round it adds WooCommerce orders, completes, cancels and refunds earlier ones,
rings up Hike sales (split tenders) and refunds some. Then two worker processes start at
the same instant, each with its own ``Syncer`` (its own owner name) on the *same* ledger
file, and each runs ``sync_changes()`` and then ``sync_woo_order`` for every new order,
in its own shuffled order, so that they race for the same orders.

What must hold, from the servers' own logs (every write the fakes received) and the
workers' reports: each Hike sale (by external reference), each Hike refund sale, each
WooCommerce order made from a Hike sale and each WooCommerce refund made from a Hike
refund sale is created exactly once; no write (by its intent key) is made by both
workers, and no pair gets remote writes from both in one round; a
:class:`~hikewoo_core.LeaseError` is only ever a reported failure; and once the rounds
are over, one more run changes nothing.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from hikewoo_core import SqliteLedger
from hikewoo_core._translate import HIKE_REFUND_META, HIKE_SALE_META
from hikewoo_core.testing import FakeClock, FakeHike, FakeWooCommerce, FaultPlan

from ._secrets import register_secret

KEY = "ck_two_processes_0123456789abcdef01234567"
SECRET = register_secret("cs_two_processes_76543210fedcba9876543210")
ACCESS = register_secret("hike-access-two-processes-3e9d")
ROUNDS = 4
NEW_ORDERS = 12
NEW_SALES = 4
#: Seconds the shop's clock moves on after a round of activity (the workers then sync
#: with the clock frozen there).
SETTLE = 300

# The worker: reads its settings as one JSON line on stdin, says "ready", waits for
# "go", syncs, prints what it applied and what failed as one JSON line.
WORKER = r"""
import json, random, sys
from datetime import datetime
from hikewoo_core import HikeWooError, SqliteLedger, Syncer
from hikewoo_core.hike import HikeClient
from hikewoo_core.woo import WooClient

cfg = json.loads(sys.stdin.readline())
now = datetime.fromisoformat(cfg["now"])  # the shop's clock, frozen for this round
clock = lambda: now
ledger = SqliteLedger(cfg["ledger"], clock=clock)
woo = WooClient(cfg["woo"], cfg["key"], cfg["secret"], clock=clock, sleep=lambda s: None)
hike = HikeClient(cfg["access"], base_url=cfg["hike"], clock=clock, sleep=lambda s: None)
syncer = Syncer(woo=woo, hike=hike, ledger=ledger, owner=cfg["owner"], clock=clock)
applied, failures = [], []

def note(report):
    for a in report.applied:
        act = a.action
        if hasattr(act, "link"):  # RecordLink: the ledger only
            pair = act.link.woo_order_id
        elif hasattr(act, "woo_order_id"):
            pair = act.woo_order_id
        else:  # a WooCommerce order made from a Hike sale: its new id
            pair = a.result_id
        applied.append([type(act).__name__, act.key, pair, a.recovered])
    failures.extend([f.subject, f.error_type] for f in report.failures)

print("ready", flush=True)
sys.stdin.readline()
note(syncer.sync_changes())
orders = list(cfg["orders"])
random.Random(cfg["seed"]).shuffle(orders)
for order_id in orders:
    try:
        note(syncer.sync_woo_order(order_id))
    except HikeWooError as exc:
        failures.append([f"WooCommerce order #{order_id}", type(exc).__name__])
woo.close(); hike.close(); ledger.close()
print(json.dumps({"applied": applied, "failures": failures}), flush=True)
"""


@dataclass
class Shop:
    """Both fakes, served on loopback, and what the shop did so far."""

    clock: FakeClock = field(default_factory=FakeClock)
    rnd: random.Random = field(default_factory=lambda: random.Random(5))
    orders: list[int] = field(default_factory=list)
    sales: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.woo = FakeWooCommerce(clock=self.clock)
        self.hike = FakeHike(clock=self.clock)
        for sku in ("MUG", "TEA"):
            self.hike.add_product(sku, sku.title(), stock=10_000)
            self.woo.add_product(sku, sku.title(), "12.50")

    def tick(self) -> None:
        self.clock.advance(1)

    def trade(self) -> list[int]:
        """One round of shop activity; returns the ids of the new WooCommerce orders."""
        for oid in self.orders:  # earlier orders move on
            self.tick()
            order = self.woo.read_order(oid)
            roll = self.rnd.random()
            if order.status in ("processing", "on-hold") and roll < 0.5:
                self.woo.set_status(oid, "completed")
            elif order.status == "processing" and roll < 0.6:
                self.woo.set_status(oid, "cancelled")
            elif order.status == "completed" and order.refunds and roll < 0.8:
                self.woo.set_status(oid, "refunded")  # refunds the rest
            elif order.status == "completed" and roll < 0.4:
                self.woo.add_refund(oid, {"amount": "4.00", "api_refund": False})
        new = []
        for i in range(NEW_ORDERS):
            self.tick()
            quantity = 1 + i % 3
            mugs = {"product_id": 1, "sku": "MUG", "quantity": quantity,
                    "total": str(Decimal("12.50") * quantity)}  # fmt: skip
            tea = {"product_id": 2, "sku": "TEA", "quantity": 1, "total": "8.00"}
            status = self.rnd.choice(["processing", "completed", "on-hold"])
            billing = {"first_name": "Ada", "email": "ada@example.com"}
            new.append(
                self.woo.add_order(
                    {"status": status, "billing": billing, "line_items": [mugs, tea]}
                )
            )
        self.orders += new
        for sale_id in self.sales[::2]:  # earlier POS sales: some refunded
            self.tick()
            if self.rnd.random() < 0.5:
                self.hike.refund_sale(sale_id, amount=Decimal("2.00"))
        for i in range(NEW_SALES):
            self.tick()
            tenders = [("Cash", "10.00"), ("Card", "15.00")] if i % 2 else [("Card", "25.00")]
            self.sales.append(self.hike.record_sale([("MUG", 2, "12.50")], tenders).id)
        # Both fakes stamp each change a second after the last one: past every stamp,
        # whatever the syncs of the round before wrote.
        self.clock.advance(SETTLE)
        return new


@contextmanager
def served(shop: Shop) -> Iterator[tuple[str, str]]:
    with ExitStack() as stack:
        woo_url = stack.enter_context(
            shop.woo.serve(consumer_key=KEY, consumer_secret=SECRET, faults=FaultPlan())
        )
        hike_url = stack.enter_context(
            shop.hike.serve(access_token=ACCESS, token_ttl=86_400, clock=shop.clock)
        )
        yield woo_url, hike_url


def run_workers(
    shop: Shop,
    urls: tuple[str, str],
    ledger: Path,
    orders: list[int],
    round_no: int,
    *,
    count: int = 2,
) -> list[dict[str, Any]]:
    """Start ``count`` workers, let them go at once, return their reports."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        for index, proc in enumerate(procs):
            assert proc.stdin is not None
            assert proc.stdout is not None
            cfg = {
                "ledger": str(ledger), "woo": urls[0], "hike": urls[1], "key": KEY,
                "secret": SECRET, "access": ACCESS, "owner": f"worker-{index}",
                "orders": orders, "seed": round_no * 10 + index, "now": shop.clock().isoformat(),
            }  # fmt: skip
            proc.stdin.write(json.dumps(cfg) + "\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "ready"
        for proc in procs:  # every worker is ready: let them race
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        reports = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            reports.append(json.loads(out.strip().splitlines()[-1]))
        return reports
    finally:
        for proc in procs:
            if proc.poll() is None:  # pragma: no cover - only on failure
                proc.kill()
                proc.wait()


def created_once(shop: Shop) -> dict[str, Counter[str]]:
    """From the fakes' logs of received writes: how often each record was created."""
    made: dict[str, Counter[str]] = {
        "hike sale": Counter(),
        "hike refund sale": Counter(),
        "woo order": Counter(),
        "woo refund": Counter(),
    }
    for call in shop.hike.calls:
        if call.method == "write_sale":
            ref = call.args[0].external_reference or "?"
            made["hike refund sale" if ref.startswith("woo-refund:") else "hike sale"][ref] += 1
    for call in shop.woo.calls:
        if call.method == "write_order" and call.args[0] is None:  # (order_id, body)
            meta = {m.get("key"): m.get("value") for m in call.args[1].get("meta_data", [])}
            made["woo order"][str(meta.get(HIKE_SALE_META))] += 1
        elif call.method == "write_refund":
            meta = {m.get("key"): m.get("value") for m in call.args[1].get("meta_data", [])}
            made["woo refund"][str(meta.get(HIKE_REFUND_META))] += 1
    return made


def test_two_worker_processes_on_one_ledger_never_duplicate_a_write(tmp_path: Path) -> None:
    shop = Shop()
    ledger = tmp_path / "ledger.db"
    with SqliteLedger(ledger, clock=shop.clock) as store:
        store.activated_at()  # the sync starts now: the orders below are not historical
    totals: Counter[str] = Counter()
    with served(shop) as urls:
        for round_no in range(ROUNDS):
            new = shop.trade()
            reports = run_workers(shop, urls, ledger, new, round_no)
            keys = [Counter(a[1] for a in r["applied"] if not a[3]) for r in reports]
            both = set(keys[0]) & set(keys[1])
            assert not both, f"round {round_no}: written by both workers: {sorted(both)}"
            for k in keys:
                assert all(n == 1 for n in k.values()), k
            remote = [{a[2] for a in r["applied"] if a[0] != "RecordLink"} for r in reports]
            both_wrote = remote[0] & remote[1]
            assert not both_wrote, f"round {round_no}: pairs both workers wrote to: {both_wrote}"
            # One worker wrote remotely, the other only brought its ledger record up to
            # date (RecordLink) on the same pair: allowed, and counted.
            pairs = [{a[2] for a in r["applied"]} for r in reports]
            totals["pairs with a remote write by one, a ledger record by the other"] += len(
                pairs[0] & pairs[1]
            )
            for report in reports:
                remote = [a for a in report["applied"] if a[0] != "RecordLink"]
                totals["remote writes"] += len(remote)
                totals["recovered"] += sum(1 for a in report["applied"] if a[3])
                for _, error_type in report["failures"]:
                    totals[f"failure {error_type}"] += 1
                    assert error_type == "LeaseError", report["failures"]
            totals["rounds"] += 1
        # nothing is left over: one more worker, alone, has nothing to write
        shop.clock.advance(SETTLE)
        [last] = run_workers(shop, urls, ledger, [], ROUNDS, count=1)
        assert last["failures"] == []
        totals["writes after the rounds"] = len(last["applied"])
    assert totals["remote writes"] > 0
    made = created_once(shop)
    for what, counts in made.items():
        repeated = {ref: n for ref, n in counts.items() if n != 1}
        assert not repeated, f"{what} created more than once: {repeated}"
    assert len(made["hike sale"]) >= ROUNDS * NEW_ORDERS * 0.6
    assert len(made["woo order"]) == ROUNDS * NEW_SALES
    assert made["hike refund sale"]
    assert made["woo refund"]
    print(  # the figures docs/reliability.md publishes (run with -s to see them)
        f"\n{ROUNDS} rounds x 2 worker processes: "
        + ", ".join(f"{what}: {len(c)} created once each" for what, c in made.items())
        + "; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(totals.items()))
    )
