"""The in-memory ledger: dicts under one lock (for tests, demos and one-shot runs)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from .._ports import Fence, Intent, IntentState, Link, RefundLink
from ._base import LedgerBase, Outcome
from ._common import (
    EPOCH,
    Clock,
    check_ttl,
    dumps_json_object,
    fenced_out,
    link_conflict,
    loads_json_object,
    now_from,
    refund_hike_conflict,
    refund_woo_conflict,
    to_utc,
    unknown_intent,
    utc_now,
)

__all__ = ["MemoryLedger"]


class MemoryLedger(LedgerBase):
    """A :class:`~hikewoo_core.LedgerPort` that lives in memory and dies with it.

    Every method is atomic (one :class:`threading.Lock`), so it is safe to share
    between threads. It behaves exactly like :class:`SqliteLedger` — same ordering,
    same normalised values, same errors — so code tested against it runs unchanged
    on the durable one. ``clock`` (default ``datetime.now(timezone.utc)``) dates
    intents, seen keys, leases and the activation time; inject one to test expiry.
    """

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock: Clock = clock if clock is not None else utc_now
        self._lock = threading.Lock()
        self._links: dict[int, Link] = {}
        self._woo_by_hike: dict[int, int] = {}
        self._refunds: dict[int, RefundLink] = {}
        self._refund_by_hike: dict[int, int] = {}
        # Intents keep their payload as JSON text: each read hands out a fresh copy.
        self._intents: dict[str, tuple[Intent, str | dict[str, str]]] = {}
        self._cursors: dict[str, str] = {}
        self._checkpoints: dict[str, str] = {}
        self._seen: dict[str, datetime] = {}
        self._leases: dict[str, tuple[str, datetime, int]] = {}
        self._lease_generation = 0
        self._activated_at: datetime | None = None

    def __repr__(self) -> str:
        return (
            f"MemoryLedger(links={len(self._links)}, refund_links={len(self._refunds)}, "
            f"intents={len(self._intents)})"
        )

    def close(self) -> None:
        """Nothing to release; present so both ledgers are used the same way."""

    # links ---------------------------------------------------------------------

    def link_for_woo(self, woo_order_id: int) -> Link | None:
        """The link of a WooCommerce order, if synced."""
        with self._lock:
            return self._links.get(woo_order_id)

    def link_for_hike(self, hike_sale_id: int) -> Link | None:
        """The link of a Hike sale, if synced."""
        with self._lock:
            woo = self._woo_by_hike.get(hike_sale_id)
            return None if woo is None else self._links[woo]

    def links(self) -> Iterator[Link]:
        """Every link, by WooCommerce order id (a snapshot taken at the call)."""
        with self._lock:
            snapshot = [self._links[k] for k in sorted(self._links)]
        return iter(snapshot)

    def _save_link(self, link: Link) -> None:
        with self._lock:
            self._check_link(link)
            self._put_link(link)

    def refund_links(self, woo_order_id: int) -> list[RefundLink]:
        """Every synced refund of a WooCommerce order, by WooCommerce refund id."""
        with self._lock:
            return [
                self._refunds[k]
                for k in sorted(self._refunds)
                if self._refunds[k].woo_order_id == woo_order_id
            ]

    def refund_link_for_hike(self, hike_refund_sale_id: int) -> RefundLink | None:
        """The link of a Hike refund sale, if synced."""
        with self._lock:
            woo = self._refund_by_hike.get(hike_refund_sale_id)
            return None if woo is None else self._refunds[woo]

    def all_refund_links(self) -> Iterator[RefundLink]:
        """Every refund link, by WooCommerce refund id (a snapshot taken at the call)."""
        with self._lock:
            snapshot = [self._refunds[k] for k in sorted(self._refunds)]
        return iter(snapshot)

    def _save_refund_link(self, link: RefundLink) -> None:
        with self._lock:
            self._check_refund(link)
            self._put_refund(link)

    def _check_link(self, link: Link) -> None:
        other = self._woo_by_hike.get(link.hike_sale_id)
        if other is not None and other != link.woo_order_id:
            raise link_conflict(link.hike_sale_id, other, link.woo_order_id)

    def _put_link(self, link: Link) -> None:
        old = self._links.get(link.woo_order_id)
        if old is not None:
            del self._woo_by_hike[old.hike_sale_id]
        self._links[link.woo_order_id] = link
        self._woo_by_hike[link.hike_sale_id] = link.woo_order_id

    def _check_refund(self, link: RefundLink) -> None:
        old = self._refunds.get(link.woo_refund_id)
        if old is not None and old.hike_refund_sale_id != link.hike_refund_sale_id:
            raise refund_woo_conflict(
                link.woo_refund_id, old.hike_refund_sale_id, link.hike_refund_sale_id
            )
        other = self._refund_by_hike.get(link.hike_refund_sale_id)
        if other is not None and other != link.woo_refund_id:
            raise refund_hike_conflict(link.hike_refund_sale_id, other, link.woo_refund_id)

    def _put_refund(self, link: RefundLink) -> None:
        self._refunds[link.woo_refund_id] = link
        self._refund_by_hike[link.hike_refund_sale_id] = link.woo_refund_id

    # intents -------------------------------------------------------------------

    def _intent(self, key: str) -> Intent:
        stored, saved = self._intents[key]
        payload = dict(saved) if isinstance(saved, dict) else loads_json_object(saved)
        return Intent(
            key=stored.key,
            kind=stored.kind,
            payload=payload,
            state=stored.state,
            created_at=stored.created_at,
            result_id=stored.result_id,
        )

    def begin_intent(self, intent: Intent, *, fence: Fence | None = None) -> Intent:
        """Record ``intent`` as pending; if its key exists, return the stored one unchanged.

        The payload is stored in its JSON-safe form (see :class:`SqliteLedger`). With
        ``fence``, a holder whose lease was taken over gets a ``LeaseError``.
        """
        text = _frozen_payload(intent.payload)
        with self._lock:
            self._check_fence(fence)
            if intent.key not in self._intents:
                created = (
                    now_from(self._clock)
                    if intent.created_at is None
                    else to_utc(intent.created_at, "Intent.created_at")
                )
                stored = Intent(
                    key=intent.key,
                    kind=intent.kind,
                    payload={},
                    state=IntentState.PENDING,
                    created_at=created,
                    result_id=None,
                )
                self._intents[intent.key] = (stored, text)
            return self._intent(intent.key)

    def _reattempt(self, key: str, payload: Mapping[str, Any], fence: Fence | None) -> None:
        text = _frozen_payload(payload)
        with self._lock:
            self._check_fence(fence)
            if key not in self._intents:
                raise unknown_intent(key)
            stored, _ = self._intents[key]
            if stored.state is IntentState.PENDING:
                self._intents[key] = (stored, text)

    def pending_intents(self) -> list[Intent]:
        """Intents begun but never completed, oldest first."""
        with self._lock:
            found = [
                self._intent(key)
                for key, (stored, _) in self._intents.items()
                if stored.state is IntentState.PENDING
            ]
        return sorted(found, key=lambda i: i.created_at or EPOCH)  # stable: ties keep order

    def _complete(self, key: str, outcome: Outcome, fence: Fence | None) -> None:
        result_id, link, refund_link = outcome
        with self._lock:
            self._check_fence(fence)
            if key not in self._intents:
                raise unknown_intent(key)
            # Check everything before changing anything: all or nothing.
            if link is not None:
                self._check_link(link)
            if refund_link is not None:
                self._check_refund(refund_link)
            stored, text = self._intents[key]
            done = attrs.evolve(stored, state=IntentState.DONE, result_id=result_id)
            self._intents[key] = (done, text)
            if link is not None:
                self._put_link(link)
            if refund_link is not None:
                self._put_refund(refund_link)

    # cursors, checkpoints, seen keys, activation ------------------------------------

    def get_cursor(self, name: str) -> str | None:
        """A named cursor, if set."""
        with self._lock:
            return self._cursors.get(name)

    def set_cursor(self, name: str, value: str) -> None:
        """Set a named cursor."""
        with self._lock:
            self._cursors[name] = value

    def get_checkpoint(self, name: str) -> dict[str, Any] | None:
        """A named checkpoint (a fresh copy of its JSON-decoded object), if set."""
        with self._lock:
            text = self._checkpoints.get(name)
        return None if text is None else loads_json_object(text)

    def set_checkpoint(self, name: str, value: Mapping[str, Any]) -> None:
        """Store a named checkpoint as JSON (Decimal, datetime and Enum values converted)."""
        text = dumps_json_object(value, what="checkpoint")
        with self._lock:
            self._checkpoints[name] = text

    def add_if_new(self, key: str) -> bool:
        """Remember ``key``; True if it was not seen before (webhook de-duplication)."""
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = now_from(self._clock)
            return True

    def prune_seen(self, older_than: datetime) -> int:
        """Forget keys first seen before ``older_than``; return how many were forgotten."""
        cutoff = to_utc(older_than, "older_than")
        with self._lock:
            old = [k for k, seen_at in self._seen.items() if seen_at < cutoff]
            for k in old:
                del self._seen[k]
            return len(old)

    def activated_at(self) -> datetime:
        """When the ledger was first asked this (recorded on that first call)."""
        with self._lock:
            if self._activated_at is None:
                self._activated_at = now_from(self._clock)
            return self._activated_at

    # leases ------------------------------------------------------------------------

    def acquire_lease(self, resource: str, owner: str, ttl_seconds: float) -> int | None:
        """Take, renew or take over (if expired) the lease; its fencing token, or ``None``."""
        ttl = check_ttl(ttl_seconds)
        with self._lock:
            now = now_from(self._clock)
            held = self._leases.get(resource)
            if held is not None and held[1] > now:
                if held[0] != owner:
                    return None
                token = held[2]  # a renewal keeps the token
            else:
                self._lease_generation += 1
                token = self._lease_generation
            self._leases[resource] = (owner, now + timedelta(seconds=ttl), token)
            return token

    def renew_lease(self, fence: Fence, ttl_seconds: float) -> bool:
        """Extend the lease if it still carries ``fence.token`` (expired or not)."""
        ttl = check_ttl(ttl_seconds)
        with self._lock:
            held = self._leases.get(fence.resource)
            if held is None or (held[0], held[2]) != (fence.owner, fence.token):
                return False
            now = now_from(self._clock)
            self._leases[fence.resource] = (fence.owner, now + timedelta(seconds=ttl), fence.token)
            return True

    def release_lease(self, resource: str, owner: str) -> None:
        """Give up the lease on ``resource`` if ``owner`` holds it (otherwise do nothing)."""
        with self._lock:
            held = self._leases.get(resource)
            if held is not None and held[0] == owner:
                del self._leases[resource]

    def _check_fence(self, fence: Fence | None) -> None:
        if fence is None:
            return
        held = self._leases.get(fence.resource)
        if held is None or (held[0], held[2]) != (fence.owner, fence.token):
            raise fenced_out(fence)

    def lease_holder(self, resource: str) -> str | None:
        """Who holds an unexpired lease on ``resource``, if anyone (for reports and tests)."""
        with self._lock:
            held = self._leases.get(resource)
            if held is None or held[1] <= now_from(self._clock):
                return None
            return held[0]


def _frozen_payload(payload: Mapping[str, Any]) -> str | dict[str, str]:
    """An intent's payload as kept: its JSON text, as :class:`SqliteLedger` keeps it
    (every value JSON-safe or a ``PayloadError``), or, for a flat object of strings (the
    executor's own payloads), a copy of it (the same JSON without encoding it)."""
    if type(payload) is dict and all(type(k) is str and type(v) is str for k, v in payload.items()):
        return dict(payload)
    return dumps_json_object(payload, what="intent payload")
