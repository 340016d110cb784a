"""The call log and failure injection both fakes share (pure, no I/O)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

import attrs

from ._clock import Clock, aware_utc, system_clock

__all__ = ["Call", "HttpFault", "HttpFaults", "PortRecorder", "Stamper"]

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

    def clear_faults(self) -> None:
        """Drop every fault queued by :meth:`fail_next` that has not fired yet."""
        self._faults.clear()

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


@attrs.frozen(kw_only=True)
class HttpFault:
    """One HTTP failure for a loopback server to inject (see ``serve_hike``).

    It fires on the next request whose method is ``method`` (any when ``None``) and
    whose path ends with ``path`` (any when ``None``), once. The server answers
    ``status`` with ``headers`` and ``body`` (a JSON error naming the fault when
    ``None``); or, with ``drop``, closes the connection without answering. With
    ``after`` the request is performed first: the write happens, the answer is lost.
    ``stall`` seconds pass before the server answers or drops: a client whose read
    timeout is shorter times out (with ``after``, once the request was performed).
    """

    status: int = 500
    path: str | None = None
    method: str | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: str | None = None
    after: bool = False
    drop: bool = False
    stall: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a ``method`` request for ``path``."""
        return (self.method is None or self.method.upper() == method.upper()) and (
            self.path is None or path.rstrip("/").endswith(self.path.rstrip("/"))
        )


class HttpFaults:
    """A thread-safe queue of :class:`HttpFault`; the first matching fault fires once.

    :attr:`fired` lists the faults that fired, oldest first.
    """

    def __init__(self, faults: Iterable[HttpFault] = ()) -> None:
        self._queue: list[HttpFault] = list(faults)
        self._lock = threading.Lock()
        #: Faults that fired, oldest first.
        self.fired: list[HttpFault] = []

    def add(self, fault: HttpFault, times: int = 1) -> None:
        """Queue ``fault`` to fire ``times`` times."""
        with self._lock:
            self._queue.extend([fault] * times)

    def take(self, method: str, path: str) -> HttpFault | None:
        """Remove and return the first queued fault matching the request, if any."""
        with self._lock:
            for index, fault in enumerate(self._queue):
                if fault.matches(method, path):
                    del self._queue[index]
                    self.fired.append(fault)
                    return fault
        return None

    @property
    def pending(self) -> int:
        """How many faults are still queued."""
        with self._lock:
            return len(self._queue)
