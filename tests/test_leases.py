"""The lease keeper: renewed while held, fenced once taken over, threads that end."""

from __future__ import annotations

import threading
import time

import pytest

from hikewoo_core import LeaseError, MemoryLedger, SqliteLedger
from hikewoo_core._leases import LeaseKeeper
from hikewoo_core._ports import Fence, Intent
from hikewoo_core.testing import FakeClock


def test_a_lease_is_renewed_while_held_and_released_after() -> None:
    ledger = MemoryLedger()  # the real clock: the renewal thread works in real time
    keeper = LeaseKeeper(ledger, "a", ttl=0.3)
    with keeper.hold("pair:woo:1") as fence:
        time.sleep(0.8)  # well past the lease: renewed every 0.1 s meanwhile
        assert ledger.lease_holder("pair:woo:1") == "a"
        assert ledger.acquire_lease("pair:woo:1", "b", 0.3) is None
        keeper.check(fence)
    assert ledger.lease_holder("pair:woo:1") is None


def test_a_holder_whose_lease_was_taken_over_is_stopped_before_it_writes_again() -> None:
    clock = FakeClock()
    ledger = MemoryLedger(clock=clock)
    # The keeper's timer moves with the clock, as a monotonic timer moves in a pause.
    keeper = LeaseKeeper(ledger, "a", ttl=30, timer=lambda: clock.now().timestamp())
    with keeper.hold("pair:woo:1") as fence:
        clock.advance(31)  # paused past the lease (the real-time thread did not run)
        assert ledger.acquire_lease("pair:woo:1", "b", 30) is not None
        with pytest.raises(LeaseError, match="taken over"):
            keeper.check(fence)
    assert ledger.lease_holder("pair:woo:1") == "b"  # a's release left b's lease alone


def test_a_lease_kept_moments_ago_is_not_renewed_again_but_still_fenced() -> None:
    """The check before a write renews only a lease older than a tenth of its time (by
    the process's own timer): the first write of a pair, moments after the lease was
    taken, costs no renewal. A holder taken over meanwhile (its machine suspended, say,
    so its monotonic timer stood still) is refused all the same by the fenced
    ``begin_intent``."""
    clock = FakeClock()
    now = [0.0]

    class Counting(MemoryLedger):
        renewals = 0

        def renew_lease(self, fence: Fence, ttl_seconds: float) -> bool:
            self.renewals += 1
            return super().renew_lease(fence, ttl_seconds)

    ledger = Counting(clock=clock)
    keeper = LeaseKeeper(ledger, "a", ttl=30, timer=lambda: now[0])
    with keeper.hold("pair:woo:1") as fence:
        keeper.check(fence)
        now[0] = 2.9
        keeper.check(fence)
        assert ledger.renewals == 0
        now[0] = 3.0  # a tenth of the lease: renewed now
        keeper.check(fence)
        assert ledger.renewals == 1
        now[0] = 5.9  # counted from that renewal
        keeper.check(fence)
        assert ledger.renewals == 1
        clock.advance(31)  # the ledger's time moved on while this timer stood still
        assert ledger.acquire_lease("pair:woo:1", "b", 30) is not None
        keeper.check(fence)  # not asked: the timer says the lease is fresh
        intent = Intent(key="k", kind="CreateHikeSale", payload={}, created_at=clock.now())
        with pytest.raises(LeaseError, match="taken over"):
            ledger.begin_intent(intent, fence=fence)


def test_a_late_renewal_of_a_released_lease_does_not_fence_the_next_holding() -> None:
    """Found in review: losses were kept by resource, so a renewal of the previous
    holding that failed late marked the next holding of the same pair as lost."""
    in_renewal, finish = threading.Event(), threading.Event()

    class SlowLedger(MemoryLedger):
        first: Fence | None = None

        def renew_lease(self, fence: Fence, ttl_seconds: float) -> bool:
            if fence == self.first:  # the thread's renewal of the first holding
                in_renewal.set()
                finish.wait(5)  # ... lasts until the pair is held again
            return super().renew_lease(fence, ttl_seconds)

    ledger = SlowLedger()
    keeper = LeaseKeeper(ledger, "me", ttl=0.3)
    with keeper.hold("pair:woo:1") as first:
        ledger.first = first
        assert in_renewal.wait(5)
    with keeper.hold("pair:woo:1") as second:
        finish.set()  # the late renewal of the released lease fails now
        time.sleep(0.2)
        assert second.token != first.token
        keeper.check(second)  # not fenced by the stale renewal


def test_another_thread_of_the_same_owner_cannot_take_a_held_pair() -> None:
    keeper = LeaseKeeper(MemoryLedger(), "me", ttl=60)
    with keeper.hold("pair:woo:1"):
        errors: list[BaseException] = []

        def other() -> None:
            try:
                with keeper.hold("pair:woo:1"):
                    pass
            except LeaseError as exc:
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert len(errors) == 1


def test_renewal_threads_end_once_nothing_is_held(tmp_path: object) -> None:
    """Found in review: a keeper's thread slept a third of the lease (100 s) after its
    last release, so every Syncer left a thread behind for that long."""
    keepers = [LeaseKeeper(SqliteLedger(f"{tmp_path}/l{i}.db"), f"t{i}", 300) for i in range(5)]
    for keeper in keepers:
        with keeper.hold("pair:woo:1"):
            time.sleep(0.1)  # the thread has renewed and waits a third of the lease

    def mine() -> list[str]:
        return [t.name for t in threading.enumerate() if t.name.startswith("lease-t")]

    deadline = time.monotonic() + 5
    while mine() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mine() == []


def test_a_ledger_answering_the_old_bool_protocol_is_not_taken_for_a_token() -> None:
    class OldLedger(MemoryLedger):
        def acquire_lease(self, resource: str, owner: str, ttl_seconds: float) -> int | None:
            return False  # type: ignore[return-value]  # 0.1: "another holds it"

    with pytest.raises(LeaseError), LeaseKeeper(OldLedger(), "a", 60).hold("pair:woo:1"):
        pass
    assert Fence("r", "o", 1) == Fence("r", "o", 1)


def test_one_renewal_thread_serves_a_batch_of_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Found measuring the backfill: releasing the last lease woke the renewal thread,
    which then ended at the next release, so a batch started a thread for every other
    pair (1,282 threads for 3,000 orders, a tenth of the backfill's CPU)."""
    import hikewoo_core._leases as leases

    started: list[str] = []

    class Counted(threading.Thread):
        def start(self) -> None:
            started.append(self.name)
            super().start()

    monkeypatch.setattr(leases.threading, "Thread", Counted)
    keeper = LeaseKeeper(MemoryLedger(), "batch", 300)
    for pair in range(50):
        with keeper.hold(f"pair:woo:{pair}"):
            time.sleep(0.002)  # the pair's writes: the renewal thread gets to run
        time.sleep(0.002)  # reading and planning the next pair
    assert len(started) == 1


def test_the_default_timer_counts_suspended_time_where_the_system_has_one() -> None:
    """A machine or VM suspended past the lease must not leave the holder thinking its
    lease fresh: the ledger's clock went on, so the timer must too (CLOCK_BOOTTIME)."""
    import hikewoo_core._leases as leases

    keeper = LeaseKeeper(MemoryLedger(), "a", ttl=30)
    if hasattr(time, "CLOCK_BOOTTIME"):
        assert keeper.timer is leases._boot_timer
        assert abs(keeper.timer() - time.clock_gettime(time.CLOCK_BOOTTIME)) < 5
    else:
        assert keeper.timer is time.monotonic
