"""The targets of ``docs/performance.md`` (issue 13), checked against one run's results.

* ``Syncer.backfill`` of 10,000 orders at 50 ms: at least 1.0 x the speed of the
  ``woocommerce`` package's bare listing (goal 2 x), every order created exactly once;
* ``WooClient.iter_orders()`` with its defaults: at least 0.8 x the raw floor (8 threads)
  and 5 x the ``woocommerce`` package, same size and latency;
* ``parse_woo_order(bytes)``, default install: at most 2.0 x ``json.loads`` and 1.15 x
  pydantic v2's ``model_validate_json``, on the docs example and on a 100-line order; with
  the ``fast`` extra (orjson): at most 1.0 x pydantic v2;
* peak memory of a 100,000-order backfill at most 1.2 x that of 10,000.

The backfill targets are read at 50 ms and 10,000 orders; a run without 10,000 orders at
50 ms (``--quick``, the CI smoke test) is checked at its largest size at 50 ms, and the
target's name says which size it was.
"""

from __future__ import annotations

from typing import Any

from _contenders import SYNC_CLIENT, SYNCER_MEMORY, SYNCER_SQLITE
from _measure import table

TARGET_ORDERS, TARGET_LATENCY = 10_000, "50"


class Checks(list[dict[str, Any]]):
    """The checked targets, in order."""

    def add(
        self,
        name: str,
        value: float | None,
        limit: float,
        op: str,
        goal: float | None = None,
    ) -> None:
        if value is None:
            return
        compare = {
            "<=": lambda v, lim: v <= lim,
            ">=": lambda v, lim: v >= lim,
            "==": lambda v, lim: v == lim,
        }[op]
        check: dict[str, Any] = {
            "target": name,
            "value": round(value, 3),
            "op": op,
            "limit": limit,
            "met": compare(value, limit),
        }
        if goal is not None:
            check |= {"goal": goal, "goal_met": compare(value, goal)}
        self.append(check)


def _pipeline(checks: Checks, pipeline: dict[str, Any]) -> None:
    for case, data in pipeline.get("cases", {}).items():
        name = f"parse_woo_order(bytes), default install, {case}"
        checks.add(f"{name}: x json.loads", data["parse_vs_json_loads"], 2.0, "<=")
        checks.add(f"{name}: x pydantic v2", data["parse_vs_pydantic"], 1.15, "<=")
        name = f"parse_woo_order(bytes), fast extra (orjson), {case}"
        checks.add(f"{name}: x pydantic v2", data["fast_parse_vs_pydantic"], 1.0, "<=")


def _backfill(checks: Checks, backfill: dict[str, Any]) -> None:
    at_latency = {
        int(orders): latencies[TARGET_LATENCY]
        for orders, latencies in backfill.get("sizes", {}).items()
        if TARGET_LATENCY in latencies
    }
    if not at_latency:
        return
    orders = TARGET_ORDERS if TARGET_ORDERS in at_latency else max(at_latency)
    data = at_latency[orders]
    where = f"{orders:,} orders, {TARGET_LATENCY} ms"
    labels = {SYNCER_MEMORY: "MemoryLedger", SYNCER_SQLITE: "SqliteLedger"}
    for name, ledger in labels.items():
        if name not in data["seconds"]:
            continue
        label = f"Syncer.backfill, {ledger}, {where}"
        speedup = data["speedup_vs_woocommerce"].get(name)
        checks.add(f"{label}: x woocommerce package", speedup, 1.0, ">=", goal=2.0)
        reports = data["processed"].get(name, [])
        once = sum(r["created"] == orders and r["failed"] == 0 for r in reports)
        checks.add(f"{label}: runs creating every order once", once, len(reports), "==")
    label = f"WooClient.iter_orders(), defaults, {where}"
    floor = f"x raw floor ({backfill.get('floor_concurrency', 8)} threads)"
    checks.add(f"{label}: {floor}", data["throughput_vs_floor"].get(SYNC_CLIENT), 0.8, ">=")
    speedup = data["speedup_vs_woocommerce"].get(SYNC_CLIENT)
    checks.add(f"{label}: x woocommerce package", speedup, 5.0, ">=")


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target this run measured, met or not."""
    checks = Checks()
    _backfill(checks, results.get("backfill", {}))
    _pipeline(checks, results.get("pipeline", {}))
    memory = results.get("memory")
    if memory:
        small, large = memory["sizes"]
        name = f"memory: peak RSS of a {large:,}-order backfill x that of {small:,}"
        checks.add(name, memory["peak_ratio"], 1.2, "<=")
    return list(checks)


def _goal(check: dict[str, Any]) -> str:
    if "goal" not in check:
        return ""
    return f"goal {check['goal']:g}: " + ("met" if check["goal_met"] else "not yet")


def print_targets(checks: list[dict[str, Any]]) -> None:
    rows = [
        [
            c["target"],
            f"{c['value']:g}" if c["op"] == "==" else f"{c['value']:.2f}",
            f"{c['op']} {c['limit']:g}",
            "met" if c["met"] else "NOT met",
            _goal(c),
        ]
        for c in checks
    ]
    if rows:
        print(table("targets", ["target", "measured", "limit", "", ""], rows))
