"""A real PostgreSQL for the tests, never a mock: the fixtures ``PostgresLedger``'s tests use.

- :func:`postgres_server_dsn` (session): ``$HIKEWOO_TEST_POSTGRES_DSN`` when set (``.ci/run``
  starts one server for the whole run and exports it); otherwise a throw-away cluster
  this session starts with ``tools/postgres_server.py`` and stops at its end; otherwise
  the test is skipped, saying why. With ``CI=true`` it fails instead: CI must not
  skip the PostgreSQL tests in silence.
- :func:`postgres_dsn` (session): a database of this session's own (of this xdist worker's,
  under ``-n``), dropped at the end, so parallel sessions and workers never meet.
- :func:`pg_schema` (per test): a fresh schema name, dropped (with everything in it)
  after the test. A ``PostgresLedger(..., schema=pg_schema)`` is then the test's alone.

Test modules import the fixtures they use: ``from ._postgres import pg_schema,
postgres_dsn``. :class:`AnswerLosingProxy` stands between a ledger and the server to lose
the answer to one statement after the server ran (and committed) it. The server's
password is registered as a secret (``tests/_secrets.py``): no log or output of any test
may show it.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import socket
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest

from ._secrets import MIN_LENGTH, register_secret

__all__ = [
    "AnswerLosingProxy",
    "connect",
    "in_schema",
    "pg_schema",
    "postgres_dsn",
    "postgres_server_dsn",
    "psycopg_or_skip",
]

ENV = "HIKEWOO_TEST_POSTGRES_DSN"
TOOL = Path(__file__).resolve().parent.parent / "tools" / "postgres_server.py"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> NoReturn:
    """Skip, or, in CI, fail: the PostgreSQL tests must run there."""
    if _in_ci():
        pytest.fail(f"CI is set but PostgreSQL is unavailable: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason}", allow_module_level=True)


def psycopg_or_skip() -> ModuleType:
    """psycopg, or a skip (a failure in CI) naming the package to install; also at a
    module's top level, to skip (or fail) the whole module."""
    try:
        import psycopg
    except ImportError as exc:
        _unavailable(
            f"psycopg is not installed ({exc}); pip install 'psycopg[binary]' psycopg-pool "
            "(the tests group has them)"
        )
    return psycopg


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hikewoo_postgres_server", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _register_password(dsn: str) -> None:
    from psycopg.conninfo import conninfo_to_dict

    password = str(conninfo_to_dict(dsn).get("password") or "")
    if len(password) >= MIN_LENGTH:
        register_secret(password)


def connect(dsn: str) -> Any:
    """An autocommit psycopg connection (the caller closes it, or uses ``with``)."""
    psycopg = psycopg_or_skip()
    return psycopg.connect(dsn, autocommit=True)


def in_schema(schema: str, query: str) -> Any:
    """``query`` with ``{s}`` replaced by ``schema``, quoted (a ``psycopg.sql`` query)."""
    from psycopg import sql

    return sql.SQL(query).format(s=sql.Identifier(schema))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def postgres_server_dsn() -> Iterator[str]:
    """A DSN of a PostgreSQL server the tests may create databases on."""
    psycopg_or_skip()
    given = os.environ.get(ENV)
    if given:
        _register_password(given)
        yield given
        return
    tool = _tool()
    try:
        server = tool.start_server()
    except tool.NoServerBinaries as exc:
        _unavailable(f"{exc} (or set {ENV})")
    except tool.ServerStartError as exc:
        _unavailable(f"a throw-away server did not start: {exc}")
    register_secret(server.password)
    atexit.register(server.stop)  # also after an interrupted session (stop is idempotent)
    try:
        yield server.dsn
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_dsn(postgres_server_dsn: str, worker_id: str) -> Iterator[str]:
    """A DSN of a database created for this session (this xdist worker), dropped after."""
    from psycopg import errors
    from psycopg.conninfo import make_conninfo

    name = f"hikewoo_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    with connect(postgres_server_dsn) as conn:
        try:
            conn.execute(f'CREATE DATABASE "{name}"')
        except errors.InsufficientPrivilege:  # a DSN without CREATEDB: share its database
            yield postgres_server_dsn
            return
    try:
        yield make_conninfo(postgres_server_dsn, dbname=name)
    finally:
        with connect(postgres_server_dsn) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_schema(postgres_dsn: str) -> Iterator[str]:
    """A fresh schema name for one test; the schema is dropped when the test ends."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield name
    with connect(postgres_dsn) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


# ReadyForQuery ('Z', length 5): the end of the server's answer to one statement, sent
# once the statement (and, in autocommit, its transaction) is over.
_READY_FOR_QUERY = b"Z\x00\x00\x00\x05"


class AnswerLosingProxy:
    """A TCP proxy on loopback between a client and the PostgreSQL server of ``dsn``.

    It passes bytes both ways until :meth:`lose_next_answer` arms it: then the next
    statement any client sends reaches the server, which runs and commits it, and the
    proxy drops that connection instead of passing the answer back (the client sees the
    connection lost after its COMMIT happened). :attr:`lost` counts the answers lost.
    Use :attr:`dsn` (the same DSN, through the proxy) and close it with ``with``.
    """

    def __init__(self, dsn: str) -> None:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        target = conninfo_to_dict(dsn)
        self._target = (str(target.get("host") or "127.0.0.1"), int(target.get("port") or 5432))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.dsn = make_conninfo(dsn, host="127.0.0.1", port=self._listener.getsockname()[1])
        self.lost = 0
        self._armed = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def lose_next_answer(self) -> None:
        """Lose the answer to the next statement sent through the proxy."""
        with self._lock:
            self._armed = True

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self._target)
            with self._lock:
                self._sockets += [client, server]
            cut = threading.Event()  # this connection carries the statement to cut
            threading.Thread(target=self._up, args=(client, server, cut), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client, cut), daemon=True).start()

    def _up(self, client: socket.socket, server: socket.socket, cut: threading.Event) -> None:
        while data := self._recv(client):
            with self._lock:
                if self._armed:
                    self._armed = False
                    cut.set()
            if not self._send(server, data):
                break
        _shut(server)

    def _down(self, server: socket.socket, client: socket.socket, cut: threading.Event) -> None:
        held = b""
        while data := self._recv(server):
            if not cut.is_set():
                if not self._send(client, data):
                    break
                continue
            held += data  # the answer: kept from the client until the server is done
            if held[-6:-1] == _READY_FOR_QUERY:
                with self._lock:
                    self.lost += 1
                _shut(client)  # the statement committed; its answer is lost
                _shut(server)
                return
        _shut(client)

    @staticmethod
    def _recv(sock: socket.socket) -> bytes:
        try:
            return sock.recv(65536)
        except OSError:
            return b""

    @staticmethod
    def _send(sock: socket.socket, data: bytes) -> bool:
        try:
            sock.sendall(data)
        except OSError:
            return False
        return True

    def close(self) -> None:
        """Stop listening and drop every connection."""
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> AnswerLosingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
