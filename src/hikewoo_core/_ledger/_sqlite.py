"""The durable ledger: one SQLite file, safe across threads and processes (shell)."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from .._errors import ConfigurationError, HikeWooError
from .._ports import Fence, Intent, Link, RefundLink
from ._base import LedgerBase, Outcome
from ._common import (
    Clock,
    check_ttl,
    dumps_json_object,
    fenced_out,
    format_ts,
    intent_from_row,
    link_from_row,
    loads_json_object,
    now_from,
    paged,
    parse_ts,
    refund_from_row,
    unknown_intent,
    utc_now,
)
from ._schema import (
    MIN_ID,
    PAGE,
    SCHEMA_VERSION,
    SELECT_INTENT,
    SELECT_LINK,
    SELECT_REFUND,
    migrate_schema,
    upsert_link,
    upsert_refund_link,
)

__all__ = ["SCHEMA_VERSION", "SqliteLedger"]


class SqliteLedger(LedgerBase):
    """A :class:`~hikewoo_core.LedgerPort` stored in one SQLite file.

    Durable and crash-safe: WAL journal with ``synchronous=FULL`` (a committed
    intent or link survives a power cut, not only a process crash; the cost, one
    fsync per commit, is small next to the HTTP write each intent stands for).
    Every write runs in one ``BEGIN IMMEDIATE`` transaction, so several threads
    *and several processes* may share a file: leases are check-and-set under
    SQLite's write lock, and a writer waits up to ``timeout`` seconds for it.

    Intent payloads and checkpoints are stored as JSON. They are informational:
    ``Decimal`` values come back as strings, ``datetime`` as ISO 8601 strings,
    enums as their values (the same on :class:`MemoryLedger`). Link datetimes and
    refund amounts are typed columns and come back as aware UTC datetimes and
    exact ``Decimal`` values.

    Opening an empty (or new) file creates the schema; an older schema is migrated
    (:meth:`migrate`); a newer one raises :class:`~hikewoo_core.ConfigurationError`.
    Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Clock | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._path = os.fspath(path)
        self._clock: Clock = clock if clock is not None else utc_now
        # One connection shared by all threads (check_same_thread=False), every use
        # under this lock, rather than one connection per thread: close() then closes
        # everything deterministically (per-thread connections outlive their threads
        # and leak), and the lock makes each method atomic within the process. The
        # ledger is never the bottleneck: each write stands for a remote HTTP call.
        self._lock = threading.RLock()
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE below).
            conn = sqlite3.connect(
                self._path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot open ledger database {self._path!r}: {exc}") from exc
        self._conn: sqlite3.Connection | None = conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {max(0, int(timeout * 1000))}")
            conn.execute("PRAGMA journal_mode = WAL")  # ':memory:' stays 'memory'
            conn.execute("PRAGMA synchronous = FULL")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise ConfigurationError(f"{self._path!r} is not a usable ledger: {exc}") from exc
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"SqliteLedger({self._path!r})"

    @property
    def path(self) -> str:
        """The database file's path, as given."""
        return self._path

    def close(self) -> None:
        """Close the connection (idempotent). The ledger cannot be used afterwards."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # connection and transactions ---------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise HikeWooError(f"{self!r} is closed")
            yield self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on error.

        IMMEDIATE takes SQLite's write lock up front, so a read-then-write (a lease,
        a conflict check) cannot interleave with another process's write.
        """
        with self._read() as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise HikeWooError(f"ledger {self._path!r} is busy: {exc}") from exc
            with conn:  # commit, or roll back if the body raised
                yield conn

    def migrate(self) -> int:
        """Bring the schema to :data:`SCHEMA_VERSION` (called on open); return it.

        Runs the pending steps of the migration list in one ``BEGIN IMMEDIATE``
        transaction, so two processes opening a new file cannot both create it.
        Raises :class:`~hikewoo_core.ConfigurationError` if the file was written by a
        newer ``hikewoo_core`` or holds tables of something else.
        """
        with self._write() as conn:
            return migrate_schema(conn, self._path)

    # links ---------------------------------------------------------------------------

    def link_for_woo(self, woo_order_id: int) -> Link | None:
        """The link of a WooCommerce order, if synced."""
        with self._read() as conn:
            row = conn.execute(SELECT_LINK + "WHERE woo_order_id = ?", (woo_order_id,)).fetchone()
        return None if row is None else link_from_row(row, parse_ts)

    def link_for_hike(self, hike_sale_id: int) -> Link | None:
        """The link of a Hike sale, if synced."""
        with self._read() as conn:
            row = conn.execute(SELECT_LINK + "WHERE hike_sale_id = ?", (hike_sale_id,)).fetchone()
        return None if row is None else link_from_row(row, parse_ts)

    def links(self) -> Iterator[Link]:
        """Every link, by WooCommerce order id, read a page at a time (bounded memory)."""
        rows = self._pages(SELECT_LINK + "WHERE woo_order_id > ? ORDER BY woo_order_id", 0)
        return (link_from_row(r, parse_ts) for r in rows)

    def _save_link(self, link: Link) -> None:
        with self._write() as conn:
            upsert_link(conn, link)

    def refund_links(self, woo_order_id: int) -> list[RefundLink]:
        """Every synced refund of a WooCommerce order, by WooCommerce refund id."""
        with self._read() as conn:
            rows = conn.execute(
                SELECT_REFUND + "WHERE woo_order_id = ? ORDER BY woo_refund_id",
                (woo_order_id,),
            ).fetchall()
        return [refund_from_row(r) for r in rows]

    def refund_link_for_hike(self, hike_refund_sale_id: int) -> RefundLink | None:
        """The link of a Hike refund sale, if synced."""
        with self._read() as conn:
            row = conn.execute(
                SELECT_REFUND + "WHERE hike_refund_sale_id = ?",
                (hike_refund_sale_id,),
            ).fetchone()
        return None if row is None else refund_from_row(row)

    def all_refund_links(self) -> Iterator[RefundLink]:
        """Every refund link, by WooCommerce refund id, a page at a time."""
        rows = self._pages(SELECT_REFUND + "WHERE woo_refund_id > ? ORDER BY woo_refund_id", 1)
        return (refund_from_row(r) for r in rows)

    def _save_refund_link(self, link: RefundLink) -> None:
        with self._write() as conn:
            upsert_refund_link(conn, link)

    def _pages(self, select: str, key: int) -> Iterator[Any]:
        """The rows of ``select`` (those whose column ``key`` is above its one ``?``, in
        that column's order), keyset-paginated: each page read under the lock on its own."""

        def fetch(after: int, size: int) -> list[Any]:
            with self._read() as conn:
                return conn.execute(select + " LIMIT ?", (after, size)).fetchall()

        return paged(fetch, key=key, start=MIN_ID, size=PAGE)

    # intents -------------------------------------------------------------------------

    def begin_intent(self, intent: Intent, *, fence: Fence | None = None) -> Intent:
        """Record ``intent`` as pending; if its key exists, return the stored one unchanged.

        The payload is stored in its JSON-safe form (Decimal → str, datetime → ISO
        8601, Enum → value); the returned intent carries that form. With ``fence``, a
        holder whose lease was taken over gets a ``LeaseError`` (checked in the same
        transaction).
        """
        payload = dumps_json_object(intent.payload, what="intent payload")
        created = (
            None if intent.created_at is None else format_ts(intent.created_at, "Intent.created_at")
        )
        with self._write() as conn:
            _check_fence(conn, fence)
            conn.execute(
                "INSERT OR IGNORE INTO intents (key, kind, payload, state, created_at, result_id) "
                "VALUES (?, ?, ?, 'pending', ?, NULL)",
                (intent.key, intent.kind, payload, created or format_ts(now_from(self._clock))),
            )
            row = conn.execute(SELECT_INTENT + "WHERE key = ?", (intent.key,)).fetchone()
        return intent_from_row(row, parse_ts)

    def _reattempt(self, key: str, payload: Mapping[str, Any], fence: Fence | None) -> None:
        text = dumps_json_object(payload, what="intent payload")
        with self._write() as conn:
            _check_fence(conn, fence)
            if conn.execute("SELECT 1 FROM intents WHERE key = ?", (key,)).fetchone() is None:
                raise unknown_intent(key)
            conn.execute(
                "UPDATE intents SET payload = ? WHERE key = ? AND state = 'pending'", (text, key)
            )

    def pending_intents(self) -> list[Intent]:
        """Intents begun but never completed, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                SELECT_INTENT + "WHERE state = 'pending' ORDER BY created_at, rowid"
            ).fetchall()
        return [intent_from_row(r, parse_ts) for r in rows]

    def _complete(self, key: str, outcome: Outcome, fence: Fence | None) -> None:
        """All three writes share one transaction: if any fails, none is kept."""
        result_id, link, refund_link = outcome
        with self._write() as conn:
            _check_fence(conn, fence)
            updated = conn.execute(
                "UPDATE intents SET state = 'done', result_id = ? WHERE key = ?",
                (result_id, key),
            ).rowcount
            if updated == 0:
                raise unknown_intent(key)
            if link is not None:
                upsert_link(conn, link)
            if refund_link is not None:
                upsert_refund_link(conn, refund_link)

    # cursors, checkpoints, seen keys, activation ---------------------------------------

    def get_cursor(self, name: str) -> str | None:
        """A named cursor, if set."""
        with self._read() as conn:
            row = conn.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_cursor(self, name: str, value: str) -> None:
        """Set a named cursor."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO cursors (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    def get_checkpoint(self, name: str) -> dict[str, Any] | None:
        """A named checkpoint (its JSON-decoded object), if set."""
        with self._read() as conn:
            row = conn.execute("SELECT value FROM checkpoints WHERE name = ?", (name,)).fetchone()
        return None if row is None else loads_json_object(row[0])

    def set_checkpoint(self, name: str, value: Mapping[str, Any]) -> None:
        """Store a named checkpoint as JSON (Decimal, datetime and Enum values converted)."""
        text = dumps_json_object(value, what="checkpoint")
        with self._write() as conn:
            conn.execute(
                "INSERT INTO checkpoints (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, text),
            )

    def add_if_new(self, key: str) -> bool:
        """Remember ``key``; True if it was not seen before (webhook de-duplication)."""
        with self._write() as conn:
            inserted = conn.execute(
                "INSERT OR IGNORE INTO seen_keys (key, seen_at) VALUES (?, ?)",
                (key, format_ts(now_from(self._clock))),
            ).rowcount
        return inserted == 1

    def prune_seen(self, older_than: datetime) -> int:
        """Forget keys first seen before ``older_than``; return how many were forgotten."""
        cutoff = format_ts(older_than, "older_than")
        with self._write() as conn:
            deleted: int = conn.execute(
                "DELETE FROM seen_keys WHERE seen_at < ?", (cutoff,)
            ).rowcount
        return deleted

    def activated_at(self) -> datetime:
        """When the ledger was first asked this (recorded on that first call, kept forever)."""
        with self._read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'activated_at'").fetchone()
        if row is None:
            with self._write() as conn:
                conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('activated_at', ?)",
                    (format_ts(now_from(self._clock)),),
                )
                row = conn.execute("SELECT value FROM meta WHERE key = 'activated_at'").fetchone()
        return parse_ts(row[0])

    # leases --------------------------------------------------------------------------

    def acquire_lease(self, resource: str, owner: str, ttl_seconds: float) -> int | None:
        """Take, renew or take over (if expired) the lease; its fencing token, or ``None``.

        Check and set happen in one ``BEGIN IMMEDIATE`` transaction, so two processes
        on the same file can never both hold the lease. Tokens come from one counter
        in the file, so they grow across processes and restarts.
        """
        ttl = check_ttl(ttl_seconds)
        with self._write() as conn:
            now = now_from(self._clock)  # read under the write lock, not before waiting
            row = conn.execute(
                "SELECT owner, expires_at, token FROM leases WHERE resource = ?", (resource,)
            ).fetchone()
            if row is not None and parse_ts(row[1]) > now:
                if row[0] != owner:
                    return None
                token = int(row[2])  # a renewal keeps the token
            else:
                conn.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                    "WHERE key = 'lease_generation'"
                )
                token = int(
                    conn.execute(
                        "SELECT value FROM meta WHERE key = 'lease_generation'"
                    ).fetchone()[0]
                )
            conn.execute(
                "INSERT INTO leases (resource, owner, expires_at, token) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (resource) DO UPDATE SET owner = excluded.owner, "
                "expires_at = excluded.expires_at, token = excluded.token",
                (resource, owner, format_ts(now + timedelta(seconds=ttl)), token),
            )
        return token

    def renew_lease(self, fence: Fence, ttl_seconds: float) -> bool:
        """Extend the lease if it still carries ``fence.token`` (expired or not)."""
        ttl = check_ttl(ttl_seconds)
        with self._write() as conn:
            expires = format_ts(now_from(self._clock) + timedelta(seconds=ttl))
            updated: int = conn.execute(
                "UPDATE leases SET expires_at = ? WHERE resource = ? AND owner = ? AND token = ?",
                (expires, fence.resource, fence.owner, fence.token),
            ).rowcount
        return updated == 1

    def release_lease(self, resource: str, owner: str) -> None:
        """Give up the lease on ``resource`` if ``owner`` holds it (otherwise do nothing)."""
        with self._write() as conn:
            conn.execute("DELETE FROM leases WHERE resource = ? AND owner = ?", (resource, owner))

    def lease_holder(self, resource: str) -> str | None:
        """Who holds an unexpired lease on ``resource``, if anyone (for reports and tests)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT owner, expires_at FROM leases WHERE resource = ?", (resource,)
            ).fetchone()
        if row is None or parse_ts(row[1]) <= now_from(self._clock):
            return None
        return str(row[0])


def _check_fence(conn: sqlite3.Connection, fence: Fence | None) -> None:
    """Raise ``LeaseError`` inside the open transaction if ``fence`` no longer holds."""
    if fence is None:
        return
    row = conn.execute(
        "SELECT 1 FROM leases WHERE resource = ? AND owner = ? AND token = ?",
        (fence.resource, fence.owner, fence.token),
    ).fetchone()
    if row is None:
        raise fenced_out(fence)
