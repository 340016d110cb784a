"""Fakes of WooCommerce and Hike, for testing code that uses ``hikewoo_core``: in memory,
and served over HTTP on loopback.

:class:`FakeWooCommerce` implements :class:`~hikewoo_core.WooPort` and
:class:`FakeHike` implements :class:`~hikewoo_core.HikePort`, with the rules of
the real systems rather than those of a dict: a WooCommerce refund that reaches the
order total sets the order ``refunded``; setting ``refunded`` by hand creates the
"Order fully refunded." refund; ``api_refund`` defaults to true and fails on a
gateway that cannot refund; Hike takes sales only on an open register, moves stock,
and locks serial numbers once the register that took the sale is closed.

Both take a ``clock``; :class:`FakeClock` makes time move only when told to. Both log
every port call in ``.calls`` and can be told to fail the next one, before or after
the write (``fail_next``), to test crash and retry paths. The fakes themselves do no
I/O: they are plain objects in memory.

Two HTTP servers put them on the network, for testing the real clients
(:class:`~hikewoo_core.woo.WooClient`, :class:`~hikewoo_core.hike.HikeClient`) or code
of your own that speaks HTTP: :func:`serve_woo` and :func:`serve_hike` are context
managers that serve a fake on ``127.0.0.1`` (a free port, a thread; standard library
only) and yield its URL, authenticate and page as the real APIs do, and inject the
failures of a :class:`FaultPlan` or :class:`HttpFaults` (429s, 5xx, dropped
connections, late commits behind a gateway's 504). They open sockets and start threads:
use them in a ``with`` block.

Example::

    from decimal import Decimal
    from hikewoo_core.testing import FakeClock, FakeHike, FakeWooCommerce

    clock = FakeClock()
    woo = FakeWooCommerce(clock=clock)
    order = woo.write_order({
        "status": "completed",
        "line_items": [{"sku": "MUG-001", "quantity": 2, "total": "50.00"}],
    })
    woo.write_refund(order.id, {"amount": "50.00", "api_refund": False})
    assert woo.read_order(order.id).status == "refunded"

    hike = FakeHike(clock=clock)
    hike.add_product("MUG-001", "Mug", stock=10)
    sale = hike.record_sale([("MUG-001", 2, "25.00")], [("Cash", "50.00")])
    assert hike.stock("MUG-001") == 8 and sale.number == "INV-1001"

See ``docs/testing.md`` for a full walk-through.
"""

from __future__ import annotations

from ._clock import DEFAULT_START, Clock, FakeClock
from ._fault_plan import FaultPlan
from ._faults import Call, HttpFault, HttpFaults
from ._hike import FakeHike
from ._hike_server import serve_hike
from ._ledger_contract import LedgerContract
from ._woo import FakeWooCommerce
from ._woo_rules import CORE_STATUSES
from ._woo_server import serve_woo
from ._woo_store import TieOrder

__all__ = [
    "CORE_STATUSES",
    "DEFAULT_START",
    "Call",
    "Clock",
    "FakeClock",
    "FakeHike",
    "FakeWooCommerce",
    "FaultPlan",
    "HttpFault",
    "HttpFaults",
    "LedgerContract",
    "TieOrder",
    "serve_hike",
    "serve_woo",
]
