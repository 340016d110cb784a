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

Three modules: this one maps the port onto statements; ``_postgres_sql`` holds the SQL
(schema, migrations, statements, rows); ``_postgres_db`` the pool, connections, retries
and migrations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from .._datetimes import UTC
from .._errors import ConfigurationError, HikeWooError
from .._ports import Fence, Intent, Link, RefundLink
from ._base import LedgerBase, Outcome
from ._common import (
    Clock,
    check_ttl,
    dumps_json_object,
    fenced_out,
    intent_from_row,
    link_conflict,
    link_from_row,
    loads_json_object,
    now_from,
    paged,
    parse_ts,
    refund_from_row,
    refund_hike_conflict,
    refund_woo_conflict,
    to_utc,
    unknown_intent,
)
from ._postgres_db import LOST_RACE, Database, check_schema, require_psycopg
from ._postgres_sql import (
    DEFAULT_SCHEMA,
    MIN_ID,
    PAGE,
    SCHEMA_VERSION,
    check_text,
    link_params,
    refund_params,
    write_name,
)

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

__all__ = ["DEFAULT_SCHEMA", "SCHEMA_VERSION", "PostgresLedger"]

_RETRIES = 3  # a statement that lost a race with a concurrent commit runs again
_T = TypeVar("_T")


class PostgresLedger(LedgerBase):
    """A :class:`~hikewoo_core.LedgerPort` in a PostgreSQL database, shared by processes
    on any number of machines.

    Give it a DSN (``"postgresql://user:password@host/db"`` or ``"host=... dbname=..."``)
    and it keeps a small pool of its own (``max_connections``), closed by :meth:`close`;
    or give it your own :class:`psycopg_pool.ConnectionPool` (``pool=``), which it borrows
    connections from and never closes. Borrowed connections run its statements in
    autocommit mode (each statement is its own transaction), with tuple rows and
    server-side binding whatever the pool's factories, and are handed back as found.

    The tables live in the PostgreSQL schema ``schema`` (default ``"hikewoo"``), so
    several ledgers can share a database. Creating and upgrading them is explicit:
    ``PostgresLedger(dsn, migrate=True)`` (or :meth:`migrate`) creates the schema, or
    brings an older one up to :data:`SCHEMA_VERSION`, under an advisory lock; opening a
    database without it, or with an older version, raises
    :class:`~hikewoo_core.ConfigurationError` saying so.

    ``clock`` dates intents, seen keys, leases and the activation time. By default it is
    the *database server's* clock (``statement_timestamp()``), so workers on machines
    whose clocks disagree still agree on when a lease expires; inject one (as for
    :class:`SqliteLedger`) to test expiry. Never mix the two on one schema.

    A statement PostgreSQL rolled back (a serialization failure, a deadlock) runs again;
    so does one whose connection dropped, even after it committed, when running it again
    gives the same answer (every call but :meth:`add_if_new` and :meth:`prune_seen`,
    which raise psycopg's ``OperationalError`` instead). Text PostgreSQL cannot hold (a
    NUL character) is refused with a :class:`~hikewoo_core.PayloadError`.

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
        require_psycopg()
        if (dsn is None) == (pool is None):
            raise ConfigurationError("PostgresLedger takes a DSN or pool=, not both or neither")
        check_schema(schema)
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise ConfigurationError(f"max_connections must be an int, got {max_connections!r}")
        if max_connections < 1:
            raise ConfigurationError(f"max_connections must be 1 or more, got {max_connections}")
        self._clock = clock
        self._db = Database(
            dsn, pool, schema, bound_clock=clock is not None, max_connections=max_connections
        )
        try:
            self._db.prepare(migrate=migrate)
        except BaseException:
            self.close()
            raise

    # --- opening, closing -------------------------------------------------------------

    def __repr__(self) -> str:
        return self._db.describe()

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding this ledger's tables."""
        return self._db.schema

    def close(self) -> None:
        """Close the ledger's own pool (idempotent; a caller's pool is left open). The
        ledger cannot be used afterwards."""
        self._db.close()

    def migrate(self) -> int:
        """Create the schema, or upgrade it to :data:`SCHEMA_VERSION`; return the version.

        Runs in one transaction under an advisory lock, so two processes migrating at
        once cannot both create it. Raises :class:`~hikewoo_core.ConfigurationError` if
        the schema was written by a newer ``hikewoo_core`` or holds other tables.
        """
        return self._db.migrate()

    # --- running statements -------------------------------------------------------------

    def _params(self, **params: Any) -> dict[str, Any]:
        if self._clock is not None:
            params["now"] = now_from(self._clock)
        return params

    def _one(self, name: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        return self._db.run(name, params, lambda cur: cur.fetchone())

    def _answer(self, name: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The one row a statement that always answers one row answered."""
        row = self._one(name, params)
        if row is None:
            raise HikeWooError(f"{self!r}: PostgreSQL answered no row to {name}")
        return row

    def _all(self, name: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return self._db.run(name, params, lambda cur: cur.fetchall())

    def _count(self, name: str, params: Mapping[str, Any]) -> int:
        return self._db.run(name, params, lambda cur: cur.rowcount)

    def _retrying(self, attempt: Callable[[], _T | None]) -> _T:
        """Run ``attempt`` until it answers: a statement that lost a race with a write
        committed meanwhile (a unique violation, or a row its snapshot cannot see yet)
        runs again and then sees that write, as SqliteLedger's serialised writes would."""
        for _ in range(_RETRIES - 1):
            try:
                result = attempt()
            except LOST_RACE:
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
        return None if row is None else link_from_row(row, _from_db)

    def link_for_hike(self, hike_sale_id: int) -> Link | None:
        """The link of a Hike sale, if synced."""
        row = self._one("link_for_hike", {"id": hike_sale_id})
        return None if row is None else link_from_row(row, _from_db)

    def links(self) -> Iterator[Link]:
        """Every link, by WooCommerce order id, read a page at a time (bounded memory)."""
        return (link_from_row(r, _from_db) for r in self._pages("links", 0))

    def _save_link(self, link: Link) -> None:
        self._write(None, (None, link, None), None)

    def refund_links(self, woo_order_id: int) -> list[RefundLink]:
        """Every synced refund of a WooCommerce order, by WooCommerce refund id."""
        return [refund_from_row(r) for r in self._all("refund_links", {"id": woo_order_id})]

    def refund_link_for_hike(self, hike_refund_sale_id: int) -> RefundLink | None:
        """The link of a Hike refund sale, if synced."""
        row = self._one("refund_for_hike", {"id": hike_refund_sale_id})
        return None if row is None else refund_from_row(row)

    def all_refund_links(self) -> Iterator[RefundLink]:
        """Every refund link, by WooCommerce refund id, a page at a time."""
        return (refund_from_row(r) for r in self._pages("all_refund_links", 1))

    def _save_refund_link(self, link: RefundLink) -> None:
        self._write(None, (None, None, link), None)

    def _pages(self, name: str, key: int) -> Iterator[tuple[Any, ...]]:
        """The rows of statement ``name``, keyset-paginated on column ``key``."""
        return paged(
            lambda after, size: self._all(name, {"after": after, "limit": size}),
            key=key,
            start=MIN_ID,
            size=PAGE,
        )

    # --- intents --------------------------------------------------------------------

    def begin_intent(self, intent: Intent, *, fence: Fence | None = None) -> Intent:
        """Record ``intent`` as pending; if its key exists, return the stored one unchanged.

        The payload is stored in its JSON-safe form (Decimal → str, datetime → ISO
        8601, Enum → value); the returned intent carries that form. With ``fence``, a
        holder whose lease was taken over gets a ``LeaseError`` (checked in the same
        statement, which holds the lease row's share lock until it commits).
        """
        check_text("intent", key=intent.key, kind=intent.kind)
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
            return None if row[1] is None else intent_from_row(row[1:], _from_db)

        return self._retrying(attempt)

    def _reattempt(self, key: str, payload: Mapping[str, Any], fence: Fence | None) -> None:
        check_text("intent", key=key)
        text = dumps_json_object(payload, what="intent payload")
        name = "reattempt" if fence is None else "reattempt_fenced"
        row = self._answer(name, {"key": key, "payload": text, **_fence(fence)})
        if fence is not None and not row[0]:
            raise fenced_out(fence)
        if not row[1]:
            raise unknown_intent(key)

    def pending_intents(self) -> list[Intent]:
        """Intents begun but never completed, oldest first (ties in order of beginning)."""
        return [intent_from_row(r, _from_db) for r in self._all("pending_intents", {})]

    def _complete(self, key: str, outcome: Outcome, fence: Fence | None) -> None:
        """One statement: if any check fails, nothing is written."""
        check_text("intent", key=key)
        self._write(key, outcome, fence)

    def _write(self, key: str | None, outcome: Outcome, fence: Fence | None) -> None:
        """Complete intent ``key`` (if any) and store the outcome's links, in one statement."""
        result_id, link, refund = outcome
        statement = write_name(
            fence is not None, key is not None, link is not None, refund is not None
        )
        params: dict[str, Any] = {"key": key, "result_id": result_id, **_fence(fence)}
        if link is not None:
            check_text("link", woo_status=link.woo_status, woo_fingerprint=link.woo_fingerprint)
            params.update(link_params(link))
        if refund is not None:
            params.update(refund_params(refund))

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
        check_text("cursor", name=name)
        row = self._one("get_cursor", {"name": name})
        return None if row is None else str(row[0])

    def set_cursor(self, name: str, value: str) -> None:
        """Set a named cursor."""
        check_text("cursor", name=name, value=value)
        self._count("set_cursor", {"name": name, "value": value})

    def get_checkpoint(self, name: str) -> dict[str, Any] | None:
        """A named checkpoint (its JSON-decoded object), if set."""
        check_text("checkpoint", name=name)
        row = self._one("get_checkpoint", {"name": name})
        return None if row is None else loads_json_object(row[0])

    def set_checkpoint(self, name: str, value: Mapping[str, Any]) -> None:
        """Store a named checkpoint as JSON (Decimal, datetime and Enum values converted)."""
        check_text("checkpoint", name=name)
        text = dumps_json_object(value, what="checkpoint")
        self._count("set_checkpoint", {"name": name, "value": text})

    def add_if_new(self, key: str) -> bool:
        """Remember ``key``; True if it was not seen before (webhook de-duplication)."""
        check_text("seen key", key=key)
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
        ttl = check_ttl(ttl_seconds)
        check_text("lease", resource=resource, owner=owner)
        row = self._one("acquire", self._params(resource=resource, owner=owner, ttl=ttl))
        return None if row is None else int(row[0])

    def renew_lease(self, fence: Fence, ttl_seconds: float) -> bool:
        """Extend the lease if it still carries ``fence.token`` (expired or not)."""
        ttl = check_ttl(ttl_seconds)
        check_text("lease", resource=fence.resource, owner=fence.owner)
        params = self._params(
            resource=fence.resource, owner=fence.owner, token=fence.token, ttl=ttl
        )
        return self._count("renew", params) == 1

    def release_lease(self, resource: str, owner: str) -> None:
        """Give up the lease on ``resource`` if ``owner`` holds it (otherwise do nothing)."""
        check_text("lease", resource=resource, owner=owner)
        self._count("release", {"resource": resource, "owner": owner})

    def lease_holder(self, resource: str) -> str | None:
        """Who holds an unexpired lease on ``resource``, if anyone (for reports and tests)."""
        check_text("lease", resource=resource)
        row = self._one("holder", self._params(resource=resource))
        return None if row is None else str(row[0])


def _fence(fence: Fence | None) -> dict[str, Any]:
    if fence is None:
        return {}
    check_text("fence", resource=fence.resource, owner=fence.owner)
    return {"f_resource": fence.resource, "f_owner": fence.owner, "f_token": fence.token}


def _from_db(value: datetime) -> datetime:
    """A ``timestamptz`` as psycopg gives it (in the session's zone), in UTC."""
    return value.astimezone(UTC)
