"""The shared ledger: PostgreSQL, for workers on several machines (shell; psycopg 3).

:class:`PostgresLedger` is :class:`SqliteLedger`'s twin on a PostgreSQL server: the same
:class:`~hikewoo_core.LedgerPort`, the same values back, the same errors, so code tested
against :class:`MemoryLedger` runs unchanged on it. It needs the ``postgres`` extra
(``pip install 'hikewoo-core[postgres]'``: psycopg 3 and psycopg-pool), imported only when
this module is.

Every method is one statement, and so one transaction, on a connection from a pool:
checks and writes that must go together (a fence and the intent it guards, a link and
its conflicts) are one ``WITH`` statement whose writes run only when every check passes.
Leases are rows locked by PostgreSQL itself (``INSERT ... ON CONFLICT DO UPDATE``:
check and set under the row's lock), fencing tokens come from a sequence, and a fenced
write holds a share lock on its lease row until it commits, so a takeover waits for a
write already under way and every write after it is refused.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .._errors import ConfigurationError, HikeWooError
from .._ports import Fence, Intent, IntentState, Link, Origin, RefundLink
from ..hike._models import FulfilmentStatus, PaymentStatus
from ._common import (
    UTC,
    Clock,
    check_ttl,
    dumps_json_object,
    fenced_out,
    link_conflict,
    loads_json_object,
    normalise_link,
    normalise_refund_link,
    now_from,
    parse_ts,
    refund_hike_conflict,
    refund_woo_conflict,
    to_utc,
    unknown_intent,
)

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # the postgres extra is not installed
    _IMPORT_ERROR: ImportError | None = exc
else:
    _IMPORT_ERROR = None

if TYPE_CHECKING:
    from psycopg import Connection

__all__ = ["DEFAULT_SCHEMA", "SCHEMA_VERSION", "PostgresLedger"]

#: The PostgreSQL schema (namespace) a ledger's tables live in unless told otherwise.
DEFAULT_SCHEMA = "hikewoo"

# _MIGRATIONS[n] takes a schema from version n to n + 1, inside the transaction that
# records the new version ({s}: the schema, {tokens}: the token sequence's name). Append
# a step for version 2; never edit a released one. Money is numeric (exact Decimal,
# scale kept: "0.30" stays "0.30"); times are timestamptz (microseconds, UTC back);
# payloads and checkpoints are JSON text, exactly as SqliteLedger keeps them.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE {s}.links (
            woo_order_id bigint PRIMARY KEY,
            hike_sale_id bigint NOT NULL UNIQUE,
            origin text NOT NULL,
            woo_status text NOT NULL,
            hike_fulfilment text NOT NULL,
            hike_payment text NOT NULL,
            woo_modified_gmt timestamptz,
            hike_modified_at timestamptz,
            woo_fingerprint text
        )""",
        """CREATE TABLE {s}.refund_links (
            woo_refund_id bigint PRIMARY KEY,
            hike_refund_sale_id bigint NOT NULL UNIQUE,
            woo_order_id bigint NOT NULL,
            origin text NOT NULL,
            amount numeric NOT NULL
        )""",
        "CREATE INDEX refund_links_by_order ON {s}.refund_links (woo_order_id)",
        """CREATE TABLE {s}.intents (
            key text PRIMARY KEY,
            kind text NOT NULL,
            payload text NOT NULL,
            state text NOT NULL CHECK (state IN ('pending', 'done')),
            created_at timestamptz NOT NULL,
            result_id bigint,
            seq bigint GENERATED ALWAYS AS IDENTITY
        )""",
        "CREATE INDEX intents_pending ON {s}.intents (created_at, seq) WHERE state = 'pending'",
        "CREATE TABLE {s}.cursors (name text PRIMARY KEY, value text NOT NULL)",
        "CREATE TABLE {s}.checkpoints (name text PRIMARY KEY, value text NOT NULL)",
        "CREATE TABLE {s}.seen_keys (key text PRIMARY KEY, seen_at timestamptz NOT NULL)",
        "CREATE INDEX seen_keys_by_time ON {s}.seen_keys (seen_at)",
        """CREATE TABLE {s}.leases (
            resource text PRIMARY KEY,
            owner text NOT NULL,
            expires_at timestamptz NOT NULL,
            token bigint NOT NULL
        )""",
        "CREATE SEQUENCE {s}.lease_tokens AS bigint",
    ),
)

#: The schema version this release writes (:meth:`PostgresLedger.migrate` brings a
#: schema up to it; opening an older one without migrating raises).
SCHEMA_VERSION = len(_MIGRATIONS)

_PAGE = 500  # rows per page when iterating all links (bounded memory)
_MIN_ID = -(2**63)  # below every bigint: keyset pagination starts here
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_RETRIES = 3  # a statement that lost a race with a concurrent commit runs again

_LINK_COLUMNS = (
    "woo_order_id, hike_sale_id, origin, woo_status, hike_fulfilment, hike_payment, "
    "woo_modified_gmt, hike_modified_at, woo_fingerprint"
)
_REFUND_COLUMNS = "woo_order_id, woo_refund_id, hike_refund_sale_id, origin, amount"
_INTENT_COLUMNS = "key, kind, payload, state, created_at, result_id"

# --- the statements ----------------------------------------------------------------
# Templates: {s} is the schema, {now} the clock (a bound %(now)s or the server's
# statement_timestamp()), {tokens} the token sequence; values are always bound.

_FENCE = (
    "SELECT 1 FROM {s}.leases WHERE resource = %(f_resource)s AND owner = %(f_owner)s "
    "AND token = %(f_token)s FOR SHARE"
)
_NO_ROWS = "SELECT 1 WHERE false"

_BEGIN_INTENT = """
WITH fence AS ({fence}),
ins AS (
    INSERT INTO {s}.intents (key, kind, payload, state, created_at)
    SELECT %(key)s::text, %(kind)s::text, %(payload)s::text, 'pending',
        coalesce(%(created_at)s::timestamptz, {now})
    WHERE EXISTS (SELECT 1 FROM fence)
    ON CONFLICT (key) DO NOTHING
    RETURNING {intent_columns}
),
found AS (
    SELECT {intent_columns} FROM ins
    UNION ALL
    SELECT {intent_columns} FROM {s}.intents
    WHERE key = %(key)s AND NOT EXISTS (SELECT 1 FROM ins)
)
SELECT EXISTS (SELECT 1 FROM fence), found.*
FROM (SELECT 1) AS one LEFT JOIN found ON true
"""

_REATTEMPT_INTENT = """
WITH fence AS ({fence}),
upd AS (
    UPDATE {s}.intents SET payload = %(payload)s
    WHERE key = %(key)s AND state = 'pending' AND EXISTS (SELECT 1 FROM fence)
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM fence),
    EXISTS (SELECT 1 FROM {s}.intents WHERE key = %(key)s),
    (SELECT count(*) FROM upd)
"""

# Checks first, writes only when every check passed (go.ok): all or nothing, in one
# statement. The SELECT at the end reports which check failed, in SqliteLedger's order.
_WRITE = """
WITH fence AS ({fence}),
intent AS ({intent}),
link_clash AS ({link_clash}),
woo_refund_clash AS ({woo_refund_clash}),
hike_refund_clash AS ({hike_refund_clash}),
go AS (
    SELECT EXISTS (SELECT 1 FROM fence) AND EXISTS (SELECT 1 FROM intent)
        AND NOT EXISTS (SELECT 1 FROM link_clash)
        AND NOT EXISTS (SELECT 1 FROM woo_refund_clash)
        AND NOT EXISTS (SELECT 1 FROM hike_refund_clash) AS ok
),
done AS ({done}),
linked AS ({linked}),
refunded AS ({refunded})
SELECT EXISTS (SELECT 1 FROM fence), EXISTS (SELECT 1 FROM intent),
    (SELECT woo_order_id FROM link_clash LIMIT 1),
    (SELECT hike_refund_sale_id FROM woo_refund_clash LIMIT 1),
    (SELECT woo_refund_id FROM hike_refund_clash LIMIT 1),
    (SELECT count(*) FROM done) + (SELECT count(*) FROM linked)
        + (SELECT count(*) FROM refunded)
"""
_INTENT_EXISTS = "SELECT 1 FROM {s}.intents WHERE key = %(key)s"
_LINK_CLASH = (
    "SELECT woo_order_id FROM {s}.links "
    "WHERE hike_sale_id = %(l_hike)s::bigint AND woo_order_id <> %(l_woo)s::bigint"
)
_WOO_REFUND_CLASH = (
    "SELECT hike_refund_sale_id FROM {s}.refund_links "
    "WHERE woo_refund_id = %(r_woo)s::bigint AND hike_refund_sale_id <> %(r_hike)s::bigint"
)
_HIKE_REFUND_CLASH = (
    "SELECT woo_refund_id FROM {s}.refund_links "
    "WHERE hike_refund_sale_id = %(r_hike)s::bigint AND woo_refund_id <> %(r_woo)s::bigint"
)
_DONE = (
    "UPDATE {s}.intents SET state = 'done', result_id = %(result_id)s::bigint "
    "WHERE key = %(key)s AND (SELECT ok FROM go) RETURNING 1"
)
_UPSERT_LINK = (
    "INSERT INTO {s}.links ({link_columns}) "
    "SELECT %(l_woo)s::bigint, %(l_hike)s::bigint, %(l_origin)s::text, %(l_status)s::text, "
    "%(l_fulfilment)s::text, %(l_payment)s::text, %(l_woo_modified)s::timestamptz, "
    "%(l_hike_modified)s::timestamptz, %(l_fingerprint)s::text WHERE (SELECT ok FROM go) "
    "ON CONFLICT (woo_order_id) DO UPDATE SET hike_sale_id = excluded.hike_sale_id, "
    "origin = excluded.origin, woo_status = excluded.woo_status, "
    "hike_fulfilment = excluded.hike_fulfilment, hike_payment = excluded.hike_payment, "
    "woo_modified_gmt = excluded.woo_modified_gmt, "
    "hike_modified_at = excluded.hike_modified_at, "
    "woo_fingerprint = excluded.woo_fingerprint RETURNING 1"
)
_UPSERT_REFUND = (
    "INSERT INTO {s}.refund_links ({refund_columns}) "
    "SELECT %(r_order)s::bigint, %(r_woo)s::bigint, %(r_hike)s::bigint, %(r_origin)s::text, "
    "%(r_amount)s::numeric WHERE (SELECT ok FROM go) "
    "ON CONFLICT (woo_refund_id) DO UPDATE SET woo_order_id = excluded.woo_order_id, "
    "origin = excluded.origin, amount = excluded.amount RETURNING 1"
)

# Take, renew or take over a lease under the row's lock. A new row draws its token when
# it is built; an existing row is re-checked once locked (after any concurrent writer
# committed) and draws a fresh token then, so per resource tokens only grow.
_ACQUIRE = """
INSERT INTO {s}.leases AS l (resource, owner, expires_at, token)
VALUES (%(resource)s, %(owner)s, {now} + %(ttl)s::interval, nextval({tokens}))
ON CONFLICT (resource) DO UPDATE SET
    owner = excluded.owner,
    expires_at = excluded.expires_at,
    token = CASE WHEN l.owner = excluded.owner AND l.expires_at > {now}
        THEN l.token ELSE nextval({tokens}) END
WHERE l.owner = excluded.owner OR l.expires_at <= {now}
RETURNING l.token
"""
_RENEW = (
    "UPDATE {s}.leases SET expires_at = {now} + %(ttl)s::interval "
    "WHERE resource = %(resource)s AND owner = %(owner)s AND token = %(token)s"
)
_RELEASE = "DELETE FROM {s}.leases WHERE resource = %(resource)s AND owner = %(owner)s"
_HOLDER = "SELECT owner FROM {s}.leases WHERE resource = %(resource)s AND expires_at > {now}"

_ADD_IF_NEW = (
    "INSERT INTO {s}.seen_keys (key, seen_at) VALUES (%(key)s, {now}) ON CONFLICT (key) DO NOTHING"
)
_ACTIVATE = (
    "INSERT INTO {s}.meta (key, value) VALUES ('activated_at', "
    """to_char({now} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')) """
    "ON CONFLICT (key) DO NOTHING"
)

_STATEMENTS: dict[str, str] = {
    "begin_fenced": _BEGIN_INTENT.replace("{fence}", _FENCE),
    "begin": _BEGIN_INTENT.replace("{fence}", "SELECT 1"),
    "reattempt_fenced": _REATTEMPT_INTENT.replace("{fence}", _FENCE),
    "reattempt": _REATTEMPT_INTENT.replace("{fence}", "SELECT 1"),
    "acquire": _ACQUIRE,
    "renew": _RENEW,
    "release": _RELEASE,
    "holder": _HOLDER,
    "add_if_new": _ADD_IF_NEW,
    "activate": _ACTIVATE,
    "activated_at": "SELECT value FROM {s}.meta WHERE key = 'activated_at'",
    "prune_seen": "DELETE FROM {s}.seen_keys WHERE seen_at < %(cutoff)s",
    "get_cursor": "SELECT value FROM {s}.cursors WHERE name = %(name)s",
    "set_cursor": (
        "INSERT INTO {s}.cursors (name, value) VALUES (%(name)s, %(value)s) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    ),
    "get_checkpoint": "SELECT value FROM {s}.checkpoints WHERE name = %(name)s",
    "set_checkpoint": (
        "INSERT INTO {s}.checkpoints (name, value) VALUES (%(name)s, %(value)s) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    ),
    "link_for_woo": "SELECT {link_columns} FROM {s}.links WHERE woo_order_id = %(id)s",
    "link_for_hike": "SELECT {link_columns} FROM {s}.links WHERE hike_sale_id = %(id)s",
    "links": (
        "SELECT {link_columns} FROM {s}.links WHERE woo_order_id > %(after)s "
        "ORDER BY woo_order_id LIMIT %(limit)s"
    ),
    "refund_links": (
        "SELECT {refund_columns} FROM {s}.refund_links WHERE woo_order_id = %(id)s "
        "ORDER BY woo_refund_id"
    ),
    "refund_for_hike": (
        "SELECT {refund_columns} FROM {s}.refund_links WHERE hike_refund_sale_id = %(id)s"
    ),
    "all_refund_links": (
        "SELECT {refund_columns} FROM {s}.refund_links WHERE woo_refund_id > %(after)s "
        "ORDER BY woo_refund_id LIMIT %(limit)s"
    ),
    "pending_intents": (
        "SELECT {intent_columns} FROM {s}.intents WHERE state = 'pending' ORDER BY created_at, seq"
    ),
}

_T = TypeVar("_T")


def _none(column: str) -> str:
    return f"SELECT NULL::bigint AS {column} WHERE false"


def _write_name(fence: bool, intent: bool, link: bool, refund: bool) -> str:
    shape = zip(("fence", "intent", "link", "refund"), (fence, intent, link, refund), strict=True)
    return "write:" + "+".join(part for part, present in shape if present)


def _write_statement(fence: bool, intent: bool, link: bool, refund: bool) -> str:
    """The statement that checks, then writes, what a ``complete_intent`` (``intent``),
    ``save_link`` or ``save_refund_link`` call records."""
    parts = {
        "{fence}": _FENCE if fence else "SELECT 1",
        "{intent}": _INTENT_EXISTS if intent else "SELECT 1",
        "{link_clash}": _LINK_CLASH if link else _none("woo_order_id"),
        "{woo_refund_clash}": _WOO_REFUND_CLASH if refund else _none("hike_refund_sale_id"),
        "{hike_refund_clash}": _HIKE_REFUND_CLASH if refund else _none("woo_refund_id"),
        "{done}": _DONE if intent else _NO_ROWS,
        "{linked}": _UPSERT_LINK if link else _NO_ROWS,
        "{refunded}": _UPSERT_REFUND if refund else _NO_ROWS,
    }
    text = _WRITE
    for key, part in parts.items():
        text = text.replace(key, part)
    return text


def _require_psycopg() -> None:
    if _IMPORT_ERROR is not None:
        raise ConfigurationError(
            "PostgresLedger needs psycopg 3 and psycopg-pool: pip install "
            "'hikewoo-core[postgres]' (where the machine has no libpq, also "
            f"pip install 'psycopg[binary]'); importing them failed: {_IMPORT_ERROR}"
        )


class PostgresLedger:
    """A :class:`~hikewoo_core.LedgerPort` in a PostgreSQL database, shared by processes
    on any number of machines.

    Give it a DSN (``"postgresql://user:password@host/db"`` or ``"host=... dbname=..."``)
    and it keeps a small pool of its own (``max_connections``), closed by :meth:`close`;
    or give it your own :class:`psycopg_pool.ConnectionPool` (``pool=``), which it borrows
    connections from and never closes. Borrowed connections run its statements in
    autocommit mode (each statement is its own transaction) and are handed back as found.

    The tables live in the PostgreSQL schema ``schema`` (default ``"hikewoo"``), so
    several ledgers can share a database. Creating and upgrading them is explicit:
    ``PostgresLedger(dsn, migrate=True)`` (or :meth:`migrate`) creates the schema, or
    brings an older one up to :data:`SCHEMA_VERSION`, under an advisory lock; opening a
    database without it, or with an older version, raises
    :class:`~hikewoo_core.ConfigurationError` saying so.

    ``clock`` dates intents, seen keys, leases and the activation time. By default it is
    the *database server's* clock (``statement_timestamp()``), so workers on machines
    whose clocks disagree still agree on when a lease expires; inject one (as for
    :class:`SqliteLedger`) to test expiry.

    The DSN's password never appears in ``repr``, errors or logs.
    """

    def __init__(
        self,
        dsn: str | None = None,
        *,
        pool: ConnectionPool[Any] | None = None,
        schema: str = DEFAULT_SCHEMA,
        clock: Clock | None = None,
        migrate: bool = False,
        max_connections: int = 4,
    ) -> None:
        _require_psycopg()
        if (dsn is None) == (pool is None):
            raise ConfigurationError("PostgresLedger takes a DSN or pool=, not both or neither")
        given: object = schema  # user input: check what it really is
        if not isinstance(given, str) or not _SCHEMA_NAME.fullmatch(given):
            raise ConfigurationError(
                f"schema must be a lower-case SQL name (letters, digits, _; at most 63), "
                f"got {schema!r}"
            )
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise ConfigurationError(f"max_connections must be an int, got {max_connections!r}")
        if max_connections < 1:
            raise ConfigurationError(f"max_connections must be 1 or more, got {max_connections}")
        self._schema = schema
        self._clock = clock
        self._password = ""
        self._owns_pool = pool is None
        self._sql: dict[str, str] = {}
        self._pool: ConnectionPool[Any] | None = None
        if pool is not None:
            self._where = f"pool={pool.name!r}"
            self._pool = pool
        elif dsn is not None:
            self._where = self._describe_dsn(dsn)
            self._pool = self._open_pool(dsn, max_connections)
        try:
            with self._connection() as conn:
                self._render(conn)
                if migrate:
                    self._migrate(conn)
                else:
                    self._check_version(conn)
        except BaseException:
            self.close()
            raise

    # --- opening, closing -------------------------------------------------------------

    def _describe_dsn(self, dsn: str) -> str:
        if not isinstance(dsn, str):
            raise ConfigurationError(f"dsn must be a str, got {type(dsn).__name__}")
        try:
            params = conninfo_to_dict(dsn)
        except psycopg.Error:
            raise ConfigurationError(
                "PostgresLedger: the DSN is not a valid libpq connection string or URL "
                "(not shown: it may hold a password)"
            ) from None
        self._password = str(params.get("password") or "")
        shown = [f"{k}={params[k]!r}" for k in ("host", "port", "dbname", "user") if params.get(k)]
        return ", ".join(shown) or "dsn=''"

    def _scrub(self, text: str) -> str:
        return text.replace(self._password, "<redacted>") if self._password else text

    def _open_pool(self, dsn: str, max_connections: int) -> ConnectionPool[Any]:
        # One direct connection first: a bad DSN or a server that is down fails here with
        # libpq's reason (the pool would only say it timed out).
        try:
            psycopg.connect(dsn, autocommit=True).close()
        except psycopg.Error as exc:
            raise ConfigurationError(
                f"PostgresLedger cannot connect to PostgreSQL ({self._where}): "
                + self._scrub(str(exc).strip())
            ) from None
        pool: ConnectionPool[Any] = ConnectionPool(
            dsn,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True},
            name=f"hikewoo-ledger-{self._schema}",
            open=False,
        )
        try:
            pool.open(wait=True, timeout=30.0)
        except psycopg.Error as exc:
            pool.close()
            raise ConfigurationError(
                f"PostgresLedger cannot fill its connection pool ({self._where}): "
                + self._scrub(str(exc).strip())
            ) from None
        return pool

    def __repr__(self) -> str:
        return f"PostgresLedger({self._where}, schema={self._schema!r})"

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding this ledger's tables."""
        return self._schema

    def close(self) -> None:
        """Close the ledger's own pool (idempotent; a caller's pool is left open). The
        ledger cannot be used afterwards."""
        pool, self._pool = self._pool, None
        if pool is not None and self._owns_pool:
            pool.close()

    def __enter__(self) -> PostgresLedger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _connection(self) -> Iterator[Connection[Any]]:
        pool = self._pool
        if pool is None:
            raise HikeWooError(f"{self!r} is closed")
        with pool.connection() as conn:
            restore = not conn.autocommit
            if restore:
                conn.autocommit = True  # each statement its own transaction
            try:
                yield conn
            finally:
                if restore and not conn.closed:
                    conn.autocommit = False

    def _render(self, conn: Connection[Any]) -> None:
        """Quote the schema into every statement once (psycopg.sql: never by hand)."""
        schema = sql.Identifier(self._schema).as_string(conn)
        tokens = sql.Literal(f"{schema}.lease_tokens").as_string(conn)
        now = "%(now)s::timestamptz" if self._clock is not None else "statement_timestamp()"
        self._subst = {
            "{link_columns}": _LINK_COLUMNS,
            "{refund_columns}": _REFUND_COLUMNS,
            "{intent_columns}": _INTENT_COLUMNS,
            "{s}": schema,
            "{tokens}": tokens,
            "{now}": now,
        }
        self._sql = {name: self._fill(text) for name, text in _STATEMENTS.items()}
        for shape in itertools.product((False, True), repeat=4):
            self._sql[_write_name(*shape)] = self._fill(_write_statement(*shape))

    def _fill(self, text: str) -> str:
        for key, value in self._subst.items():
            text = text.replace(key, value)
        return text

    # --- schema ---------------------------------------------------------------------

    def migrate(self) -> int:
        """Create the schema, or upgrade it to :data:`SCHEMA_VERSION`; return the version.

        Runs in one transaction under an advisory lock, so two processes migrating at
        once cannot both create it. Raises :class:`~hikewoo_core.ConfigurationError` if
        the schema was written by a newer ``hikewoo_core`` or holds other tables.
        """
        with self._connection() as conn:
            return self._migrate(conn)

    def _migrate(self, conn: Connection[Any]) -> int:
        target = len(_MIGRATIONS)
        lock = zlib.crc32(f"hikewoo_core ledger {self._schema}".encode())
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
            conn.execute(self._fill("CREATE SCHEMA IF NOT EXISTS {s}"))
            current = self._version(conn, migrating=True)
            if current > target:
                raise self._newer(current)
            if current == 0:
                conn.execute(
                    self._fill("CREATE TABLE {s}.meta (key text PRIMARY KEY, value text NOT NULL)")
                )
            for step in _MIGRATIONS[current:]:
                for statement in step:
                    conn.execute(self._fill(statement))
            conn.execute(
                self._fill(
                    "INSERT INTO {s}.meta (key, value) VALUES ('schema_version', %(v)s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                ),
                {"v": str(target)},
            )
        return target

    def _check_version(self, conn: Connection[Any]) -> None:
        current = self._version(conn, migrating=False)
        target = len(_MIGRATIONS)
        if current == 0:
            raise ConfigurationError(
                f"PostgreSQL database ({self._where}) has no hikewoo_core ledger in schema "
                f"{self._schema!r}; create it once with PostgresLedger(..., migrate=True)"
            )
        if current > target:
            raise self._newer(current)
        if current < target:
            raise ConfigurationError(
                f"the ledger in schema {self._schema!r} ({self._where}) has schema version "
                f"{current}; this hikewoo_core needs version {target}: upgrade it with "
                "PostgresLedger(..., migrate=True) once, with no older worker running"
            )

    def _newer(self, current: int) -> ConfigurationError:
        return ConfigurationError(
            f"the ledger in schema {self._schema!r} ({self._where}) has schema version "
            f"{current}, but this hikewoo_core supports schema version {len(_MIGRATIONS)} "
            "at most; upgrade hikewoo_core to open it"
        )

    def _version(self, conn: Connection[Any], *, migrating: bool) -> int:
        """The schema's version; 0 when it has no ledger (or does not exist)."""
        qualified = sql.Identifier(self._schema).as_string(conn) + ".meta"
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (qualified,)).fetchone()
        if row is None or not row[0]:
            if migrating:
                tables = conn.execute(
                    "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                    "ORDER BY relname",
                    (self._schema,),
                ).fetchall()
                if tables:
                    names = ", ".join(str(t[0]) for t in tables)
                    raise ConfigurationError(
                        f"schema {self._schema!r} ({self._where}) is not a hikewoo_core "
                        f"ledger (it has {names}); pick another schema="
                    )
            return 0
        row = conn.execute(
            self._fill("SELECT value FROM {s}.meta WHERE key = 'schema_version'")
        ).fetchone()
        value = "0" if row is None else str(row[0])
        try:
            return int(value)
        except ValueError:
            raise ConfigurationError(
                f"the ledger in schema {self._schema!r} ({self._where}) has a corrupt "
                f"schema_version {value!r}"
            ) from None

    # --- running statements -------------------------------------------------------------

    def _params(self, **params: Any) -> dict[str, Any]:
        if self._clock is not None:
            params["now"] = now_from(self._clock)
        return params

    def _one(self, name: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        with self._connection() as conn:
            return conn.execute(self._sql[name], params).fetchone()

    def _answer(self, name: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The one row a statement that always answers one row answered."""
        row = self._one(name, params)
        if row is None:
            raise HikeWooError(f"{self!r}: PostgreSQL answered no row to {name}")
        return row

    def _all(self, name: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        with self._connection() as conn:
            return conn.execute(self._sql[name], params).fetchall()

    def _count(self, name: str, params: Mapping[str, Any]) -> int:
        with self._connection() as conn:
            return conn.execute(self._sql[name], params).rowcount

    def _retrying(self, attempt: Callable[[], _T | None]) -> _T:
        """Run ``attempt`` until it answers: a statement that lost a race with a write
        committed meanwhile (a unique violation, or a row its snapshot cannot see yet)
        runs again and then sees that write, as SqliteLedger's serialised writes would."""
        for _ in range(_RETRIES - 1):
            try:
                result = attempt()
            except (pg_errors.UniqueViolation, pg_errors.DeadlockDetected):
                continue
            if result is not None:
                return result
        result = attempt()
        if result is None:
            raise HikeWooError(f"{self!r}: a statement kept losing races; try again")
        return result

    # --- links ----------------------------------------------------------------------

    def link_for_woo(self, woo_order_id: int) -> Link | None:
        """The link of a WooCommerce order, if synced."""
        row = self._one("link_for_woo", {"id": woo_order_id})
        return None if row is None else _link(row)

    def link_for_hike(self, hike_sale_id: int) -> Link | None:
        """The link of a Hike sale, if synced."""
        row = self._one("link_for_hike", {"id": hike_sale_id})
        return None if row is None else _link(row)

    def links(self) -> Iterator[Link]:
        """Every link, by WooCommerce order id, read a page at a time (bounded memory)."""
        after = _MIN_ID
        while True:
            rows = self._all("links", {"after": after, "limit": _PAGE})
            yield from (_link(r) for r in rows)
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]

    def save_link(self, link: Link) -> None:
        """Insert or replace the link of ``link.woo_order_id``."""
        link = normalise_link(link)
        self._write(None, None, None, link, None)

    def refund_links(self, woo_order_id: int) -> list[RefundLink]:
        """Every synced refund of a WooCommerce order, by WooCommerce refund id."""
        return [_refund(r) for r in self._all("refund_links", {"id": woo_order_id})]

    def refund_link_for_hike(self, hike_refund_sale_id: int) -> RefundLink | None:
        """The link of a Hike refund sale, if synced."""
        row = self._one("refund_for_hike", {"id": hike_refund_sale_id})
        return None if row is None else _refund(row)

    def all_refund_links(self) -> Iterator[RefundLink]:
        """Every refund link, by WooCommerce refund id, a page at a time."""
        after = _MIN_ID
        while True:
            rows = self._all("all_refund_links", {"after": after, "limit": _PAGE})
            yield from (_refund(r) for r in rows)
            if len(rows) < _PAGE:
                return
            after = rows[-1][1]

    def save_refund_link(self, link: RefundLink) -> None:
        """Record a synced refund; replaying the same pair is a no-op, re-pairing an error."""
        link = normalise_refund_link(link)
        self._write(None, None, None, None, link)

    # --- intents --------------------------------------------------------------------

    def begin_intent(self, intent: Intent, *, fence: Fence | None = None) -> Intent:
        """Record ``intent`` as pending; if its key exists, return the stored one unchanged.

        The payload is stored in its JSON-safe form (Decimal → str, datetime → ISO
        8601, Enum → value); the returned intent carries that form. With ``fence``, a
        holder whose lease was taken over gets a ``LeaseError`` (checked in the same
        statement, which holds the lease row's share lock until it commits).
        """
        payload = dumps_json_object(intent.payload, what="intent payload")
        created = (
            None if intent.created_at is None else to_utc(intent.created_at, "Intent.created_at")
        )
        params = self._params(
            key=intent.key, kind=intent.kind, payload=payload, created_at=created, **_fence(fence)
        )
        name = "begin" if fence is None else "begin_fenced"

        def attempt() -> Intent | None:
            row = self._answer(name, params)
            if fence is not None and not row[0]:
                raise fenced_out(fence)
            return None if row[1] is None else _intent(row[1:])

        return self._retrying(attempt)

    def reattempt_intent(
        self, key: str, payload: Mapping[str, Any], *, fence: Fence | None = None
    ) -> None:
        """Replace the payload of a pending intent (a new attempt starts)."""
        text = dumps_json_object(payload, what="intent payload")
        name = "reattempt" if fence is None else "reattempt_fenced"
        row = self._answer(name, {"key": key, "payload": text, **_fence(fence)})
        if fence is not None and not row[0]:
            raise fenced_out(fence)
        if not row[1]:
            raise unknown_intent(key)

    def pending_intents(self) -> list[Intent]:
        """Intents begun but never completed, oldest first (ties in order of beginning)."""
        return [_intent(r) for r in self._all("pending_intents", {})]

    def complete_intent(
        self,
        key: str,
        *,
        result_id: int | None,
        link: Link | None = None,
        refund_link: RefundLink | None = None,
        fence: Fence | None = None,
    ) -> None:
        """Mark an intent done and store the link (or refund link) it produced, atomically.

        One statement: if any check fails (an unknown key, a link conflict, a ``fence``
        whose lease was taken over), nothing is written and the intent stays pending.
        """
        link = None if link is None else normalise_link(link)
        refund_link = None if refund_link is None else normalise_refund_link(refund_link)
        self._write(fence, key, result_id, link, refund_link)

    def _write(
        self,
        fence: Fence | None,
        key: str | None,
        result_id: int | None,
        link: Link | None,
        refund: RefundLink | None,
    ) -> None:
        statement = _write_name(
            fence is not None, key is not None, link is not None, refund is not None
        )
        params: dict[str, Any] = {"key": key, "result_id": result_id, **_fence(fence)}
        if link is not None:
            params.update(
                l_woo=link.woo_order_id,
                l_hike=link.hike_sale_id,
                l_origin=link.origin.value,
                l_status=link.woo_status,
                l_fulfilment=link.hike_fulfilment.value,
                l_payment=link.hike_payment.value,
                l_woo_modified=link.woo_modified_gmt,
                l_hike_modified=link.hike_modified_at,
                l_fingerprint=link.woo_fingerprint,
            )
        if refund is not None:
            params.update(
                r_order=refund.woo_order_id,
                r_woo=refund.woo_refund_id,
                r_hike=refund.hike_refund_sale_id,
                r_origin=refund.origin.value,
                r_amount=refund.amount,
            )

        def attempt() -> bool:
            row = self._answer(statement, params)
            fenced, known, other_order, other_hike_refund, other_woo_refund, _ = row
            if fence is not None and not fenced:
                raise fenced_out(fence)
            if not known:
                raise unknown_intent(str(key))
            if other_order is not None and link is not None:
                raise link_conflict(link.hike_sale_id, other_order, link.woo_order_id)
            if other_hike_refund is not None and refund is not None:
                raise refund_woo_conflict(
                    refund.woo_refund_id, other_hike_refund, refund.hike_refund_sale_id
                )
            if other_woo_refund is not None and refund is not None:
                raise refund_hike_conflict(
                    refund.hike_refund_sale_id, other_woo_refund, refund.woo_refund_id
                )
            return True

        self._retrying(attempt)

    # --- cursors, checkpoints, seen keys, activation -----------------------------------

    def get_cursor(self, name: str) -> str | None:
        """A named cursor, if set."""
        row = self._one("get_cursor", {"name": name})
        return None if row is None else str(row[0])

    def set_cursor(self, name: str, value: str) -> None:
        """Set a named cursor."""
        self._count("set_cursor", {"name": name, "value": value})

    def get_checkpoint(self, name: str) -> dict[str, Any] | None:
        """A named checkpoint (its JSON-decoded object), if set."""
        row = self._one("get_checkpoint", {"name": name})
        return None if row is None else loads_json_object(row[0])

    def set_checkpoint(self, name: str, value: Mapping[str, Any]) -> None:
        """Store a named checkpoint as JSON (Decimal, datetime and Enum values converted)."""
        text = dumps_json_object(value, what="checkpoint")
        self._count("set_checkpoint", {"name": name, "value": text})

    def add_if_new(self, key: str) -> bool:
        """Remember ``key``; True if it was not seen before (webhook de-duplication)."""
        return self._count("add_if_new", self._params(key=key)) == 1

    def prune_seen(self, older_than: datetime) -> int:
        """Forget keys first seen before ``older_than``; return how many were forgotten."""
        cutoff = to_utc(older_than, "older_than")
        return self._count("prune_seen", {"cutoff": cutoff})

    def activated_at(self) -> datetime:
        """When the ledger was first asked this (recorded on that first call, kept forever)."""
        row = self._one("activated_at", {})
        if row is None:
            self._count("activate", self._params())
            row = self._answer("activated_at", {})
        return parse_ts(row[0])

    # --- leases -----------------------------------------------------------------------

    def acquire_lease(self, resource: str, owner: str, ttl_seconds: float) -> int | None:
        """Take, renew or take over (if expired) the lease; its fencing token, or ``None``.

        One ``INSERT ... ON CONFLICT DO UPDATE``: PostgreSQL checks and sets under the
        lease row's lock, so two workers, wherever they run, never both hold it. Tokens
        come from one sequence, so they grow across workers and restarts.
        """
        ttl = timedelta(seconds=check_ttl(ttl_seconds))
        row = self._one("acquire", self._params(resource=resource, owner=owner, ttl=ttl))
        return None if row is None else int(row[0])

    def renew_lease(self, fence: Fence, ttl_seconds: float) -> bool:
        """Extend the lease if it still carries ``fence.token`` (expired or not)."""
        ttl = timedelta(seconds=check_ttl(ttl_seconds))
        params = self._params(
            resource=fence.resource, owner=fence.owner, token=fence.token, ttl=ttl
        )
        return self._count("renew", params) == 1

    def release_lease(self, resource: str, owner: str) -> None:
        """Give up the lease on ``resource`` if ``owner`` holds it (otherwise do nothing)."""
        self._count("release", {"resource": resource, "owner": owner})

    def lease_holder(self, resource: str) -> str | None:
        """Who holds an unexpired lease on ``resource``, if anyone (for reports and tests)."""
        row = self._one("holder", self._params(resource=resource))
        return None if row is None else str(row[0])


def _fence(fence: Fence | None) -> dict[str, Any]:
    if fence is None:
        return {}
    return {"f_resource": fence.resource, "f_owner": fence.owner, "f_token": fence.token}


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _link(row: Sequence[Any]) -> Link:
    return Link(
        woo_order_id=row[0],
        hike_sale_id=row[1],
        origin=Origin(row[2]),
        woo_status=row[3],
        hike_fulfilment=FulfilmentStatus(row[4]),
        hike_payment=PaymentStatus(row[5]),
        woo_modified_gmt=_utc(row[6]),
        hike_modified_at=_utc(row[7]),
        woo_fingerprint=row[8],
    )


def _refund(row: Sequence[Any]) -> RefundLink:
    amount: Decimal = row[4]
    return RefundLink(
        woo_order_id=row[0],
        woo_refund_id=row[1],
        hike_refund_sale_id=row[2],
        origin=Origin(row[3]),
        amount=amount,
    )


def _intent(row: Sequence[Any]) -> Intent:
    return Intent(
        key=row[0],
        kind=row[1],
        payload=loads_json_object(row[2]),
        state=IntentState(row[3]),
        created_at=_utc(row[4]),
        result_id=row[5],
    )
