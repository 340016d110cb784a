"""The one check for datetimes the public API takes: timezone-aware, or refused (pure).

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
from datetime import datetime

from ._errors import ConfigurationError

__all__ = ["checked_clock", "naive_message", "optional_aware", "require_aware"]


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
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ConfigurationError(naive_message(name, value))
    return value


def optional_aware(name: str, value: object) -> datetime | None:
    """``None`` for ``None``, else :func:`require_aware`."""
    return None if value is None else require_aware(name, value)


def checked_clock(clock: Callable[[], datetime], what: str) -> Callable[[], datetime]:
    """``clock``, refusing a naive time (``datetime.now`` without a zone, say) with the
    :class:`~hikewoo_core.ConfigurationError` every entry point raises for one."""

    def now() -> datetime:
        return require_aware(what, clock())

    return now
