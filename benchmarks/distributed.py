"""A backfill on 1, 2 and 4 Dask worker processes sharing one ledger (PostgreSQL, SQLite).

    python benchmarks/distributed.py                 # 100,000 orders, 50 ms, 1/2/4 workers
    python benchmarks/distributed.py --small         # 5,000 orders: a quick run
    python benchmarks/distributed.py --orders 20000 --workers 1 2 --ledgers postgres

The WooCommerce side is ``_server.py`` in its own process, as in the backfill benchmark
(``_backfill.py``): every request's OAuth 1.0a signature verified, 50 ms of latency added
to every response, 100 orders a page. For each ledger and each worker count, a fresh
local Dask cluster of that many worker processes (one thread each: one partition at a
time) runs the range's 32 partitions (the split ``Syncer.backfill`` uses) as tasks. Each
task builds its own ``WooClient``, ledger connection and ``Syncer`` and runs
``Syncer.backfill_partition`` into a Hike stand-in of its own, in its process
(``_ports.DiscardingHike``, as the memory benchmark uses: it takes every sale and keeps
none, with sale ids of the partition's own range), so that what is measured is the
WooCommerce reads, the sync and the shared ledger, not a Hike server. Every run starts
from an empty ledger and must create every order exactly once (the reports' counts and
the ledger's links).

Reported per run: wall seconds, orders per second, speed-up against 1 worker on the same
ledger, the workers' CPU seconds (every worker process, ``getrusage``), the WooCommerce
server's requests, and for PostgreSQL the ledger's cost per order from
``pg_stat_database`` (deltas over the run, read once every worker has disconnected):
transactions committed, rows written (inserted + updated + deleted) and milliseconds the
server spent running statements (``active_time``). PostgreSQL is
``$HIKEWOO_POSTGRES_DSN`` when set, else a throw-away cluster on loopback
(``tools/postgres_server.py``: ``fsync`` and ``synchronous_commit`` off, so a commit
costs no disk flush; a production server's commits cost more). The SQLite file is on
``/dev/shm`` when it is writable, as in the backfill benchmark. Results are printed and
written as JSON (``--json``, default ``benchmarks/results/distributed.json``).
"""

# mypy: disable-error-code="no-untyped-call"
# (Dask distributed's Client and LocalCluster are not annotated.)
from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import platform
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# This file has the Dask package's name: its folder goes last on the path, so that
# ``import distributed`` finds Dask while ``_backfill`` and the other helpers are found here.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from _backfill import _scratch_parent, check_server_verifies, serve, server_stats  # noqa: E402
from _contenders import KEY, PER_PAGE, SECRET  # noqa: E402
from _measure import check, log, table  # noqa: E402
from _orders import BASE  # noqa: E402
from _ports import DiscardingHike  # noqa: E402

RESULTS = HERE / "results" / "distributed.json"
#: The partitions of the range: as many as ``Syncer.backfill`` cuts a range into.
PARTS = 32
LEDGERS = ("postgres", "sqlite")


@dataclass(frozen=True)
class Ledger:
    """How a worker opens the shared ledger (picklable: sent with every task)."""

    kind: str
    where: str  # a DSN or a file path
    schema: str = "hikewoo"

    def open(self, *, migrate: bool = False) -> Any:
        if self.kind == "postgres":
            from hikewoo_core import PostgresLedger

            return PostgresLedger(self.where, schema=self.schema, migrate=migrate)
        from hikewoo_core import SqliteLedger

        return SqliteLedger(self.where)

    def __repr__(self) -> str:  # never the DSN: it may hold a password
        return f"Ledger({self.kind})"


class PartitionHike(DiscardingHike):
    """``_ports.DiscardingHike`` (takes every sale, keeps none) numbering its sales from
    ``first_id``: each partition's own range, so that no two tasks hand out one sale id
    (the ledger refuses a Hike sale linked to two orders)."""

    def __init__(self, first_id: int) -> None:
        super().__init__()
        self._ids = itertools.count(first_id)

    def find_sales_by_reference(
        self, external_reference: str, *, around: datetime | None = None
    ) -> list[Any]:
        """Nothing is kept, so nothing is found (the port's signature, ``around`` too)."""
        return []


def backfill_part(partition: Any, base: str, ledger: Ledger) -> dict[str, Any]:
    """One task: one partition, in a worker process, into a Hike stand-in of its own."""
    from hikewoo_core import Syncer
    from hikewoo_core.woo import WooClient

    store = ledger.open()
    try:
        with WooClient(base, KEY, SECRET) as woo:
            hike = PartitionHike(first_id=(partition.index + 1) * 1_000_000_000)
            syncer = Syncer(woo=woo, hike=hike, ledger=store)
            report = syncer.backfill_partition(partition)
    finally:
        store.close()
    return {
        "done": report.done,
        "created": report.created,
        "failed": report.failed,
        "complete": report.complete,
        "pid": os.getpid(),
    }


def cpu_of_process() -> float:
    """This process's CPU seconds (run on each worker with ``client.run``)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- PostgreSQL -----------------------------------------------------------------------


@contextmanager
def postgres_dsn() -> Iterator[str]:
    """``$HIKEWOO_POSTGRES_DSN``, or a throw-away server started for the benchmark."""
    given = os.environ.get("HIKEWOO_POSTGRES_DSN")
    if given:
        yield given
        return
    path = HERE.parent / "tools" / "postgres_server.py"
    spec = importlib.util.spec_from_file_location("hikewoo_postgres_server", path)
    assert spec is not None
    assert spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = tool  # dataclasses look their module up
    spec.loader.exec_module(tool)
    with tool.start_server() as server:
        log("PostgreSQL: a throw-away server on loopback (fsync off)")
        yield server.dsn


_PG_COUNTERS = (
    "xact_commit",
    "xact_rollback",
    "tup_inserted",
    "tup_updated",
    "tup_deleted",
    "tup_fetched",
    "active_time",
)


def pg_counters(dsn: str) -> dict[str, float]:
    """This database's ``pg_stat_database`` counters, as of now."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            f"SELECT {', '.join(_PG_COUNTERS)} FROM pg_stat_database "  # noqa: S608 - constants
            "WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return {name: float(value or 0) for name, value in zip(_PG_COUNTERS, row, strict=True)}


def pg_server_version(dsn: str) -> str:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def drop_schema(dsn: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# --- one run ----------------------------------------------------------------------------


def count_links(ledger: Ledger) -> int:
    store = ledger.open()
    try:
        return sum(1 for _ in store.links())
    finally:
        store.close()


def one_run(
    base: str, orders: int, workers: int, ledger: Ledger, *, scratch: Path, dsn: str | None
) -> dict[str, Any]:
    """A fresh cluster of ``workers`` processes backfills every order into an empty ledger."""
    from dask.distributed import Client, LocalCluster

    from hikewoo_core import partitions

    store = ledger.open(migrate=True)  # the tables, before any worker opens them
    store.close()
    parts = partitions(BASE - timedelta(seconds=1), BASE + timedelta(seconds=orders), PARTS)
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            local_directory=str(scratch),
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(workers)
        client.run(lambda: __import__("hikewoo_core.woo"))  # imports out of the timing
        cpu_before = sum(client.run(cpu_of_process).values())
        pg_before = pg_counters(dsn) if dsn and ledger.kind == "postgres" else None
        stats_before = server_stats(base)
        started = time.perf_counter()
        futures = [
            client.submit(backfill_part, p, base, ledger, key=f"part-{p.index}") for p in parts
        ]
        reports = client.gather(futures)
        seconds = time.perf_counter() - started
        stats_after = server_stats(base)
        cpu = sum(client.run(cpu_of_process).values()) - cpu_before
    # Every worker has disconnected: PostgreSQL has the sessions' statistics.
    pg = None
    if dsn and pg_before is not None:
        after = pg_counters(dsn)
        pg = {name: after[name] - pg_before[name] for name in _PG_COUNTERS}
    created = sum(r["created"] for r in reports)
    links = count_links(ledger)
    once = created == orders and links == orders and all(r["complete"] for r in reports)
    check(
        once and not any(r["failed"] for r in reports),
        f"{ledger.kind}, {workers} workers: {created} created, {links} links for {orders} "
        f"orders, {sum(r['failed'] for r in reports)} failed",
    )
    check(stats_after["unauthorized"] == stats_before["unauthorized"], "a request got a 401")
    result: dict[str, Any] = {
        "ledger": ledger.kind,
        "workers": workers,
        "seconds": seconds,
        "orders_per_second": orders / seconds,
        "worker_cpu_seconds": cpu,
        "processes_used": len({r["pid"] for r in reports}),
        "requests": stats_after["requests"] - stats_before["requests"],
        "created": created,
        "links": links,
    }
    if pg is not None:
        result["postgres"] = pg
        result["per_order"] = {
            "transactions": pg["xact_commit"] / orders,
            "rows_written": (pg["tup_inserted"] + pg["tup_updated"] + pg["tup_deleted"]) / orders,
            "db_ms": pg["active_time"] / orders,
        }
    return result


def ledger_for(kind: str, workers: int, scratch: Path, dsn: str | None) -> Ledger:
    if kind == "postgres":
        assert dsn is not None
        return Ledger("postgres", dsn, schema=f"bench_{workers}w_{uuid.uuid4().hex[:8]}")
    return Ledger("sqlite", str(scratch / f"ledger-{workers}w-{uuid.uuid4().hex[:8]}.sqlite"))


def bench(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "meta": {
            "command": " ".join(["python", "benchmarks/distributed.py", *args.argv]),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "orders": args.orders,
            "latency_ms": args.latency,
            "per_page": PER_PAGE,
            "partitions": PARTS,
        },
        "runs": [],
    }
    with ExitStack() as stack:
        dsn = stack.enter_context(postgres_dsn()) if "postgres" in args.ledgers else None
        if dsn:
            out["meta"]["postgres"] = pg_server_version(dsn)
        scratch = Path(
            stack.enter_context(
                tempfile.TemporaryDirectory(prefix="hikewoo-dist-", dir=_scratch_parent())
            )
        )
        base = stack.enter_context(serve(args.orders, args.latency))
        check_server_verifies(base)
        for kind in args.ledgers:
            for workers in args.workers:
                ledger = ledger_for(kind, workers, scratch, dsn)
                try:
                    run = one_run(base, args.orders, workers, ledger, scratch=scratch, dsn=dsn)
                finally:
                    if kind == "postgres" and dsn:
                        drop_schema(dsn, ledger.schema)
                out["runs"].append(run)
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(out, indent=2) + "\n")  # so far
                log(
                    f"{kind}, {workers} worker(s): {run['seconds']:.1f} s, "
                    f"{run['orders_per_second']:,.0f} orders/s"
                )
    return out


def show(result: dict[str, Any]) -> None:
    meta = result["meta"]
    one = {r["ledger"]: r["seconds"] for r in result["runs"] if r["workers"] == 1}
    rows = []
    for r in result["runs"]:
        per = r.get("per_order", {})
        speedup = one.get(r["ledger"])
        rows.append(
            [
                r["ledger"],
                str(r["workers"]),
                f"{r['seconds']:.1f}",
                "" if speedup is None else f"{speedup / r['seconds']:.2f}x",
                f"{r['orders_per_second']:,.0f}",
                f"{r['worker_cpu_seconds']:.1f}",
                f"{r['requests']:,}",
                f"{per['transactions']:.2f}" if per else "",
                f"{per['rows_written']:.2f}" if per else "",
                f"{per['db_ms']:.3f}" if per else "",
            ]
        )
    title = (
        f"backfill of {meta['orders']:,} orders, {meta['latency_ms']:g} ms latency, "
        f"OAuth verified, {meta['partitions']} partitions as Dask tasks, one thread a worker"
    )
    header = [
        "ledger",
        "workers",
        "seconds",
        "speed-up",
        "orders/s",
        "worker CPU s",
        "requests",
        "xact/order",
        "rows/order",
        "DB ms/order",
    ]
    print(table(title, header, rows))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="5,000 orders: a quick run")
    parser.add_argument("--orders", type=int, help="orders on the server (100000)")
    parser.add_argument("--latency", type=float, default=50.0, help="ms added to each answer")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--ledgers", nargs="+", choices=LEDGERS, default=list(LEDGERS))
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    args.argv = list(argv if argv is not None else sys.argv[1:])
    if args.orders is None:
        args.orders = 5_000 if args.small else 100_000
    started = time.perf_counter()
    result = bench(args)
    show(result)
    result["meta"]["seconds"] = round(time.perf_counter() - started, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.json} in {result['meta']['seconds']} s")
    return 0


if __name__ == "__main__":  # the worker processes import this file: start nothing there
    sys.exit(main())
