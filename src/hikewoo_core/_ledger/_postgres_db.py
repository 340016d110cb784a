"""How :class:`PostgresLedger` talks to PostgreSQL (psycopg 3): the pool (its own or a
caller's), borrowing a live connection, running one statement as one transaction and
running it again when that is safe, and creating or upgrading the schema.

A statement runs again, on another connection, when:

- PostgreSQL rolled it back because it lost a race (a serialization failure on a server
  whose default isolation is REPEATABLE READ or SERIALIZABLE, a deadlock): always safe;
- the connection dropped while it ran, or after the server committed it but before the
  answer arrived, and the statement is *rerunnable* (:class:`_postgres_sql.Statement`):
  it then answers what the first run would have. The others raise psycopg's
  ``OperationalError``: their outcome is unknown.

A pooled connection the server has hung up on while it sat idle (a restart, an idle
session timeout) is noticed before use, without a round trip, and replaced.
"""

from __future__ import annotations

import random
import re
import select
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from .._errors import ConfigurationError, HikeWooError
from . import _postgres_sql as q

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict
    from psycopg.rows import tuple_row
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # the postgres extra is not installed
    _IMPORT_ERROR: ImportError | None = exc
    LOST_RACE: tuple[type[Exception], ...] = ()
else:
    _IMPORT_ERROR = None
    #: What a statement raises when it lost a race with a concurrent commit (two workers
    #: inserting the same key at once): it wrote nothing, and run again it sees that write.
    LOST_RACE = (pg_errors.UniqueViolation,)

if TYPE_CHECKING:
    from psycopg import Connection, Cursor

__all__ = ["LOST_RACE", "Database", "check_schema", "require_psycopg"]

_T = TypeVar("_T")
Row = tuple[Any, ...]

#: A schema name: a plain lower-case SQL name, not one PostgreSQL keeps for itself.
_SCHEMA_NAME = re.compile(r"(?!pg_)[a-z_][a-z0-9_]{0,62}")
_ROLLBACK_RETRIES = 10  # runs of a statement PostgreSQL keeps rolling back (races lost)


def require_psycopg() -> None:
    """Raise a :class:`ConfigurationError` naming the extra when psycopg is missing."""
    if _IMPORT_ERROR is not None:
        raise ConfigurationError(
            "PostgresLedger needs psycopg 3 and psycopg-pool: pip install "
            "'hikewoo-core[postgres]' (where the machine has no libpq, also "
            f"pip install 'psycopg[binary]'); importing them failed: {_IMPORT_ERROR}"
        )


def check_schema(schema: object) -> str:
    """``schema`` if it is a name the ledger may use, else a :class:`ConfigurationError`."""
    if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
        raise ConfigurationError(
            "schema must be a lower-case SQL name (letters, digits, _; at most 63; not "
            f"starting with pg_, which PostgreSQL keeps for itself), got {schema!r}"
        )
    return schema


def _describe_dsn(dsn: object) -> tuple[str, str]:
    """What ``repr`` and errors show of a DSN (host, port, database, user), and its
    password (to scrub from libpq's messages; never stored)."""
    if not isinstance(dsn, str):
        raise ConfigurationError(f"dsn must be a str, got {type(dsn).__name__}")
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        raise ConfigurationError(
            "PostgresLedger: the DSN is not a valid libpq connection string or URL "
            "(not shown: it may hold a password)"
        ) from None
    shown = [f"{k}={params[k]!r}" for k in ("host", "port", "dbname", "user") if params.get(k)]
    return ", ".join(shown) or "dsn=''", str(params.get("password") or "")


def _open_pool(dsn: str, where: str, password: str, name: str, size: int) -> ConnectionPool[Any]:
    def scrub(exc: Exception) -> str:
        text = str(exc).strip()
        return text.replace(password, "<redacted>") if password else text

    # One direct connection first: a bad DSN or a server that is down fails here with
    # libpq's reason (the pool would only say it timed out).
    try:
        psycopg.connect(dsn, autocommit=True).close()
    except psycopg.Error as exc:
        raise ConfigurationError(
            f"PostgresLedger cannot connect to PostgreSQL ({where}): " + scrub(exc)
        ) from None
    pool: ConnectionPool[Any] = ConnectionPool(
        dsn, min_size=1, max_size=size, kwargs={"autocommit": True}, name=name, open=False
    )
    try:
        pool.open(wait=True, timeout=30.0)
    except psycopg.Error as exc:
        pool.close()
        raise ConfigurationError(
            f"PostgresLedger cannot fill its connection pool ({where}): " + scrub(exc)
        ) from None
    return pool


def _readable(fd: int) -> bool:
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])  # pragma: no cover - Windows


def _hung_up(conn: Connection[Any]) -> bool:
    """Whether an idle connection is dead. An idle connection hears nothing from the
    server unless it is being hung up on (a FATAL message, then the end of the stream),
    or, rarely, a notice: only then does this cost a round trip, to tell them apart."""
    if conn.closed:
        return True
    if not _readable(conn.fileno()):
        return False
    try:
        with _cursor(conn) as cur:
            cur.execute("")
    except psycopg.OperationalError:
        return True
    return conn.closed


def _rolled_back(exc: psycopg.Error) -> bool:
    """Whether PostgreSQL rolled the transaction back because it lost a race (SQLSTATE
    class 40: a serialization failure, a deadlock), so running it again is always safe."""
    return (exc.sqlstate or "").startswith("40")


def _cursor(conn: Connection[Any]) -> Cursor[Row]:
    """A plain cursor with tuple rows, whatever factories a caller's pool set."""
    return psycopg.Cursor(conn, row_factory=tuple_row)


class Database:
    """A ledger's way to its PostgreSQL database: a pool, the statements rendered for
    its schema and clock, and the runner that runs them (see the module's docstring)."""

    def __init__(
        self,
        dsn: str | None,
        pool: ConnectionPool[Any] | None,
        schema: str,
        *,
        bound_clock: bool,
        max_connections: int,
    ) -> None:
        self.schema = schema
        self.owns_pool = pool is None
        self.statements: dict[str, q.Statement] = {}
        self.pool: ConnectionPool[Any] | None = None
        if pool is not None:
            self.where = f"pool={pool.name!r}"
            self.pool = pool
        else:
            self.where, password = _describe_dsn(dsn)
            self.pool = _open_pool(
                str(dsn), self.where, password, f"hikewoo-ledger-{schema}", max_connections
            )
        self._bound_clock = bound_clock
        self._quoted = ""

    def describe(self) -> str:
        """The ledger's ``repr``: where its database is (no password), and its schema."""
        return f"PostgresLedger({self.where}, schema={self.schema!r})"

    def close(self) -> None:
        """Close the pool if it is the ledger's own (idempotent); then nothing runs."""
        pool, self.pool = self.pool, None
        if pool is not None and self.owns_pool:
            pool.close()

    # --- connections --------------------------------------------------------------------

    @contextmanager
    def connection(self) -> Iterator[Connection[Any]]:
        """A live connection from the pool, in autocommit mode (each statement its own
        transaction); a caller's connection is handed back in the mode it was lent in."""
        pool = self.pool
        if pool is None:
            raise HikeWooError(f"{self.describe()} is closed")
        for tries_left in range(pool.max_size, -1, -1):
            with pool.connection() as conn:
                restore = not conn.autocommit
                if restore:
                    conn.autocommit = True
                try:
                    if tries_left and _hung_up(conn):
                        continue  # handed back dead: the pool replaces it
                    yield conn
                    return
                finally:
                    if restore and not conn.closed:
                        conn.autocommit = False

    def run(self, name: str, params: Mapping[str, Any], fetch: Callable[[Cursor[Row]], _T]) -> _T:
        """Run statement ``name`` with ``params`` and ``fetch`` its answer, again when
        PostgreSQL rolled it back or (if rerunnable) the connection dropped."""
        statement = self.statements[name]
        pool = self.pool
        lost = rolled_back = 0
        while True:
            with self.connection() as conn:
                try:
                    with _cursor(conn) as cur:
                        cur.execute(statement.text, params)
                        return fetch(cur)
                except psycopg.OperationalError as exc:
                    if _rolled_back(exc):
                        rolled_back += 1
                        if rolled_back >= _ROLLBACK_RETRIES:
                            raise
                    else:
                        lost += 1
                        if not conn.closed or not statement.rerunnable:
                            raise
                        if pool is None or lost > pool.max_size:
                            raise
                        continue
            time.sleep(random.uniform(0, 0.001 * 2**rolled_back))  # jitter: racers part

    # --- the schema -----------------------------------------------------------------------

    def prepare(self, *, migrate: bool) -> None:
        """Render the statements, then migrate the schema or check its version."""
        with self.connection() as conn:
            self._quoted = sql.Identifier(self.schema).as_string(conn)
            tokens = sql.Literal(f"{self._quoted}.lease_tokens").as_string(conn)
            self.statements = q.render(self._quoted, tokens, bound_clock=self._bound_clock)
            if migrate:
                self._migrate(conn)
            else:
                self._check_version(conn)

    def migrate(self) -> int:
        """Create the schema, or upgrade it to the newest version; return the version."""
        with self.connection() as conn:
            return self._migrate(conn)

    def _execute(self, conn: Connection[Any], text: str, params: Any = None) -> Row | None:
        with _cursor(conn) as cur:
            cur.execute(q.fill(text, self._quoted), params)
            return cur.fetchone() if cur.description is not None else None

    def _migrate(self, conn: Connection[Any]) -> int:
        migrations = q.MIGRATIONS
        target = len(migrations)
        lock = zlib.crc32(f"hikewoo_core ledger {self.schema}".encode())
        with conn.transaction():
            self._execute(conn, "SELECT pg_advisory_xact_lock(%s)", (lock,))
            self._execute(conn, "CREATE SCHEMA IF NOT EXISTS {s}")
            current = self._version(conn, migrating=True)
            if current > target:
                raise self._newer(current)
            if current == 0:
                self._execute(conn, q.CREATE_META)
            for step in migrations[current:]:
                for statement in step:
                    self._execute(conn, statement)
            self._execute(conn, q.SET_VERSION, {"v": str(target)})
        return target

    def _check_version(self, conn: Connection[Any]) -> None:
        current = self._version(conn, migrating=False)
        target = len(q.MIGRATIONS)
        if current == 0:
            raise ConfigurationError(
                f"PostgreSQL database ({self.where}) has no hikewoo_core ledger in schema "
                f"{self.schema!r}; create it once with PostgresLedger(..., migrate=True)"
            )
        if current > target:
            raise self._newer(current)
        if current < target:
            raise ConfigurationError(
                f"the ledger in schema {self.schema!r} ({self.where}) has schema version "
                f"{current}; this hikewoo_core needs version {target}: upgrade it with "
                "PostgresLedger(..., migrate=True) once, with no older worker running"
            )

    def _newer(self, current: int) -> ConfigurationError:
        return ConfigurationError(
            f"the ledger in schema {self.schema!r} ({self.where}) has schema version "
            f"{current}, but this hikewoo_core supports schema version {len(q.MIGRATIONS)} "
            "at most; upgrade hikewoo_core to open it"
        )

    def _version(self, conn: Connection[Any], *, migrating: bool) -> int:
        """The schema's version; 0 when it has no ledger (or does not exist)."""
        row = self._execute(conn, "SELECT to_regclass(%s) IS NOT NULL", (f"{self._quoted}.meta",))
        if row is None or not row[0]:
            if migrating:
                with _cursor(conn) as cur:
                    tables = cur.execute(
                        "SELECT relname FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                        "ORDER BY relname",
                        (self.schema,),
                    ).fetchall()
                if tables:
                    names = ", ".join(str(t[0]) for t in tables)
                    raise ConfigurationError(
                        f"schema {self.schema!r} ({self.where}) is not a hikewoo_core "
                        f"ledger (it has {names}); pick another schema="
                    )
            return 0
        row = self._execute(conn, q.GET_VERSION)
        value = "0" if row is None else str(row[0])
        try:
            return int(value)
        except ValueError:
            raise ConfigurationError(
                f"the ledger in schema {self.schema!r} ({self.where}) has a corrupt "
                f"schema_version {value!r}"
            ) from None
