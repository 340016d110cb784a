"""A plan of HTTP failures for the loopback servers: scripted and seeded-random.

:class:`FaultPlan` extends :class:`~hikewoo_core.testing.HttpFaults` (so
``serve_hike`` accepts it too) with what reliability tests need. The kinds of fault:

- :meth:`~FaultPlan.fail` / :meth:`~FaultPlan.throttle`: an error status (429 with
  ``Retry-After``, 5xx) instead of the answer, or, with ``after=True``, once the
  request was performed;
- :meth:`~FaultPlan.slow`: an answer held back some seconds;
- :meth:`~FaultPlan.drop`: the connection closed without an answer, before or after
  the write;
- :meth:`~FaultPlan.gateway_timeout`: a gateway in front of the server answers 504
  (or 502/503) at once while the origin goes on and commits the write 0.2 to 2 s
  later (a client that looks the record up at once finds nothing);
- :meth:`~FaultPlan.leave_draft`: a create that fails leaving a ``checkout-draft``
  order (``serve_woo`` only);
- :meth:`~FaultPlan.on_request`: callbacks run before a request is handled (to change
  the store between two page reads);
- :meth:`~FaultPlan.randomly`: failures drawn at a seeded rate.

Every rule matches on the method and the end of the path, can let ``skip`` matching
requests through first, and fires ``times`` times (``None``: for ever). The plan does
no I/O; :class:`LateCommits` is the servers' timer for the gateway's late writes.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from typing import Literal, TypeAlias

import attrs

from ._faults import HttpFault, HttpFaults

__all__ = ["FaultPlan", "LateCommits", "SeenRequest", "gateway_page"]

log = logging.getLogger("hikewoo_core.testing.faults")

#: A delay in seconds: fixed, or drawn uniformly from ``(low, high)``.
Delay: TypeAlias = float | tuple[float, float]

_Kind = Literal["fault", "delay", "draft", "call"]


@attrs.frozen
class SeenRequest:
    """A request the server received: method, path and raw query (auth included)."""

    method: str
    path: str
    query: str


@attrs.define
class _Rule:
    kind: _Kind
    method: str | None
    path: str | None
    times: int | None
    skip: int
    fault: HttpFault | None = None
    seconds: float = 0.0
    callback: Callable[[], object] | None = None
    #: For a late commit: draw ``fault.commit_after`` from this range at each firing.
    span: tuple[float, float] | None = None

    def matches(self, method: str, path: str) -> bool:
        probe = HttpFault(method=self.method, path=self.path)
        return probe.matches(method, path)

    def use(self) -> bool:
        """Count a matching request; whether the rule fires on it."""
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.times is not None:
            if self.times <= 0:
                return False
            self.times -= 1
        return True


@attrs.define
class _Random:
    rate: float
    faults: Sequence[HttpFault]
    method: str | None
    path: str | None
    #: Draw the ``commit_after`` of a late-commit fault from this range.
    span: tuple[float, float] | None = None


def _span(commit_after: Delay, what: str = "commit_after") -> tuple[float, float]:
    """``commit_after`` as a checked ``(low, high)`` range of seconds."""
    low, high = commit_after if isinstance(commit_after, tuple) else (commit_after, commit_after)
    if not (0.0 <= low <= high and math.isfinite(high)):
        raise ValueError(
            f"{what} must be seconds >= 0, or a range (low, high) with 0 <= low <= high;"
            f" got {commit_after!r}"
        )
    return float(low), float(high)


class FaultPlan(HttpFaults):
    """Scripted and random HTTP failures, thread-safe; methods return the plan to chain.

    >>> plan = FaultPlan(seed=7)
    >>> plan = plan.throttle(retry_after=2, method="GET", path="orders")
    >>> plan.drop(after=True, method="POST", path="orders").pending
    2
    """

    def __init__(self, faults: Iterable[HttpFault] = (), *, seed: int = 0) -> None:
        super().__init__(faults)
        self._rules: list[_Rule] = []
        self._random: list[_Random] = []
        self._rng = random.Random(seed)
        #: Every request the server saw, oldest first.
        self.requests: list[SeenRequest] = []

    # --- scripting ----------------------------------------------------------------------
    def _add(self, rule: _Rule) -> FaultPlan:
        with self._lock:
            self._rules.append(rule)
        return self

    def fail(
        self,
        status: int = 503,
        *,
        retry_after: float | str | None = None,
        body: str | None = None,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        skip: int = 0,
        after: bool = False,
    ) -> FaultPlan:
        """Answer ``status`` (with ``Retry-After`` if given) instead of handling the request.

        With ``after=True`` the request is handled first (the write happens) and the
        answer replaced.
        """
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        if isinstance(retry_after, str):
            headers = {"Retry-After": retry_after}
        fault = HttpFault(
            status=status, headers=headers, body=body, method=method, path=path, after=after
        )
        return self._add(_Rule("fault", method, path, times, skip, fault=fault))

    def throttle(
        self,
        retry_after: float | str = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        skip: int = 0,
    ) -> FaultPlan:
        """Answer ``429 Too Many Requests`` with ``Retry-After`` (as a host's WAF does)."""
        return self.fail(
            429, retry_after=retry_after, method=method, path=path, times=times, skip=skip
        )

    def drop(
        self,
        *,
        after: bool = False,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        skip: int = 0,
    ) -> FaultPlan:
        """Close the connection without answering; with ``after=True``, once the request
        was performed (the write happened, the answer is lost)."""
        fault = HttpFault(drop=True, after=after, method=method, path=path)
        return self._add(_Rule("fault", method, path, times, skip, fault=fault))

    def slow(
        self,
        seconds: float,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        skip: int = 0,
    ) -> FaultPlan:
        """Wait ``seconds`` before answering (the request is then handled normally)."""
        return self._add(_Rule("delay", method, path, times, skip, seconds=seconds))

    def gateway_timeout(
        self,
        status: int = 504,
        *,
        commit_after: Delay = (0.2, 2.0),
        body: str | None = None,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        skip: int = 0,
    ) -> FaultPlan:
        """A gateway answers ``status`` (504; 502 and 503 happen too) at once while the
        origin goes on and performs the request ``commit_after`` seconds later.

        Reverse proxies, CDNs and load balancers in front of WooCommerce or Hike give
        up on a slow origin, which keeps working and commits the write. ``commit_after``
        is seconds after the answer, or a range ``(low, high)`` drawn uniformly from the
        plan's seeded generator at each firing (repeatable). The answer is the
        gateway's HTML page unless ``body`` is given; the late write's own answer is
        discarded, and it is lost if it fails. See
        :attr:`~hikewoo_core.testing.HttpFault.commit_after`.

        >>> plan = FaultPlan(seed=1)
        >>> plan = plan.gateway_timeout(commit_after=(0.2, 2.0), method="POST")
        >>> fault = plan.take("POST", "/wc/v3/orders")
        >>> (fault.status, 0.2 <= fault.commit_after <= 2.0)
        (504, True)
        """
        low, high = _span(commit_after)
        fault = HttpFault(status=status, body=body, method=method, path=path, commit_after=low)
        span = (low, high) if high > low else None
        return self._add(_Rule("fault", method, path, times, skip, fault=fault, span=span))

    def leave_draft(self, *, times: int | None = 1, skip: int = 0) -> FaultPlan:
        """Make ``POST /orders`` fail *after* saving, leaving a ``checkout-draft`` order and
        naming it in ``data.new_draft_order_id`` (WooCommerce 9.x)."""
        return self._add(_Rule("draft", "POST", "orders", times, skip))

    def on_request(
        self,
        callback: Callable[[], object],
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        skip: int = 0,
    ) -> FaultPlan:
        """Run ``callback()`` before handling a matching request, with the store locked
        (e.g. modify an order between two page reads)."""
        return self._add(_Rule("call", method, path, times, skip, callback=callback))

    def randomly(
        self,
        rate: float,
        *,
        statuses: Sequence[int] = (503,),
        retry_after: float | None = None,
        drop: bool = False,
        drop_after: bool = False,
        timeout: float | None = None,
        late_commit: tuple[float, float] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> FaultPlan:
        """Fail each matching request with probability ``rate`` (seeded, so repeatable),
        picking evenly among ``statuses`` and, if asked, dropped connections.

        With ``timeout`` (seconds, longer than the client's read timeout), two more
        kinds are drawn: an answer held back ``timeout`` seconds before the connection
        is dropped, the request not performed; and the same once it was performed.
        With ``late_commit=(low, high)``, one more: a gateway's 504 while the origin
        performs the request ``low`` to ``high`` seconds later (see
        :meth:`gateway_timeout`; the delay is drawn from the same seeded generator).
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be within [0, 1], got {rate}")
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        faults = [HttpFault(status=s, headers=headers) for s in statuses]
        faults += [HttpFault(drop=True)] if drop else []
        faults += [HttpFault(drop=True, after=True)] if drop_after else []
        if timeout is not None:
            if not timeout > 0:
                raise ValueError(f"timeout must be positive, got {timeout}")
            faults += [HttpFault(drop=True, stall=timeout)]
            faults += [HttpFault(drop=True, after=True, stall=timeout)]
        span = None
        if late_commit is not None:
            span = _span(late_commit, "late_commit")
            faults += [HttpFault(status=504, commit_after=span[0])]
        if not faults:
            raise ValueError("randomly() needs at least one kind of failure")
        with self._lock:
            self._random.append(_Random(rate, faults, method, path, span))
        return self

    # --- used by the servers ------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Scripted failures still to fire (rules with ``times=None`` count once)."""
        with self._lock:
            rules = sum(1 for r in self._rules if r.times is None or r.times > 0)
            return len(self._queue) + rules

    def record(self, method: str, path: str, query: str) -> None:
        """Log a received request in :attr:`requests`."""
        with self._lock:
            self.requests.append(SeenRequest(method, path, query))

    def _fire(self, kind: _Kind, method: str, path: str, *, first: bool = False) -> list[_Rule]:
        fired: list[_Rule] = []
        with self._lock:
            for rule in self._rules:
                if rule.kind == kind and rule.matches(method, path) and rule.use():
                    fired.append(rule)
                    if first:
                        break
        return fired

    def take(self, method: str, path: str) -> HttpFault | None:
        """The failure for this request: a queued fault, else a rule, else a random draw."""
        fault = super().take(method, path)
        if fault is not None:
            return fault
        rules = self._fire("fault", method, path, first=True)
        if rules and rules[0].fault is not None:
            with self._lock:
                fault = self._late(rules[0].fault, rules[0].span)
                self.fired.append(fault)
            return fault
        with self._lock:
            for spec in self._random:
                probe = HttpFault(method=spec.method, path=spec.path)
                if probe.matches(method, path) and self._rng.random() < spec.rate:
                    fault = spec.faults[self._rng.randrange(len(spec.faults))]
                    fault = self._late(fault, spec.span)
                    self.fired.append(fault)
                    return fault
        return None

    def _late(self, fault: HttpFault, span: tuple[float, float] | None) -> HttpFault:
        """``fault`` with its ``commit_after`` drawn from ``span`` (lock held)."""
        if span is None or fault.commit_after is None:
            return fault
        return attrs.evolve(fault, commit_after=self._rng.uniform(*span))

    def delay(self, method: str, path: str) -> float:
        """Seconds to wait before answering this request."""
        return sum(rule.seconds for rule in self._fire("delay", method, path))

    def callbacks(self, method: str, path: str) -> list[Callable[[], object]]:
        """The callbacks to run before handling this request."""
        return [r.callback for r in self._fire("call", method, path) if r.callback is not None]

    def draft(self, method: str, path: str) -> bool:
        """Whether this create should fail leaving a draft order."""
        return bool(self._fire("draft", method, path))


# --- the gateway's late commits (used by the servers) --------------------------------------

_NGINX_PHRASES = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def gateway_page(status: int) -> bytes:
    """The HTML page an nginx gateway answers with (``text/html``, not the API's JSON)."""
    try:
        phrase = _NGINX_PHRASES.get(status) or HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    title = f"{status} {phrase}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


class LateCommits:
    """The writes a gateway timed out on, performed later by the origin: one worker thread.

    :meth:`add` schedules an action ``delay`` seconds from now and returns at once (the
    server goes on answering other requests). The worker performs the actions when due,
    in due order, one at a time; an action that raises is logged and lost.
    :meth:`close` performs the actions still pending at once, in due order, and
    returns when they are done, so nothing is performed after it returns; an action
    added after :meth:`close` is dropped (the origin is gone) and logged at debug.
    """

    def __init__(self, name: str = "late-commits") -> None:
        self._name = name
        self._cond = threading.Condition()
        self._due: list[tuple[float, int, Callable[[], object]]] = []
        self._order = itertools.count()
        self._closed = False
        self._worker: threading.Thread | None = None

    @property
    def pending(self) -> int:
        """How many late writes are still to be performed."""
        with self._cond:
            return len(self._due)

    def add(self, delay: float, action: Callable[[], object]) -> None:
        """Perform ``action()`` on the worker ``delay`` seconds from now."""
        with self._cond:
            if self._closed:
                log.debug("%s: the server is closed; a late write is lost", self._name)
                return
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), action))
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name=self._name, daemon=True)
                self._worker.start()
            self._cond.notify_all()

    def close(self) -> None:
        """Perform what is pending now, stop the worker; idempotent."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join()  # it finishes the action at hand, then leaves the rest to us
        while True:
            with self._cond:
                if not self._due:
                    return
                action = heapq.heappop(self._due)[2]
            self._perform(action)

    def _work(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    if wait is not None and wait <= 0:
                        break
                    self._cond.wait(wait)
                action = heapq.heappop(self._due)[2]
            self._perform(action)

    def _perform(self, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:  # a late write that breaks the fake: log it for the test, go on
            log.exception("%s: a late write failed", self._name)
