"""The call log and failure injection both fakes share (pure, no I/O)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from ._clock import Clock, aware_utc, system_clock

__all__ = ["Call", "PortRecorder", "Stamper"]

T = TypeVar("T")


class Call(NamedTuple):
    """One call of a port method: its name and its key arguments.

    A plain tuple too, so ``fake.calls[-1] == ("write_order", (None, body))`` works.
    """

    method: str
    args: tuple[Any, ...]


class PortRecorder:
    """Records every port call in :attr:`calls` and fires the faults queued by :meth:`fail_next`."""

    #: The port methods of the fake (only these can be made to fail).
    PORT_METHODS: frozenset[str] = frozenset()

    def __init__(self) -> None:
        #: Every port call, oldest first, including calls that raised.
        self.calls: list[Call] = []
        self._faults: dict[str, deque[tuple[Exception, bool]]] = {}

    def fail_next(self, method_name: str, exc: Exception, *, after_write: bool = False) -> None:
        """Make the next call of the port method ``method_name`` raise ``exc``.

        With ``after_write=False`` the call raises before doing anything. With
        ``after_write=True`` the call is performed (the record is written) and then
        raises: the "response lost" case, where a client cannot tell whether the
        write happened. Several faults for one method fire in the order queued.
        """
        if method_name not in self.PORT_METHODS:
            known = ", ".join(sorted(self.PORT_METHODS))
            raise ValueError(f"{method_name!r} is not a port method of this fake ({known})")
        if not isinstance(exc, Exception):
            raise TypeError(f"exc must be an exception instance, got {type(exc).__name__}")
        self._faults.setdefault(method_name, deque()).append((exc, after_write))

    def call_count(self, method_name: str) -> int:
        """How many times the port method ``method_name`` was called (failed calls included)."""
        return sum(1 for call in self.calls if call.method == method_name)

    def _run(self, method: str, args: tuple[Any, ...], action: Callable[[], T]) -> T:
        """Log the call, fire a queued fault before or after ``action``, return its result."""
        self.calls.append(Call(method, args))
        queue = self._faults.get(method)
        fault = queue.popleft() if queue else None
        if fault is not None and not fault[1]:
            raise fault[0]
        result = action()
        if fault is not None:
            raise fault[0]
        return result


class Stamper:
    """Issues modification times: from the clock, whole seconds, strictly increasing."""

    def __init__(self, clock: Clock | None) -> None:
        self._clock: Clock = clock if clock is not None else system_clock
        self._last: datetime | None = None

    def now(self) -> datetime:
        """The clock's time, aware UTC, cut to whole seconds."""
        return aware_utc(self._clock(), "the clock's time").replace(microsecond=0)

    def next(self) -> datetime:
        """``max(now, last issued + 1 s)``: a fresh, strictly later stamp."""
        now = self.now()
        if self._last is not None and now <= self._last:
            now = self._last + timedelta(seconds=1)
        self._last = now
        return now

    def observe(self, stamps: Iterable[datetime | None]) -> None:
        """Make later stamps come after ``stamps`` too (used for seeded records)."""
        for stamp in stamps:
            if stamp is not None and (self._last is None or stamp > self._last):
                self._last = stamp
