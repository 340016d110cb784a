"""One meaning of ``clock=`` everywhere: a callable returning a timezone-aware datetime.

Every client, the Syncer, the ledgers and the served fakes refuse a naive one with the
same ConfigurationError (issue 14, item 6); a monotonic float is a ``timer=``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from hikewoo_core import ConfigurationError, MemoryLedger, SqliteLedger, Syncer
from hikewoo_core.hike import HikeClient
from hikewoo_core.testing import FakeHike, FakeWooCommerce, serve_hike, serve_woo
from hikewoo_core.woo import WooClient


def naive() -> datetime:
    return datetime(2026, 1, 1, 12)


def _woo(clock: Callable[[], Any]) -> None:
    with WooClient("http://127.0.0.1:9", "ck_x", "cs_x", clock=clock) as woo:
        woo.read_order(1)


def _hike(clock: Callable[[], Any]) -> None:
    with HikeClient("token", base_url="http://127.0.0.1:9", clock=clock) as hike:
        hike.read_sale(1)


def _syncer(clock: Callable[[], Any]) -> None:
    Syncer(woo=FakeWooCommerce(), hike=FakeHike(), clock=clock).sync_changes()


def _sqlite(clock: Callable[[], Any], tmp_path: Any) -> None:
    with SqliteLedger(tmp_path / "l.db", clock=clock) as ledger:
        ledger.acquire_lease("r", "a", 30)


@pytest.mark.parametrize(
    "use",
    [
        pytest.param(_woo, id="WooClient"),
        pytest.param(_hike, id="HikeClient"),
        pytest.param(_syncer, id="Syncer"),
        pytest.param(lambda c: MemoryLedger(clock=c).acquire_lease("r", "a", 30), id="Memory"),
        pytest.param(lambda c: serve_woo(FakeWooCommerce(), clock=c).__enter__(), id="serve_woo"),
        pytest.param(lambda c: serve_hike(FakeHike(), clock=c).__enter__(), id="serve_hike"),
    ],
)
def test_a_naive_clock_is_refused(use: Callable[[Callable[[], Any]], Any]) -> None:
    with pytest.raises(ConfigurationError, match="must be a timezone-aware datetime"):
        use(naive)


def test_a_naive_clock_is_refused_by_the_sqlite_ledger(tmp_path: Any) -> None:
    with pytest.raises(ConfigurationError, match="must be a timezone-aware datetime"):
        _sqlite(naive, tmp_path)


def test_an_epoch_float_is_not_a_clock() -> None:
    """The Woo clients took ``clock=time.time`` before: now it is refused, not misread."""
    with pytest.raises(ConfigurationError, match="got float"):
        _woo(lambda: 1_795_745_335.9)
