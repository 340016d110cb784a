"""The memory benchmark: peak RSS of streamed backfills of two sizes, each in a fresh process.

Each size runs this file as a child (``python benchmarks/_memory.py COUNT LEDGER_DIR``):
``Syncer.backfill`` with its defaults from a streaming stand-in for WooCommerce into a
Hike stand-in that keeps nothing (``_ports.py``), with a ``SqliteLedger`` on
``/dev/shm``; the child prints its peak RSS as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from _measure import check, log, median, table

HERE = Path(__file__).resolve().parent


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
    from _orders import BASE, docs_example
    from _ports import DiscardingHike, StreamingWoo

    from hikewoo_core import SqliteLedger, Syncer

    template, _ = docs_example()
    woo, hike = StreamingWoo(template, count), DiscardingHike()
    start = time.perf_counter()
    with SqliteLedger(Path(directory) / f"ledger-{count}.sqlite") as ledger:
        syncer = Syncer(woo=woo, hike=hike, ledger=ledger)
        report = syncer.backfill(BASE - timedelta(seconds=1), BASE + timedelta(seconds=count))
    seconds = time.perf_counter() - start
    once = report.created == count and report.failed == 0 and hike.sales == count
    check(once, report.explain())
    print(json.dumps({"orders": count, "peak_rss_kib": _peak_rss_kib(), "seconds": seconds}))


def _run_child(count: int, directory: str) -> dict[str, Any]:
    answer = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(HERE / "_memory.py"), str(count), directory],
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise RuntimeError(f"the memory child for {count} orders failed:\n{answer.stderr[-3000:]}")
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="one memory child run")
    parser.add_argument("count", type=int)
    parser.add_argument("directory")
    child = parser.parse_args()
    memory_child(child.count, child.directory)
