"""The library's one UTC, and its one check for datetimes: timezone-aware, or refused (pure).

Every entry point that takes a datetime (the WooCommerce and Hike clients' list and
window methods, the :class:`~hikewoo_core.Syncer`'s ranges, backfill partitions, the
ledgers, the fakes' port methods and clocks) checks it here, so the same bad argument
raises the same :class:`~hikewoo_core.ConfigurationError` (a :class:`ValueError`) with
the same message everywhere. A naive datetime is ambiguous: WooCommerce reads one as the
shop's local time, Hike as UTC, Python as the machine's local time; none is right for
every caller, so none is guessed. (A naive date *inside a payload* received from a
server is a :class:`~hikewoo_core.PayloadError` matter, not checked here.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Final

from ._errors import ConfigurationError

__all__ = [
    "UTC",
    "assume_utc",
    "checked_clock",
    "is_aware",
    "naive_message",
    "optional_aware",
    "require_aware",
    "to_utc",
    "utc_now",
]

#: The one UTC of the library (``datetime.UTC`` is 3.11+).
UTC: Final = timezone.utc


def utc_now() -> datetime:
    """The real time, aware UTC: every default ``clock``."""
    return datetime.now(UTC)


def is_aware(value: datetime) -> bool:
    """Whether ``value`` knows its offset from UTC (Python's definition of *aware*: a
    ``tzinfo`` whose ``utcoffset`` is not ``None``)."""
    return value.tzinfo is not None and value.utcoffset() is not None


def naive_message(name: str, value: object) -> str:
    """The message every naive (or non-datetime) argument is refused with."""
    if isinstance(value, datetime):
        got = f"a naive one ({value.isoformat()})"
    else:
        got = f"{type(value).__name__} {value!r}"
    return (
        f"{name} must be a timezone-aware datetime, got {got}: attach a timezone, "
        "e.g. datetime(2026, 1, 1, tzinfo=timezone.utc)"
    )


def require_aware(name: str, value: object) -> datetime:
    """``value`` itself if it is a timezone-aware datetime, else :class:`ConfigurationError`.

    ``name`` is the argument as the caller wrote it (``"after"``, ``"modified_before"``).

    >>> from datetime import timezone
    >>> require_aware("after", datetime(2026, 1, 1, tzinfo=timezone.utc)).year
    2026
    >>> try:
    ...     require_aware("after", datetime(2026, 1, 1))
    ... except ConfigurationError as exc:
    ...     print(str(exc)[:56])
    after must be a timezone-aware datetime, got a naive one
    """
    if not isinstance(value, datetime) or not is_aware(value):
        raise ConfigurationError(naive_message(name, value))
    return value


def to_utc(value: object, what: str = "datetime") -> datetime:
    """``value`` converted to UTC; a naive one is refused as :func:`require_aware` does
    (the datetimes a caller gives)."""
    return require_aware(what, value).astimezone(UTC)


def assume_utc(value: datetime) -> datetime:
    """``value``, read as UTC when it is naive (the datetimes a server or a file gives:
    an HTTP date, a stored stamp), else unchanged."""
    return value if is_aware(value) else value.replace(tzinfo=UTC)


def optional_aware(name: str, value: object) -> datetime | None:
    """``None`` for ``None``, else :func:`require_aware`."""
    return None if value is None else require_aware(name, value)


def checked_clock(clock: Callable[[], datetime], what: str) -> Callable[[], datetime]:
    """``clock``, refusing a naive time (``datetime.now`` without a zone, say) with the
    :class:`~hikewoo_core.ConfigurationError` every entry point raises for one: once
    now, where the clock is given (a client or server that reads it only later, to
    check a token's expiry or a signature, would refuse it late and far from the
    mistake), and at every reading after."""
    require_aware(what, clock())

    def now() -> datetime:
        return require_aware(what, clock())

    return now
