"""The public ledger contract (:class:`hikewoo_core.testing.LedgerContract`) on the three
ledgers the library ships: in memory, SQLite, and PostgreSQL (a real server: see
``tests/_postgres.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from hikewoo_core import LedgerPort, MemoryLedger, SqliteLedger
from hikewoo_core.testing import LedgerContract

from ._postgres import connect, postgres_dsn, postgres_server_dsn

__all__ = ["postgres_dsn", "postgres_server_dsn"]  # fixtures, used by name

ROOT = Path(__file__).resolve().parents[1]


class TestMemoryLedger(LedgerContract):
    def make_ledger(self, clock: Callable[[], datetime]) -> LedgerPort:
        return MemoryLedger(clock=clock)


class TestSqliteLedger(LedgerContract):
    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path

    def make_ledger(self, clock: Callable[[], datetime]) -> LedgerPort:
        return SqliteLedger(self.directory / "ledger.db", clock=clock)


class TestPostgresLedger(LedgerContract):
    """Each test's ledger has a schema of its own in the session's database, created
    explicitly (``migrate=True``) and dropped when the ledger is closed."""

    @pytest.fixture(autouse=True)
    def _database(self, postgres_dsn: str) -> None:
        self.dsn = postgres_dsn

    def make_ledger(self, clock: Callable[[], datetime]) -> LedgerPort:
        from hikewoo_core._ledger._postgres import PostgresLedger

        schema = f"t_{uuid.uuid4().hex[:16]}"
        return PostgresLedger(self.dsn, schema=schema, clock=clock, migrate=True)

    def close_ledger(self, ledger: LedgerPort) -> None:
        from hikewoo_core._ledger._postgres import PostgresLedger

        assert isinstance(ledger, PostgresLedger)
        ledger.close()
        with connect(self.dsn) as conn:
            conn.execute(f'DROP SCHEMA "{ledger.schema}" CASCADE')


class TestPostgresLedgerOnACallersPool(TestPostgresLedger):
    """The contract again, on a caller's pool of one connection (threads take turns) whose
    connections are not in autocommit mode and hand out dict rows: the ledger borrows them
    as they are and hands them back so."""

    @pytest.fixture(autouse=True)
    def _pool(self, postgres_dsn: str) -> Iterator[None]:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        kwargs = {"row_factory": dict_row}
        with ConnectionPool(postgres_dsn, min_size=1, max_size=1, kwargs=kwargs) as pool:
            self.pool = pool
            yield

    def make_ledger(self, clock: Callable[[], datetime]) -> LedgerPort:
        from hikewoo_core._ledger._postgres import PostgresLedger

        schema = f"t_{uuid.uuid4().hex[:16]}"
        return PostgresLedger(pool=self.pool, schema=schema, clock=clock, migrate=True)


def test_a_contract_without_make_ledger_says_what_to_override() -> None:
    class Incomplete(LedgerContract):
        pass

    with pytest.raises(NotImplementedError, match=r"Incomplete must override make_ledger"):
        Incomplete().test_cursors()


def test_the_contract_module_does_not_import_pytest() -> None:
    code = (
        "import sys; sys.modules['pytest'] = None; sys.modules['_pytest'] = None\n"
        "from hikewoo_core.testing import LedgerContract\n"
        "from hikewoo_core import MemoryLedger\n"
        "class T(LedgerContract):\n"
        "    def make_ledger(self, clock): return MemoryLedger(clock=clock)\n"
        "t = T()\n"
        "for name in dir(t):\n"
        "    if name.startswith('test_'): getattr(t, name)()\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.stdout.strip() == "ok", done.stderr


def _run_postgres_contract(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    """One Postgres contract test in a pytest of its own, where psycopg cannot be
    imported and no DSN is given."""
    blocked = tmp_path / "blocked"
    (blocked / "psycopg").mkdir(parents=True)
    (blocked / "psycopg" / "__init__.py").write_text("raise ImportError('blocked by the test')\n")
    path = [str(blocked), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    env.pop("HIKEWOO_TEST_POSTGRES_DSN", None)
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    test = "tests/test_ledger_contract.py::TestPostgresLedger::test_cursors"
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", test]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120
    )


def test_without_postgres_the_tests_skip_saying_why(tmp_path: Path) -> None:
    run = _run_postgres_contract(tmp_path, None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout
    assert "psycopg is not installed" in run.stdout


def test_in_ci_without_postgres_the_tests_fail(tmp_path: Path) -> None:
    run = _run_postgres_contract(tmp_path, "true")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "CI is set but PostgreSQL is unavailable" in run.stdout
