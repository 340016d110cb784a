"""The call log and failure injection both fakes share (pure, no I/O)."""

from __future__ import annotations

import functools
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Concatenate, NamedTuple, ParamSpec, TypeVar

import attrs

from .._datetimes import to_utc, utc_now
from ._clock import Clock

__all__ = ["Call", "HttpFault", "HttpFaults", "PortRecorder", "Stamper", "locked"]

_log = logging.getLogger("hikewoo_core.testing")

T = TypeVar("T")


class Call(NamedTuple):
    """One call of a port method: its name and its key arguments.

    A plain tuple too, so ``fake.calls[-1] == ("write_order", (None, body))`` works.
    """

    method: str
    args: tuple[Any, ...]


@attrs.frozen
class _Fault:
    exc: BaseException
    after_write: bool = False
    commit_after: float | None = None


_P = ParamSpec("_P")
_R = TypeVar("_R")
_Self = TypeVar("_Self", bound="PortRecorder")


def locked(
    method: Callable[Concatenate[_Self, _P], _R],
) -> Callable[Concatenate[_Self, _P], _R]:
    """Run a fake's method under its lock, as every port call runs: a test that changes
    the store from another thread (a backfill's progress callback runs on a worker
    thread) waits for the port call under way instead of being lost in it."""

    def run(self: _Self, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._port_lock:
            return method(self, *args, **kwargs)

    functools.update_wrapper(run, method)  # name and docstring
    return run


class PortRecorder:
    """Records every port call in :attr:`calls` and fires the faults queued by :meth:`fail_next`."""

    #: The port methods of the fake (only these can be made to fail).
    PORT_METHODS: frozenset[str] = frozenset()

    def __init__(self) -> None:
        #: Every port call, oldest first, including calls that raised.
        self.calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._late: list[tuple[datetime, int, Callable[[], object]]] = []
        #: Held by every port call and late commit: a fake may be shared by threads (a
        #: concurrent backfill), and each call sees and leaves the store consistent.
        self._port_lock = threading.RLock()

    def fail_next(
        self,
        method_name: str,
        exc: BaseException,
        *,
        after_write: bool = False,
        commit_after: float | None = None,
    ) -> None:
        """Make the next call of the port method ``method_name`` raise ``exc``.

        With ``after_write=False`` the call raises before doing anything. With
        ``after_write=True`` the call is performed (the record is written) and then
        raises: the "response lost" case, where a client cannot tell whether the
        write happened. With ``commit_after=seconds`` the call raises at once *without*
        writing, and the write is performed once the fake's clock has moved
        ``seconds`` on (checked at every port call and inspection): a gateway that
        answers 504 while the origin commits later. Pass
        :class:`~hikewoo_core.OutcomeUnknownError` as ``exc`` to play it as the clients
        report it; a ``BaseException`` that is not an ``Exception`` plays a killed
        process (nothing in the library catches it). Several faults for one method
        fire in the order queued.
        """
        if method_name not in self.PORT_METHODS:
            known = ", ".join(sorted(self.PORT_METHODS))
            raise ValueError(f"{method_name!r} is not a port method of this fake ({known})")
        if not isinstance(exc, BaseException):
            raise TypeError(f"exc must be an exception instance, got {type(exc).__name__}")
        if commit_after is not None and (after_write or not commit_after >= 0):
            raise ValueError("commit_after must be >= 0 seconds, and not with after_write")
        fault = _Fault(exc, after_write, commit_after)
        self._faults.setdefault(method_name, deque()).append(fault)

    def clear_faults(self) -> None:
        """Drop every fault queued by :meth:`fail_next` that has not fired yet (writes
        already waiting to commit late still commit)."""
        self._faults.clear()

    def call_count(self, method_name: str) -> int:
        """How many times the port method ``method_name`` was called (failed calls included)."""
        return sum(1 for call in self.calls if call.method == method_name)

    @property
    def late_commits(self) -> int:
        """How many writes answered with a fault are still waiting to commit."""
        with self._port_lock:
            return len(self._late)

    def _clock_now(self) -> datetime:
        """The fake's current time (the stores stamp with it)."""
        stamper: Stamper | None = getattr(self, "_stamper", None)
        return stamper.clock_now() if stamper is not None else utc_now()

    def commit_due(self) -> int:
        """Perform the late writes whose time has come; return how many (a failing one is
        lost, as on a real origin). Port calls and the inspection helpers call this."""
        done = 0
        with self._port_lock:
            while self._late and self._late[0][0] <= self._clock_now():
                _, _, action = self._late.pop(0)
                try:
                    action()
                except Exception as exc:  # noqa: BLE001 - the origin failed too: it is lost
                    _log.debug("a late commit failed and is lost: %r", exc)
                done += 1
        return done

    def _run(self, method: str, args: tuple[Any, ...], action: Callable[[], T]) -> T:
        """Log the call, fire a queued fault before or after ``action``, return its result.

        The whole call holds the fake's lock, so threads sharing a fake take turns."""
        with self._port_lock:
            return self._run_locked(method, args, action)

    def _run_locked(self, method: str, args: tuple[Any, ...], action: Callable[[], T]) -> T:
        self.commit_due()
        self.calls.append(Call(method, args))
        queue = self._faults.get(method)
        fault = queue.popleft() if queue else None
        if fault is not None and fault.commit_after is not None:
            due = self._clock_now() + timedelta(seconds=fault.commit_after)
            self._late.append((due, len(self.calls), action))
            self._late.sort(key=lambda late: (late[0], late[1]))
            raise fault.exc
        if fault is not None and not fault.after_write:
            raise fault.exc
        result = action()
        if fault is not None:
            raise fault.exc
        return result


class Stamper:
    """Issues modification times as the real stores do: the clock's time, whole seconds.

    WooCommerce stamps ``date_modified_gmt`` in whole seconds: several changes within
    one second share a stamp (a batch of 20 updates did, on a real 10.0.2 store), and
    a clock stepped back stamps earlier times. Nothing here makes stamps unique or
    increasing: code that reads an unchanged stamp as "unchanged order" is wrong.
    """

    def __init__(self, clock: Clock | None) -> None:
        self._clock: Clock = clock if clock is not None else utc_now

    def clock_now(self) -> datetime:
        """The clock's time, aware UTC (not cut)."""
        return to_utc(self._clock(), "the clock's time")

    def now(self) -> datetime:
        """The clock's time, aware UTC, cut to whole seconds."""
        return self.clock_now().replace(microsecond=0)

    def next(self) -> datetime:
        """The stamp of a change made now: :meth:`now` (equal to the last one within a
        second)."""
        return self.now()


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

    ``commit_after`` (seconds) plays a gateway (nginx, Cloudflare, a load balancer) in
    front of a slow origin: the server answers at once *without* performing the
    request (``status``, usually 504, with the gateway's HTML page when ``body`` is
    ``None``; or, with ``drop``, no answer), and performs it ``commit_after`` seconds
    after that answer, on a background thread, with the store locked and
    authentication checked as for any request. Its answer is discarded; a late write
    that fails (a validation error, an expired token) is lost, as on a real origin.
    Leaving the server's ``with`` block performs the late writes still pending at
    once and waits for them. It cannot be combined with ``after``.
    """

    status: int = 500
    path: str | None = None
    method: str | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: str | None = None
    after: bool = False
    drop: bool = False
    stall: float = 0.0
    commit_after: float | None = attrs.field(default=None)

    @commit_after.validator
    def _check_commit_after(self, _: attrs.Attribute[float | None], value: float | None) -> None:
        if value is None:
            return
        if not 0.0 <= value < float("inf"):
            raise ValueError(f"commit_after must be a finite number of seconds >= 0, got {value}")
        if self.after:
            raise ValueError("commit_after and after exclude each other: pick one")

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
