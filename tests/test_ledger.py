"""The ledgers: one contract suite run on both, then what only SQLite can show.

The contract tests take the ``ledger`` fixture, parametrized over
:class:`MemoryLedger` and :class:`SqliteLedger`, both driven by a fake clock.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import attrs
import pytest

from hikewoo_core._errors import ConfigurationError, HikeWooError, LeaseError, PayloadError
from hikewoo_core._ledger import SCHEMA_VERSION, MemoryLedger, SqliteLedger
from hikewoo_core._ports import Fence, Intent, IntentState, LedgerPort, Link, Origin, RefundLink
from hikewoo_core.hike._models import FulfilmentStatus, PaymentStatus

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
AnyLedger = MemoryLedger | SqliteLedger


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


@pytest.fixture(params=["memory", "sqlite"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[AnyLedger]:
    led: AnyLedger
    if request.param == "memory":
        led = MemoryLedger(clock=clock)
    else:
        led = SqliteLedger(tmp_path / "ledger.db", clock=clock)
    with led:
        yield led


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


# --- the contract, on both ledgers ---------------------------------------------------


def test_implements_the_port(ledger: AnyLedger) -> None:
    assert isinstance(ledger, LedgerPort)


def test_links_save_find_replace_and_list(ledger: AnyLedger) -> None:
    assert ledger.link_for_woo(1) is None
    assert ledger.link_for_hike(100) is None
    ledger.save_link(link(2, 200))
    ledger.save_link(link(1, 100))
    assert ledger.link_for_woo(1) == link(1, 100)
    assert ledger.link_for_hike(200) == link(2, 200)

    replaced = link(1, 101, woo_status="refunded", hike_fulfilment=FulfilmentStatus.REFUNDED)
    ledger.save_link(replaced)
    assert ledger.link_for_woo(1) == replaced
    assert ledger.link_for_hike(101) == replaced
    assert ledger.link_for_hike(100) is None  # the old Hike id is free again
    assert list(ledger.links()) == [replaced, link(2, 200)]


def test_a_hike_sale_links_to_one_order_only(ledger: AnyLedger) -> None:
    ledger.save_link(link(1, 100))
    with pytest.raises(HikeWooError, match="already linked to WooCommerce order 1"):
        ledger.save_link(link(2, 100))
    assert ledger.link_for_woo(2) is None
    assert ledger.link_for_hike(100) == link(1, 100)


def test_link_datetimes_come_back_aware_utc(ledger: AnyLedger) -> None:
    plus2 = timezone(timedelta(hours=2))
    local = datetime(2024, 5, 1, 14, 30, 15, 123456, tzinfo=plus2)
    ledger.save_link(link(1, 100, woo_modified_gmt=local, hike_modified_at=local))
    got = ledger.link_for_woo(1)
    assert got is not None
    assert got.woo_modified_gmt == local
    assert got.woo_modified_gmt is not None
    assert got.woo_modified_gmt.utcoffset() == timedelta(0)
    assert got.hike_modified_at == datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        ledger.save_link(link(3, 300, woo_modified_gmt=datetime(2024, 5, 1)))


def test_link_enums_survive(ledger: AnyLedger) -> None:
    ledger.save_link(
        link(
            1,
            100,
            origin=Origin.HIKE,
            hike_fulfilment=FulfilmentStatus.PARKED,
            hike_payment=PaymentStatus.PENDING,
        )
    )
    got = ledger.link_for_hike(100)
    assert got is not None
    assert got.origin is Origin.HIKE
    assert got.hike_fulfilment is FulfilmentStatus.PARKED
    assert got.hike_payment is PaymentStatus.PENDING


def test_refund_links(ledger: AnyLedger) -> None:
    assert ledger.refund_links(1) == []
    assert ledger.refund_link_for_hike(900) is None
    ledger.save_refund_link(refund(1, 12, 902))
    ledger.save_refund_link(refund(1, 11, 901))
    ledger.save_refund_link(refund(2, 10, 900))
    assert [r.woo_refund_id for r in ledger.refund_links(1)] == [11, 12]
    assert ledger.refund_link_for_hike(900) == refund(2, 10, 900)
    assert [r.woo_refund_id for r in ledger.all_refund_links()] == [10, 11, 12]

    ledger.save_refund_link(refund(1, 11, 901))  # replaying the same pair: no-op
    assert len(list(ledger.all_refund_links())) == 3


def test_each_refund_syncs_exactly_once(ledger: AnyLedger) -> None:
    ledger.save_refund_link(refund(1, 11, 901))
    with pytest.raises(HikeWooError, match="WooCommerce refund 11 is already synced"):
        ledger.save_refund_link(refund(1, 11, 999))
    with pytest.raises(HikeWooError, match="Hike refund sale 901 is already linked"):
        ledger.save_refund_link(refund(1, 12, 901))
    assert list(ledger.all_refund_links()) == [refund(1, 11, 901)]


def test_refund_amounts_are_exact_decimals(ledger: AnyLedger) -> None:
    amount = Decimal("0.10") + Decimal("0.20")
    ledger.save_refund_link(refund(1, 11, 901, amount=str(amount)))
    ledger.save_refund_link(refund(1, 12, 902, amount="1.500"))
    first, second = ledger.refund_links(1)
    assert first.amount == Decimal("0.3")
    assert str(first.amount) == "0.30"
    assert str(second.amount) == "1.500"
    with pytest.raises(TypeError, match="Decimal"):
        ledger.save_refund_link(attrs.evolve(refund(1, 13, 903), amount=0.3))  # type: ignore[arg-type]


class Colour(Enum):
    RED = "red"


def test_begin_intent_stores_a_json_safe_pending_intent(ledger: AnyLedger) -> None:
    stored = ledger.begin_intent(
        intent(
            "woo:1:create",
            total=Decimal("10.50"),
            at=T0,
            status=FulfilmentStatus.COMPLETED,
            colour=Colour.RED,
            lines=(1, 2),
            nested={"amount": Decimal("0.01"), 3: None},
        )
    )
    assert stored.state is IntentState.PENDING
    assert stored.created_at == T0
    assert stored.result_id is None
    assert stored.payload == {
        "total": "10.50",
        "at": "2024-05-01T12:00:00+00:00",
        "status": "Completed",
        "colour": "red",
        "lines": [1, 2],
        "nested": {"amount": "0.01", "3": None},
    }
    assert ledger.pending_intents() == [stored]


def test_begin_intent_is_idempotent_by_key(ledger: AnyLedger, clock: FakeClock) -> None:
    first = ledger.begin_intent(intent("k", n=1))
    clock.advance(60)
    again = ledger.begin_intent(attrs.evolve(intent("k", n=2), kind="other"))
    assert again == first
    assert ledger.pending_intents() == [first]


def test_bad_payloads_are_refused_with_paths(ledger: AnyLedger) -> None:
    with pytest.raises(PayloadError) as info:
        ledger.begin_intent(intent("k", tags={"a"}, deep=[{"x": float("nan")}]))
    assert info.value.paths == ("$.tags", "$.deep[0].x")
    assert ledger.pending_intents() == []


def test_pending_intents_oldest_first(ledger: AnyLedger, clock: FakeClock) -> None:
    ledger.begin_intent(intent("b"))
    ledger.begin_intent(intent("a"))  # same instant: kept in order of beginning
    clock.advance(1)
    ledger.begin_intent(intent("c"))
    explicit = attrs.evolve(intent("z"), created_at=T0 - timedelta(hours=1))
    ledger.begin_intent(explicit)
    assert [i.key for i in ledger.pending_intents()] == ["z", "b", "a", "c"]


def test_complete_intent_records_outcome_and_links(ledger: AnyLedger) -> None:
    ledger.begin_intent(intent("sale"))
    ledger.begin_intent(intent("refund"))
    ledger.begin_intent(intent("status"))
    ledger.complete_intent("sale", result_id=100, link=link(1, 100))
    ledger.complete_intent("refund", result_id=901, refund_link=refund(1, 11, 901))
    ledger.complete_intent("status", result_id=None)
    assert ledger.pending_intents() == []
    done = ledger.begin_intent(intent("sale"))
    assert done.state is IntentState.DONE
    assert done.result_id == 100
    assert ledger.link_for_woo(1) == link(1, 100)
    assert ledger.refund_links(1) == [refund(1, 11, 901)]


def test_complete_intent_with_both_links(ledger: AnyLedger) -> None:
    ledger.begin_intent(intent("k"))
    ledger.complete_intent("k", result_id=1, link=link(1, 100), refund_link=refund(1, 11, 901))
    assert ledger.link_for_hike(100) == link(1, 100)
    assert ledger.refund_link_for_hike(901) == refund(1, 11, 901)


def test_completing_an_unknown_intent_fails_and_stores_nothing(ledger: AnyLedger) -> None:
    with pytest.raises(HikeWooError, match="no intent with key 'nope'"):
        ledger.complete_intent("nope", result_id=1, link=link(1, 100))
    assert ledger.link_for_woo(1) is None


def test_complete_intent_is_all_or_nothing(ledger: AnyLedger) -> None:
    ledger.save_link(link(1, 100))
    ledger.save_refund_link(refund(1, 11, 901))
    ledger.begin_intent(intent("k"))

    # The link clashes (Hike sale 100 belongs to order 1): the intent stays pending.
    with pytest.raises(HikeWooError, match="already linked"):
        ledger.complete_intent("k", result_id=100, link=link(2, 100))
    # The link is fine but the refund link clashes: neither is kept.
    with pytest.raises(HikeWooError, match="already linked"):
        ledger.complete_intent("k", result_id=5, link=link(3, 300), refund_link=refund(3, 12, 901))

    assert [i.key for i in ledger.pending_intents()] == ["k"]
    assert ledger.begin_intent(intent("k")).result_id is None
    assert ledger.link_for_woo(2) is None
    assert ledger.link_for_woo(3) is None
    assert ledger.refund_links(3) == []


def test_cursors(ledger: AnyLedger) -> None:
    assert ledger.get_cursor("woo") is None
    ledger.set_cursor("woo", "2024-05-01T00:00:00")
    ledger.set_cursor("woo", "2024-05-02T00:00:00")
    ledger.set_cursor("hike", "7")
    assert ledger.get_cursor("woo") == "2024-05-02T00:00:00"
    assert ledger.get_cursor("hike") == "7"


def test_checkpoints(ledger: AnyLedger) -> None:
    assert ledger.get_checkpoint("backfill:2024-05") is None
    ledger.set_checkpoint("backfill:2024-05", {"page": 3, "after": T0, "sum": Decimal("1.10")})
    got = ledger.get_checkpoint("backfill:2024-05")
    assert got == {"page": 3, "after": "2024-05-01T12:00:00+00:00", "sum": "1.10"}
    assert got is not None
    got["page"] = 99  # a copy: the stored checkpoint does not change
    assert ledger.get_checkpoint("backfill:2024-05") == {
        "page": 3,
        "after": "2024-05-01T12:00:00+00:00",
        "sum": "1.10",
    }
    ledger.set_checkpoint("backfill:2024-05", {"done": True})
    assert ledger.get_checkpoint("backfill:2024-05") == {"done": True}
    with pytest.raises(PayloadError):
        ledger.set_checkpoint("x", [1, 2])  # type: ignore[arg-type]


def test_seen_keys_and_pruning(ledger: AnyLedger, clock: FakeClock) -> None:
    assert ledger.add_if_new("delivery-1") is True
    assert ledger.add_if_new("delivery-1") is False
    clock.advance(3600)
    assert ledger.add_if_new("delivery-2") is True
    assert ledger.prune_seen(T0 + timedelta(minutes=30)) == 1
    assert ledger.add_if_new("delivery-1") is True  # forgotten, so new again
    assert ledger.add_if_new("delivery-2") is False
    assert ledger.prune_seen(T0) == 0


def test_activated_at_is_recorded_once(ledger: AnyLedger, clock: FakeClock) -> None:
    first = ledger.activated_at()
    assert first == T0
    assert first.tzinfo is not None
    clock.advance(86_400)
    assert ledger.activated_at() == T0


def test_leases(ledger: AnyLedger, clock: FakeClock) -> None:
    assert ledger.acquire_lease("woo:1", "a", 60) == 1
    assert ledger.lease_holder("woo:1") == "a"
    assert ledger.acquire_lease("woo:1", "b", 60) is None
    assert ledger.acquire_lease("woo:2", "b", 60) == 2  # other resources are free

    clock.advance(50)
    assert ledger.acquire_lease("woo:1", "a", 60) == 1  # renewed to T0 + 110 s, same token
    clock.advance(50)
    assert ledger.acquire_lease("woo:1", "b", 60) is None  # still held after first ttl

    ledger.release_lease("woo:1", "b")  # not b's to release
    assert ledger.lease_holder("woo:1") == "a"
    ledger.release_lease("woo:1", "a")
    assert ledger.lease_holder("woo:1") is None
    assert ledger.acquire_lease("woo:1", "b", 60) == 3  # a new holder, a new token


def test_an_expired_lease_can_be_taken_over(ledger: AnyLedger, clock: FakeClock) -> None:
    assert ledger.acquire_lease("r", "a", 30) == 1
    clock.advance(29.999)
    assert ledger.acquire_lease("r", "b", 30) is None
    clock.advance(0.001)
    assert ledger.lease_holder("r") is None
    assert ledger.acquire_lease("r", "b", 30) == 2
    assert ledger.acquire_lease("r", "a", 30) is None


def test_a_holder_whose_lease_was_taken_over_is_fenced(ledger: AnyLedger, clock: FakeClock) -> None:
    """A paused holder wakes up after its lease was taken: the ledger records nothing for
    it, not even a renewal, and the new holder's records stand."""
    a = Fence("pair:woo:1", "a", ledger.acquire_lease("pair:woo:1", "a", 30) or 0)
    ledger.begin_intent(intent("k"), fence=a)  # while held: fine
    assert ledger.renew_lease(a, 30)
    clock.advance(31)  # a is paused past its lease
    assert ledger.renew_lease(a, 30)  # expired but not taken: still a's, renewed
    clock.advance(31)
    b = Fence("pair:woo:1", "b", ledger.acquire_lease("pair:woo:1", "b", 30) or 0)
    assert b.token > a.token
    with pytest.raises(LeaseError, match="taken over"):
        ledger.complete_intent("k", result_id=100, link=link(1, 100), fence=a)
    with pytest.raises(LeaseError):
        ledger.begin_intent(intent("k2"), fence=a)
    assert not ledger.renew_lease(a, 30)
    assert ledger.lease_holder("pair:woo:1") == "b"
    assert [i.key for i in ledger.pending_intents()] == ["k"]  # nothing a did stuck
    assert list(ledger.links()) == []
    ledger.complete_intent("k", result_id=100, link=link(1, 100), fence=b)
    assert list(ledger.links()) == [link(1, 100)]
    ledger.release_lease("pair:woo:1", "a")  # a's release of b's lease changes nothing
    assert ledger.lease_holder("pair:woo:1") == "b"


@pytest.mark.parametrize("ttl", [0, -1, float("inf"), float("nan"), True])
def test_lease_ttl_must_be_positive(ledger: AnyLedger, ttl: float) -> None:
    with pytest.raises(ConfigurationError, match="ttl_seconds"):
        ledger.acquire_lease("r", "a", ttl)


def test_a_naive_clock_is_a_configuration_error(ledger: AnyLedger, clock: FakeClock) -> None:
    clock.now = datetime(2024, 5, 1)
    with pytest.raises(ConfigurationError, match="timezone-aware"):
        ledger.add_if_new("k")


def test_threads_do_not_trip_over_each_other(ledger: AnyLedger) -> None:
    n_threads, per_thread = 4, 10
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(per_thread):
                key = f"t{t}-{i}"
                woo = t * 1000 + i
                ledger.begin_intent(intent(key, woo=woo))
                ledger.complete_intent(key, result_id=woo + 1, link=link(woo, woo + 1))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ledger.pending_intents() == []
    assert len(list(ledger.links())) == n_threads * per_thread


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
    try:
        for proc in procs:  # every contender has opened (and migrated) the file
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = {}
        for owner, proc in zip(owners, procs, strict=True):
            out, _ = proc.communicate(timeout=30)
            assert proc.returncode == 0
            results[owner] = json.loads(out.strip().splitlines()[-1])
    finally:
        for proc in procs:
            if proc.poll() is None:  # pragma: no cover - only on failure
                proc.kill()
                proc.wait()

    won = [r for rs in results.values() for r in rs]
    assert sorted(won) == sorted(f"r{i}" for i in range(25))  # each exactly once
    with SqliteLedger(path) as led:
        for owner, resources in results.items():
            for resource in resources:
                assert led.lease_holder(resource) == owner
