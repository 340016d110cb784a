"""A backfill spread over Dask distributed: one task per partition, worker processes sharing
one ledger.

The parent process serves a fake WooCommerce store and a fake Hike over HTTP on loopback
(OAuth 1.0a and bearer tokens checked, as the real APIs do), starts a local Dask cluster
of worker *processes*, and submits one task per partition of the backfill's range. Each
task runs in a worker process, builds its own clients, ``Syncer`` and ledger connection,
and runs ``Syncer.backfill_partition``; a task whose worker dies is run again by Dask on
another worker, and resumes the partition from its checkpoint in the shared ledger.

The ledger is chosen in one place, :func:`choose_ledger`: a ``PostgresLedger`` when
``HIKEWOO_POSTGRES_DSN`` is set (in a schema of its own, dropped at the end), else a
``SqliteLedger`` file, which processes on one machine can share. On a real cluster the
workers run on several machines: use PostgreSQL, and point the clients at your stores.

Needs Dask distributed (``pip install distributed``, or the ``distributed`` dependency
group). Run it with ``python examples/distributed_backfill.py [--orders 400]
[--partitions 8] [--workers 2]``.
"""

# mypy: disable-error-code="no-untyped-call"
# (Dask distributed's Client and LocalCluster are not annotated.)
from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

from dask.distributed import Client, LocalCluster

from hikewoo_core import (
    BackfillReport,
    HikeWooError,
    LedgerPort,
    Partition,
    SqliteLedger,
    Syncer,
    SyncSettings,
    partitions,
)
from hikewoo_core.hike import HikeClient
from hikewoo_core.testing import FakeHike, FakeWooCommerce, serve_hike, serve_woo
from hikewoo_core.woo import WooClient

START = datetime(2026, 6, 1, tzinfo=timezone.utc)
DAYS = 30
KEY, SECRET = "ck_distributed_example", "cs_distributed_example"
HIKE_TOKEN = "hike-token-distributed-example"


# --- what every worker needs: picklable, small, no open connection -------------------


@dataclass(frozen=True)
class Stores:
    """Where the workers find both stores. Here the served fakes; on a real cluster, read
    the secrets from the workers' environment or secret store rather than shipping them
    in the task's arguments."""

    woo_url: str
    woo_key: str
    woo_secret: str
    hike_url: str
    hike_token: str


# --8<-- [start:ledger]
@dataclass(frozen=True)
class LedgerSpec:
    """How a worker opens the shared ledger: a PostgreSQL DSN and schema, or a
    SQLite file (processes on one machine)."""

    postgres_dsn: str | None = None
    schema: str = "hikewoo"
    sqlite_path: str | None = None

    @contextmanager
    def open(self, *, migrate: bool = False) -> Iterator[LedgerPort]:
        """A connection to the shared ledger (``PostgresLedger`` or
        ``SqliteLedger``), closed at the end of the ``with`` block."""
        if self.postgres_dsn is not None:
            from hikewoo_core import PostgresLedger  # the postgres extra

            ledger: PostgresLedger | SqliteLedger = PostgresLedger(
                self.postgres_dsn, schema=self.schema, migrate=migrate
            )
        elif self.sqlite_path is not None:
            ledger = SqliteLedger(self.sqlite_path)
        else:
            raise ValueError("a LedgerSpec needs postgres_dsn or sqlite_path")
        try:
            yield ledger
        finally:
            ledger.close()

    def __repr__(self) -> str:  # never the DSN: it may hold a password
        postgres = self.postgres_dsn is not None
        return f"LedgerSpec({'PostgresLedger' if postgres else 'SqliteLedger'})"


def choose_ledger(workdir: Path) -> LedgerSpec:
    """The one place the ledger is chosen: PostgreSQL when
    ``HIKEWOO_POSTGRES_DSN`` is set (a fresh schema), else a SQLite file."""
    dsn = os.environ.get("HIKEWOO_POSTGRES_DSN")
    if dsn:
        schema = f"example_{uuid.uuid4().hex[:12]}"
        return LedgerSpec(postgres_dsn=dsn, schema=schema)
    return LedgerSpec(sqlite_path=str(workdir / "ledger.db"))


# --8<-- [end:ledger]


class PartitionIncomplete(HikeWooError):
    """A partition still has orders left after its runs: the engine's retries take over."""


# --- the task: runs in a worker process ----------------------------------------------


# --8<-- [start:task]
def backfill_task(
    partition: Partition,
    stores: Stores,
    ledger: LedgerSpec,
    settings: SyncSettings | None = None,
    *,
    runs: int = 3,
    checkpoint_every: int = 100,
) -> BackfillReport:
    """Run (or resume) one partition, in whichever worker process: a Dask task.

    An order whose lease a dead worker still holds is refused until the lease
    expires (``SyncSettings.lease_seconds``), and the partition reports itself
    not complete: it is run again after half a lease, up to ``runs`` times, then
    this raises and the engine's retries take over. Each run resumes from the
    partition's checkpoint (saved every ``checkpoint_every`` orders); orders
    already synced plan to nothing, and a create the dead worker may have sent
    is looked up before it is sent again.
    """
    settings = settings or SyncSettings()
    with (
        WooClient(stores.woo_url, stores.woo_key, stores.woo_secret) as woo,
        HikeClient(stores.hike_token, base_url=stores.hike_url) as hike,
        ledger.open() as store,
    ):
        syncer = Syncer(woo=woo, hike=hike, ledger=store, settings=settings)
        every = checkpoint_every
        run = partial(syncer.backfill_partition, checkpoint_every=every)
        report = run(partition)
        for _ in range(runs - 1):
            if report.complete:
                break
            time.sleep(settings.lease_seconds / 2)
            report = run(partition)
    if not report.complete:
        raise PartitionIncomplete(report.explain())
    return report


# --8<-- [end:task]


# --8<-- [start:submit]
def run_on_dask(
    client: Client,
    parts: tuple[Partition, ...],
    stores: Stores,
    ledger: LedgerSpec,
    settings: SyncSettings | None = None,
    *,
    run: str = "run-1",
) -> list[BackfillReport]:
    """One task per partition; every report, in partition order.

    Dask knows a task by its key and hands back a result it still holds for
    that key: a later run of the same partitions needs keys of its own
    (``run``).
    """
    futures = [
        client.submit(
            backfill_task,
            part,
            stores,
            ledger,
            settings,
            key=f"backfill-{run}-{part.index + 1}-of-{part.count}",
            retries=2,  # if it raises (a dead worker's task runs again anyway)
        )
        for part in parts
    ]
    reports: list[BackfillReport] = client.gather(futures)
    return reports


# --8<-- [end:submit]


# --- the demo: served fakes, a local cluster, a summary ------------------------------


def seed(woo: FakeWooCommerce, hike: FakeHike, count: int) -> None:
    """``count`` historical orders spread over ``DAYS`` days from ``START``."""
    hike.add_product("CUP-01", "Espresso cup", stock=1_000_000)
    for i in range(count):
        stamp = (START + timedelta(days=DAYS) * i / count).strftime("%Y-%m-%dT%H:%M:%S")
        woo.add_order(
            {
                "status": "completed" if i % 4 else "processing",
                "billing": {"first_name": f"Buyer{i}", "email": f"buyer{i}@example.com"},
                "line_items": [{"product_id": 10, "sku": "CUP-01", "quantity": 1 + i % 3,
                                "total": f"{12.5 * (1 + i % 3):.2f}"}],
                "date_created_gmt": stamp,
                "date_modified_gmt": stamp,
            }
        )  # fmt: skip


def drop_schema(spec: LedgerSpec) -> None:
    """Remove the example's PostgreSQL schema (the SQLite file goes with its folder)."""
    if spec.postgres_dsn is None:
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(spec.postgres_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(spec.schema))
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    woo, hike = FakeWooCommerce(), FakeHike()
    seed(woo, hike, args.orders)
    parts = partitions(START, START + timedelta(days=DAYS), args.partitions)
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_woo(woo, consumer_key=KEY, consumer_secret=SECRET) as woo_url,
        serve_hike(hike, access_token=HIKE_TOKEN, token_ttl=86_400) as hike_url,
    ):
        stores = Stores(woo_url, KEY, SECRET, hike_url, HIKE_TOKEN)
        spec = choose_ledger(Path(tmp))
        with spec.open(migrate=True):  # create the tables once, before the workers start
            pass
        try:
            started = time.perf_counter()
            with (
                LocalCluster(
                    n_workers=args.workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    local_directory=tmp,
                ) as cluster,
                Client(cluster) as client,
            ):
                print(
                    f"Dask cluster: {args.workers} worker processes; "
                    f"ledger: {spec!r}; {len(parts)} partitions of {args.orders} orders"
                )
                reports = run_on_dask(client, parts, stores, spec)
                seconds = time.perf_counter() - started
                for report in reports:
                    print(report.explain().splitlines()[0])
                done = sum(r.done for r in reports)
                created = sum(r.created for r in reports)
                print(f"{done} orders read, {created} Hike sales created in {seconds:.1f} s")
                refs = Counter(s.external_reference for s in hike.sales())
                once = len(refs) == args.orders and set(refs.values()) == {1}
                print(
                    f"every order exactly once: {once} ({len(refs)} orders, "
                    f"{sum(refs.values())} Hike sales)"
                )
                again = run_on_dask(client, parts, stores, spec, run="run-2")
                new = sum(r.created for r in again)
                print(f"rerun: {new} new sales (every partition is complete)")
        finally:
            drop_schema(spec)


if __name__ == "__main__":  # the worker processes import this file: start nothing there
    main()
