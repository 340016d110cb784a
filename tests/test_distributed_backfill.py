"""A backfill's partitions as Dask tasks on worker processes sharing one ledger (issue 16.4).

The parent serves a ``FakeWooCommerce`` and a ``FakeHike`` over HTTP on loopback (OAuth
1.0a verified, bearer tokens checked), starts a local Dask cluster of two worker
*processes* (each under a nanny, which restarts it when it dies) and submits one task
per partition: ``examples/distributed_backfill.py``'s ``backfill_task``, which builds its
own ``WooClient``, ``HikeClient``, ledger connection and ``Syncer`` in the worker and runs
``Syncer.backfill_partition``. Every ledger this machine can run is tried: a
``SqliteLedger`` file (processes on one machine) and a ``PostgresLedger`` (a real server:
``tests/_postgres.py``).

- Every order is synced exactly once: one Hike sale per order, no order missing, and
  the fake Hike received one create per order (no duplicate sent).
- A worker process is killed (SIGKILL) in the middle of a partition, at the worst
  moment: Hike has committed the sale but the worker has not read the answer, so its
  ledger holds a pending intent and the pair's lease. Dask notices the death, runs the
  partition again on another worker process; that run resumes from the partition's
  checkpoint, waits out the dead worker's lease, finds the sale by its reference and
  records it. Still one sale per order, one create per order.

Deterministic: the kill happens at a chosen order (the fake Hike holds that request
until the worker is dead), nothing is timed, and waits are bounded only as guards.
Skipped when Dask distributed is not installed (``--group distributed``); with ``CI=true``
that fails instead.
"""

# mypy: disable-error-code="no-untyped-call"
# (Dask distributed's Client and LocalCluster are not annotated.)
from __future__ import annotations

import importlib.util
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hikewoo_core import Partition, SyncSettings, partitions
from hikewoo_core.testing import FakeHike, FakeWooCommerce, serve_hike, serve_woo

from ._postgres import pg_schema, postgres_dsn, postgres_server_dsn  # noqa: F401 - fixtures
from ._secrets import register_secret

if importlib.util.find_spec("distributed") is None:  # pragma: no cover - the tests group has it
    REASON = (
        "Dask distributed is not installed: pip install -e . --group distributed "
        "(the tests and dev groups include it)"
    )
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI is set but {REASON}", pytrace=False)
    pytest.skip(REASON, allow_module_level=True)

from distributed import Client, Future, LocalCluster

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "distributed_backfill.py"
KEY = "ck_distributed_0123456789abcdef0123456789"
SECRET = register_secret("cs_distributed_fedcba9876543210fedcba98")
HIKE_TOKEN = register_secret("hike-access-distributed-5c1f9a")
ORDERS = 48
PARTS = 6
#: The order whose sale the worker never hears about (the 5th of partition 3 of 6).
KILLED_AT = 21
#: Short leases: the partition's retry waits out the dead worker's lease (3 s), not 300 s.
SETTINGS = SyncSettings(lease_seconds=3.0)
#: Guards only: how long the test waits for the kill point and for the results.
PATIENCE = 120


def load_example() -> ModuleType:
    """``examples/distributed_backfill.py`` as the module ``distributed_backfill``: the
    workers import it under that name once the client uploads it (``client`` below)."""
    spec = importlib.util.spec_from_file_location(EXAMPLE.stem, EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickle look their module up
    spec.loader.exec_module(module)
    return module


example = load_example()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """Two worker processes, one thread each, on loopback; a dead one is restarted."""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            local_directory=str(tmp_path_factory.mktemp("dask")),
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        # The task's module, on every worker (and on every worker started later, such as
        # one the nanny restarts): Dask's way of shipping code that is not installed.
        dask_client.upload_file(str(EXAMPLE))
        yield dask_client


@pytest.fixture(params=["sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Every shared ledger this machine has: a SQLite file, a PostgreSQL schema."""
    if request.param == "sqlite":
        spec = example.LedgerSpec(sqlite_path=str(tmp_path / "ledger.db"))
    else:
        dsn = request.getfixturevalue("postgres_dsn")
        spec = example.LedgerSpec(postgres_dsn=dsn, schema=request.getfixturevalue("pg_schema"))
    with spec.open(migrate=True):  # the tables, created once before any worker opens them
        pass
    return spec


@dataclass
class Shop:
    """Both fakes, the historical orders, and the backfill's partitions."""

    woo: FakeWooCommerce
    hike: FakeHike
    parts: tuple[Partition, ...]

    @classmethod
    def make(cls) -> Shop:
        woo, hike = FakeWooCommerce(), FakeHike()
        example.seed(woo, hike, ORDERS)
        start = example.START
        return cls(woo, hike, partitions(start, start + timedelta(days=example.DAYS), PARTS))

    def part_of(self, order_id: int) -> Partition:
        created = self.woo.read_order(order_id).date_created_gmt
        [part] = [p for p in self.parts if p.after <= created < p.before]
        return part

    def sales_per_order(self) -> Counter[str | None]:
        return Counter(s.external_reference for s in self.hike.sales())

    def creates_per_order(self) -> Counter[str | None]:
        """Every create the fake Hike received (the served fake logs each call)."""
        return Counter(
            call.args[0].external_reference
            for call in self.hike.calls
            if call.method == "write_sale"
        )

    def assert_every_order_once(self) -> None:
        expected = {f"woo:{o.id}" for o in self.woo.orders()}
        assert len(expected) == ORDERS
        for what, counts in [
            ("Hike sales", self.sales_per_order()),
            ("creates sent", self.creates_per_order()),
        ]:
            assert set(counts) == expected, f"{what}: orders missing or unknown"
            twice = {ref: n for ref, n in counts.items() if n != 1}
            assert not twice, f"{what}: more than once: {twice}"


@pytest.fixture
def shop() -> Shop:
    return Shop.make()


def submit(
    client: Client, shop: Shop, urls: tuple[str, str], ledger: Any, run: str
) -> list[Future[Any]]:
    stores = example.Stores(urls[0], KEY, SECRET, urls[1], HIKE_TOKEN)
    return [
        client.submit(
            example.backfill_task,
            part,
            stores,
            ledger,
            SETTINGS,
            runs=6,
            checkpoint_every=2,
            key=f"backfill-{run}-{part.index}",
            retries=2,
        )
        for part in shop.parts
    ]


def pids_by_worker(client: Client) -> dict[str, int]:
    return dict(client.run(os.getpid))


def test_partitions_on_two_worker_processes_sync_every_order_once(
    client: Client, shop: Shop, ledger: Any, request: pytest.FixtureRequest
) -> None:
    client.wait_for_workers(2, timeout=PATIENCE)  # a worker restarted by a test before
    with (
        serve_woo(shop.woo, consumer_key=KEY, consumer_secret=SECRET) as woo_url,
        serve_hike(shop.hike, access_token=HIKE_TOKEN, token_ttl=86_400) as hike_url,
    ):
        futures = submit(client, shop, (woo_url, hike_url), ledger, request.node.callspec.id)
        reports = client.gather(futures)
        workers = {address for who in client.who_has(futures).values() for address in who}
    assert all(r.complete for r in reports)
    assert sum(r.done for r in reports) == ORDERS
    assert sum(r.created for r in reports) == ORDERS
    shop.assert_every_order_once()
    pids = pids_by_worker(client)
    assert len(set(pids.values())) == 2
    assert len(workers) == 2, "the partitions ran on both worker processes"


class KillPoint:
    """The fake Hike commits the sale of one chosen order, then holds the request: the
    worker that sent it waits for an answer while the test kills it."""

    def __init__(self, hike: FakeHike, order_id: int) -> None:
        self.reference = f"woo:{order_id}"
        self.reached = threading.Event()
        self.release = threading.Event()
        original = hike.write_sale

        def write_sale(draft: Any) -> Any:
            sale = original(draft)  # committed in Hike
            if draft.external_reference == self.reference and not self.reached.is_set():
                self.reached.set()
                self.release.wait(PATIENCE)  # the answer is never read: its reader is dead
            return sale

        hike.write_sale = write_sale  # type: ignore[method-assign]


def test_a_worker_killed_mid_partition_is_retried_elsewhere_and_every_order_syncs_once(
    client: Client, shop: Shop, ledger: Any, request: pytest.FixtureRequest
) -> None:
    kill = KillPoint(shop.hike, KILLED_AT)
    target = shop.part_of(KILLED_AT)
    run = f"kill-{request.node.callspec.id}"
    key = f"backfill-{run}-{target.index}"
    client.wait_for_workers(2, timeout=PATIENCE)
    with (
        serve_woo(shop.woo, consumer_key=KEY, consumer_secret=SECRET) as woo_url,
        serve_hike(shop.hike, access_token=HIKE_TOKEN, token_ttl=86_400) as hike_url,
    ):
        try:
            futures = submit(client, shop, (woo_url, hike_url), ledger, run)
            assert kill.reached.wait(PATIENCE), "no worker reached the kill point"
            # The worker running the target partition, and its process.
            [address] = [a for a, keys in client.processing().items() if key in keys]
            victim = pids_by_worker(client)[address]
            before = shop.sales_per_order()
            os.kill(victim, signal.SIGKILL)
        finally:
            kill.release.set()  # the served fake answers one request at a time
        reports = client.gather(futures)
        [retried_on] = client.who_has([futures[target.index]])[key]
    # The sale was committed before the kill, and some of the partition's orders before it.
    assert before[kill.reference] == 1
    assert any(f"woo:{i}" in before for i in range(KILLED_AT - 4, KILLED_AT))
    # Dask ran the partition again, in another worker process, to its end.
    assert pids_by_worker(client)[retried_on] != victim
    assert victim not in pids_by_worker(client).values()
    assert all(r.complete for r in reports)
    shop.assert_every_order_once()
    assert reports[target.index].resumed_from > 0, "the retry resumed from the checkpoint"
