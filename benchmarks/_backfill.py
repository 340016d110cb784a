"""The backfill benchmark: every order of a loopback store read over OAuth-verified HTTP.

For each size (``--orders``) and latency (``--latencies``), a fresh ``_server.py`` (its
own process, verifying every request's OAuth 1.0a signature as WooCommerce does over
plain HTTP) serves the store; the contenders of ``_contenders.py`` take turns round by
round (the order alternates each round). Each run is timed, with this process's CPU and
the server's (read from its ``/__stats`` before and after). A 401, a short read or an
order not created exactly once stops the run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _contenders import (
    FLOOR_OF,
    KEY,
    ORDERS_PATH,
    PACKAGE,
    PER_PAGE,
    SECRET,
    Job,
    contenders,
    library_defaults,
)
from _measure import check, cpu_seconds, log, median, table
from _oauth import signed_query

HERE = Path(__file__).resolve().parent


# --- the server -----------------------------------------------------------------------


@contextmanager
def serve(orders: int, latency_ms: float) -> Iterator[str]:
    """Run ``_server.py`` in its own process; yield its base URL."""
    command = [sys.executable, str(HERE / "_server.py"), "--orders", str(orders)]
    proc = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [*command, "--latency-ms", str(latency_ms)], stdout=subprocess.PIPE, text=True
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


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def server_stats(base: str) -> dict[str, Any]:
    """The server's ``/__stats``: CPU seconds, requests, seconds verifying, 401s."""
    with _DIRECT.open(base + "/__stats", timeout=10) as answer:
        stats: dict[str, Any] = json.loads(answer.read())
    return stats


def check_server_verifies(base: str) -> None:
    """Make sure the server refuses what WooCommerce refuses before timing anything."""
    import httpx

    url = base + ORDERS_PATH
    params = {"per_page": 1}
    with httpx.Client(timeout=30) as client:

        def code(query: str) -> tuple[int, str]:
            answer = client.get(f"{url}?{query}")
            return answer.status_code, "" if answer.is_success else answer.json()["code"]

        signed = signed_query("GET", url, params, KEY, SECRET)
        expected = {
            "unsigned": ("per_page=1", (401, "woocommerce_rest_cannot_view")),
            "signed": (signed, (200, "")),
            "replayed": (signed, (401, "woocommerce_rest_authentication_error")),
            "wrong secret": (
                signed_query("GET", url, params, KEY, "cs_wrong"),
                (401, "woocommerce_rest_authentication_error"),
            ),
        }
        for what, (query, want) in expected.items():
            got = code(query)
            check(got == want, f"the benchmark server answered a {what} request {got}, not {want}")


# --- the benchmark --------------------------------------------------------------------


def _scratch_parent() -> str | None:
    shm = Path("/dev/shm")  # noqa: S108 - tmpfs: the ledger's fsyncs cost nothing there
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _timed(name: str, run: Callable[[Job], int], job: Job) -> dict[str, float]:
    """One run of one contender: wall and CPU seconds, this process's and the server's."""
    gc.collect()
    before = server_stats(job.base)
    start, start_cpu = time.perf_counter(), cpu_seconds()
    try:
        count = run(job)
    finally:
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
        after = server_stats(job.base)
        refused = after["unauthorized"] - before["unauthorized"]
        # Loudly, even when the contender raised: a refused contender measured nothing.
        check(refused == 0, f"{name}: {refused} requests refused with 401: {after['last_refusal']}")
    check(count == job.orders, f"{name} read {count} of {job.orders} orders")
    return {
        "seconds": seconds,
        "client_cpu": cpu,
        "server_cpu": after["cpu_seconds"] - before["cpu_seconds"],
        "requests": after["requests"] - before["requests"],
        "auth_seconds": after["auth_seconds"] - before["auth_seconds"],
    }


def _run_size(
    args: argparse.Namespace, orders: int, latency: float, scratch: Path
) -> dict[str, Any]:
    """Every contender, ``args.backfill_rounds`` interleaved rounds, on a fresh server."""
    items = list(contenders().items())
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in items}
    with serve(orders, latency) as base:
        check_server_verifies(base)
        job = Job(base, orders, args.concurrency, scratch)
        start = server_stats(base)
        for index in range(args.backfill_rounds):
            for name, run in items if index % 2 == 0 else items[::-1]:
                runs[name].append(_timed(name, run, job))
                log(
                    f"backfill {orders:,} orders, {latency:g} ms, round {index + 1}: "
                    f"{name}: {runs[name][-1]['seconds']:.2f} s"
                )
        end = server_stats(base)
    seconds = {name: median([r["seconds"] for r in rs]) for name, rs in runs.items()}
    package = seconds.get(PACKAGE)
    requests = end["requests"] - start["requests"]
    server_cpu = end["cpu_seconds"] - start["cpu_seconds"]
    return {
        "rounds": args.backfill_rounds,
        "seconds": seconds,
        "all_seconds": {name: [r["seconds"] for r in rs] for name, rs in runs.items()},
        "client_cpu_seconds": {n: median([r["client_cpu"] for r in rs]) for n, rs in runs.items()},
        "server_cpu_seconds": {n: median([r["server_cpu"] for r in rs]) for n, rs in runs.items()},
        "requests": {name: median([r["requests"] for r in rs]) for name, rs in runs.items()},
        "orders_per_second": {name: orders / s for name, s in seconds.items()},
        "speedup_vs_woocommerce": {
            name: package / s for name, s in seconds.items() if package is not None
        },
        "throughput_vs_floor": {
            name: seconds[floor] / seconds[name]
            for name, floor in FLOOR_OF.items()
            if name in seconds
        },
        "processed": job.reports,
        "server": {
            "requests": requests,
            "cpu_seconds": server_cpu,
            "cpu_us_per_request": 1e6 * server_cpu / max(requests, 1),
            "auth_us_per_request": 1e6
            * (end["auth_seconds"] - start["auth_seconds"])
            / max(requests, 1),
            "wall_seconds": sum(sum(r["seconds"] for r in rs) for rs in runs.values()),
        },
    }


def bench_backfill(args: argparse.Namespace) -> dict[str, Any]:
    """Read ``args.orders`` orders (each size) from a loopback server at each latency."""
    out: dict[str, Any] = {
        "per_page": PER_PAGE,
        "floor_concurrency": args.concurrency,
        "floor_of": FLOOR_OF,
        "sizes": {},
    }
    with tempfile.TemporaryDirectory(prefix="hikewoo-bench-", dir=_scratch_parent()) as scratch:
        out["sqlite_ledger_dir"] = str(Path(scratch).parent)
        for orders in args.orders:
            for latency in args.latencies:
                data = _run_size(args, orders, latency, Path(scratch))
                out["sizes"].setdefault(str(orders), {})[f"{latency:g}"] = data
    out["library_defaults"] = library_defaults()
    return out


def print_backfill(result: dict[str, Any]) -> None:
    defaults = result["library_defaults"]
    concurrency = result["floor_concurrency"]
    for orders, latencies in result["sizes"].items():
        for latency, data in latencies.items():
            rows = []
            for name, seconds in data["seconds"].items():
                speedup = data["speedup_vs_woocommerce"].get(name)
                floor = data["throughput_vs_floor"].get(name)
                rows.append(
                    [
                        name,
                        f"{seconds:.2f}",
                        f"{data['client_cpu_seconds'][name]:.2f}",
                        f"{data['server_cpu_seconds'][name]:.2f}",
                        f"{data['requests'][name]:,.0f}",
                        f"{data['orders_per_second'][name]:,.0f}",
                        "" if speedup is None else f"{speedup:.2f}x",
                        "" if floor is None else f"{floor:.2f}x",
                    ]
                )
            title = (
                f"backfill: {int(orders):,} orders, {result['per_page']} per page, "
                f"{latency} ms latency, OAuth 1.0a verified, floors {concurrency} in flight, "
                f"median of {data['rounds']} interleaved rounds"
            )
            header = [
                "contender",
                "seconds",
                "client CPU s",
                "server CPU s",
                "requests",
                "orders/s",
                "vs woocommerce",
                "vs floor",
            ]
            print(table(title, header, rows))
            server = data["server"]
            print(
                f"  server: {server['requests']:,} requests, {server['cpu_seconds']:.2f} s CPU in "
                f"{server['wall_seconds']:.1f} s, {server['cpu_us_per_request']:,.0f} us CPU per "
                f"request, of which verifying OAuth {server['auth_us_per_request']:,.0f} us"
            )
    print(
        "  library defaults: "
        + ", ".join(f"{name} = {value}" for name, value in defaults.items())
        + f"; floors: {concurrency} threads / {concurrency} requests in flight"
    )
    for name in ("WooClient.concurrency", "AsyncWooClient.concurrency"):
        if defaults.get(name) != concurrency:
            print(f"  note: {name} defaults to {defaults.get(name)}, the floors use {concurrency}")
