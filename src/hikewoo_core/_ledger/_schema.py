"""The SQLite ledger's schema: versioned migrations, row codecs and upserts (shell)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime

from .._errors import ConfigurationError
from .._ports import Link, RefundLink
from ._common import (
    format_ts,
    link_conflict,
    refund_hike_conflict,
    refund_woo_conflict,
)

__all__ = [
    "MIN_ID",
    "PAGE",
    "SCHEMA_VERSION",
    "SELECT_INTENT",
    "SELECT_LINK",
    "SELECT_REFUND",
    "migrate_schema",
    "upsert_link",
    "upsert_refund_link",
]

_Step = Callable[[sqlite3.Connection], None]


def _statements(*sql: str) -> _Step:
    def step(conn: sqlite3.Connection) -> None:
        for statement in sql:
            conn.execute(statement)

    return step


# _MIGRATIONS[n] takes a database from schema version n to n + 1, inside the same
# transaction that records the new version. To add version 2, append one step (SQL
# statements via _statements, or any function of the connection for data changes);
# never edit a released step. Money is TEXT (Decimal strings, never REAL); times
# are fixed-width ISO 8601 UTC TEXT, so they compare chronologically as strings.
_MIGRATIONS: tuple[_Step, ...] = (
    _statements(
        """CREATE TABLE links (
            woo_order_id INTEGER PRIMARY KEY,
            hike_sale_id INTEGER NOT NULL UNIQUE,
            origin TEXT NOT NULL,
            woo_status TEXT NOT NULL,
            hike_fulfilment TEXT NOT NULL,
            hike_payment TEXT NOT NULL,
            woo_modified_gmt TEXT,
            hike_modified_at TEXT
        )""",
        """CREATE TABLE refund_links (
            woo_refund_id INTEGER NOT NULL UNIQUE,
            hike_refund_sale_id INTEGER NOT NULL UNIQUE,
            woo_order_id INTEGER NOT NULL,
            origin TEXT NOT NULL,
            amount TEXT NOT NULL
        )""",
        "CREATE INDEX refund_links_by_order ON refund_links (woo_order_id)",
        """CREATE TABLE intents (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
            created_at TEXT NOT NULL,
            result_id INTEGER
        )""",
        "CREATE INDEX intents_by_state ON intents (state, created_at)",
        "CREATE TABLE cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE checkpoints (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE seen_keys (key TEXT PRIMARY KEY, seen_at TEXT NOT NULL)",
        "CREATE INDEX seen_keys_by_time ON seen_keys (seen_at)",
        """CREATE TABLE leases (
            resource TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""",
    ),
    # 2: what the planner read of an order (same-second changes), fencing tokens.
    _statements(
        "ALTER TABLE links ADD COLUMN woo_fingerprint TEXT",
        "ALTER TABLE leases ADD COLUMN token INTEGER NOT NULL DEFAULT 0",
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('lease_generation', '0')",
    ),
)

#: The schema version this release writes; older files are migrated up on open.
SCHEMA_VERSION = len(_MIGRATIONS)

PAGE = 500  # rows per page when iterating all links (bounded memory)
MIN_ID = -(2**63)  # below every SQLite integer: keyset pagination starts here

# Literal SELECT heads (queries are never built from values: every value is a ? bind).
SELECT_LINK = (
    "SELECT woo_order_id, hike_sale_id, origin, woo_status, hike_fulfilment, hike_payment, "
    "woo_modified_gmt, hike_modified_at, woo_fingerprint FROM links "
)
SELECT_REFUND = (
    "SELECT woo_order_id, woo_refund_id, hike_refund_sale_id, origin, amount FROM refund_links "
)
SELECT_INTENT = "SELECT key, kind, payload, state, created_at, result_id FROM intents "


def _ts(value: datetime | None, what: str) -> str | None:
    return None if value is None else format_ts(value, what)


def migrate_schema(conn: sqlite3.Connection, path: str) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION` inside the caller's transaction.

    Raises :class:`~hikewoo_core.ConfigurationError` if the file was written by a
    newer ``hikewoo_core``, has a corrupt version, or holds another program's tables.
    """
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    try:
        current = 0 if row is None else int(row[0])
    except ValueError:
        raise ConfigurationError(
            f"ledger database {path!r} has a corrupt schema_version {row[0]!r}"
        ) from None
    if current > SCHEMA_VERSION:
        raise ConfigurationError(
            f"ledger database {path!r} has schema version {current}, but this "
            f"hikewoo_core supports schema version {SCHEMA_VERSION} at most; "
            "upgrade hikewoo_core to open it"
        )
    if current == 0:
        foreign = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'meta'"
        ).fetchall()
        if foreign:
            names = ", ".join(sorted(r[0] for r in foreign))
            raise ConfigurationError(
                f"{path!r} is not a hikewoo_core ledger (it has tables {names})"
            )
    for step in _MIGRATIONS[current:]:
        step(conn)
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(SCHEMA_VERSION),),
    )
    return SCHEMA_VERSION


def upsert_link(conn: sqlite3.Connection, link: Link) -> None:
    """Insert or update ``link`` (its conflicts checked first) in the open transaction."""
    other = conn.execute(
        "SELECT woo_order_id FROM links WHERE hike_sale_id = ? AND woo_order_id != ?",
        (link.hike_sale_id, link.woo_order_id),
    ).fetchone()
    if other is not None:
        raise link_conflict(link.hike_sale_id, other[0], link.woo_order_id)
    # An UPSERT, not INSERT OR REPLACE: REPLACE would silently delete another
    # order's row on a hike_sale_id clash instead of failing.
    conn.execute(
        "INSERT INTO links (woo_order_id, hike_sale_id, origin, woo_status, hike_fulfilment, "
        "hike_payment, woo_modified_gmt, hike_modified_at, woo_fingerprint) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (woo_order_id) DO UPDATE SET hike_sale_id = excluded.hike_sale_id, "
        "origin = excluded.origin, woo_status = excluded.woo_status, "
        "hike_fulfilment = excluded.hike_fulfilment, hike_payment = excluded.hike_payment, "
        "woo_modified_gmt = excluded.woo_modified_gmt, "
        "hike_modified_at = excluded.hike_modified_at, "
        "woo_fingerprint = excluded.woo_fingerprint",
        (
            link.woo_order_id,
            link.hike_sale_id,
            link.origin.value,
            link.woo_status,
            link.hike_fulfilment.value,
            link.hike_payment.value,
            _ts(link.woo_modified_gmt, "Link.woo_modified_gmt"),
            _ts(link.hike_modified_at, "Link.hike_modified_at"),
            link.woo_fingerprint,
        ),
    )


def upsert_refund_link(conn: sqlite3.Connection, link: RefundLink) -> None:
    """Insert or update a refund link (its conflicts checked first) in the open transaction."""
    row = conn.execute(
        "SELECT hike_refund_sale_id FROM refund_links WHERE woo_refund_id = ?",
        (link.woo_refund_id,),
    ).fetchone()
    if row is not None and row[0] != link.hike_refund_sale_id:
        raise refund_woo_conflict(link.woo_refund_id, row[0], link.hike_refund_sale_id)
    row = conn.execute(
        "SELECT woo_refund_id FROM refund_links "
        "WHERE hike_refund_sale_id = ? AND woo_refund_id != ?",
        (link.hike_refund_sale_id, link.woo_refund_id),
    ).fetchone()
    if row is not None:
        raise refund_hike_conflict(link.hike_refund_sale_id, row[0], link.woo_refund_id)
    conn.execute(
        "INSERT INTO refund_links (woo_order_id, woo_refund_id, hike_refund_sale_id, origin, "
        "amount) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (woo_refund_id) DO UPDATE SET woo_order_id = excluded.woo_order_id, "
        "origin = excluded.origin, amount = excluded.amount",
        (
            link.woo_order_id,
            link.woo_refund_id,
            link.hike_refund_sale_id,
            link.origin.value,
            str(link.amount),
        ),
    )
