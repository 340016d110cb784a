"""A controllable clock for the fakes (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from .._datetimes import UTC, to_utc

__all__ = ["DEFAULT_START", "Clock", "FakeClock"]


#: What a clock is to the fakes: a callable returning an aware datetime.
Clock = Callable[[], datetime]

#: Where a :class:`FakeClock` starts when no ``start`` is given.
DEFAULT_START = datetime(2026, 1, 1, 9, 0, 0, tzinfo=UTC)


class FakeClock:
    """A clock that moves only when told to.

    Pass it (or its :meth:`now`) as ``clock=`` to :class:`FakeWooCommerce` and
    :class:`FakeHike`; both call it whenever they stamp a record.

    >>> from datetime import timezone
    >>> clock = FakeClock(datetime(2026, 11, 27, 2, 8, 10, tzinfo=timezone.utc))
    >>> clock.advance(90)
    >>> clock.now().isoformat()
    '2026-11-27T02:09:40+00:00'
    """

    __slots__ = ("_now",)

    def __init__(self, start: datetime | None = None) -> None:
        self._now = to_utc(start, "start") if start is not None else DEFAULT_START

    def now(self) -> datetime:
        """The current fake time (aware UTC)."""
        return self._now

    def __call__(self) -> datetime:
        """Same as :meth:`now`, so the clock itself is a ``Callable[[], datetime]``."""
        return self._now

    def advance(self, seconds: float | timedelta = 1) -> None:
        """Move forward by ``seconds`` (a number or a :class:`~datetime.timedelta`).

        Raises :class:`ValueError` for a negative step: use :meth:`set` to go back.
        """
        step = seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)
        if step < timedelta(0):
            raise ValueError(f"cannot advance by a negative step ({step}); use set()")
        self._now += step

    def set(self, dt: datetime) -> None:
        """Jump to ``dt`` (aware; converted to UTC). Going back in time is allowed."""
        self._now = to_utc(dt, "dt")

    def __repr__(self) -> str:
        return f"FakeClock({self._now.isoformat()})"
