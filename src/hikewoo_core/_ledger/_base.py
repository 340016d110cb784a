"""The ledgers' common front: the methods whose signature, documentation and argument
checks are the same on every ledger, spelled out once (pure).

:class:`LedgerBase` checks and normalises the arguments of each of them and hands them
on to a short private primitive that each ledger implements on its storage (dicts, a
SQLite file, PostgreSQL statements), as httpx's ``BaseTransport`` does for requests. The
methods that differ from their first line on stay in the ledgers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from .._closing import Closing
from .._ports import Fence, Link, RefundLink
from ._common import normalise_link, normalise_refund_link

__all__ = ["LedgerBase", "Outcome"]

#: What completing an intent records: its result id and the link, or refund link, it
#: produced (normalised).
Outcome = tuple[int | None, Link | None, RefundLink | None]


class LedgerBase(Closing, ABC):
    """A :class:`~hikewoo_core.LedgerPort`'s shared methods over four primitives."""

    def save_link(self, link: Link) -> None:
        """Insert or replace the link of ``link.woo_order_id``."""
        self._save_link(normalise_link(link))

    def save_refund_link(self, link: RefundLink) -> None:
        """Record a synced refund; replaying the same pair is a no-op, re-pairing an error."""
        self._save_refund_link(normalise_refund_link(link))

    def reattempt_intent(
        self, key: str, payload: Mapping[str, Any], *, fence: Fence | None = None
    ) -> None:
        """Replace the payload of a pending intent (a new attempt starts)."""
        self._reattempt(key, payload, fence)

    def complete_intent(
        self,
        key: str,
        *,
        result_id: int | None,
        link: Link | None = None,
        refund_link: RefundLink | None = None,
        fence: Fence | None = None,
    ) -> None:
        """Mark an intent done and store the link (or refund link) it produced, atomically.

        If anything fails (an unknown key, a link conflict, a ``fence`` whose lease was
        taken over: a ``LeaseError``), nothing is recorded and the intent stays pending.
        """
        link = None if link is None else normalise_link(link)
        refund_link = None if refund_link is None else normalise_refund_link(refund_link)
        self._complete(key, (result_id, link, refund_link), fence)

    # --- what each ledger implements (arguments already normalised) -----------------

    @abstractmethod
    def _save_link(self, link: Link) -> None: ...

    @abstractmethod
    def _save_refund_link(self, link: RefundLink) -> None: ...

    @abstractmethod
    def _reattempt(self, key: str, payload: Mapping[str, Any], fence: Fence | None) -> None: ...

    @abstractmethod
    def _complete(self, key: str, outcome: Outcome, fence: Fence | None) -> None: ...
