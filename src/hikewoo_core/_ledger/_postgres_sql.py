"""What :class:`PostgresLedger` says to PostgreSQL: the schema and its migrations, every
statement it runs, and how their rows read back (no I/O here, and no psycopg).

Statements are templates: ``{s}`` is the quoted schema, ``{now}`` the clock (a bound
``%(now)s`` or the server's ``statement_timestamp()``), ``{tokens}`` the token sequence;
:func:`render` fills them in once per ledger. Values are always bound, never formatted in.
Each statement says whether it may be run again after its answer was lost
(:class:`Statement`): the connection can drop after the server committed it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, NamedTuple

from .._errors import PayloadError
from .._ports import Link, RefundLink

__all__ = [
    "CREATE_META",
    "DEFAULT_SCHEMA",
    "GET_VERSION",
    "MIGRATIONS",
    "MIN_ID",
    "PAGE",
    "SCHEMA_VERSION",
    "SET_VERSION",
    "Statement",
    "check_text",
    "fill",
    "link_params",
    "refund_params",
    "render",
    "write_name",
]

#: The PostgreSQL schema (namespace) a ledger's tables live in unless told otherwise.
DEFAULT_SCHEMA = "hikewoo"

# MIGRATIONS[n] takes a schema from version n to n + 1, inside the transaction that
# records the new version ({s}: the schema). Append a step for version 2; never edit a
# released one. Money is numeric (exact, scale kept: "0.30" stays "0.30"); times are
# timestamptz (microseconds, UTC back); payloads and checkpoints are JSON text, exactly
# as SqliteLedger keeps them. The meta table is created before the first step.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
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
SCHEMA_VERSION = len(MIGRATIONS)

CREATE_META = "CREATE TABLE {s}.meta (key text PRIMARY KEY, value text NOT NULL)"
SET_VERSION = (
    "INSERT INTO {s}.meta (key, value) VALUES ('schema_version', %(v)s) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
GET_VERSION = "SELECT value FROM {s}.meta WHERE key = 'schema_version'"

PAGE = 500  # rows per page when iterating all links (bounded memory)
MIN_ID = -(2**63)  # below every bigint: keyset pagination starts here

_LINK_COLUMNS = (
    "woo_order_id, hike_sale_id, origin, woo_status, hike_fulfilment, hike_payment, "
    "woo_modified_gmt, hike_modified_at, woo_fingerprint"
)
_REFUND_COLUMNS = "woo_order_id, woo_refund_id, hike_refund_sale_id, origin, amount"
# The amount read as text: exact whatever loader a caller's connections use for numeric.
_REFUND_SELECT = "woo_order_id, woo_refund_id, hike_refund_sale_id, origin, amount::text"
_INTENT_COLUMNS = "key, kind, payload, state, created_at, result_id"
# A lease's time to live in seconds, never calendar days (which follow the session's time
# zone across a daylight saving change).
_EXPIRES = "{now} + make_interval(secs => %(ttl)s)"

# --- the statements ----------------------------------------------------------------

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
# The amount is bound as text and cast here: exact whatever a caller's connections dump
# a Decimal as.
_UPSERT_REFUND = (
    "INSERT INTO {s}.refund_links ({refund_columns}) "
    "SELECT %(r_order)s::bigint, %(r_woo)s::bigint, %(r_hike)s::bigint, %(r_origin)s::text, "
    "%(r_amount)s::text::numeric WHERE (SELECT ok FROM go) "
    "ON CONFLICT (woo_refund_id) DO UPDATE SET woo_order_id = excluded.woo_order_id, "
    "origin = excluded.origin, amount = excluded.amount RETURNING 1"
)

# Take, renew or take over a lease under the row's lock. A new row draws its token when
# it is built; an existing row is re-checked once locked (after any concurrent writer
# committed) and draws a fresh token then, so per resource tokens only grow.
_ACQUIRE = """
INSERT INTO {s}.leases AS l (resource, owner, expires_at, token)
VALUES (%(resource)s, %(owner)s, {expires}, nextval({tokens}))
ON CONFLICT (resource) DO UPDATE SET
    owner = excluded.owner,
    expires_at = excluded.expires_at,
    token = CASE WHEN l.owner = excluded.owner AND l.expires_at > {now}
        THEN l.token ELSE nextval({tokens}) END
WHERE l.owner = excluded.owner OR l.expires_at <= {now}
RETURNING l.token
"""
_RENEW = (
    "UPDATE {s}.leases SET expires_at = {expires} "
    "WHERE resource = %(resource)s AND owner = %(owner)s AND token = %(token)s"
)


class Statement(NamedTuple):
    """A statement's text and whether running it again after its answer was lost gives
    the answer the first run would have (it may have committed): true of every read and
    of every write that is idempotent, not of ``add_if_new`` (the second run answers
    "seen") nor ``prune_seen`` (it counts what it deletes)."""

    text: str
    rerunnable: bool = True


_STATEMENTS: dict[str, Statement] = {
    "begin_fenced": Statement(_BEGIN_INTENT.replace("{fence}", _FENCE)),
    "begin": Statement(_BEGIN_INTENT.replace("{fence}", "SELECT 1")),
    "reattempt_fenced": Statement(_REATTEMPT_INTENT.replace("{fence}", _FENCE)),
    "reattempt": Statement(_REATTEMPT_INTENT.replace("{fence}", "SELECT 1")),
    "acquire": Statement(_ACQUIRE),
    "renew": Statement(_RENEW),
    "release": Statement(
        "DELETE FROM {s}.leases WHERE resource = %(resource)s AND owner = %(owner)s"
    ),
    "holder": Statement(
        "SELECT owner FROM {s}.leases WHERE resource = %(resource)s AND expires_at > {now}"
    ),
    "add_if_new": Statement(
        "INSERT INTO {s}.seen_keys (key, seen_at) VALUES (%(key)s, {now}) "
        "ON CONFLICT (key) DO NOTHING",
        rerunnable=False,
    ),
    "prune_seen": Statement(
        "DELETE FROM {s}.seen_keys WHERE seen_at < %(cutoff)s", rerunnable=False
    ),
    "activate": Statement(
        "INSERT INTO {s}.meta (key, value) VALUES ('activated_at', "
        """to_char({now} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')) """
        "ON CONFLICT (key) DO NOTHING"
    ),
    "activated_at": Statement("SELECT value FROM {s}.meta WHERE key = 'activated_at'"),
    "get_cursor": Statement("SELECT value FROM {s}.cursors WHERE name = %(name)s"),
    "set_cursor": Statement(
        "INSERT INTO {s}.cursors (name, value) VALUES (%(name)s, %(value)s) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    ),
    "get_checkpoint": Statement("SELECT value FROM {s}.checkpoints WHERE name = %(name)s"),
    "set_checkpoint": Statement(
        "INSERT INTO {s}.checkpoints (name, value) VALUES (%(name)s, %(value)s) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    ),
    "link_for_woo": Statement("SELECT {link_columns} FROM {s}.links WHERE woo_order_id = %(id)s"),
    "link_for_hike": Statement("SELECT {link_columns} FROM {s}.links WHERE hike_sale_id = %(id)s"),
    "links": Statement(
        "SELECT {link_columns} FROM {s}.links WHERE woo_order_id > %(after)s "
        "ORDER BY woo_order_id LIMIT %(limit)s"
    ),
    "refund_links": Statement(
        "SELECT {refund_select} FROM {s}.refund_links WHERE woo_order_id = %(id)s "
        "ORDER BY woo_refund_id"
    ),
    "refund_for_hike": Statement(
        "SELECT {refund_select} FROM {s}.refund_links WHERE hike_refund_sale_id = %(id)s"
    ),
    "all_refund_links": Statement(
        "SELECT {refund_select} FROM {s}.refund_links WHERE woo_refund_id > %(after)s "
        "ORDER BY woo_refund_id LIMIT %(limit)s"
    ),
    "pending_intents": Statement(
        "SELECT {intent_columns} FROM {s}.intents WHERE state = 'pending' ORDER BY created_at, seq"
    ),
}


def _none(column: str) -> str:
    return f"SELECT NULL::bigint AS {column} WHERE false"


def write_name(fence: bool, intent: bool, link: bool, refund: bool) -> str:
    """The name of the statement :func:`_write_statement` builds for these parts."""
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


def fill(text: str, schema: str) -> str:
    """``text`` with ``{s}`` replaced by the already quoted ``schema``."""
    return text.replace("{s}", schema)


def render(schema: str, tokens: str, *, bound_clock: bool) -> dict[str, Statement]:
    """Every statement, by name, for the quoted ``schema`` and the token sequence's name
    as a quoted literal (``tokens``); ``bound_clock``: the time is a bound ``%(now)s``."""
    subst = {
        "{expires}": _EXPIRES,
        "{link_columns}": _LINK_COLUMNS,
        "{refund_columns}": _REFUND_COLUMNS,
        "{refund_select}": _REFUND_SELECT,
        "{intent_columns}": _INTENT_COLUMNS,
        "{s}": schema,
        "{tokens}": tokens,
        "{now}": "%(now)s::timestamptz" if bound_clock else "statement_timestamp()",
    }

    def filled(text: str) -> str:
        for key, value in subst.items():
            text = text.replace(key, value)
        return text

    rendered = {name: Statement(filled(s.text), s.rerunnable) for name, s in _STATEMENTS.items()}
    for shape in itertools.product((False, True), repeat=4):
        rendered[write_name(*shape)] = Statement(filled(_write_statement(*shape)))
    return rendered


# --- values in, rows out ---------------------------------------------------------------


def check_text(what: str, **fields: str | None) -> None:
    """Refuse text PostgreSQL cannot store (a NUL character) with a
    :class:`~hikewoo_core.PayloadError` naming each such field, before anything is sent."""
    problems = [
        (f"$.{name}", "contains a NUL character (U+0000), which PostgreSQL text cannot hold")
        for name, value in fields.items()
        if value is not None and "\x00" in value
    ]
    if problems:
        raise PayloadError(problems, what=what)


def link_params(link: Link) -> Mapping[str, Any]:
    """The bound values of a link in a write statement."""
    return {
        "l_woo": link.woo_order_id,
        "l_hike": link.hike_sale_id,
        "l_origin": link.origin.value,
        "l_status": link.woo_status,
        "l_fulfilment": link.hike_fulfilment.value,
        "l_payment": link.hike_payment.value,
        "l_woo_modified": link.woo_modified_gmt,
        "l_hike_modified": link.hike_modified_at,
        "l_fingerprint": link.woo_fingerprint,
    }


def refund_params(refund: RefundLink) -> Mapping[str, Any]:
    """The bound values of a refund link in a write statement (the amount as text)."""
    return {
        "r_order": refund.woo_order_id,
        "r_woo": refund.woo_refund_id,
        "r_hike": refund.hike_refund_sale_id,
        "r_origin": refund.origin.value,
        "r_amount": str(refund.amount),
    }
