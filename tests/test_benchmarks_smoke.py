"""The benchmark script runs end to end (tiny sizes). No timing is asserted, ever."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"

pytestmark = pytest.mark.skipif(not RUN.is_file(), reason="benchmarks/ is not present")


def run(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--json", str(out), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"wrote {out}" in done.stdout
    result = json.loads(out.read_text())
    assert isinstance(result["targets"], list)
    return result


def test_pipeline_benchmark_runs(tmp_path: Path) -> None:
    result = run(tmp_path, "--only", "pipeline", "--rounds", "2", "--batch-seconds", "0.002")
    cases = result["pipeline"]["cases"]
    assert len(cases) == 2
    for case in cases.values():
        assert "json.loads (floor)" in case["median_us"]
        assert "hikewoo_core parse+map+plan" in case["median_us"]
        assert case["pipeline_vs_json_loads"] > 0


def test_backfill_benchmark_runs(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "--only",
        "backfill",
        "--orders",
        "150",
        "--latencies",
        "0",
        "5",
        "--concurrency",
        "2",
    )
    latencies = result["backfill"]["latencies"]
    assert set(latencies) == {"0", "5"}
    for data in latencies.values():
        assert "WooClient.iter_orders (sync)" in data["seconds"]
        assert "AsyncWooClient.iter_orders" in data["seconds"]
        assert "Syncer.backfill -> FakeHike" in data["seconds"]


def test_memory_benchmark_runs(tmp_path: Path) -> None:
    result = run(tmp_path, "--only", "memory", "--memory-sizes", "50", "200")
    memory = result["memory"]
    assert set(memory["peak_rss_kib"]) == {"0", "50", "200"}
    assert memory["peak_ratio"] > 0
