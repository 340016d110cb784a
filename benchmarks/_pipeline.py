"""The pipeline benchmark: ``parse_woo_order(bytes)`` vs ``json.loads`` and pydantic v2.

Contenders, on the docs example order and on the same order with 100 line items:

* ``json.loads`` of the bytes (the floor) and, when orjson is importable, ``orjson.loads``;
* ``parse_woo_order(raw, loads=json.loads)``: the default install's decoder, passed
  explicitly so the stdlib path is measured whatever else is installed;
* ``parse_woo_order`` with orjson (the ``fast`` extra), when orjson is importable: the
  library's own choice if ``hikewoo_core._json`` picks orjson by itself, else
  ``loads=orjson.loads`` passed explicitly;
* pydantic v2 ``model_validate_json`` of models of the same shape (the peer);
* parse + map + plan of a new order (stdlib decoder), and map + plan alone.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from _measure import calibrate, check, interleave, log, median, table
from _orders import docs_example, with_lines

from hikewoo_core import parse_woo_order
from hikewoo_core._planner import WooOrderState, plan_woo_order
from hikewoo_core._settings import SyncSettings

FLOOR = "json.loads (floor)"
ORJSON = "orjson.loads"
PARSE = "parse_woo_order, json.loads (default install)"
PARSE_FAST = "parse_woo_order, orjson (fast extra)"
PEER = "pydantic v2 model_validate_json (peer)"
PIPELINE = "parse+map+plan (json.loads)"
MAP_PLAN = "  of which map+plan"


def _library_picks_orjson(orjson: Any) -> bool:
    """Whether ``parse_woo_order(raw)`` decodes with orjson by itself (``hikewoo_core._json``)."""
    if importlib.util.find_spec("hikewoo_core._json") is None:
        return False
    module = importlib.import_module("hikewoo_core._json")
    backend = getattr(module, "BACKEND", None)
    if backend is not None:
        return bool(backend == "orjson")
    return any(value is orjson.loads or value is orjson for value in vars(module).values())


def fast_parser() -> tuple[Callable[[bytes], Any], str] | None:
    """``parse_woo_order`` with orjson and how it is called; ``None`` without orjson."""
    try:
        import orjson
    except ImportError:
        return None
    if _library_picks_orjson(orjson):
        return parse_woo_order, "parse_woo_order(raw): hikewoo_core._json picks orjson"
    return (
        lambda raw: parse_woo_order(raw, loads=orjson.loads),
        "parse_woo_order(raw, loads=orjson.loads)",
    )


def bench_pipeline(args: argparse.Namespace) -> dict[str, Any]:
    template, source = docs_example()
    cases = {
        "docs example": json.dumps(template, separators=(",", ":")).encode(),
        f"large order ({args.large_lines} lines)": json.dumps(
            with_lines(template, args.large_lines), separators=(",", ":")
        ).encode(),
    }
    try:
        from _peers import Order as PydanticOrder
    except ImportError:  # pragma: no cover - pydantic is in the bench group
        PydanticOrder = None  # noqa: N806
        log("pydantic is not installed: the peer row is skipped")
    fast = fast_parser()
    if fast is None:
        log("orjson is not installed: the fast-extra row is skipped")
    settings = SyncSettings()
    activated_at = datetime(2000, 1, 1, tzinfo=timezone.utc)  # the order is new, not historical
    out: dict[str, Any] = {
        "source": source,
        "fast_extra": None if fast is None else fast[1],
        "cases": {},
    }
    for case, raw in cases.items():
        order = parse_woo_order(raw, loads=json.loads)

        def pipeline(raw: bytes = raw) -> object:
            parsed = parse_woo_order(raw, loads=json.loads)
            return plan_woo_order(WooOrderState(order=parsed), settings, activated_at=activated_at)

        plan = pipeline()
        check([type(a).__name__ for a in plan.actions] == ["CreateHikeSale"], plan.explain())
        contenders: dict[str, Callable[[], object]] = {
            FLOOR: lambda raw=raw: json.loads(raw),
            PARSE: lambda raw=raw: parse_woo_order(raw, loads=json.loads),
        }
        if fast is not None:
            import orjson

            parse_fast = fast[0]
            same = parse_fast(raw) == order
            check(same, "parse_woo_order read the order differently with orjson")
            contenders[ORJSON] = lambda raw=raw: orjson.loads(raw)
            contenders[PARSE_FAST] = lambda raw=raw, parse=parse_fast: parse(raw)
        if PydanticOrder is not None:
            peer = PydanticOrder.model_validate_json(raw)
            same = peer.total == order.total and peer.date_modified_gmt == order.date_modified_gmt
            check(same, "the pydantic peer read the order differently")
            contenders[PEER] = lambda raw=raw: PydanticOrder.model_validate_json(raw)
        contenders[PIPELINE] = pipeline
        contenders[MAP_PLAN] = lambda order=order: plan_woo_order(
            WooOrderState(order=order), settings, activated_at=activated_at
        )
        number = calibrate(pipeline, args.batch_seconds)
        log(f"pipeline: {case}: {args.rounds} rounds x {number} calls per contender")
        samples = interleave(contenders, rounds=args.rounds, number=number)
        times = {name: median(s) for name, s in samples.items()}
        peer_time = times.get(PEER)

        def ratio(name: str, to: float | None, times: dict[str, float] = times) -> float | None:
            return None if to is None or name not in times else times[name] / to

        out["cases"][case] = {
            "bytes": len(raw),
            "line_items": len(order.line_items),
            "calls_per_batch": number,
            "rounds": args.rounds,
            "median_us": {name: t * 1e6 for name, t in times.items()},
            "ratio_to_json_loads": {name: t / times[FLOOR] for name, t in times.items()},
            "ratio_to_pydantic": {name: ratio(name, peer_time) for name in times},
            "parse_vs_json_loads": ratio(PARSE, times[FLOOR]),
            "parse_vs_pydantic": ratio(PARSE, peer_time),
            "fast_parse_vs_pydantic": ratio(PARSE_FAST, peer_time),
            "pipeline_vs_json_loads": ratio(PIPELINE, times[FLOOR]),
            "pipeline_vs_pydantic": ratio(PIPELINE, peer_time),
        }
    return out


def print_pipeline(result: dict[str, Any]) -> None:
    for case, data in result["cases"].items():
        rows = []
        for name, us in data["median_us"].items():
            to_peer = data["ratio_to_pydantic"][name]
            rows.append(
                [
                    name,
                    f"{us:,.1f}",
                    f"{data['ratio_to_json_loads'][name]:.2f}x",
                    "" if to_peer is None else f"{to_peer:.2f}x",
                    f"{1e6 / us:,.0f}",
                ]
            )
        title = (
            f"pipeline: {case} ({data['bytes']:,} bytes, {data['line_items']} line items), "
            f"median of {data['rounds']} interleaved batches"
        )
        header = ["contender", "us/order", "vs json.loads", "vs pydantic", "orders/s"]
        print(table(title, header, rows))
    if result["fast_extra"]:
        print(f"  fast extra measured as {result['fast_extra']}")
