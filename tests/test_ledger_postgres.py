"""What only the PostgreSQL ledger can show: its explicit, versioned schema; processes
racing for leases on one server; a holder frozen past its lease; a takeover waiting
for a fenced write under way; connections cut while idle, answers lost after a commit,
serialization failures; callers' pools and sessions set up their own way; text
PostgreSQL cannot hold; the DSN's password kept out of sight; whose pool is whose; and
what a new order costs it.

The contract every ledger keeps runs on it in ``tests/test_ledger_contract.py``. Every
test here talks to a real server (``tests/_postgres.py``), in a schema of its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from hikewoo_core import ConfigurationError, Fence, HikeWooError, Intent, Link, Origin
from hikewoo_core.hike import FulfilmentStatus, PaymentStatus
from hikewoo_core.testing import FakeClock

from ._postgres import (
    connect,
    in_schema,
    pg_schema,
    postgres_dsn,
    postgres_server_dsn,
    psycopg_or_skip,
)
from ._race import race
from ._secrets import register_secret
from ._world import make_world

__all__ = ["pg_schema", "postgres_dsn", "postgres_server_dsn"]  # fixtures, used by name

psycopg_or_skip()
from hikewoo_core._ledger import _postgres_sql  # noqa: E402 - after the skip that needs psycopg
from hikewoo_core._ledger._postgres import SCHEMA_VERSION, PostgresLedger  # noqa: E402

UTC = timezone.utc
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def link(woo: int, hike: int) -> Link:
    return Link(
        woo_order_id=woo,
        hike_sale_id=hike,
        origin=Origin.WOO,
        woo_status="completed",
        hike_fulfilment=FulfilmentStatus.COMPLETED,
        hike_payment=PaymentStatus.PAID,
        woo_modified_gmt=T0,
    )


def intent(key: str) -> Intent:
    return Intent(key=key, kind="create_hike_sale", payload={})


def password_of(dsn: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(dsn).get("password") or "")


@pytest.fixture
def ledger(postgres_dsn: str, pg_schema: str) -> Iterator[PostgresLedger]:
    """A migrated ledger in the test's schema, on the database server's clock."""
    with PostgresLedger(postgres_dsn, schema=pg_schema, migrate=True) as led:
        yield led


# --- the schema: explicit, versioned ----------------------------------------------------


def test_a_database_without_the_schema_says_how_to_create_it(
    postgres_dsn: str, pg_schema: str
) -> None:
    with pytest.raises(ConfigurationError, match=r"no hikewoo_core ledger .*migrate=True"):
        PostgresLedger(postgres_dsn, schema=pg_schema)
    with PostgresLedger(postgres_dsn, schema=pg_schema, migrate=True) as led:
        assert led.migrate() == SCHEMA_VERSION == 1  # again: nothing to do
        led.save_link(link(1, 100))
    with PostgresLedger(postgres_dsn, schema=pg_schema) as led:  # opens without migrating
        assert list(led.links()) == [link(1, 100)]
    with connect(postgres_dsn) as conn:
        row = conn.execute(
            in_schema(pg_schema, "SELECT value FROM {s}.meta WHERE key = 'schema_version'")
        ).fetchone()
    assert row == ("1",)


def test_an_older_schema_is_refused_until_migrated_and_keeps_its_data(
    postgres_dsn: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with PostgresLedger(postgres_dsn, schema=pg_schema, migrate=True) as led:
        led.save_link(link(1, 100))
        led.acquire_lease("r", "old", 600)
    version_2 = ("ALTER TABLE {s}.links ADD COLUMN note text",)
    monkeypatch.setattr(_postgres_sql, "MIGRATIONS", (*_postgres_sql.MIGRATIONS, version_2))

    with pytest.raises(ConfigurationError, match=r"version 1; this hikewoo_core needs version 2"):
        PostgresLedger(postgres_dsn, schema=pg_schema)
    with PostgresLedger(postgres_dsn, schema=pg_schema, migrate=True) as led:
        assert list(led.links()) == [link(1, 100)]
        assert led.lease_holder("r") == "old"
        assert led.acquire_lease("r", "new", 60) is None
    with connect(postgres_dsn) as conn:
        version = conn.execute(
            in_schema(pg_schema, "SELECT value FROM {s}.meta WHERE key = 'schema_version'")
        ).fetchone()
        note = conn.execute(in_schema(pg_schema, "SELECT note FROM {s}.links")).fetchall()
    assert version == ("2",)
    assert note == [(None,)]


@pytest.mark.parametrize(
    ("value", "error"),
    [("2", r"schema version 2, but this .* schema version 1 at most"), ("two", "corrupt")],
)
def test_a_newer_or_corrupt_schema_is_refused(
    postgres_dsn: str, pg_schema: str, value: str, error: str
) -> None:
    PostgresLedger(postgres_dsn, schema=pg_schema, migrate=True).close()
    with connect(postgres_dsn) as conn:
        conn.execute(
            in_schema(pg_schema, "UPDATE {s}.meta SET value = %s WHERE key = 'schema_version'"),
            (value,),
        )
    for migrate in (False, True):
        with pytest.raises(ConfigurationError, match=error):
            PostgresLedger(postgres_dsn, schema=pg_schema, migrate=migrate)


def test_a_schema_of_something_else_is_left_alone(postgres_dsn: str, pg_schema: str) -> None:
    with connect(postgres_dsn) as conn:
        conn.execute(in_schema(pg_schema, "CREATE SCHEMA {s}"))
        conn.execute(in_schema(pg_schema, "CREATE TABLE {s}.customers (id int)"))
    with pytest.raises(ConfigurationError, match=r"not a hikewoo_core ledger \(it has customers"):
        PostgresLedger(postgres_dsn, schema=pg_schema, migrate=True)
    with connect(postgres_dsn) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (pg_schema,),
        ).fetchall()
    assert tables == [("customers",)]


def test_workers_migrating_at_once_create_the_schema_once(
    postgres_dsn: str, pg_schema: str
) -> None:
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def open_and_migrate() -> None:
        barrier.wait()
        try:
            PostgresLedger(postgres_dsn, schema=pg_schema, migrate=True).close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_and_migrate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_two_ledgers_share_a_database_in_two_schemas(postgres_dsn: str, pg_schema: str) -> None:
    other = pg_schema + "_b"
    try:
        with (
            PostgresLedger(postgres_dsn, schema=pg_schema, migrate=True) as a,
            PostgresLedger(postgres_dsn, schema=other, migrate=True) as b,
        ):
            a.save_link(link(1, 100))
            assert b.link_for_woo(1) is None
            assert a.acquire_lease("r", "x", 60) is not None
            assert b.acquire_lease("r", "y", 60) is not None  # another ledger's lease
    finally:
        with connect(postgres_dsn) as conn:
            conn.execute(in_schema(other, "DROP SCHEMA IF EXISTS {s} CASCADE"))


@pytest.mark.parametrize(
    "schema", ["Hikewoo", 'a"; DROP SCHEMA public; --', "", "x" * 64, 7, "pg_temp", "pg_x"]
)
def test_schema_names_are_plain_sql_names(postgres_dsn: str, schema: Any) -> None:
    """Names PostgreSQL would refuse (``pg_`` is reserved for its own schemas) are
    refused before any SQL runs, with the library's error, not the server's."""
    for migrate in (False, True):
        with pytest.raises(ConfigurationError, match="schema must be"):
            PostgresLedger(postgres_dsn, schema=schema, migrate=migrate)


def test_a_dsn_or_a_pool_not_both_nor_neither(postgres_dsn: str) -> None:
    from psycopg_pool import ConnectionPool

    with pytest.raises(ConfigurationError, match="a DSN or pool="):
        PostgresLedger()
    pool = ConnectionPool(postgres_dsn, min_size=1, open=False)
    with pytest.raises(ConfigurationError, match="a DSN or pool="):
        PostgresLedger(postgres_dsn, pool=pool)


# --- leases across processes, pauses, and lock waits ---------------------------------------

_CONTENDER = """
import json, os, sys
from hikewoo_core._ledger._postgres import PostgresLedger
owner, start, schema = sys.argv[1], int(sys.argv[2]), sys.argv[3]
order = [f"r{(start + i) % 25}" for i in range(25)]  # each starts elsewhere, then collides
with PostgresLedger(os.environ["LEDGER_DSN"], schema=schema) as led:
    print("ready", flush=True)
    sys.stdin.readline()  # the start signal, so all contenders race at once
    won = {r: led.acquire_lease(r, owner, 600) for r in order}
print(json.dumps({r: t for r, t in won.items() if t is not None}), flush=True)
"""


def _spawn(code: str, dsn: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LEDGER_DSN": dsn}  # not on the command line: ps would show it
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_processes_racing_for_leases_get_one_each(
    postgres_dsn: str, pg_schema: str, ledger: PostgresLedger
) -> None:
    """Four processes race for the same 25 leases on the server's clock: each lease has
    exactly one winner, and every token is distinct."""
    owners = [f"proc{i}" for i in range(4)]
    procs = [
        _spawn(_CONTENDER, postgres_dsn, owner, str(6 * i), pg_schema)
        for i, owner in enumerate(owners)
    ]
    results: dict[str, dict[str, int]] = dict(zip(owners, race(procs, timeout=60), strict=True))

    won = [r for rs in results.values() for r in rs]
    assert sorted(won) == sorted(f"r{i}" for i in range(25))  # each exactly once
    tokens = [t for rs in results.values() for t in rs.values()]
    assert len(set(tokens)) == 25
    for owner, resources in results.items():
        for resource in resources:
            assert ledger.lease_holder(resource) == owner


_FROZEN_HOLDER = """
import json, os, sys
from datetime import datetime, timezone
from hikewoo_core import Fence, Intent, LeaseError, Link, Origin
from hikewoo_core.hike import FulfilmentStatus, PaymentStatus
from hikewoo_core._ledger._postgres import PostgresLedger
with PostgresLedger(os.environ["LEDGER_DSN"], schema=sys.argv[1]) as led:
    fence = Fence("pair:woo:1", "a", led.acquire_lease("pair:woo:1", "a", 1.0))
    led.begin_intent(Intent(key="k", kind="create_hike_sale", payload={}), fence=fence)
    print(json.dumps({"token": fence.token}), flush=True)
    sys.stdin.readline()  # frozen (SIGSTOP) here, then woken past its lease
    link = Link(woo_order_id=1, hike_sale_id=100, origin=Origin.WOO, woo_status="completed",
                hike_fulfilment=FulfilmentStatus.COMPLETED, hike_payment=PaymentStatus.PAID)
    try:
        led.complete_intent("k", result_id=100, link=link, fence=fence)
        fenced = False
    except LeaseError:
        fenced = True
    print(json.dumps({"fenced": fenced, "renewed": led.renew_lease(fence, 1.0)}), flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs SIGSTOP (POSIX)")
def test_a_holder_frozen_past_its_lease_is_fenced_out(
    postgres_dsn: str, pg_schema: str, ledger: PostgresLedger
) -> None:
    """A process holding a one-second lease is frozen; on the server's clock the lease
    expires, another worker takes it over and records the outcome. Woken, the frozen
    process can record nothing, not even a renewal."""
    holder = _spawn(_FROZEN_HOLDER, postgres_dsn, pg_schema)
    try:
        assert holder.stdout is not None
        assert holder.stdin is not None
        first = json.loads(holder.stdout.readline())["token"]
        os.kill(holder.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 60
        while (token := ledger.acquire_lease("pair:woo:1", "b", 60)) is None:
            assert time.monotonic() < deadline, "the frozen holder's lease never expired"
            time.sleep(0.05)
        assert token > first
        ledger.complete_intent(
            "k", result_id=200, link=link(1, 200), fence=Fence("pair:woo:1", "b", token)
        )
        os.kill(holder.pid, signal.SIGCONT)
        holder.stdin.write("go\n")
        holder.stdin.flush()
        out, _ = holder.communicate(timeout=60)
        assert holder.returncode == 0
    finally:
        if holder.poll() is None:  # pragma: no cover - only on failure
            os.kill(holder.pid, signal.SIGCONT)
            holder.kill()
            holder.wait()
    assert json.loads(out.strip().splitlines()[-1]) == {"fenced": True, "renewed": False}
    assert ledger.link_for_woo(1) == link(1, 200)
    assert ledger.link_for_hike(100) is None
    assert ledger.pending_intents() == []
    assert ledger.lease_holder("pair:woo:1") == "b"


def test_a_takeover_waits_for_a_fenced_write_under_way(postgres_dsn: str, pg_schema: str) -> None:
    """A fenced write holds its lease row's share lock until it commits: a takeover
    (even of an expired lease) waits for it, so the old holder's write lands before
    the new holder starts, or is refused."""
    clock = FakeClock(T0)
    with PostgresLedger(postgres_dsn, schema=pg_schema, clock=clock, migrate=True) as led:
        first = led.acquire_lease("r", "a", 30)
        assert first is not None
        clock.advance(31)  # expired
        taken: dict[str, int | None] = {}
        with connect(postgres_dsn) as writer, writer.transaction():
            # what a's fenced write does first, in its own transaction, still open
            writer.execute(
                in_schema(
                    pg_schema,
                    "SELECT 1 FROM {s}.leases WHERE resource = %s AND token = %s FOR SHARE",
                ),
                ("r", first),
            )
            thread = threading.Thread(
                target=lambda: taken.update(b=led.acquire_lease("r", "b", 30))
            )
            thread.start()
            _wait_for_a_lock_wait(postgres_dsn, pg_schema)
            assert taken == {}  # b waits for a's write to commit
        thread.join(60)
        token = taken["b"]
        assert token is not None
        assert token > first


def _wait_for_a_lock_wait(dsn: str, schema: str) -> None:
    deadline = time.monotonic() + 60
    with connect(dsn) as conn:
        while not conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE %s",
            (f'%"{schema}".leases%',),
        ).fetchone()[0]:
            assert time.monotonic() < deadline, "the takeover never waited for the lock"
            time.sleep(0.01)


def test_the_database_clock_is_the_default(postgres_dsn: str, ledger: PostgresLedger) -> None:
    """Without clock=, the server's clock dates everything: workers whose own clocks
    disagree still agree on when a lease expires."""
    with connect(postgres_dsn) as conn:
        server_now = conn.execute("SELECT statement_timestamp()").fetchone()[0]
    assert ledger.acquire_lease("r", "a", 3600) is not None
    assert ledger.lease_holder("r") == "a"
    begun = ledger.begin_intent(intent("k"))
    activated = ledger.activated_at()
    for stamp in (begun.created_at, activated):
        assert stamp is not None
        assert stamp.tzinfo is UTC
        assert abs(stamp - server_now) < timedelta(minutes=5)


# --- secrets and pools -----------------------------------------------------------------------


def test_the_password_never_shows(
    postgres_dsn: str, pg_schema: str, caplog: pytest.LogCaptureFixture
) -> None:
    from psycopg.conninfo import make_conninfo

    password = password_of(postgres_dsn)
    with PostgresLedger(postgres_dsn, schema=pg_schema, migrate=True) as led:
        assert "127.0.0.1" in repr(led)
        assert password not in repr(led)
        assert password not in repr(vars(led))  # not kept on the ledger once it is open

    wrong = register_secret("Wr0ng-passw0rd-9f3e")
    failures = []
    for dsn in (
        make_conninfo(postgres_dsn, password=wrong),  # refused by the server
        make_conninfo(postgres_dsn, password=wrong, port="1"),  # nobody listens
        f"postgresql://hikewoo:{wrong}@[::1",  # not even a URL
        f"host=127.0.0.1 password={wrong} broken",  # nor key=value pairs
    ):
        with pytest.raises(ConfigurationError) as info:
            PostgresLedger(dsn, schema=pg_schema)
        failures.append(info.value)
    for exc in failures:
        assert wrong not in str(exc)
        assert wrong not in repr(exc)
        assert exc.__cause__ is None
        assert exc.__suppress_context__
    assert "password authentication failed" in str(failures[0])
    assert all(wrong not in r.getMessage() for r in caplog.records)


def test_a_callers_pool_is_borrowed_and_never_closed(postgres_dsn: str, pg_schema: str) -> None:
    from psycopg_pool import ConnectionPool

    with ConnectionPool(postgres_dsn, min_size=1, max_size=2, open=True) as pool:
        PostgresLedger(pool=pool, schema=pg_schema, migrate=True).close()
        led = PostgresLedger(pool=pool, schema=pg_schema)
        assert repr(led) == f"PostgresLedger(pool={pool.name!r}, schema={pg_schema!r})"
        led.set_cursor("woo", "c1")
        led.close()
        led.close()  # idempotent
        with pytest.raises(HikeWooError, match="is closed"):
            led.get_cursor("woo")
        assert not pool.closed
        with pool.connection() as conn:
            assert conn.autocommit is False  # handed back as it was lent
            row = conn.execute(in_schema(pg_schema, "SELECT value FROM {s}.cursors")).fetchone()
        assert row == ("c1",)


def test_a_ledgers_own_pool_is_closed_with_it(postgres_dsn: str, pg_schema: str) -> None:
    led = PostgresLedger(postgres_dsn, schema=pg_schema, migrate=True, max_connections=2)
    pool = led._db.pool
    assert pool is not None
    assert pool.max_size == 2
    led.close()
    assert pool.closed
    with pytest.raises(HikeWooError, match="is closed"):
        led.set_cursor("woo", "c1")


def test_without_psycopg_the_error_names_the_extra() -> None:
    code = (
        "import sys\n"
        "sys.modules['psycopg'] = sys.modules['psycopg_pool'] = None\n"
        "import hikewoo_core\n"
        "from hikewoo_core._ledger._postgres import PostgresLedger\n"
        "try:\n"
        "    PostgresLedger('host=127.0.0.1')\n"
        "except hikewoo_core.ConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'hikewoo-core[postgres]'" in done.stdout


def test_importing_hikewoo_core_does_not_import_psycopg() -> None:
    code = "import sys, hikewoo_core, hikewoo_core.testing; print('psycopg' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"


# --- flaky networks, restarts, other people's pools and sessions ----------------------------


def _cut_idle_connections(dsn: str, application_name: str) -> None:
    """End the server processes of every connection that goes by ``application_name``,
    as a server restart does (FATAL 57P01, then the socket closes), and wait until they
    are gone."""
    with connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 60000)) "
            "FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        ).fetchone()
    cut = int(row[0])
    assert cut >= 1, "no connection to cut"


def test_connections_cut_while_idle_are_replaced_not_reported(
    postgres_dsn: str, pg_schema: str
) -> None:
    """A server restart (or an idle-session timeout) ends every pooled connection while
    it is idle: the next calls, even one whose outcome a retry would change
    (``add_if_new``), get a fresh connection instead of failing."""
    from psycopg.conninfo import make_conninfo
    from psycopg_pool import ConnectionPool

    dsn = make_conninfo(postgres_dsn, application_name=pg_schema)
    with ConnectionPool(dsn, min_size=3, max_size=3, open=True) as pool:
        pool.wait()
        led = PostgresLedger(pool=pool, schema=pg_schema, migrate=True)
        led.set_cursor("woo", "c1")
        _cut_idle_connections(postgres_dsn, pg_schema)  # all three
        assert led.add_if_new("delivery-1") is True
        _cut_idle_connections(postgres_dsn, pg_schema)  # those the pool has made since
        assert led.get_cursor("woo") == "c1"
        assert led.acquire_lease("r", "a", 60) is not None

    with PostgresLedger(dsn, schema=pg_schema, max_connections=2) as own:
        _cut_idle_connections(postgres_dsn, pg_schema)
        assert own.add_if_new("delivery-1") is False
        assert own.lease_holder("r") == "a"


def test_an_answer_lost_after_commit_is_recovered_by_running_it_again(
    postgres_dsn: str, pg_schema: str
) -> None:
    """The connection drops after the server committed a statement but before its answer
    arrived. A statement that gives the same answer when run again (every write but
    ``add_if_new`` and ``prune_seen``) is run again on a new connection and answers as
    if nothing had happened; the others raise, since their answer would be wrong."""
    import psycopg

    from ._postgres import AnswerLosingProxy

    with (
        AnswerLosingProxy(postgres_dsn) as proxy,
        PostgresLedger(proxy.dsn, schema=pg_schema, migrate=True, max_connections=1) as led,
    ):
        proxy.lose_next_answer()
        token = led.acquire_lease("pair:woo:1", "a", 60)
        assert proxy.lost == 1
        assert token is not None
        assert led.acquire_lease("pair:woo:1", "a", 60) == token  # it was a's all along
        fence = Fence("pair:woo:1", "a", token)

        proxy.lose_next_answer()
        begun = led.begin_intent(intent("k"), fence=fence)
        assert begun.key == "k"
        assert begun.result_id is None

        proxy.lose_next_answer()
        assert led.renew_lease(fence, 60)

        proxy.lose_next_answer()
        led.complete_intent("k", result_id=100, link=link(1, 100), fence=fence)
        assert led.pending_intents() == []
        assert led.link_for_woo(1) == link(1, 100)

        proxy.lose_next_answer()
        assert led.link_for_hike(100) == link(1, 100)  # a read, run again

        proxy.lose_next_answer()
        led.release_lease("pair:woo:1", "a")
        assert led.lease_holder("pair:woo:1") is None
        assert proxy.lost == 6

        proxy.lose_next_answer()
        with pytest.raises(psycopg.OperationalError):
            led.add_if_new("delivery-1")  # recorded, but a second run would answer False
        assert proxy.lost == 7
        assert led.add_if_new("delivery-1") is False


def test_a_serialization_failure_is_run_again(postgres_dsn: str, pg_schema: str) -> None:
    """On a server (or for a role) whose default isolation is SERIALIZABLE, a statement
    that meets a concurrent update fails with a serialization failure and was rolled
    back: the ledger runs it again instead of passing the error on."""
    from psycopg.conninfo import make_conninfo

    serializable = make_conninfo(
        postgres_dsn, options="-c default_transaction_isolation=serializable"
    )
    clock = FakeClock(T0)
    with PostgresLedger(serializable, schema=pg_schema, clock=clock, migrate=True) as led:
        token = led.acquire_lease("r", "a", 30)
        assert token is not None
        renewed: list[bool] = []
        with connect(postgres_dsn) as other, other.transaction():
            other.execute(
                in_schema(pg_schema, "UPDATE {s}.leases SET expires_at = expires_at + '1 s'")
            )
            thread = threading.Thread(
                target=lambda: renewed.append(led.renew_lease(Fence("r", "a", token), 30))
            )
            thread.start()
            _wait_for_a_lock_wait(postgres_dsn, pg_schema)
        thread.join(60)
        assert renewed == [True]


@pytest.mark.parametrize("factory", ["row_factory", "cursor_factory"])
def test_a_callers_pool_may_set_its_own_row_and_cursor_factories(
    postgres_dsn: str, pg_schema: str, factory: str
) -> None:
    """A caller's pool whose connections hand out dict rows, or bind parameters as $1
    (RawCursor), is still a pool the ledger can borrow from."""
    import psycopg
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    kwargs: dict[str, Any] = (
        {"row_factory": dict_row}
        if factory == "row_factory"
        else {"cursor_factory": psycopg.RawCursor}
    )
    with (
        ConnectionPool(postgres_dsn, min_size=1, max_size=1, kwargs=kwargs, open=True) as pool,
        PostgresLedger(pool=pool, schema=pg_schema, migrate=True) as led,
    ):
        led.save_link(link(1, 100))
        assert led.link_for_woo(1) == link(1, 100)
        assert led.acquire_lease("r", "a", 60) is not None
        assert led.begin_intent(intent("k")).key == "k"


def test_amounts_stay_exact_whatever_the_callers_connections_load_numeric_as(
    postgres_dsn: str, pg_schema: str
) -> None:
    """psycopg's documented speed-up, loading numeric as float, on a caller's pool does
    not turn refund amounts into floats."""
    from decimal import Decimal

    from psycopg.types.numeric import FloatLoader
    from psycopg_pool import ConnectionPool

    from hikewoo_core import RefundLink

    def floats(conn: Any) -> None:
        conn.adapters.register_loader("numeric", FloatLoader)

    refund = RefundLink(
        woo_order_id=1,
        woo_refund_id=11,
        hike_refund_sale_id=901,
        origin=Origin.WOO,
        amount=Decimal("0.30"),
    )
    with (
        ConnectionPool(postgres_dsn, min_size=1, max_size=1, configure=floats, open=True) as pool,
        PostgresLedger(pool=pool, schema=pg_schema, migrate=True) as led,
    ):
        led.save_refund_link(refund)
        [got] = led.refund_links(1)
        assert type(got.amount) is Decimal
        assert str(got.amount) == "0.30"
        assert list(led.all_refund_links()) == [refund]


def test_a_lease_lasts_its_seconds_across_a_daylight_saving_change(
    postgres_dsn: str, pg_schema: str
) -> None:
    """A two-day lease taken the day before the clocks go forward, on a server whose time
    zone has daylight saving, lasts 48 hours, not two calendar days (47 hours)."""
    from psycopg.conninfo import make_conninfo

    berlin = make_conninfo(postgres_dsn, options="-c TimeZone=Europe/Berlin")
    clock = FakeClock(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))  # Berlin: CEST from 29 March
    with PostgresLedger(berlin, schema=pg_schema, clock=clock, migrate=True) as led:
        assert led.acquire_lease("r", "a", 2 * 86_400) is not None
        clock.advance(47.5 * 3600)
        assert led.lease_holder("r") == "a"
        assert led.acquire_lease("r", "b", 60) is None
        clock.advance(3600)
        assert led.lease_holder("r") is None


def test_text_postgresql_cannot_hold_is_refused_naming_the_field(ledger: PostgresLedger) -> None:
    """PostgreSQL text cannot hold NUL: the ledger says which field before sending anything,
    with the library's PayloadError, not the driver's DataError."""
    from hikewoo_core import PayloadError

    with pytest.raises(PayloadError, match=r"invalid intent: .*\n  \$\.key: contains a NUL"):
        ledger.begin_intent(intent("a\x00b"))
    with pytest.raises(PayloadError, match=r"\$\.owner: contains a NUL"):
        ledger.acquire_lease("r", "a\x00", 60)
    with pytest.raises(PayloadError, match=r"\$\.woo_status: contains a NUL"):
        ledger.save_link(attrs.evolve(link(1, 100), woo_status="\x00"))
    assert ledger.pending_intents() == []
    assert ledger.lease_holder("r") is None
    assert list(ledger.links()) == []


_WORKER = """
import json, os, sys
from hikewoo_core import Fence, Intent, IntentState, LeaseError, Link, Origin
from hikewoo_core.hike import FulfilmentStatus, PaymentStatus
from hikewoo_core._ledger._postgres import PostgresLedger
me, schema = sys.argv[1], sys.argv[2]
done = []
with PostgresLedger(os.environ["LEDGER_DSN"], schema=schema, max_connections=1) as led:
    print("ready", flush=True)
    sys.stdin.readline()
    for round in range(12):
        for pair in range(6):
            resource = f"pair:woo:{pair}"
            token = led.acquire_lease(resource, me, 0.001)  # expires at once: takeovers galore
            if token is None:
                continue
            fence, key = Fence(resource, me, token), f"k{pair}:{round % 3}"
            woo = pair * 10 + round % 3
            try:
                begun = led.begin_intent(Intent(key=key, kind="x", payload={}), fence=fence)
                if begun.state is IntentState.DONE:
                    continue
                led.renew_lease(fence, 0.001)
                link = Link(woo_order_id=woo, hike_sale_id=1000 + woo, origin=Origin.WOO,
                            woo_status=me, hike_fulfilment=FulfilmentStatus.COMPLETED,
                            hike_payment=PaymentStatus.PAID)
                led.complete_intent(key, result_id=token, link=link, fence=fence)
                done.append(key)
            except LeaseError:
                pass
            finally:
                led.release_lease(resource, me)
print(json.dumps(done), flush=True)
"""


def test_eight_processes_whose_leases_keep_expiring_complete_each_intent_once(
    postgres_dsn: str, pg_schema: str, ledger: PostgresLedger
) -> None:
    """Eight processes work the same six pairs with leases that expire almost as soon as
    they are taken, so holders are taken over between beginning an intent and completing
    it: whatever the interleaving, no intent is completed twice, and the links recorded are
    those of the completions the holders were told succeeded."""
    procs = [_spawn(_WORKER, postgres_dsn, f"w{i}", pg_schema) for i in range(8)]
    completed: Counter[str] = Counter()
    for done in race(procs, timeout=120):
        completed.update(done)
    assert set(completed.values()) <= {1}  # never twice
    pending = {i.key for i in ledger.pending_intents()}
    assert not pending & set(completed)
    linked = {f"k{lk.woo_order_id // 10}:{lk.woo_order_id % 10}" for lk in ledger.links()}
    assert linked == set(completed)  # every completion recorded, none by a fenced holder


# --- what an order costs ------------------------------------------------------------------

_WRITES = ("acquire", "renew", "release", "begin", "reattempt", "write", "add_if_new", "set_")


class CountingLedger(PostgresLedger):
    """Counts the statements it runs, by name; each is one transaction (autocommit)."""

    statements: Counter[str]

    def _one(self, name: str, params: Any) -> Any:
        self.statements[name] += 1
        return super()._one(name, params)

    def _all(self, name: str, params: Any) -> Any:
        self.statements[name] += 1
        return super()._all(name, params)

    def _count(self, name: str, params: Any) -> Any:
        self.statements[name] += 1
        return super()._count(name, params)


def test_a_new_order_costs_four_one_statement_write_transactions(
    postgres_dsn: str, pg_schema: str
) -> None:
    """The executor's four ledger writes for a new order (take the lease, begin the
    intent, complete it with its link, release the lease: a lease taken moments before
    the write is not renewed again) are four statements, each its own transaction, one
    round trip each; the reads, autocommit single statements too."""
    ledgers: list[CountingLedger] = []

    def build(clock: FakeClock) -> CountingLedger:
        led = CountingLedger(postgres_dsn, schema=pg_schema, clock=clock, migrate=True)
        led.statements = Counter()
        ledgers.append(led)
        return led

    w = make_world(ledger=build)
    try:
        w.syncer.sync_woo_order(w.order("completed"))  # the first: activation and such
        [led] = ledgers
        led.statements.clear()
        report = w.syncer.sync_woo_order(w.order("completed"))
        assert len(report.applied) == 1
        writes = {n: c for n, c in led.statements.items() if n.startswith(_WRITES)}
        reads = {n: c for n, c in led.statements.items() if n not in writes}
        assert writes == {
            "acquire": 1,
            "begin_fenced": 1,
            "write:fence+intent+link": 1,
            "release": 1,
        }
        assert reads == {"link_for_woo": 2, "refund_links": 2}
    finally:
        for led in ledgers:
            led.close()
