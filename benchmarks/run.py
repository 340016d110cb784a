"""hikewoo_core benchmarks: the parse → map → plan pipeline, backfill throughput, memory.

Every comparison runs its contenders side by side in one process, interleaved round
by round (the order alternates each round), and reports medians and ratios: absolute
times on a shared, noisy machine mean little, ratios measured together mean more.

    python benchmarks/run.py                  # everything, default sizes (~3 min on 2 cores)
    python benchmarks/run.py --quick          # CI-sized
    python benchmarks/run.py --only pipeline  # one benchmark (pipeline, backfill, memory)

Results are printed as tables and written as JSON to ``benchmarks/results/latest.json``
(``--json PATH`` to write elsewhere). See ``docs/performance.md`` for what each row
means and the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _orders import BASE, docs_example, with_lines  # noqa: E402

from hikewoo_core import parse_woo_order  # noqa: E402
from hikewoo_core.planner import WooOrderState, plan_woo_order  # noqa: E402
from hikewoo_core.settings import SyncSettings  # noqa: E402

RESULTS = HERE / "results" / "latest.json"
ORDERS_PATH = "/wp-json/wc/v3/orders"
PER_PAGE = 100
KEY, SECRET = "ck_benchmark", "cs_benchmark"
BENCHMARKS = ("pipeline", "backfill", "memory")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def check(condition: bool, message: str) -> None:
    """Stop the run when a contender did not do the work it is timed for."""
    if not condition:
        raise RuntimeError(message)


# --- measuring ------------------------------------------------------------------------


def interleave(
    contenders: dict[str, Callable[[], object]], *, rounds: int, number: int
) -> dict[str, list[float]]:
    """Per-call seconds of each contender: ``rounds`` batches of ``number`` calls each,
    contenders taking turns (in alternating order), after one warm-up call each."""
    for fn in contenders.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    items = list(contenders.items())
    for index in range(rounds):
        for name, fn in items if index % 2 == 0 else items[::-1]:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples[name].append((time.perf_counter() - start) / number)
    return samples


def calibrate(fn: Callable[[], object], batch_seconds: float) -> int:
    """How many calls of ``fn`` take about ``batch_seconds``."""
    fn()
    number, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= batch_seconds / 4 or number >= 1 << 20:
            break
        number *= 4
    return max(1, round(number * batch_seconds / max(elapsed, 1e-9)))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    line = "  ".join("-" * w for w in widths)

    def fmt(row: Sequence[str]) -> str:
        cells = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([f"\n{title}", fmt(header), line, *(fmt(r) for r in rows)])


# --- pipeline -------------------------------------------------------------------------


def bench_pipeline(args: argparse.Namespace) -> dict[str, Any]:
    """parse + map + plan of one order vs json.loads (floor) vs pydantic v2 (peer)."""
    template, source = docs_example()
    cases = {
        "docs example": json.dumps(template, separators=(",", ":")).encode(),
        f"large order ({args.large_lines} lines)": json.dumps(
            with_lines(template, args.large_lines), separators=(",", ":")
        ).encode(),
    }
    try:
        from _peers import Order as PydanticOrder
    except ImportError:  # pragma: no cover - pydantic is in the bench group
        PydanticOrder = None  # noqa: N806
        log("pydantic is not installed: the peer row is skipped")
    settings = SyncSettings()
    activated_at = datetime(2000, 1, 1, tzinfo=timezone.utc)  # the order is new, not historical
    out: dict[str, Any] = {"source": source, "cases": {}}
    for case, raw in cases.items():
        order = parse_woo_order(raw)

        def pipeline(raw: bytes = raw) -> object:
            parsed = parse_woo_order(raw)
            return plan_woo_order(WooOrderState(order=parsed), settings, activated_at=activated_at)

        plan = pipeline()
        check([type(a).__name__ for a in plan.actions] == ["CreateHikeSale"], plan.explain())
        contenders: dict[str, Callable[[], object]] = {
            "json.loads (floor)": lambda raw=raw: json.loads(raw),
            "hikewoo_core parse+map+plan": pipeline,
            "  of which parse_woo_order": lambda raw=raw: parse_woo_order(raw),
            "  of which map+plan": lambda order=order: plan_woo_order(
                WooOrderState(order=order), settings, activated_at=activated_at
            ),
        }
        if PydanticOrder is not None:
            peer = PydanticOrder.model_validate_json(raw)
            same = peer.total == order.total and peer.date_modified_gmt == order.date_modified_gmt
            check(same, "the pydantic peer read the order differently")
            contenders["pydantic v2 model_validate_json (peer)"] = lambda raw=raw: (
                PydanticOrder.model_validate_json(raw)
            )
        number = calibrate(pipeline, args.batch_seconds)
        log(f"pipeline: {case}: {args.rounds} rounds x {number} calls per contender")
        samples = interleave(contenders, rounds=args.rounds, number=number)
        floor = median(samples["json.loads (floor)"])
        ours = median(samples["hikewoo_core parse+map+plan"])
        peer_name = "pydantic v2 model_validate_json (peer)"
        peer = median(samples[peer_name]) if peer_name in samples else None
        out["cases"][case] = {
            "bytes": len(raw),
            "line_items": len(order.line_items),
            "calls_per_batch": number,
            "rounds": args.rounds,
            "median_us": {name: median(s) * 1e6 for name, s in samples.items()},
            "ratio_to_json_loads": {name: median(s) / floor for name, s in samples.items()},
            "pipeline_vs_json_loads": ours / floor,
            "pipeline_vs_pydantic": None if peer is None else ours / peer,
        }
    return out


def print_pipeline(result: dict[str, Any]) -> None:
    for case, data in result["cases"].items():
        rows = [
            [name, f"{us:,.1f}", f"{data['ratio_to_json_loads'][name]:.2f}x", f"{1e6 / us:,.0f}"]
            for name, us in data["median_us"].items()
        ]
        title = (
            f"pipeline: {case} ({data['bytes']:,} bytes, {data['line_items']} line items), "
            f"median of {data['rounds']} interleaved batches"
        )
        print(table(title, ["contender", "us/order", "vs json.loads", "orders/s"], rows))
        peer = data["pipeline_vs_pydantic"]
        print(
            f"  parse+map+plan = {data['pipeline_vs_json_loads']:.2f}x json.loads"
            + ("" if peer is None else f", {peer:.2f}x pydantic v2 (lower is faster)")
        )


# --- backfill -------------------------------------------------------------------------


@contextmanager
def serve(orders: int, latency_ms: float) -> Iterator[str]:
    """Run ``_server.py`` in its own process; yield its base URL."""
    proc = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [
            sys.executable,
            str(HERE / "_server.py"),
            "--orders",
            str(orders),
            "--latency-ms",
            str(latency_ms),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"benchmark server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()


def run_woocommerce_package(base: str, orders: int, concurrency: int) -> int:
    """The official ``woocommerce`` client: page after page, ``.json()`` each."""
    from woocommerce import API

    api = API(url=base, consumer_key=KEY, consumer_secret=SECRET, version="wc/v3", timeout=30)
    count, page, pages = 0, 1, 1
    while page <= pages:
        response = api.get("orders", params={"per_page": PER_PAGE, "page": page})
        response.raise_for_status()
        count += len(response.json())
        pages = int(response.headers["X-WP-TotalPages"])
        page += 1
    return count


def _limits(concurrency: int) -> Any:
    import httpx

    return httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)


def run_raw_threads(base: str, orders: int, concurrency: int) -> int:
    """The floor: httpx fetching the same pages, ``concurrency`` threads, no processing."""
    import httpx

    url = base + ORDERS_PATH
    with httpx.Client(limits=_limits(concurrency), timeout=30) as client:
        first = client.get(url, params={"per_page": PER_PAGE, "page": 1})
        pages = int(first.headers["X-WP-TotalPages"])

        def fetch(page: int) -> int:
            return len(client.get(url, params={"per_page": PER_PAGE, "page": page}).content)

        with ThreadPoolExecutor(concurrency) as pool:
            fetched = [len(first.content), *pool.map(fetch, range(2, pages + 1))]
    check(len(fetched) == pages and all(fetched), "a page came back empty")
    return int(first.headers["X-WP-Total"])


def run_raw_async(base: str, orders: int, concurrency: int) -> int:
    """The async floor: httpx.AsyncClient, ``concurrency`` requests at a time, no processing."""
    import httpx

    async def main() -> int:
        url = base + ORDERS_PATH
        limit = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(limits=_limits(concurrency), timeout=30) as client:
            first = await client.get(url, params={"per_page": PER_PAGE, "page": 1})
            pages = int(first.headers["X-WP-TotalPages"])

            async def fetch(page: int) -> int:
                async with limit:
                    answer = await client.get(url, params={"per_page": PER_PAGE, "page": page})
                    return len(answer.content)

            fetched = await asyncio.gather(*(fetch(p) for p in range(2, pages + 1)))
        check(len(fetched) + 1 == pages and all(fetched), "a page came back empty")
        return int(first.headers["X-WP-Total"])

    return asyncio.run(main())


def run_sync_client(base: str, orders: int, concurrency: int) -> int:
    """``WooClient.iter_orders``: typed orders, pages read ahead on ``concurrency`` threads."""
    from hikewoo_core.woo import WooClient

    with WooClient(base, KEY, SECRET, max_workers=concurrency) as client:
        return sum(1 for _ in client.iter_orders())


def run_async_client(base: str, orders: int, concurrency: int) -> int:
    """``AsyncWooClient.iter_orders``: typed orders, ``concurrency`` pages in flight."""
    from hikewoo_core.woo import AsyncWooClient

    async def main() -> int:
        async with AsyncWooClient(base, KEY, SECRET, max_concurrency=concurrency) as client:
            count = 0
            async for _ in client.iter_orders():
                count += 1
            return count

    return asyncio.run(main())


def run_syncer_backfill(base: str, orders: int, concurrency: int) -> int:
    """``Syncer.backfill`` over ``WooClient`` into ``FakeHike`` with a ``MemoryLedger``."""
    from hikewoo_core import MemoryLedger, Syncer
    from hikewoo_core.testing import FakeHike
    from hikewoo_core.woo import WooClient

    with WooClient(base, KEY, SECRET, max_workers=concurrency) as client:
        syncer = Syncer(woo=client, hike=FakeHike(), ledger=MemoryLedger())
        report = syncer.backfill(BASE - timedelta(seconds=1), BASE + timedelta(seconds=orders))
    check(report.failed == 0 and report.created == orders, report.explain())
    return report.done


BACKFILL_CONTENDERS: dict[str, Callable[[str, int, int], int]] = {
    "woocommerce (PyPI), sequential pages": run_woocommerce_package,
    "raw httpx, threads (floor)": run_raw_threads,
    "WooClient.iter_orders (sync)": run_sync_client,
    "raw httpx, asyncio (floor)": run_raw_async,
    "AsyncWooClient.iter_orders": run_async_client,
    "Syncer.backfill -> FakeHike": run_syncer_backfill,
}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def bench_backfill(args: argparse.Namespace) -> dict[str, Any]:
    """Read ``args.orders`` orders from a loopback server at each latency."""
    try:
        import woocommerce  # noqa: F401
    except ImportError:  # pragma: no cover - the woocommerce package is in the bench group
        log("the woocommerce package is not installed: its row is skipped")
        skip = {"woocommerce (PyPI), sequential pages"}
    else:
        skip = set()
    contenders = {k: v for k, v in BACKFILL_CONTENDERS.items() if k not in skip}
    out: dict[str, Any] = {
        "orders": args.orders,
        "per_page": PER_PAGE,
        "concurrency": args.concurrency,
        "latencies": {},
    }
    for latency in args.latencies:
        times: dict[str, list[float]] = {name: [] for name in contenders}
        cpu: dict[str, list[float]] = {name: [] for name in contenders}
        with serve(args.orders, latency) as base:
            items = list(contenders.items())
            for index in range(args.backfill_rounds):
                for name, run in items if index % 2 == 0 else items[::-1]:
                    gc.collect()
                    start, start_cpu = time.perf_counter(), _cpu_seconds()
                    count = run(base, args.orders, args.concurrency)
                    times[name].append(time.perf_counter() - start)
                    cpu[name].append(_cpu_seconds() - start_cpu)
                    if count != args.orders:
                        raise AssertionError(f"{name} read {count} of {args.orders} orders")
                    log(
                        f"backfill {latency:g} ms, round {index + 1}: {name}: "
                        f"{times[name][-1]:.2f} s"
                    )
        seconds = {name: median(t) for name, t in times.items()}
        package = seconds.get("woocommerce (PyPI), sequential pages")
        floors = {
            "WooClient.iter_orders (sync)": "raw httpx, threads (floor)",
            "AsyncWooClient.iter_orders": "raw httpx, asyncio (floor)",
            "Syncer.backfill -> FakeHike": "raw httpx, threads (floor)",
        }
        out["latencies"][f"{latency:g}"] = {
            "rounds": args.backfill_rounds,
            "seconds": seconds,
            "all_seconds": times,
            "client_cpu_seconds": {name: median(c) for name, c in cpu.items()},
            "orders_per_second": {name: args.orders / s for name, s in seconds.items()},
            "speedup_vs_woocommerce": {
                name: package / s for name, s in seconds.items() if package is not None
            },
            "throughput_vs_floor": {
                name: seconds[floor] / seconds[name] for name, floor in floors.items()
            },
        }
    return out


def print_backfill(result: dict[str, Any]) -> None:
    for latency, data in result["latencies"].items():
        rows = []
        for name, seconds in data["seconds"].items():
            speedup = data["speedup_vs_woocommerce"].get(name)
            floor = data["throughput_vs_floor"].get(name)
            rows.append(
                [
                    name,
                    f"{seconds:.2f}",
                    f"{data['client_cpu_seconds'][name]:.2f}",
                    f"{data['orders_per_second'][name]:,.0f}",
                    "" if speedup is None else f"{speedup:.1f}x",
                    "" if floor is None else f"{floor:.2f}x",
                ]
            )
        title = (
            f"backfill: {result['orders']:,} orders, {result['per_page']} per page, "
            f"{latency} ms latency, concurrency {result['concurrency']}, "
            f"median of {data['rounds']} interleaved rounds"
        )
        header = ["contender", "seconds", "client CPU s", "orders/s", "vs woocommerce", "vs floor"]
        print(table(title, header, rows))


# --- memory ---------------------------------------------------------------------------


def _peak_rss_kib() -> int:
    """This process's peak resident set size, KiB.

    ``getrusage(RUSAGE_SELF).ru_maxrss`` survives fork and exec on Linux: a child
    started by a parent that once used 100 MiB reports at least 100 MiB. So on Linux
    the child reads ``VmHWM`` from ``/proc/self/status``, the high-water mark of its
    own address space (new at exec), and ``ru_maxrss`` elsewhere.
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB on Linux


def memory_child(count: int, directory: str) -> None:
    """Run in a fresh process: a streamed backfill of ``count`` orders; print JSON."""
    from _ports import DiscardingHike, StreamingWoo

    from hikewoo_core import SqliteLedger, Syncer

    template, _ = docs_example()
    woo, hike = StreamingWoo(template, count), DiscardingHike()
    start = time.perf_counter()
    with SqliteLedger(Path(directory) / f"ledger-{count}.sqlite") as ledger:
        syncer = Syncer(woo=woo, hike=hike, ledger=ledger)
        report = syncer.backfill(BASE - timedelta(seconds=1), BASE + timedelta(seconds=count))
    seconds = time.perf_counter() - start
    check(report.done == count and report.failed == 0 and hike.sales == count, report.explain())
    print(json.dumps({"orders": count, "peak_rss_kib": _peak_rss_kib(), "seconds": seconds}))


def _run_child(count: int, directory: str) -> dict[str, Any]:
    answer = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--memory-child",
            str(count),
            "--ledger-dir",
            directory,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    return result


def bench_memory(args: argparse.Namespace) -> dict[str, Any]:
    """Peak RSS of streamed backfills of each size, each in a fresh process."""
    shm = Path("/dev/shm")  # noqa: S108 - tmpfs: the ledger's fsyncs cost nothing there
    parent = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    sizes = [0, *args.memory_sizes]
    runs: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
    with tempfile.TemporaryDirectory(prefix="hikewoo-bench-", dir=parent) as directory:
        for index in range(args.memory_rounds):
            for n in sizes if index % 2 == 0 else sizes[::-1]:
                runs[n].append(_run_child(n, directory))
                log(
                    f"memory: {n:,} orders: peak {runs[n][-1]['peak_rss_kib'] / 1024:.1f} MiB "
                    f"in {runs[n][-1]['seconds']:.1f} s"
                )
    peak = {n: median([r["peak_rss_kib"] for r in rs]) for n, rs in runs.items()}
    seconds = {n: median([r["seconds"] for r in rs]) for n, rs in runs.items()}
    baseline = peak[0]
    small, large = args.memory_sizes[0], args.memory_sizes[-1]
    net_small, net_large = peak[small] - baseline, peak[large] - baseline
    return {
        "ledger": "SqliteLedger on " + (parent or "the temp directory"),
        "rounds": args.memory_rounds,
        "peak_rss_kib": {str(n): v for n, v in peak.items()},
        "net_rss_kib": {str(n): peak[n] - baseline for n in args.memory_sizes},
        "seconds": {str(n): v for n, v in seconds.items()},
        "peak_ratio": peak[large] / peak[small],
        "net_ratio": net_large / net_small if net_small > 0 else None,
        "sizes": [small, large],
    }


def print_memory(result: dict[str, Any]) -> None:
    rows = []
    for n, kib in result["peak_rss_kib"].items():
        net = result["net_rss_kib"].get(n)
        rows.append(
            [
                "baseline (imports, ledger, no orders)" if n == "0" else f"{int(n):,} orders",
                f"{kib / 1024:.1f}",
                "" if net is None else f"{net / 1024:.1f}",
                f"{result['seconds'][n]:.1f}",
            ]
        )
    small, large = result["sizes"]
    title = (
        f"memory: streamed Syncer.backfill, peak RSS of a fresh process "
        f"({result['ledger']}), median of {result['rounds']}"
    )
    print(table(title, ["run", "peak MiB", "net MiB", "seconds"], rows))
    net = result["net_ratio"]
    print(
        f"  {large:,} vs {small:,} orders: peak {result['peak_ratio']:.2f}x"
        + ("" if net is None else f", net of baseline {net:.2f}x")
    )


# --- targets --------------------------------------------------------------------------


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets of docs/performance.md, measured against this run."""
    checks: list[dict[str, Any]] = []

    def add(name: str, value: float | None, limit: float, *, at_most: bool) -> None:
        if value is None:
            return
        ok = value <= limit if at_most else value >= limit
        checks.append({"target": name, "value": round(value, 3), "limit": limit, "met": ok})

    for case, data in results.get("pipeline", {}).get("cases", {}).items():
        add(
            f"pipeline {case}: x json.loads <= 2.5",
            data["pipeline_vs_json_loads"],
            2.5,
            at_most=True,
        )
        add(
            f"pipeline {case}: x pydantic v2 <= 1.0",
            data["pipeline_vs_pydantic"],
            1.0,
            at_most=True,
        )
    latencies = results.get("backfill", {}).get("latencies", {})
    slow = latencies.get("50")
    if slow is not None:
        for name in ("WooClient.iter_orders (sync)", "AsyncWooClient.iter_orders"):
            add(
                f"backfill 50 ms: {name} vs woocommerce >= 5",
                slow["speedup_vs_woocommerce"].get(name),
                5.0,
                at_most=False,
            )
            add(
                f"backfill 50 ms: {name} vs raw floor >= 0.8",
                slow["throughput_vs_floor"].get(name),
                0.8,
                at_most=False,
            )
    memory = results.get("memory")
    if memory:
        small, large = memory["sizes"]
        add(
            f"memory: peak RSS {large:,} vs {small:,} orders <= 1.2",
            memory["peak_ratio"],
            1.2,
            at_most=True,
        )
    return checks


def print_targets(checks: list[dict[str, Any]]) -> None:
    rows = [[c["target"], f"{c['value']:.2f}", "met" if c["met"] else "NOT met"] for c in checks]
    if rows:
        print(table("targets", ["target", "measured", ""], rows))


# --- command line ---------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized runs")
    parser.add_argument(
        "--only", action="append", choices=BENCHMARKS, help="run only this benchmark (repeatable)"
    )
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--rounds", type=int, help="pipeline: interleaved batches (15)")
    parser.add_argument("--batch-seconds", type=float, help="pipeline: seconds per batch (0.05)")
    parser.add_argument("--large-lines", type=int, default=100, help="pipeline: large order lines")
    parser.add_argument("--orders", type=int, help="backfill: orders on the server (10000)")
    parser.add_argument("--latencies", type=float, nargs="+", help="backfill: ms (0 50)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="backfill: pages in flight, for every concurrent contender (8)",
    )
    parser.add_argument("--backfill-rounds", type=int, help="backfill: rounds (3)")
    parser.add_argument(
        "--memory-sizes", type=int, nargs=2, help="memory: the two backfill sizes (10000 100000)"
    )
    parser.add_argument("--memory-rounds", type=int, help="memory: runs of each size (1)")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ledger-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "rounds": 5 if quick else 15,
        "batch_seconds": 0.01 if quick else 0.05,
        "orders": 1_000 if quick else 10_000,
        "latencies": [0.0, 50.0],
        "backfill_rounds": 1 if quick else 3,
        "memory_sizes": [1_000, 10_000] if quick else [10_000, 100_000],
        "memory_rounds": 1,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.only = args.only or list(BENCHMARKS)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.memory_child is not None:
        memory_child(args.memory_child, args.ledger_dir)
        return 0
    started = time.perf_counter()
    results: dict[str, Any] = {
        "meta": {
            "command": " ".join(["python", "benchmarks/run.py", *(argv or sys.argv[1:])]),
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
    }
    runners = {
        "pipeline": (bench_pipeline, print_pipeline),
        "backfill": (bench_backfill, print_backfill),
        "memory": (bench_memory, print_memory),
    }
    for name in BENCHMARKS:
        if name in args.only:
            bench, show = runners[name]
            results[name] = bench(args)
            show(results[name])
    results["targets"] = check_targets(results)
    print_targets(results["targets"])
    results["meta"]["seconds"] = round(time.perf_counter() - started, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    print(f"\nwrote {args.json} in {results['meta']['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
