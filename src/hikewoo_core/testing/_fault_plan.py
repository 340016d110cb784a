"""A plan of HTTP failures for the loopback servers: scripted and seeded-random (no I/O).

:class:`FaultPlan` extends :class:`~hikewoo_core.testing._faults.HttpFaults` (so
``serve_hike`` accepts it too) with what reliability tests need: 429 with
``Retry-After``, 5xx, slow answers, dropped connections before or after the write,
a create that fails leaving a ``checkout-draft`` order (``serve_woo`` only), callbacks
run before a request is handled (to change the store between two page reads), and
failures drawn at a seeded rate. Every rule matches on the method and the end of the
path, can let ``skip`` matching requests through first, and fires ``times`` times
(``None``: for ever).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

import attrs

from ._faults import HttpFault, HttpFaults

__all__ = ["FaultPlan", "SeenRequest"]

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


class FaultPlan(HttpFaults):
    """Scripted and random HTTP failures, thread-safe; methods return the plan to chain.

    >>> plan = FaultPlan(seed=7).throttle(retry_after=2, method="GET", path="orders")
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
        method: str | None = None,
        path: str | None = None,
    ) -> FaultPlan:
        """Fail each matching request with probability ``rate`` (seeded, so repeatable),
        picking evenly among ``statuses`` and, if asked, dropped connections.

        With ``timeout`` (seconds, longer than the client's read timeout), two more
        kinds are drawn: an answer held back ``timeout`` seconds before the connection
        is dropped, the request not performed; and the same once it was performed.
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
        if not faults:
            raise ValueError("randomly() needs at least one kind of failure")
        with self._lock:
            self._random.append(_Random(rate, faults, method, path))
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
                self.fired.append(rules[0].fault)
            return rules[0].fault
        with self._lock:
            for spec in self._random:
                probe = HttpFault(method=spec.method, path=spec.path)
                if probe.matches(method, path) and self._rng.random() < spec.rate:
                    fault = spec.faults[self._rng.randrange(len(spec.faults))]
                    self.fired.append(fault)
                    return fault
        return None

    def delay(self, method: str, path: str) -> float:
        """Seconds to wait before answering this request."""
        return sum(rule.seconds for rule in self._fire("delay", method, path))

    def callbacks(self, method: str, path: str) -> list[Callable[[], object]]:
        """The callbacks to run before handling this request."""
        return [r.callback for r in self._fire("call", method, path) if r.callback is not None]

    def draft(self, method: str, path: str) -> bool:
        """Whether this create should fail leaving a draft order."""
        return bool(self._fire("draft", method, path))
