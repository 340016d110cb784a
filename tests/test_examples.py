"""The examples run and tell the story they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(name: str) -> str:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, check=True
    )
    return out.stdout


def test_quickstart_tells_the_whole_story() -> None:
    text = run("quickstart.py")
    for expected in [
        "'processing' maps to Parked/Pending",
        "'completed' maps to Completed/Paid",
        "refunds sync to Hike only when the WooCommerce order status becomes 'refunded'",
        "becomes its own Hike refund sale",
        "syncing again: nothing to do",
        "paid by 'Cash + Card'",
        "refused: WooCommerce order",
        "composite product",
        "register open: serial numbers ['GP-2026-0001']",
        "serial numbers are locked",
        "stock impact in Hike",
        "dry run: nothing was written",
        "run 2: 0 write(s)",
    ]:
        assert expected in text, expected


@pytest.mark.parametrize(
    "name", sorted(p.name for p in EXAMPLES.glob("*.py") if p.name != "quickstart.py")
)
def test_other_examples_run(name: str) -> None:
    run(name)
