"""Helpers both ledgers share: the clock, timestamps, JSON-safe payloads, validation.

Sharing them keeps :class:`~hikewoo_core.MemoryLedger` and
:class:`~hikewoo_core.SqliteLedger` observably identical: same normalised
values back, same errors for the same mistakes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

import attrs

from .._datetimes import UTC, assume_utc, require_aware, to_utc, utc_now
from .._errors import ConfigurationError, HikeWooError, LeaseError, PayloadError
from .._ports import Fence, Intent, IntentState, Link, Origin, RefundLink
from ..hike._models import FulfilmentStatus, PaymentStatus

__all__ = [
    "EPOCH",
    "UTC",
    "Clock",
    "check_ttl",
    "dumps_json_object",
    "fenced_out",
    "format_ts",
    "link_conflict",
    "loads_json_object",
    "normalise_link",
    "normalise_refund_link",
    "now_from",
    "paged",
    "parse_ts",
    "refund_hike_conflict",
    "refund_woo_conflict",
    "to_utc",
    "unknown_intent",
    "utc_now",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: A zero-argument callable returning the current time as an aware datetime.
Clock = Callable[[], datetime]

_Row = TypeVar("_Row", bound=Sequence[Any])


def now_from(clock: Clock) -> datetime:
    """Call ``clock`` and return its time in UTC; a naive time is a configuration error."""
    now: object = clock()  # user code: check what it really returns
    return require_aware("the ledger clock's time", now).astimezone(UTC)


def format_ts(value: datetime, what: str = "datetime") -> str:
    """An aware datetime as a fixed-width ISO 8601 UTC string (sorts chronologically)."""
    return to_utc(value, what).isoformat(timespec="microseconds")


def parse_ts(text: str) -> datetime:
    """The inverse of :func:`format_ts`: an aware UTC datetime."""
    # A naive stamp is never written by format_ts; be lenient on read.
    return assume_utc(datetime.fromisoformat(text)).astimezone(UTC)


def check_ttl(ttl_seconds: float) -> float:
    """A lease's time to live must be a positive, finite number of seconds."""
    ttl: object = ttl_seconds
    if (
        isinstance(ttl, bool)
        or not isinstance(ttl, (int, float))
        or not math.isfinite(ttl)
        or ttl <= 0
    ):
        raise ConfigurationError(
            f"lease ttl_seconds must be a positive number of seconds, got {ttl_seconds!r}"
        )
    return float(ttl)


# --- JSON-safe payloads ------------------------------------------------------------


def _key(key: object, path: str, problems: list[tuple[str, str]]) -> str | None:
    if isinstance(key, Enum):
        key = key.value
    if isinstance(key, str):
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    problems.append((path, f"object keys must be strings, got {type(key).__name__}"))
    return None


def _json_safe(value: object, path: str, problems: list[tuple[str, str]]) -> Any:
    if isinstance(value, Enum):
        return _json_safe(value.value, path, problems)
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        problems.append((path, f"non-finite number {value!r} cannot be stored in JSON"))
        return None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            name = _key(k, path, problems)
            if name is not None:
                out[name] = _json_safe(v, f"{path}.{name}", problems)
        return out
    if isinstance(value, (list, tuple)):
        return [_json_safe(v, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    problems.append((path, f"a {type(value).__name__} cannot be stored in JSON"))
    return None


def dumps_json_object(value: object, *, what: str) -> str:
    """Serialise a mapping to compact JSON, converting the values JSON lacks.

    ``Decimal`` becomes its string (``"0.30"``, exact), ``datetime``/``date`` their
    ISO 8601 form, an ``Enum`` its value, a tuple a list. Anything else (a set, an
    arbitrary object, NaN) raises :class:`~hikewoo_core.PayloadError` listing every
    offending JSON path. What a ledger hands back is the JSON-decoded form.
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(value, Mapping):
        raise PayloadError([("$", f"expected an object, got {type(value).__name__}")], what=what)
    if type(value) is dict and all(type(k) is str and type(v) is str for k, v in value.items()):
        safe: Any = value  # already JSON (an intent's payload): nothing to convert
    else:
        safe = _json_safe(value, "$", problems)
    if problems:
        raise PayloadError(problems, what=what)
    return json.dumps(safe, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def loads_json_object(text: str) -> dict[str, Any]:
    """Decode a JSON object written by :func:`dumps_json_object`."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise HikeWooError(f"ledger holds a JSON {type(value).__name__} where an object belongs")
    return value


# --- links ---------------------------------------------------------------------


def _is_utc(value: datetime | None) -> bool:
    return value is None or (type(value) is datetime and value.tzinfo is UTC)


def normalise_link(link: Link) -> Link:
    """``link`` with coerced enums and UTC datetimes (ConfigurationError if naive)."""
    if (
        type(link.origin) is Origin
        and type(link.hike_fulfilment) is FulfilmentStatus
        and type(link.hike_payment) is PaymentStatus
        and _is_utc(link.woo_modified_gmt)
        and _is_utc(link.hike_modified_at)
    ):
        return link  # already normal (the common case): the copy below would equal it
    return attrs.evolve(
        link,
        origin=Origin(link.origin),
        hike_fulfilment=FulfilmentStatus(link.hike_fulfilment),
        hike_payment=PaymentStatus(link.hike_payment),
        woo_modified_gmt=None
        if link.woo_modified_gmt is None
        else to_utc(link.woo_modified_gmt, "Link.woo_modified_gmt"),
        hike_modified_at=None
        if link.hike_modified_at is None
        else to_utc(link.hike_modified_at, "Link.hike_modified_at"),
    )


def normalise_refund_link(link: RefundLink) -> RefundLink:
    """``link`` with a coerced origin; the amount must be a finite ``Decimal`` (or int)."""
    amount: object = link.amount
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(
            f"RefundLink.amount must be a Decimal, got {type(amount).__name__} {amount!r}"
        )
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"RefundLink.amount must be finite, got {amount!r}")
    return attrs.evolve(link, origin=Origin(link.origin), amount=amount)


def link_conflict(hike_sale_id: int, other_woo: int, woo_order_id: int) -> HikeWooError:
    """The error for linking a Hike sale that another WooCommerce order already holds."""
    return HikeWooError(
        f"Hike sale {hike_sale_id} is already linked to WooCommerce order {other_woo}; "
        f"it cannot also be linked to order {woo_order_id}"
    )


def refund_woo_conflict(woo_refund_id: int, linked: int, wanted: int) -> HikeWooError:
    """The error for re-linking a WooCommerce refund to a different Hike refund sale."""
    return HikeWooError(
        f"WooCommerce refund {woo_refund_id} is already synced as Hike refund sale {linked}; "
        f"refusing to link it to Hike refund sale {wanted} (each refund syncs exactly once)"
    )


def refund_hike_conflict(hike_refund_sale_id: int, linked: int, wanted: int) -> HikeWooError:
    """The error for linking a Hike refund sale that another WooCommerce refund holds."""
    return HikeWooError(
        f"Hike refund sale {hike_refund_sale_id} is already linked to WooCommerce refund "
        f"{linked}; it cannot also be linked to refund {wanted}"
    )


def unknown_intent(key: str) -> HikeWooError:
    """The error for completing an intent that was never begun."""
    return HikeWooError(f"no intent with key {key!r} was begun; cannot complete it")


def fenced_out(fence: Fence) -> LeaseError:
    """The error for a holder whose lease was taken over: nothing is recorded for it."""
    return LeaseError(
        f"the lease on {fence.resource} held by {fence.owner} (token {fence.token}) was "
        "taken over by another executor; nothing was recorded for the old holder"
    )


def paged(
    fetch: Callable[[int, int], Sequence[_Row]], *, key: int, start: int, size: int
) -> Iterator[_Row]:
    """Every row of a keyset-paginated query, read a page at a time (bounded memory).

    ``fetch(after, size)`` answers, in order, at most ``size`` rows whose column ``key``
    is above ``after``; the first page is the one after ``start``.
    """
    after = start
    while True:
        rows = fetch(after, size)
        yield from rows
        if len(rows) < size:
            return
        after = rows[-1][key]


# --- rows back into objects (both SQL ledgers select the same columns, in order) --------


def link_from_row(row: Sequence[Any], stamp: Callable[[Any], datetime]) -> Link:
    """A :class:`Link` from a row of the link columns; ``stamp`` turns a stored time
    (SQLite's text, PostgreSQL's ``timestamptz``) into an aware UTC datetime."""
    return Link(
        woo_order_id=row[0],
        hike_sale_id=row[1],
        origin=Origin(row[2]),
        woo_status=row[3],
        hike_fulfilment=FulfilmentStatus(row[4]),
        hike_payment=PaymentStatus(row[5]),
        woo_modified_gmt=None if row[6] is None else stamp(row[6]),
        hike_modified_at=None if row[7] is None else stamp(row[7]),
        woo_fingerprint=row[8],
    )


def refund_from_row(row: Sequence[Any]) -> RefundLink:
    """A :class:`RefundLink` from a row of the refund-link columns (the amount as text)."""
    return RefundLink(
        woo_order_id=row[0],
        woo_refund_id=row[1],
        hike_refund_sale_id=row[2],
        origin=Origin(row[3]),
        amount=Decimal(row[4]),
    )


def intent_from_row(row: Sequence[Any], stamp: Callable[[Any], datetime]) -> Intent:
    """An :class:`Intent` from a row of the intent columns (``stamp`` as above)."""
    return Intent(
        key=row[0],
        kind=row[1],
        payload=loads_json_object(row[2]),
        state=IntentState(row[3]),
        created_at=stamp(row[4]),
        result_id=row[5],
    )
