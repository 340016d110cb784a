"""hikewoo_core benchmarks: parsing, backfill throughput over OAuth-verified HTTP, memory.

Every comparison runs its contenders side by side, interleaved round by round (the order
alternates each round), and reports medians and ratios: absolute times on a shared,
noisy machine mean little, ratios measured together mean more.

    python benchmarks/run.py                  # everything, default sizes (~4 min on 2 cores)
    python benchmarks/run.py --quick          # CI-sized
    python benchmarks/run.py --only pipeline  # one benchmark (pipeline, backfill, memory)
    python benchmarks/run.py --only backfill --orders 2000 10000 --latencies 0 50

* ``pipeline`` (``_pipeline.py``): ``parse_woo_order(bytes)`` with the stdlib decoder and
  with orjson vs ``json.loads`` (floor) and pydantic v2 (peer); parse + map + plan.
* ``backfill`` (``_backfill.py``): every order of a loopback store (``_server.py``, its
  own process, verifying every request's OAuth 1.0a signature as WooCommerce does) read
  by the ``woocommerce`` package, by raw httpx floors (8 threads, 8 in flight), by
  ``WooClient``/``AsyncWooClient`` and ``Syncer.backfill`` with their defaults.
* ``memory`` (``_memory.py``): peak RSS of streamed backfills of two sizes.

Results are printed as tables, with the targets of ``docs/performance.md`` checked at the
end (``_targets.py``), and written as JSON to ``benchmarks/results/latest.json``
(``--json PATH`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _backfill import bench_backfill, print_backfill  # noqa: E402
from _memory import bench_memory, print_memory  # noqa: E402
from _pipeline import bench_pipeline, print_pipeline  # noqa: E402
from _targets import check_targets, print_targets  # noqa: E402

RESULTS = HERE / "results" / "latest.json"
BENCHMARKS = ("pipeline", "backfill", "memory")
RUNNERS = {
    "pipeline": (bench_pipeline, print_pipeline),
    "backfill": (bench_backfill, print_backfill),
    "memory": (bench_memory, print_memory),
}


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
    parser.add_argument(
        "--orders", type=int, nargs="+", help="backfill: orders on the server (2000 10000)"
    )
    parser.add_argument("--latencies", type=float, nargs="+", help="backfill: ms added (50)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="backfill: the floors' threads / requests in flight (8); the library "
        "contenders always run with their defaults",
    )
    parser.add_argument("--backfill-rounds", type=int, help="backfill: rounds (3)")
    parser.add_argument(
        "--memory-sizes", type=int, nargs=2, help="memory: the two backfill sizes (10000 100000)"
    )
    parser.add_argument("--memory-rounds", type=int, help="memory: runs of each size (1)")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "rounds": 5 if quick else 15,
        "batch_seconds": 0.01 if quick else 0.05,
        "orders": [1_000] if quick else [2_000, 10_000],
        "latencies": [50.0],
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
    for name in BENCHMARKS:
        if name in args.only:
            bench, show = RUNNERS[name]
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
