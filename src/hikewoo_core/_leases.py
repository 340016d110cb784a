"""Leases kept alive while work runs, and fenced once lost (shell).

A :class:`LeaseKeeper` takes a pair's lease in the ledger before syncing it. While the
pair's plan is applied, a background thread renews every lease it holds every third of
the lease's time to live, so a slow remote write (a request hanging for minutes) never
lets another executor in. Only a holder that stops renewing (its process paused or killed,
or cut off from the ledger) for longer than the lease loses it. A holder that lost its
lease is *fenced*: the ledger refuses to record anything on its behalf, and
:meth:`LeaseKeeper.check` refuses to let it start another write.

The guarantee, written out in ``docs/concepts.md``: no two executors record outcomes for
the same pair at once, and a new holder never sends a create while the write of an
earlier holder may still land, provided that write lands (or fails) within the lease
time after the earlier holder's last renewal plus the settle period
(:class:`~hikewoo_core.SettlePolicy`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ._errors import LeaseError
from ._ports import Fence, LedgerPort

__all__ = ["LeaseKeeper"]

log = logging.getLogger("hikewoo_core.sync")


def _boot_timer() -> float:
    """Seconds that go on counting while the machine or VM is suspended (Linux's
    ``CLOCK_BOOTTIME``; ``time.monotonic`` elsewhere), as the ledger's clock does: a
    holder suspended past its lease must not think it fresh."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


_TIMER: Callable[[], float] = _boot_timer if hasattr(time, "CLOCK_BOOTTIME") else time.monotonic

#: Seconds an idle renewal thread waits for new work before it ends.
_LINGER = 1.0


class LeaseKeeper:
    """Takes, renews and releases the leases of one owner (thread-safe)."""

    def __init__(
        self,
        ledger: LedgerPort,
        owner: str,
        ttl: float,
        timer: Callable[[], float] = _TIMER,
    ) -> None:
        self.ledger, self.owner, self.ttl, self.timer = ledger, owner, ttl, timer
        self.interval = ttl / 3
        #: A lease kept less than this long ago is not renewed before a write: it has
        #: nine tenths of its time left (the write's margin was the whole lease before).
        self.fresh = ttl / 10
        self._held: dict[str, Fence] = {}
        # When each held lease was last taken or renewed, by this process's timer.
        self._kept_at: dict[Fence, float] = {}
        self._lost: set[Fence] = set()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    @contextmanager
    def hold(self, resource: str) -> Iterator[Fence]:
        """Hold the lease on ``resource`` for the ``with`` block; yields its :class:`Fence`.

        Raises :class:`~hikewoo_core.LeaseError` if another executor (or another thread
        of this one) holds it.
        """
        with self._cond:
            if resource in self._held:
                raise LeaseError(f"{resource} is being synced by another thread of {self.owner}")
            asked = self.timer()
            token: object = self.ledger.acquire_lease(resource, self.owner, self.ttl)
            if token is None or isinstance(token, bool) or not isinstance(token, int):
                # None, or False from a ledger written to the old bool protocol
                raise LeaseError(f"{resource} is being synced by another executor")
            fence = Fence(resource, self.owner, token)
            self._kept_at[fence] = asked
            if not self._held:
                self._cond.notify_all()  # a lingering renewal thread has work again
            self._held[resource] = fence
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._renew_forever, name=f"lease-{self.owner}", daemon=True
                )
                self._thread.start()
        try:
            yield fence
        finally:
            with self._cond:
                self._held.pop(resource, None)
                self._lost.discard(fence)
                self._kept_at.pop(fence, None)
                if not self._held:
                    self._cond.notify_all()  # the renewal thread stops waiting to renew
            self.ledger.release_lease(resource, self.owner)

    def check(self, fence: Fence) -> None:
        """Renew the lease now; :class:`~hikewoo_core.LeaseError` if it was taken over.

        Called before every remote write, so a holder that was paused past its lease
        never starts another create. A lease taken or renewed less than a tenth of its
        time ago, by a timer that counts suspended time too, is not renewed again: no
        pause can have outlasted it, it keeps nine tenths of its time for the write, and
        the fenced ``begin_intent`` that follows refuses a holder taken over all the
        same. That is the first write of every pair: one ledger write less per order.
        """
        with self._cond:
            lost = fence in self._lost
            kept_at = self._kept_at.get(fence)
        asked = self.timer()
        if not lost and kept_at is not None and asked - kept_at < self.fresh:
            return
        if lost or not self.ledger.renew_lease(fence, self.ttl):
            raise LeaseError(
                f"the lease on {fence.resource} was taken over by another executor while "
                f"{fence.owner} held it (paused or cut off for longer than the lease); "
                "stopping before any further write"
            )
        self._kept(fence, asked)

    def _kept(self, fence: Fence, asked: float) -> None:
        """Note that ``fence`` was renewed by a request sent at ``asked`` (if still held)."""
        with self._cond:
            if fence in self._kept_at:
                self._kept_at[fence] = max(self._kept_at[fence], asked)

    def _renew_forever(self) -> None:
        """Renew every held lease each interval. Once nothing is held, linger a while
        for the next pair (a batch holds one pair after another) before ending, so one
        thread serves a whole batch."""
        while True:
            with self._cond:
                if not self._held and not self._cond.wait_for(
                    lambda: bool(self._held), timeout=min(self.interval, _LINGER)
                ):
                    self._thread = None
                    return
                # Renew after an interval; a lease taken meanwhile is fresh anyway.
                self._cond.wait_for(lambda: not self._held, timeout=self.interval)
                fences = list(self._held.values())
            for fence in fences:
                asked = self.timer()
                try:
                    kept = self.ledger.renew_lease(fence, self.ttl)
                except Exception as exc:  # a busy ledger: try again next round  # noqa: BLE001
                    log.warning("renewing the lease on %s failed: %s", fence.resource, exc)
                    continue
                if kept:
                    self._kept(fence, asked)
                    continue
                with self._cond:
                    if self._held.get(fence.resource) == fence:  # not released meanwhile
                        log.warning("the lease on %s was taken over", fence.resource)
                        self._lost.add(fence)
