"""Records a sync must read again by id: failures to retry, Hike sales not yet settled.

Both are kept in ledger checkpoints, so a later run (in another process, days later)
picks them up whatever the window it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

from ._ports import LedgerPort
from .hike._models import FulfilmentStatus, HikeSale
from .woo._models import WooOrder

__all__ = [
    "RETRY_CHECKPOINT",
    "UNSETTLED",
    "UNSETTLED_CHECKPOINT",
    "Again",
    "Retry",
    "Unsettled",
    "record_key",
    "subject_of",
]

#: The ledger checkpoint listing the records whose sync failed, retried on the next run.
RETRY_CHECKPOINT = "sync.retry"
#: The ledger checkpoint of the Hike sales seen unsettled, re-read by id on every run.
UNSETTLED_CHECKPOINT = "hike.unsettled"
#: Hike statuses that may still change into something that syncs (or already synced
#: and may still change): lay-by, parked, pending, back order, quote, on account.
UNSETTLED = frozenset(
    {
        FulfilmentStatus.LAYBY,
        FulfilmentStatus.PARKED,
        FulfilmentStatus.PENDING,
        FulfilmentStatus.BACK_ORDER,
        FulfilmentStatus.QUOTE,
        FulfilmentStatus.ON_ACCOUNT,
    }
)


def subject_of(item: object) -> str:
    if isinstance(item, WooOrder):
        return f"WooCommerce order #{item.number or item.id}"
    if isinstance(item, HikeSale):
        return f"Hike sale {item.number or item.id}"
    if isinstance(item, Again):
        return (
            f"WooCommerce order id {item.id}" if item.side == "woo" else f"Hike sale id {item.id}"
        )
    return repr(item)  # pragma: no cover


@attrs.frozen
class Again:
    """A record to read by id and sync again: ``side`` is ``"woo"`` or ``"hike"``."""

    side: str
    id: int


def record_key(item: object) -> tuple[str, int] | None:
    if isinstance(item, WooOrder):
        return "woo", item.id
    if isinstance(item, HikeSale):
        return "hike", item.id
    if isinstance(item, Again):
        return item.side, item.id
    return None  # pragma: no cover


class Retry:
    """The records whose sync failed, kept in the ledger until a later run syncs them.

    Without it a failed record would be retried only while it is still inside the
    next run's window (``overlap``): a run scheduled later would lose it. Saving
    re-reads the checkpoint and merges, so two syncers sharing a ledger keep each
    other's failures.
    """

    def __init__(self, stored: Mapping[str, object] | None) -> None:
        self.stored = {side: _ids((stored or {}).get(side)) for side in ("woo", "hike")}
        self.attempted: dict[str, set[int]] = {"woo": set(), "hike": set()}
        self.failures: dict[str, set[int]] = {"woo": set(), "hike": set()}

    def due(self, side: str) -> list[Again]:
        """The stored failures of ``side`` not yet attempted in this run."""
        return [Again(side, i) for i in sorted(self.stored[side] - self.attempted[side])]

    def done(self, item: object) -> None:
        key = record_key(item)
        if key is not None:
            self.attempted[key[0]].add(key[1])
            self.failures[key[0]].discard(key[1])

    def failed(self, item: object) -> None:
        key = record_key(item)
        if key is not None:
            self.attempted[key[0]].add(key[1])
            self.failures[key[0]].add(key[1])

    def save(self, ledger: LedgerPort) -> None:
        current = ledger.get_checkpoint(RETRY_CHECKPOINT) or {}
        merged = {
            side: sorted((_ids(current.get(side)) - self.attempted[side]) | self.failures[side])
            for side in ("woo", "hike")
        }
        if merged != {side: sorted(_ids(current.get(side))) for side in ("woo", "hike")}:
            ledger.set_checkpoint(RETRY_CHECKPOINT, merged)


def _ids(value: object) -> set[int]:
    if not isinstance(value, list):
        return set()
    return {i for i in value if type(i) is int}


class Unsettled:
    """Hike sales the sync saw in a status that may still change (:data:`UNSETTLED`).

    Hike lists sales by transaction date only, so a lay-by paid off ten days later, or a
    parked sale completed next month, never shows up in a window of recent changes.
    Runs read these again by id until they settle (any other status) or ``horizon`` has
    passed since their transaction. Each is read again one minute after it was seen,
    then at doubling intervals up to an hour: a shop with many parked sales does not pay
    one read per sale on every run. Saving re-reads the checkpoint and merges, so
    syncers sharing a ledger keep each other's entries.
    """

    FIRST = timedelta(minutes=1)
    LONGEST = timedelta(hours=1)

    def __init__(self, stored: Mapping[str, object] | None, now: datetime, horizon: timedelta):
        self.now, self.horizon = now, horizon
        self.entries = _entries(stored)
        self.changed: dict[int, dict[str, object]] = {}
        self.settled: set[int] = set()

    def due(self) -> list[Again]:
        """The sales to read again now, oldest first (those past the horizon dropped)."""
        due: list[tuple[str, int]] = []
        for sale_id, entry in self.entries.items():
            first = datetime.fromisoformat(str(entry["first"]))
            if self.now - first > self.horizon:
                self.settled.add(sale_id)
            elif datetime.fromisoformat(str(entry["next"])) <= self.now:
                due.append((str(entry["first"]), sale_id))
        return [Again("hike", i) for _, i in sorted(due)]

    def observe(self, sale: HikeSale, *, reread: bool = False) -> None:
        """Watch ``sale`` if it is unsettled (``reread``: it was just read again by id, so
        its next read backs off), forget it once it settled."""
        if sale.refund_of is not None:
            return
        if sale.fulfilment_status not in UNSETTLED:
            self.settled.add(sale.id)
            self.changed.pop(sale.id, None)
            return
        self.settled.discard(sale.id)
        entry = self.changed.get(sale.id) or self.entries.get(sale.id)
        if entry is None:
            first = (sale.transaction_date or self.now).isoformat()
            self.changed[sale.id] = {"first": first, "next": self._after(0), "n": 0}
        elif reread:
            n = int(str(entry.get("n", 0))) + 1
            self.changed[sale.id] = {**entry, "next": self._after(n), "n": n}

    def _after(self, n: int) -> str:
        wait: timedelta = min(self.FIRST * 2 ** min(n, 16), self.LONGEST)
        return (self.now + wait).isoformat()

    def forget(self, sale_id: int) -> None:
        """Stop watching a sale (it is gone)."""
        self.settled.add(sale_id)
        self.changed.pop(sale_id, None)

    def save(self, ledger: LedgerPort) -> None:
        current = _entries(ledger.get_checkpoint(UNSETTLED_CHECKPOINT))
        merged = {**current, **self.changed}
        for sale_id in self.settled:
            merged.pop(sale_id, None)
        if merged != current:
            value = {"sales": {str(k): v for k, v in sorted(merged.items())}}
            ledger.set_checkpoint(UNSETTLED_CHECKPOINT, value)


def _entries(stored: Mapping[str, object] | None) -> dict[int, dict[str, object]]:
    """``{sale id: {"first", "next", "n"}}`` from a checkpoint (a bare first-seen time,
    as an earlier build wrote, is due at once)."""
    sales = (stored or {}).get("sales")
    if not isinstance(sales, Mapping):
        return {}
    out: dict[int, dict[str, object]] = {}
    for key, value in sales.items():
        entry = {"first": value, "next": value, "n": 0} if isinstance(value, str) else value
        if not (isinstance(key, str) and key.isdigit() and isinstance(entry, Mapping)):
            continue
        try:
            datetime.fromisoformat(str(entry.get("first")))
            datetime.fromisoformat(str(entry.get("next")))
        except ValueError:
            continue
        out[int(key)] = dict(entry)
    return out
