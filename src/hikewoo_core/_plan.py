"""Plans: ordered tuples of frozen, typed actions, each with a reason (pure).

A :class:`Plan` holds what the executor will write (remote writes and ledger-only
records) *and* what it will not do and why (skips, rejections, mismatches), so
``plan.explain()`` tells a person the whole story. Applying a plan and planning again
yields a plan with no writes (convergence).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from ._mapping import HikeStatus
from ._ports import Link
from .hike._models import FulfilmentStatus, HikePayment, HikeSaleDraft, PaymentStatus


@attrs.frozen(kw_only=True)
class Action:
    """Base of every plan entry: what it is about and why."""

    subject: str
    reason: str

    verb: ClassVar[str] = "do"

    def describe(self) -> str:
        """One line for :meth:`Plan.explain`."""
        return f"{self.verb} {self.subject}: {self.reason}"


@attrs.frozen(kw_only=True)
class Write(Action):
    """An action that changes something. ``key`` identifies it for crash-safe replay."""

    key: str
    remote: ClassVar[bool] = True


@attrs.frozen(kw_only=True)
class CreateHikeSale(Write):
    """Create the Hike sale for a WooCommerce order.

    ``seen`` is the order's fingerprint when this create is the plan's last write: the
    link it records then marks the order seen as read (its whole plan is applied once
    the create is), which saves the ledger a second write.
    """

    woo_order_id: int
    woo_status: str
    woo_modified_gmt: datetime
    draft: HikeSaleDraft
    seen: str | None = None

    verb: ClassVar[str] = "create Hike sale for"


@attrs.frozen(kw_only=True)
class UpdateHikeSale(Write):
    """Set a linked Hike sale's statuses (and payments) from its WooCommerce order."""

    woo_order_id: int
    hike_sale_id: int
    woo_status: str
    woo_modified_gmt: datetime
    status: HikeStatus
    payments: tuple[HikePayment, ...] | None = None

    verb: ClassVar[str] = "update Hike sale of"


@attrs.frozen(kw_only=True)
class CreateHikeRefundSale(Write):
    """Create one Hike refund sale for one WooCommerce refund (exactly once, ever)."""

    woo_order_id: int
    woo_refund_id: int
    amount: Decimal
    draft: HikeSaleDraft  # refund_of is filled from the ledger when executed

    verb: ClassVar[str] = "create Hike refund sale for"


@attrs.frozen(kw_only=True)
class CreateWooOrder(Write):
    """Create the WooCommerce order for a Hike sale."""

    hike_sale_id: int
    status: HikeStatus
    hike_modified_at: datetime | None
    body: Mapping[str, Any]

    verb: ClassVar[str] = "create WooCommerce order for"


@attrs.frozen(kw_only=True)
class UpdateWooOrder(Write):
    """Update a linked WooCommerce order (its status) from its Hike sale."""

    woo_order_id: int
    hike_sale_id: int
    status: HikeStatus
    hike_modified_at: datetime | None
    body: Mapping[str, Any]

    verb: ClassVar[str] = "update WooCommerce order of"


@attrs.frozen(kw_only=True)
class CreateWooRefund(Write):
    """Create a WooCommerce refund (``api_refund: false``) for a Hike refund sale."""

    woo_order_id: int
    hike_refund_sale_id: int
    amount: Decimal
    body: Mapping[str, Any]

    verb: ClassVar[str] = "create WooCommerce refund for"


@attrs.frozen(kw_only=True)
class RecordLink(Write):
    """Both sides already agree: only the ledger's record of them is brought up to date."""

    link: Link

    remote: ClassVar[bool] = False
    verb: ClassVar[str] = "record"


@attrs.frozen(kw_only=True)
class Note(Action):
    """Base of entries that write nothing."""


@attrs.frozen(kw_only=True)
class Skip(Note):
    """Nothing is synced for this subject, for the reason given."""

    verb: ClassVar[str] = "skip"


@attrs.frozen(kw_only=True)
class Reject(Note):
    """The subject is refused whole (e.g. composite products); ``lines`` names the culprits."""

    lines: tuple[tuple[int, str, str], ...] = ()

    verb: ClassVar[str] = "reject"


@attrs.frozen(kw_only=True)
class Mismatch(Note):
    """Money or quantities do not reconcile; nothing is synced until they do."""

    problems: tuple[str, ...] = ()

    verb: ClassVar[str] = "mismatch in"

    def describe(self) -> str:
        """The reason followed by each problem."""
        return "; ".join([super().describe(), *self.problems])


@attrs.frozen
class StockImpact:
    """Units each product would lose in Hike if a (historical) plan were applied.

    ``units`` counts the products Hike tracks (negative: restocked by refund sales);
    ``unknown`` the SKUs Hike does not know, whose lines move no stock (lines without a
    SKU, such as shipping and fees, count nowhere). Sales created voided (an order first
    seen cancelled) and sales created with "do not update inventory" count nowhere: they
    take no stock.
    """

    units: Mapping[str, int] = attrs.field(factory=dict)
    update_inventory: bool = True
    unknown: Mapping[str, int] = attrs.field(factory=dict)

    def explain(self) -> str:
        """A readable table of the impact."""
        if not self.update_inventory:
            return "stock impact: none (sales are created with 'do not update inventory')"
        lines = []
        if self.units:
            lines.append("stock impact in Hike (units deducted per product):")
            lines += [f"  {sku:<20} -{units}" for sku, units in sorted(self.units.items())]
        else:
            lines.append("stock impact: none")
        if self.unknown:
            lines.append("not tracked by Hike (no stock moves), units sold:")
            lines += [f"  {sku:<20} {units}" for sku, units in sorted(self.unknown.items())]
        return "\n".join(lines)

    @classmethod
    def of(
        cls, moves: Mapping[str, int], update_inventory: bool, tracked: Callable[[str], bool]
    ) -> StockImpact:
        """Split raw ``moves`` (see :func:`add_stock_impact`) by whether Hike tracks each
        product; products whose moves cancel out are left out."""
        units = {k: v for k, v in moves.items() if v and tracked(k)}
        unknown = {k: v for k, v in moves.items() if v and k not in units}
        return cls(units=units, update_inventory=update_inventory, unknown=unknown)


@attrs.frozen
class Plan:
    """An ordered tuple of actions; writes run in this order."""

    actions: tuple[Action, ...] = ()
    stock_impact: StockImpact | None = None

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def __len__(self) -> int:
        return len(self.actions)

    def __add__(self, other: Plan) -> Plan:
        impact = self.stock_impact or other.stock_impact
        return Plan(actions=self.actions + other.actions, stock_impact=impact)

    @property
    def writes(self) -> tuple[Write, ...]:
        """The actions that change something (remote or ledger)."""
        return tuple(a for a in self.actions if isinstance(a, Write))

    @property
    def remote_writes(self) -> tuple[Write, ...]:
        """The actions that write to WooCommerce or Hike."""
        return tuple(a for a in self.writes if a.remote)

    @property
    def notes(self) -> tuple[Note, ...]:
        """Skips, rejections and mismatches."""
        return tuple(a for a in self.actions if isinstance(a, Note))

    @property
    def is_empty(self) -> bool:
        """True when applying the plan would change nothing."""
        return not self.writes

    def of_type(self, kind: type[Action]) -> tuple[Action, ...]:
        """The actions of one type."""
        return tuple(a for a in self.actions if isinstance(a, kind))

    def explain(self) -> str:
        """The plan as numbered sentences a person can read."""
        if not self.actions:
            text = "nothing to do"
        else:
            text = "\n".join(f"{i}. {a.describe()}" for i, a in enumerate(self.actions, 1))
        if self.stock_impact is not None:
            text = f"{text}\n{self.stock_impact.explain()}"
        return text


def status_text(fulfilment: FulfilmentStatus, payment: PaymentStatus) -> str:
    """``Completed/Paid``."""
    return f"{fulfilment.value}/{payment.value}"


def stock_impact(
    actions: Iterable[Action],
    update_inventory: bool,
    tracked: Callable[[str], bool] | None = None,
) -> StockImpact:
    """Units per product the Hike sales created by ``actions`` would deduct.

    ``tracked`` tells whether Hike tracks a SKU (by default every SKU is assumed to be).
    """
    units: Counter[str] = Counter()
    add_stock_impact(units, actions)
    return StockImpact.of(units, update_inventory, tracked or (lambda _: True))


def add_stock_impact(units: Counter[str], actions: Iterable[Action]) -> None:
    """Add to ``units`` what the Hike sales and refund sales created by ``actions`` would
    move, by SKU: units sold count up, units refunded (negative lines) count down; drafts
    with "do not update inventory" (voided sales among them) move nothing, and neither do
    lines without a SKU (shipping, fees, rounding, custom lines)."""
    for action in actions:
        if (
            isinstance(action, (CreateHikeSale, CreateHikeRefundSale))
            and not action.draft.do_not_update_inventory
        ):
            for line in action.draft.lines:
                if line.sku:
                    units[line.sku] += line.quantity
