"""What only the SQLite ledger can show: durability, its file format, its migrations,
processes sharing one file.

The contract every ledger keeps (links, intents, leases...) is
:class:`hikewoo_core.testing.LedgerContract`, run on all three ledgers in
``tests/test_ledger_contract.py``.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hikewoo_core._errors import ConfigurationError, HikeWooError
from hikewoo_core._ledger import SCHEMA_VERSION, SqliteLedger
from hikewoo_core._ports import Intent, Link, Origin, RefundLink
from hikewoo_core.hike._models import FulfilmentStatus, PaymentStatus

from ._race import race

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def link(woo: int, hike: int, **kw: Any) -> Link:
    fields: dict[str, Any] = {
        "origin": Origin.WOO,
        "woo_status": "completed",
        "hike_fulfilment": FulfilmentStatus.COMPLETED,
        "hike_payment": PaymentStatus.PAID,
        "woo_modified_gmt": T0,
        "hike_modified_at": None,
    }
    fields.update(kw)
    return Link(woo_order_id=woo, hike_sale_id=hike, **fields)


def refund(order: int, woo_refund: int, hike_refund: int, amount: str = "5.00") -> RefundLink:
    return RefundLink(
        woo_order_id=order,
        woo_refund_id=woo_refund,
        hike_refund_sale_id=hike_refund,
        origin=Origin.WOO,
        amount=Decimal(amount),
    )


def intent(key: str, **payload: Any) -> Intent:
    return Intent(key=key, kind="create_hike_sale", payload=payload)


# --- SQLite only ----------------------------------------------------------------------


def test_sqlite_data_survives_close_and_reopen(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "ledger.db"
    with SqliteLedger(path, clock=clock) as led:
        led.save_link(link(1, 100))
        led.begin_intent(intent("k", total=Decimal("1.10")))
        led.complete_intent("k", result_id=901, refund_link=refund(1, 11, 901))
        led.set_cursor("woo", "c1")
        led.set_checkpoint("p", {"page": 2})
        led.add_if_new("d1")
        led.acquire_lease("r", "a", 60)
        activated = led.activated_at()
    clock.advance(10)
    with SqliteLedger(str(path), clock=clock) as led:
        assert list(led.links()) == [link(1, 100)]
        assert list(led.all_refund_links()) == [refund(1, 11, 901)]
        assert led.pending_intents() == []
        assert led.begin_intent(intent("k")).payload == {"total": "1.10"}
        assert led.get_cursor("woo") == "c1"
        assert led.get_checkpoint("p") == {"page": 2}
        assert led.add_if_new("d1") is False
        assert led.acquire_lease("r", "b", 60) is None
        assert led.activated_at() == activated


def test_sqlite_pending_intent_survives_close_without_complete(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    led = SqliteLedger(path)
    begun = led.begin_intent(intent("woo:1:create", total=Decimal("9.99")))
    led.close()
    with SqliteLedger(path) as again:
        assert again.pending_intents() == [begun]


def test_sqlite_pending_intent_survives_a_process_crash(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    code = (
        "import os, sys\n"
        "from hikewoo_core._ledger import SqliteLedger\n"
        "from hikewoo_core._ports import Intent\n"
        "led = SqliteLedger(sys.argv[1])\n"
        "led.begin_intent(Intent(key='crash', kind='create_hike_sale', payload={}))\n"
        "os._exit(3)  # no close, no complete\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], check=False, timeout=30)
    assert done.returncode == 3
    with SqliteLedger(path) as led:
        assert [i.key for i in led.pending_intents()] == ["crash"]


def test_sqlite_complete_intent_rolls_back_on_a_unique_violation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure deep in the transaction (after the intent and link were written)."""
    import hikewoo_core._ledger._sqlite as sqlite_module

    def violate_unique(conn: sqlite3.Connection, link: RefundLink) -> None:
        row = (1, 11, 901, "woo", "1.00")
        sql = (
            "INSERT INTO refund_links (woo_order_id, woo_refund_id, hike_refund_sale_id, "
            "origin, amount) VALUES (?, ?, ?, ?, ?)"
        )
        conn.execute(sql, row)
        conn.execute(sql, row)

    with SqliteLedger(tmp_path / "ledger.db") as led:
        led.begin_intent(intent("k"))
        monkeypatch.setattr(sqlite_module, "upsert_refund_link", violate_unique)
        with pytest.raises(sqlite3.IntegrityError):
            led.complete_intent("k", result_id=1, link=link(1, 100), refund_link=refund(1, 11, 901))
        assert [i.key for i in led.pending_intents()] == ["k"]
        assert led.link_for_woo(1) is None
        assert list(led.all_refund_links()) == []


def test_sqlite_stores_text_not_real(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with SqliteLedger(path) as led:
        led.save_refund_link(refund(1, 11, 901, amount=str(Decimal("0.10") + Decimal("0.20"))))
        led.save_link(link(1, 100))
    with sqlite3.connect(path) as raw:
        amount = raw.execute("SELECT amount, typeof(amount) FROM refund_links").fetchone()
        stamp = raw.execute("SELECT woo_modified_gmt FROM links").fetchone()
        mode = raw.execute("PRAGMA journal_mode").fetchone()
    raw.close()
    assert amount == ("0.30", "text")
    assert stamp == ("2024-05-01T12:00:00.000000+00:00",)
    assert mode == ("wal",)


def test_sqlite_new_and_empty_files_get_the_schema(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    for path in (empty, tmp_path / "new.db"):
        with SqliteLedger(path) as led:
            assert led.migrate() == SCHEMA_VERSION == 2
        with sqlite3.connect(path) as raw:
            row = raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        raw.close()
        assert row == ("2",)


def _set_version(path: Path, value: str) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (value,))
    raw.close()


def test_sqlite_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    SqliteLedger(path).close()
    _set_version(path, "3")
    with pytest.raises(ConfigurationError, match=r"schema version 3.*schema version 2 at most"):
        SqliteLedger(path)
    _set_version(path, "two")
    with pytest.raises(ConfigurationError, match="corrupt schema_version"):
        SqliteLedger(path)


def test_sqlite_migrates_a_version_1_file_keeping_its_data(tmp_path: Path) -> None:
    """A file written by 0.1 (schema 1) opens: links keep their data, a lease keeps its
    holder, and tokens issued from then on are fresh."""
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        from hikewoo_core._ledger._schema import _MIGRATIONS

        _MIGRATIONS[0](raw)
        raw.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        raw.execute(
            "INSERT INTO links VALUES (1, 100, 'woo', 'processing', 'Parked', 'Pending', "
            "'2026-01-01T09:00:00.000000+00:00', NULL)"
        )
        raw.execute("INSERT INTO leases VALUES ('r', 'old', '2999-01-01T00:00:00.000000+00:00')")
    raw.close()
    with SqliteLedger(path) as led:
        [old] = led.links()
        assert (old.woo_order_id, old.hike_sale_id, old.woo_fingerprint) == (1, 100, None)
        assert led.lease_holder("r") == "old"
        assert led.acquire_lease("r", "new", 60) is None
        assert led.acquire_lease("s", "new", 60) == 1


def test_sqlite_refuses_files_that_are_not_ledgers(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database file, not at all" * 100)
    with pytest.raises(ConfigurationError, match="not a usable ledger"):
        SqliteLedger(garbage)

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE customers (id INTEGER)")
    raw.close()
    with pytest.raises(ConfigurationError, match=r"not a hikewoo_core ledger .*customers"):
        SqliteLedger(other)

    with pytest.raises(ConfigurationError, match="cannot open ledger database"):
        SqliteLedger(tmp_path / "missing-dir" / "ledger.db")


def test_sqlite_repr_close_and_context_manager(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    led = SqliteLedger(path)
    assert repr(led) == f"SqliteLedger({str(path)!r})"
    assert led.path == str(path)
    led.close()
    led.close()  # idempotent
    with pytest.raises(HikeWooError, match="is closed"):
        led.get_cursor("x")
    with SqliteLedger(path) as again:
        assert again.get_cursor("x") is None
    with pytest.raises(HikeWooError, match="is closed"):
        again.set_cursor("x", "y")


def test_sqlite_iterates_links_page_by_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hikewoo_core._ledger._sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "PAGE", 2)
    with SqliteLedger(tmp_path / "ledger.db") as led:
        for i in (5, 3, 1, 4, 2):
            led.save_link(link(i, 100 + i))
            led.save_refund_link(refund(i, 10 + i, 900 + i))
        assert [x.woo_order_id for x in led.links()] == [1, 2, 3, 4, 5]
        assert [x.woo_refund_id for x in led.all_refund_links()] == [11, 12, 13, 14, 15]


_CONTENDER = """
import json, sys
from hikewoo_core._ledger import SqliteLedger
path, owner, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
order = [f"r{(start + i) % 25}" for i in range(25)]  # each starts elsewhere, then collides
with SqliteLedger(path, timeout=20) as led:
    print("ready", flush=True)
    sys.stdin.readline()  # the start signal, so all contenders race at once
    won = [r for r in order if led.acquire_lease(r, owner, 600)]
print(json.dumps(won), flush=True)
"""


def test_sqlite_leases_hold_across_processes(tmp_path: Path) -> None:
    """Several processes race for the same leases on one file: one winner per resource."""
    path = tmp_path / "ledger.db"
    owners = [f"proc{i}" for i in range(4)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CONTENDER, str(path), owner, str(6 * i)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i, owner in enumerate(owners)
    ]
    results = dict(zip(owners, race(procs, timeout=30), strict=True))

    won = [r for rs in results.values() for r in rs]
    assert sorted(won) == sorted(f"r{i}" for i in range(25))  # each exactly once
    with SqliteLedger(path) as led:
        for owner, resources in results.items():
            for resource in resources:
                assert led.lease_holder(resource) == owner
