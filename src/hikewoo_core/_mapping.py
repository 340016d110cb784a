"""The status table, declared once as data (pure).

Hike's help centre publishes how a WooCommerce order status maps to Hike's
fulfilment and payment statuses (rules 1.1). :data:`DEFAULT_STATUS_TABLE` is that
table. It is validated when built, can be changed by the user (a plugin status such
as ``shipped`` mapped to Completed/Paid), and prints itself as the Markdown table the
docs show, so the docs never drift from the code.

Where two WooCommerce statuses map to one Hike status (``processing`` and ``on-hold``
both become Parked/Pending), the reverse lookup needs a canonical choice: exactly
one of those rows is marked ``canonical``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import TypeVar

import attrs

from ._errors import ConfigurationError
from .hike._models import FulfilmentStatus, PaymentStatus

E = TypeVar("E", bound=Enum)

__all__ = [
    "DEFAULT_STATUS_TABLE",
    "HikeStatus",
    "StatusRow",
    "StatusTable",
]


def _member(cls: type[E], value: object, what: str) -> E:
    """``value`` as a member of ``cls``: the member, its value (``"Completed"``) or its
    name (``"COMPLETED"``); anything else is a :class:`ConfigurationError` listing the
    valid ones."""
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        for member in cls:
            if value in (member.value, member.name):
                return member
    valid = ", ".join(repr(m.value) for m in cls)
    raise ConfigurationError(f"{value!r} is not {what}; valid: {valid}")


def _fulfilment(value: object) -> FulfilmentStatus:
    return _member(FulfilmentStatus, value, "a Hike fulfilment status")


def _payment(value: object) -> PaymentStatus:
    return _member(PaymentStatus, value, "a Hike payment status")


@attrs.frozen
class HikeStatus:
    """A Hike fulfilment status and payment status, as a pair.

    Either may be given as the enum member or by name: ``HikeStatus("Completed", "Paid")``
    equals ``HikeStatus(FulfilmentStatus.COMPLETED, PaymentStatus.PAID)``; an unknown
    name raises :class:`~hikewoo_core.ConfigurationError` listing the valid ones.
    """

    fulfilment: FulfilmentStatus = attrs.field(converter=_fulfilment)
    payment: PaymentStatus = attrs.field(converter=_payment)

    def __str__(self) -> str:
        return f"{self.fulfilment._value_}/{self.payment._value_}"


@attrs.frozen
class StatusRow:
    """One row: a WooCommerce status and the Hike statuses it maps to.

    ``canonical`` marks the row the reverse lookup (Hike → WooCommerce) uses when
    several WooCommerce statuses map to the same Hike status.
    """

    woo_status: str
    hike: HikeStatus
    canonical: bool = False


@attrs.frozen(init=False)
class StatusTable:
    """A validated, immutable WooCommerce ⇄ Hike status table.

    >>> print(DEFAULT_STATUS_TABLE.to_hike("completed"))
    Completed/Paid
    >>> parked = HikeStatus(FulfilmentStatus.PARKED, PaymentStatus.PENDING)
    >>> DEFAULT_STATUS_TABLE.to_woo(parked)
    'processing'
    >>> DEFAULT_STATUS_TABLE.to_hike("pending") is None  # not in the table
    True
    """

    rows: tuple[StatusRow, ...]
    _forward: Mapping[str, HikeStatus] = attrs.field(repr=False, eq=False)
    _reverse: Mapping[HikeStatus, str] = attrs.field(repr=False, eq=False)

    def __init__(self, rows: Iterable[StatusRow]) -> None:
        rows = tuple(rows)
        forward: dict[str, HikeStatus] = {}
        problems: list[str] = []
        for row in rows:
            if not row.woo_status or row.woo_status != row.woo_status.strip():
                problems.append(f"invalid WooCommerce status {row.woo_status!r}")
            if row.woo_status in forward:
                problems.append(f"WooCommerce status {row.woo_status!r} appears twice")
            forward[row.woo_status] = row.hike
        reverse: dict[HikeStatus, str] = {}
        groups: dict[HikeStatus, list[StatusRow]] = {}
        for row in rows:
            groups.setdefault(row.hike, []).append(row)
        for hike, group in groups.items():
            if len(group) == 1:
                reverse[hike] = group[0].woo_status
                continue
            canonical = [r for r in group if r.canonical]
            names = ", ".join(repr(r.woo_status) for r in group)
            if len(canonical) != 1:
                problems.append(
                    f"{names} all map to {hike}: mark exactly one of them canonical "
                    f"(found {len(canonical)}) so the reverse lookup is unambiguous"
                )
            else:
                reverse[hike] = canonical[0].woo_status
        if problems:
            raise ConfigurationError("invalid status table: " + "; ".join(problems))
        self.__attrs_init__(rows, forward, reverse)

    def to_hike(self, woo_status: str) -> HikeStatus | None:
        """The Hike statuses for a WooCommerce status, or ``None``: not synced."""
        return self._forward.get(woo_status if type(woo_status) is str else str(woo_status))

    def to_woo(self, hike_status: HikeStatus | FulfilmentStatus) -> str | None:
        """The WooCommerce status for a Hike status, or ``None``: not synced.

        Given only a fulfilment status, the row with that fulfilment status is used
        when it is unambiguous (or the canonical one among several).
        """
        if isinstance(hike_status, HikeStatus):
            return self._reverse.get(hike_status)
        matches = {woo for hike, woo in self._reverse.items() if hike.fulfilment is hike_status}
        return matches.pop() if len(matches) == 1 else None

    def woo_statuses(self) -> tuple[str, ...]:
        """Every WooCommerce status in the table, in row order."""
        return tuple(row.woo_status for row in self.rows)

    def with_row(
        self,
        woo_status: str,
        fulfilment: FulfilmentStatus | str,
        payment: PaymentStatus | str,
        *,
        canonical: bool = False,
    ) -> StatusTable:
        """A new table with ``woo_status`` added, or its row replaced.

        The Hike statuses may be given by name (``"Completed"``, ``"Paid"``); a name Hike
        does not have raises :class:`~hikewoo_core.ConfigurationError` at once, listing the
        valid ones.

        >>> table = DEFAULT_STATUS_TABLE.with_row(
        ...     "shipped", FulfilmentStatus.COMPLETED, PaymentStatus.PAID)
        >>> table.to_hike("shipped") == table.to_hike("completed")
        True
        >>> table.to_woo(table.to_hike("shipped"))  # completed stays canonical
        'completed'
        """
        hike = HikeStatus(fulfilment, payment)
        new = StatusRow(woo_status, hike, canonical)
        rows = [r for r in self.rows if r.woo_status != woo_status]
        if canonical:
            rows = [attrs.evolve(r, canonical=False) if r.hike == hike else r for r in rows]
        elif not any(r.hike == hike for r in rows):
            new = attrs.evolve(new, canonical=True)
        elif not any(r.hike == hike and r.canonical for r in rows):
            first = next(i for i, r in enumerate(rows) if r.hike == hike)
            rows[first] = attrs.evolve(rows[first], canonical=True)
        return StatusTable([*rows, new])

    def without(self, woo_status: str) -> StatusTable:
        """A new table without ``woo_status`` (it will no longer sync)."""
        return StatusTable(r for r in self.rows if r.woo_status != woo_status)

    def to_markdown(self) -> str:
        """The table as the Markdown the docs show (generated, never hand-written)."""
        lines = [
            "| WooCommerce order status | Hike fulfilment status | Hike payment status |",
            "|---|---|---|",
        ]
        grouped: dict[HikeStatus, list[str]] = {}
        for row in self.rows:
            grouped.setdefault(row.hike, []).append(row.woo_status)
        for hike, names in grouped.items():
            lines.append(f"| {', '.join(names)} | {hike.fulfilment.value} | {hike.payment.value} |")
        return "\n".join(lines) + "\n"


def _row(woo: str, fulfilment: str, payment: str, *, canonical: bool = False) -> StatusRow:
    return StatusRow(
        woo, HikeStatus(FulfilmentStatus(fulfilment), PaymentStatus(payment)), canonical
    )


#: Hike's published table (rules 1.1, seed article).
DEFAULT_STATUS_TABLE: StatusTable = StatusTable(
    [
        _row("completed", "Completed", "Paid"),
        _row("cancelled", "Voided", "Voided"),
        _row("processing", "Parked", "Pending", canonical=True),
        _row("on-hold", "Parked", "Pending"),
        _row("refunded", "Refunded", "Refunded"),
    ]
)
