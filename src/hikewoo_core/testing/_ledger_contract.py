# ruff: noqa: S101 - the contract's checks are plain asserts, as in any pytest suite
"""The ledger contract: the tests every :class:`~hikewoo_core.LedgerPort` must pass.

:class:`LedgerContract` holds them as plain test methods, so a ledger of your own (on
Redis, DynamoDB, your company's database...) can prove it behaves like the ones this
library ships. Subclass it, say how to make an empty ledger, and let pytest collect the
class::

    from hikewoo_core import MemoryLedger
    from hikewoo_core.testing import LedgerContract

    class TestMyLedger(LedgerContract):
        def make_ledger(self, clock):
            return MemoryLedger(clock=clock)  # yours here: empty, on the given clock

It is also a :mod:`unittest` mixin (``class MyLedgerTests(LedgerContract,
unittest.TestCase)``): the tests take no fixtures and use plain ``assert``. This
module imports neither pytest nor anything outside the library's own dependencies.

What the contract checks: links (one Hike sale per order, aware UTC datetimes, enums),
refund links (each refund synced exactly once, exact ``Decimal`` amounts), write-ahead
intents (JSON-safe payloads, idempotent by key, oldest first, completed atomically with
their links), text a store cannot hold (a NUL character: kept exactly, or refused with a
``PayloadError``), cursors, checkpoints, de-duplication keys, the activation time, leases
(renewal, expiry, takeover, fencing tokens that only grow, a fenced-out holder recording
nothing) and threads sharing one ledger. Each test makes its own ledger, drives it with
the clock it passed to :meth:`~LedgerContract.make_ledger` (which moves only when a test
moves it) and closes it after (:meth:`~LedgerContract.close_ledger`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

import attrs

from .._datetimes import UTC
from .._errors import ConfigurationError, HikeWooError, LeaseError, PayloadError
from .._ports import Fence, Intent, IntentState, LedgerPort, Link, Origin, RefundLink
from ..hike._models import FulfilmentStatus, PaymentStatus

__all__ = ["LedgerContract"]


class _ContractClock:
    """The clock a contract test hands to :meth:`LedgerContract.make_ledger`: a
    zero-argument callable that returns :attr:`now`, which moves only when a test moves
    it (one test sets a naive time, to check the ledger refuses it)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move :attr:`now` forward by ``seconds``."""
        self.now += timedelta(seconds=seconds)


class _Raised:
    value: BaseException


@contextmanager
def _raises(expected: type[BaseException], match: str | None = None) -> Iterator[_Raised]:
    """``pytest.raises`` without pytest: the block must raise ``expected`` (whose
    message matches the ``match`` pattern)."""
    info = _Raised()
    try:
        yield info
    except expected as exc:
        if match is not None and not re.search(match, str(exc)):
            raise AssertionError(f"{exc!r} does not match {match!r}") from exc
        info.value = exc
        return
    raise AssertionError(f"the block did not raise {expected.__name__}")


class _Colour(Enum):
    RED = "red"


class LedgerContract:
    """Base class of the ledger contract tests; see the module's docstring.

    Override :meth:`make_ledger` (and :meth:`close_ledger` if closing is not
    ``ledger.close()``). :meth:`lease_holder` uses the ledger's own ``lease_holder``
    when it has one (the library's three do; it is not part of the port).
    """

    #: Where the clock of every test starts (aware UTC).
    start: ClassVar[datetime] = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

    # --- what a subclass provides ------------------------------------------------------

    def make_ledger(self, clock: Callable[[], datetime]) -> LedgerPort:
        """A new, empty ledger that takes the time from ``clock``. Override this."""
        raise NotImplementedError(f"{type(self).__name__} must override make_ledger(clock)")

    def close_ledger(self, ledger: LedgerPort) -> None:
        """Release what :meth:`make_ledger` opened (default: ``ledger.close()`` if any)."""
        close = getattr(ledger, "close", None)
        if callable(close):
            close()

    def lease_holder(self, ledger: LedgerPort, resource: str) -> str | None:
        """Who holds an unexpired lease on ``resource``: the ledger's ``lease_holder``.
        Without one, the checks that need it are skipped (override to provide it)."""
        holder: Callable[[str], str | None] | None = getattr(ledger, "lease_holder", None)
        if holder is None:
            raise NotImplementedError
        return holder(resource)

    # --- helpers ----------------------------------------------------------------------

    @contextmanager
    def ledger(self) -> Iterator[tuple[LedgerPort, _ContractClock]]:
        """A fresh ledger from :meth:`make_ledger` and its clock, closed afterwards."""
        clock = _ContractClock(self.start)
        made = self.make_ledger(clock)
        try:
            yield made, clock
        finally:
            self.close_ledger(made)

    def _holder_is(self, ledger: LedgerPort, resource: str, expected: str | None) -> None:
        try:
            holder = self.lease_holder(ledger, resource)
        except NotImplementedError:
            return
        assert holder == expected, f"lease on {resource}: held by {holder!r}, not {expected!r}"

    def _link(self, woo: int, hike: int, **kw: Any) -> Link:
        fields: dict[str, Any] = {
            "origin": Origin.WOO,
            "woo_status": "completed",
            "hike_fulfilment": FulfilmentStatus.COMPLETED,
            "hike_payment": PaymentStatus.PAID,
            "woo_modified_gmt": self.start,
            "hike_modified_at": None,
        }
        fields.update(kw)
        return Link(woo_order_id=woo, hike_sale_id=hike, **fields)

    @staticmethod
    def _refund(order: int, woo_refund: int, hike_refund: int, amount: str = "5.00") -> RefundLink:
        return RefundLink(
            woo_order_id=order,
            woo_refund_id=woo_refund,
            hike_refund_sale_id=hike_refund,
            origin=Origin.WOO,
            amount=Decimal(amount),
        )

    @staticmethod
    def _intent(key: str, **payload: Any) -> Intent:
        return Intent(key=key, kind="create_hike_sale", payload=payload)

    # --- the contract: links -------------------------------------------------------

    def test_implements_the_port(self) -> None:
        with self.ledger() as (ledger, _):
            assert isinstance(ledger, LedgerPort)

    def test_links_save_find_replace_and_list(self) -> None:
        link = self._link
        with self.ledger() as (ledger, _):
            assert ledger.link_for_woo(1) is None
            assert ledger.link_for_hike(100) is None
            ledger.save_link(link(2, 200))
            ledger.save_link(link(1, 100))
            assert ledger.link_for_woo(1) == link(1, 100)
            assert ledger.link_for_hike(200) == link(2, 200)

            replaced = link(
                1, 101, woo_status="refunded", hike_fulfilment=FulfilmentStatus.REFUNDED
            )
            ledger.save_link(replaced)
            assert ledger.link_for_woo(1) == replaced
            assert ledger.link_for_hike(101) == replaced
            assert ledger.link_for_hike(100) is None  # the old Hike id is free again
            assert list(ledger.links()) == [replaced, link(2, 200)]

    def test_a_hike_sale_links_to_one_order_only(self) -> None:
        with self.ledger() as (ledger, _):
            ledger.save_link(self._link(1, 100))
            with _raises(HikeWooError, match="already linked to WooCommerce order 1"):
                ledger.save_link(self._link(2, 100))
            assert ledger.link_for_woo(2) is None
            assert ledger.link_for_hike(100) == self._link(1, 100)

    def test_link_datetimes_come_back_aware_utc(self) -> None:
        plus2 = timezone(timedelta(hours=2))
        local = datetime(2024, 5, 1, 14, 30, 15, 123456, tzinfo=plus2)
        with self.ledger() as (ledger, _):
            ledger.save_link(self._link(1, 100, woo_modified_gmt=local, hike_modified_at=local))
            got = ledger.link_for_woo(1)
            assert got is not None
            assert got.woo_modified_gmt == local
            assert got.woo_modified_gmt is not None
            assert got.woo_modified_gmt.utcoffset() == timedelta(0)
            assert got.hike_modified_at == datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
            with _raises(ValueError, match="naive"):
                ledger.save_link(self._link(3, 300, woo_modified_gmt=datetime(2024, 5, 1)))

    def test_link_enums_survive(self) -> None:
        with self.ledger() as (ledger, _):
            ledger.save_link(
                self._link(
                    1,
                    100,
                    origin=Origin.HIKE,
                    hike_fulfilment=FulfilmentStatus.PARKED,
                    hike_payment=PaymentStatus.PENDING,
                )
            )
            got = ledger.link_for_hike(100)
            assert got is not None
            assert got.origin is Origin.HIKE
            assert got.hike_fulfilment is FulfilmentStatus.PARKED
            assert got.hike_payment is PaymentStatus.PENDING

    # --- refund links ---------------------------------------------------------------

    def test_refund_links(self) -> None:
        refund = self._refund
        with self.ledger() as (ledger, _):
            assert ledger.refund_links(1) == []
            assert ledger.refund_link_for_hike(900) is None
            ledger.save_refund_link(refund(1, 12, 902))
            ledger.save_refund_link(refund(1, 11, 901))
            ledger.save_refund_link(refund(2, 10, 900))
            assert [r.woo_refund_id for r in ledger.refund_links(1)] == [11, 12]
            assert ledger.refund_link_for_hike(900) == refund(2, 10, 900)
            assert [r.woo_refund_id for r in ledger.all_refund_links()] == [10, 11, 12]

            ledger.save_refund_link(refund(1, 11, 901))  # replaying the same pair: no-op
            assert len(list(ledger.all_refund_links())) == 3

    def test_each_refund_syncs_exactly_once(self) -> None:
        refund = self._refund
        with self.ledger() as (ledger, _):
            ledger.save_refund_link(refund(1, 11, 901))
            with _raises(HikeWooError, match="WooCommerce refund 11 is already synced"):
                ledger.save_refund_link(refund(1, 11, 999))
            with _raises(HikeWooError, match="Hike refund sale 901 is already linked"):
                ledger.save_refund_link(refund(1, 12, 901))
            assert list(ledger.all_refund_links()) == [refund(1, 11, 901)]

    def test_refund_amounts_are_exact_decimals(self) -> None:
        refund = self._refund
        with self.ledger() as (ledger, _):
            amount = Decimal("0.10") + Decimal("0.20")
            ledger.save_refund_link(refund(1, 11, 901, amount=str(amount)))
            ledger.save_refund_link(refund(1, 12, 902, amount="1.500"))
            first, second = ledger.refund_links(1)
            assert first.amount == Decimal("0.3")
            assert str(first.amount) == "0.30"
            assert str(second.amount) == "1.500"
            with _raises(TypeError, match="Decimal"):
                ledger.save_refund_link(attrs.evolve(refund(1, 13, 903), amount=0.3))  # type: ignore[arg-type]

    # --- intents ----------------------------------------------------------------------

    def test_begin_intent_stores_a_json_safe_pending_intent(self) -> None:
        with self.ledger() as (ledger, _):
            stored = ledger.begin_intent(
                self._intent(
                    "woo:1:create",
                    total=Decimal("10.50"),
                    at=self.start,
                    status=FulfilmentStatus.COMPLETED,
                    colour=_Colour.RED,
                    lines=(1, 2),
                    nested={"amount": Decimal("0.01"), 3: None},
                )
            )
            assert stored.state is IntentState.PENDING
            assert stored.created_at == self.start
            assert stored.result_id is None
            assert stored.payload == {
                "total": "10.50",
                "at": self.start.isoformat(),
                "status": "Completed",
                "colour": "red",
                "lines": [1, 2],
                "nested": {"amount": "0.01", "3": None},
            }
            assert ledger.pending_intents() == [stored]

    def test_begin_intent_is_idempotent_by_key(self) -> None:
        with self.ledger() as (ledger, clock):
            first = ledger.begin_intent(self._intent("k", n=1))
            clock.advance(60)
            again = ledger.begin_intent(attrs.evolve(self._intent("k", n=2), kind="other"))
            assert again == first
            assert ledger.pending_intents() == [first]

    def test_bad_payloads_are_refused_with_paths(self) -> None:
        with self.ledger() as (ledger, _):
            with _raises(PayloadError) as info:
                ledger.begin_intent(self._intent("k", tags={"a"}, deep=[{"x": float("nan")}]))
            assert isinstance(info.value, PayloadError)
            assert info.value.paths == ("$.tags", "$.deep[0].x")
            assert ledger.pending_intents() == []

    def test_pending_intents_oldest_first(self) -> None:
        with self.ledger() as (ledger, clock):
            ledger.begin_intent(self._intent("b"))
            ledger.begin_intent(self._intent("a"))  # same instant: kept in order of beginning
            clock.advance(1)
            ledger.begin_intent(self._intent("c"))
            explicit = attrs.evolve(self._intent("z"), created_at=self.start - timedelta(hours=1))
            ledger.begin_intent(explicit)
            assert [i.key for i in ledger.pending_intents()] == ["z", "b", "a", "c"]

    def test_reattempt_intent_replaces_a_pending_payload_only(self) -> None:
        with self.ledger() as (ledger, _):
            ledger.begin_intent(self._intent("k", attempt="1"))
            ledger.reattempt_intent("k", {"attempt": "2", "sum": Decimal("1.10")})
            [pending] = ledger.pending_intents()
            assert pending.payload == {"attempt": "2", "sum": "1.10"}
            ledger.complete_intent("k", result_id=7)
            ledger.reattempt_intent("k", {"attempt": "3"})  # done: nothing changes
            assert ledger.begin_intent(self._intent("k")).payload == {"attempt": "2", "sum": "1.10"}
            with _raises(HikeWooError, match="no intent with key 'nope'"):
                ledger.reattempt_intent("nope", {})

    def test_complete_intent_records_outcome_and_links(self) -> None:
        link, refund, intent = self._link, self._refund, self._intent
        with self.ledger() as (ledger, _):
            ledger.begin_intent(intent("sale"))
            ledger.begin_intent(intent("refund"))
            ledger.begin_intent(intent("status"))
            ledger.complete_intent("sale", result_id=100, link=link(1, 100))
            ledger.complete_intent("refund", result_id=901, refund_link=refund(1, 11, 901))
            ledger.complete_intent("status", result_id=None)
            assert ledger.pending_intents() == []
            done = ledger.begin_intent(intent("sale"))
            assert done.state is IntentState.DONE
            assert done.result_id == 100
            assert ledger.link_for_woo(1) == link(1, 100)
            assert ledger.refund_links(1) == [refund(1, 11, 901)]

    def test_complete_intent_with_both_links(self) -> None:
        link, refund = self._link, self._refund
        with self.ledger() as (ledger, _):
            ledger.begin_intent(self._intent("k"))
            ledger.complete_intent(
                "k", result_id=1, link=link(1, 100), refund_link=refund(1, 11, 901)
            )
            assert ledger.link_for_hike(100) == link(1, 100)
            assert ledger.refund_link_for_hike(901) == refund(1, 11, 901)

    def test_completing_an_unknown_intent_fails_and_stores_nothing(self) -> None:
        with self.ledger() as (ledger, _):
            with _raises(HikeWooError, match="no intent with key 'nope'"):
                ledger.complete_intent("nope", result_id=1, link=self._link(1, 100))
            assert ledger.link_for_woo(1) is None

    def test_complete_intent_is_all_or_nothing(self) -> None:
        link, refund = self._link, self._refund
        with self.ledger() as (ledger, _):
            ledger.save_link(link(1, 100))
            ledger.save_refund_link(refund(1, 11, 901))
            ledger.begin_intent(self._intent("k"))

            # The link clashes (Hike sale 100 belongs to order 1): the intent stays pending.
            with _raises(HikeWooError, match="already linked"):
                ledger.complete_intent("k", result_id=100, link=link(2, 100))
            # The link is fine but the refund link clashes: neither is kept.
            with _raises(HikeWooError, match="already linked"):
                ledger.complete_intent(
                    "k", result_id=5, link=link(3, 300), refund_link=refund(3, 12, 901)
                )

            assert [i.key for i in ledger.pending_intents()] == ["k"]
            assert ledger.begin_intent(self._intent("k")).result_id is None
            assert ledger.link_for_woo(2) is None
            assert ledger.link_for_woo(3) is None
            assert ledger.refund_links(3) == []

    def test_text_with_a_nul_character_is_kept_or_refused_clearly(self) -> None:
        """Some stores cannot hold U+0000 in text (PostgreSQL cannot): a ledger keeps such
        text exactly, or refuses it with a :class:`~hikewoo_core.PayloadError` and
        records nothing, never a database driver's own error."""
        nul = "a\x00b"

        def kept(write: Callable[..., object], *args: Any) -> bool:
            try:
                write(*args)
            except PayloadError:
                return False
            return True

        with self.ledger() as (ledger, _):
            if kept(ledger.begin_intent, self._intent(nul)):
                assert [i.key for i in ledger.pending_intents()] == [nul]
                ledger.complete_intent(nul, result_id=1)
            assert ledger.pending_intents() == []
            if kept(ledger.begin_intent, attrs.evolve(self._intent("k"), kind=nul)):
                assert ledger.pending_intents()[0].kind == nul
                ledger.complete_intent("k", result_id=1)
            assert ledger.pending_intents() == []
            if kept(ledger.set_cursor, nul, nul):
                assert ledger.get_cursor(nul) == nul
            else:
                assert ledger.get_cursor("a") is None
            if kept(ledger.set_checkpoint, nul, {"at": nul}):
                assert ledger.get_checkpoint(nul) == {"at": nul}
            if kept(ledger.add_if_new, nul):
                assert ledger.add_if_new(nul) is False
            if kept(ledger.acquire_lease, nul, nul, 60):
                self._holder_is(ledger, nul, nul)
            for odd in (
                self._link(1, 100, woo_status=nul),
                self._link(1, 100, woo_fingerprint=nul),
            ):
                if kept(ledger.save_link, odd):
                    assert ledger.link_for_woo(1) == odd
                else:
                    assert ledger.link_for_woo(1) is None
            ledger.begin_intent(self._intent("k2", note=nul))  # payloads are JSON: \u0000
            assert ledger.pending_intents()[0].payload == {"note": nul}

    # --- cursors, checkpoints, seen keys, activation ----------------------------------

    def test_cursors(self) -> None:
        with self.ledger() as (ledger, _):
            assert ledger.get_cursor("woo") is None
            ledger.set_cursor("woo", "2024-05-01T00:00:00")
            ledger.set_cursor("woo", "2024-05-02T00:00:00")
            ledger.set_cursor("hike", "7")
            assert ledger.get_cursor("woo") == "2024-05-02T00:00:00"
            assert ledger.get_cursor("hike") == "7"

    def test_checkpoints(self) -> None:
        stored = {"page": 3, "after": self.start.isoformat(), "sum": "1.10"}
        with self.ledger() as (ledger, _):
            assert ledger.get_checkpoint("backfill:2024-05") is None
            ledger.set_checkpoint(
                "backfill:2024-05", {"page": 3, "after": self.start, "sum": Decimal("1.10")}
            )
            got = ledger.get_checkpoint("backfill:2024-05")
            assert got == stored
            assert got is not None
            got["page"] = 99  # a copy: the stored checkpoint does not change
            assert ledger.get_checkpoint("backfill:2024-05") == stored
            ledger.set_checkpoint("backfill:2024-05", {"done": True})
            assert ledger.get_checkpoint("backfill:2024-05") == {"done": True}
            with _raises(PayloadError):
                ledger.set_checkpoint("x", [1, 2])  # type: ignore[arg-type]

    def test_seen_keys_and_pruning(self) -> None:
        with self.ledger() as (ledger, clock):
            assert ledger.add_if_new("delivery-1") is True
            assert ledger.add_if_new("delivery-1") is False
            clock.advance(3600)
            assert ledger.add_if_new("delivery-2") is True
            assert ledger.prune_seen(self.start + timedelta(minutes=30)) == 1
            assert ledger.add_if_new("delivery-1") is True  # forgotten, so new again
            assert ledger.add_if_new("delivery-2") is False
            assert ledger.prune_seen(self.start) == 0

    def test_activated_at_is_recorded_once(self) -> None:
        with self.ledger() as (ledger, clock):
            first = ledger.activated_at()
            assert first == self.start
            assert first.tzinfo is not None
            clock.advance(86_400)
            assert ledger.activated_at() == self.start

    # --- leases -------------------------------------------------------------------

    def test_leases(self) -> None:
        with self.ledger() as (ledger, clock):
            first = ledger.acquire_lease("woo:1", "a", 60)
            assert first is not None
            self._holder_is(ledger, "woo:1", "a")
            assert ledger.acquire_lease("woo:1", "b", 60) is None
            other = ledger.acquire_lease("woo:2", "b", 60)  # other resources are free
            assert other is not None
            assert other > first

            clock.advance(50)
            assert ledger.acquire_lease("woo:1", "a", 60) == first  # renewed, same token
            clock.advance(50)
            assert ledger.acquire_lease("woo:1", "b", 60) is None  # still held past first ttl

            ledger.release_lease("woo:1", "b")  # not b's to release
            self._holder_is(ledger, "woo:1", "a")
            assert ledger.acquire_lease("woo:1", "c", 60) is None
            ledger.release_lease("woo:1", "a")
            self._holder_is(ledger, "woo:1", None)
            again = ledger.acquire_lease("woo:1", "b", 60)  # a new holder, a new token
            assert again is not None
            assert again > other

    def test_an_expired_lease_can_be_taken_over(self) -> None:
        with self.ledger() as (ledger, clock):
            first = ledger.acquire_lease("r", "a", 30)
            assert first is not None
            clock.advance(29.999)
            assert ledger.acquire_lease("r", "b", 30) is None
            clock.advance(0.001)
            self._holder_is(ledger, "r", None)
            second = ledger.acquire_lease("r", "b", 30)
            assert second is not None
            assert second > first
            assert ledger.acquire_lease("r", "a", 30) is None

    def test_a_holder_whose_lease_was_taken_over_is_fenced(self) -> None:
        """A paused holder wakes up after its lease was taken: the ledger records nothing
        for it, not even a renewal, and the new holder's records stand."""
        link, intent = self._link, self._intent
        with self.ledger() as (ledger, clock):
            a = Fence("pair:woo:1", "a", ledger.acquire_lease("pair:woo:1", "a", 30) or 0)
            ledger.begin_intent(intent("k"), fence=a)  # while held: fine
            assert ledger.renew_lease(a, 30)
            clock.advance(31)  # a is paused past its lease
            assert ledger.renew_lease(a, 30)  # expired but not taken: still a's, renewed
            clock.advance(31)
            b = Fence("pair:woo:1", "b", ledger.acquire_lease("pair:woo:1", "b", 30) or 0)
            assert b.token > a.token
            with _raises(LeaseError, match="taken over"):
                ledger.complete_intent("k", result_id=100, link=link(1, 100), fence=a)
            with _raises(LeaseError):
                ledger.begin_intent(intent("k2"), fence=a)
            with _raises(LeaseError):
                ledger.reattempt_intent("k", {"attempt": "2"}, fence=a)
            assert not ledger.renew_lease(a, 30)
            self._holder_is(ledger, "pair:woo:1", "b")
            assert [i.key for i in ledger.pending_intents()] == ["k"]  # nothing a did stuck
            assert ledger.pending_intents()[0].payload == {}
            assert list(ledger.links()) == []
            ledger.complete_intent("k", result_id=100, link=link(1, 100), fence=b)
            assert list(ledger.links()) == [link(1, 100)]
            ledger.release_lease("pair:woo:1", "a")  # a's release of b's lease changes nothing
            self._holder_is(ledger, "pair:woo:1", "b")
            assert ledger.acquire_lease("pair:woo:1", "a", 30) is None

    def test_lease_ttl_must_be_positive(self) -> None:
        with self.ledger() as (ledger, _):
            for ttl in (0, -1, float("inf"), float("nan"), True):
                with _raises(ConfigurationError, match="ttl_seconds"):
                    ledger.acquire_lease("r", "a", ttl)

    def test_a_naive_clock_is_a_configuration_error(self) -> None:
        with self.ledger() as (ledger, clock):
            clock.now = datetime(2024, 5, 1)
            with _raises(ConfigurationError, match="timezone-aware"):
                ledger.add_if_new("k")

    # --- threads ----------------------------------------------------------------------

    def test_threads_do_not_trip_over_each_other(self) -> None:
        n_threads, per_thread = 4, 10
        errors: list[BaseException] = []
        with self.ledger() as (ledger, _):

            def work(t: int) -> None:
                try:
                    for i in range(per_thread):
                        key = f"t{t}-{i}"
                        woo = t * 1000 + i
                        ledger.begin_intent(self._intent(key, woo=woo))
                        ledger.complete_intent(
                            key, result_id=woo + 1, link=self._link(woo, woo + 1)
                        )
                except BaseException as exc:  # reported below  # noqa: BLE001
                    errors.append(exc)

            threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert errors == []
            assert ledger.pending_intents() == []
            assert len(list(ledger.links())) == n_threads * per_thread
