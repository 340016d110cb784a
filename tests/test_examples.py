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


#: What each other example must print: the lines that tell its story.
PROMISES: dict[str, list[str]] = {
    "distributed_backfill.py": [
        "Dask cluster: 2 worker processes",
        "every order exactly once: True (400 orders, 400 Hike sales)",
        "rerun: 0 new sales (every partition is complete)",
    ],
    "custom_status_table.py": [
        "'processing' maps to Parked/Pending",
        "status 'processing' → 'shipped' maps to Completed/Paid",
        "Hike INV-1001: Completed/Paid, payments: WooCommerce 79.00",
    ],
    "custom_transport.py": [
        "POST /wp-json/wc/v3/orders",
        "-> 201",
        "orders: [(1, 'completed', '25.00'), (2, 'processing', '39.00')]",
        "'GET 503': 1",
        "oauth_signature=<redacted>",
    ],
    "dry_run_real_store.py": [
        "Skipping the dry run: HIKEWOO_WOO_URL, HIKEWOO_WOO_KEY, HIKEWOO_WOO_SECRET not set",
    ],
    "etl_backfill.py": [
        "(partition 1 of 4): 150 order(s) read",
        "(partition 4 of 4): 150 order(s) read",
        "Hike now holds 600 sales",
        "rerun: 0 new sales (every partition is complete)",
    ],
    "probe_hike_account.py": [
        "Skipping the Hike account probe: HIKEWOO_HIKE_TOKEN not set",
    ],
    "webhook_receiver.py": [
        "activation ping  -> 200 ping answered",
        "signed delivery  -> 200 order.updated for order #1: sync queued",
        "the same again   -> 200 order.updated for order #1: duplicate, skipped",
        "forged delivery  -> 401 refused",
        "Hike sales for order #1: 1",
        "INV-1001: Completed/Paid, total 25.00",
    ],
}


def test_every_example_has_its_promises() -> None:
    others = {p.name for p in EXAMPLES.glob("*.py") if p.name != "quickstart.py"}
    assert others == set(PROMISES), "an example without checked output, or a stale entry"


@pytest.mark.parametrize("name", sorted(PROMISES))
def test_other_examples_print_what_they_promise(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (
        "HIKEWOO_WOO_URL",
        "HIKEWOO_WOO_KEY",
        "HIKEWOO_WOO_SECRET",
        "HIKEWOO_HIKE_TOKEN",
    ):
        monkeypatch.delenv(variable, raising=False)  # examples that reach a real account
    text = run(name)
    for expected in PROMISES[name]:
        assert expected in text, f"{name} no longer prints {expected!r}"
