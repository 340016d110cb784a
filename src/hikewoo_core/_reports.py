"""What a sync run reports: failures, plans applied, webhook outcomes (pure)."""

from __future__ import annotations

import attrs

from ._executor import Applied
from ._plan import Plan, StockImpact
from .woo._webhooks import WooWebhookEvent

__all__ = ["Failure", "SyncReport", "WebhookResult"]


@attrs.frozen
class Failure:
    """One record that could not be synced in a batch, and why.

    ``side`` (``"woo"`` or ``"hike"``) and ``record_id`` name the record; it is kept in
    the ledger and tried again by every later run until it syncs.
    """

    subject: str
    error: str
    error_type: str
    side: str = ""
    record_id: int | None = None


@attrs.frozen(kw_only=True)
class SyncReport:
    """What a sync run planned, applied and could not do."""

    plan: Plan = attrs.field(factory=Plan)
    applied: tuple[Applied, ...] = ()
    failures: tuple[Failure, ...] = ()
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    @property
    def stock_impact(self) -> StockImpact | None:
        """The stock impact of a historical sync, when computed."""
        return self.plan.stock_impact

    def explain(self) -> str:
        """The plan, what was applied, and the failures, for a person."""
        parts = [self.plan.explain()]
        if self.dry_run:
            parts.append("dry run: nothing was written")
        else:
            recovered = sum(1 for a in self.applied if a.recovered)
            parts.append(
                f"applied {len(self.applied)} write(s)"
                + (f", {recovered} recovered after an interruption" if recovered else "")
            )
        parts += [f"failed: {f.subject}: {f.error}" for f in self.failures]
        return "\n".join(parts)

    def __add__(self, other: SyncReport) -> SyncReport:
        return SyncReport(
            plan=self.plan + other.plan,
            applied=self.applied + other.applied,
            failures=self.failures + other.failures,
            dry_run=self.dry_run and other.dry_run,
        )


@attrs.frozen(kw_only=True)
class WebhookResult:
    """What :meth:`Syncer.handle_woo_webhook` did with one delivery.

    ``outcome`` is ``"ping"``, ``"duplicate"``, ``"ignored"`` or ``"synced"`` (then
    ``report`` holds the order's plan and what was applied).
    """

    event: WooWebhookEvent
    outcome: str
    report: SyncReport | None = None
