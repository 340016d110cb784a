"""The benchmark script runs end to end (tiny sizes). No timing is asserted, ever."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from urllib.parse import quote, urlencode

import pytest

from hikewoo_core.woo._auth import WooCredentials, oauth1_params

from ._shared import REAL, load, requires_shared

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
RUN = BENCH / "run.py"

pytestmark = pytest.mark.skipif(not RUN.is_file(), reason="benchmarks/ is not present")

TARGET_KEYS = {"target", "value", "op", "limit", "met"}
PACKAGE = "woocommerce (PyPI), sequential pages"


def installed(module: str) -> bool:
    """Whether an optional peer (bench group, fast extra) is importable here."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def run(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--json", str(out), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"wrote {out}" in done.stdout
    result = json.loads(out.read_text())
    assert isinstance(result["targets"], list)
    for target in result["targets"]:
        assert set(target) >= TARGET_KEYS, target
        assert isinstance(target["met"], bool)
    return result


def targets(result: dict, *words: str) -> list[dict]:
    return [t for t in result["targets"] if all(w in t["target"] for w in words)]


def test_pipeline_benchmark_runs(tmp_path: Path) -> None:
    result = run(tmp_path, "--only", "pipeline", "--rounds", "2", "--batch-seconds", "0.002")
    cases = result["pipeline"]["cases"]
    assert len(cases) == 2
    fast, peer = installed("orjson"), installed("pydantic")
    for case in cases.values():
        for name in (
            "json.loads (floor)",
            "parse_woo_order, json.loads (default install)",
            "parse+map+plan (json.loads)",
            "  of which map+plan",
        ):
            assert name in case["median_us"], name
        assert ("parse_woo_order, orjson (fast extra)" in case["median_us"]) is fast
        assert ("pydantic v2 model_validate_json (peer)" in case["median_us"]) is peer
        assert case["parse_vs_json_loads"] > 0
        assert (case["parse_vs_pydantic"] is not None) is peer
        assert (case["fast_parse_vs_pydantic"] is not None) is (fast and peer)
    assert len(targets(result, "default install", "x json.loads")) == 2
    assert len(targets(result, "default install", "x pydantic v2")) == (2 if peer else 0)
    assert len(targets(result, "fast extra", "x pydantic v2")) == (2 if fast and peer else 0)


def test_backfill_benchmark_runs(tmp_path: Path) -> None:
    result = run(tmp_path, "--only", "backfill", "--orders", "300", "--latencies", "0", "50")
    backfill = result["backfill"]
    assert set(backfill["sizes"]) == {"300"}
    assert set(backfill["sizes"]["300"]) == {"0", "50"}
    assert set(backfill["library_defaults"]) == {
        "WooClient.concurrency",
        "AsyncWooClient.concurrency",
        "Syncer.backfill concurrency",
    }
    syncers = (
        "Syncer.backfill -> FakeHike, MemoryLedger",
        "Syncer.backfill -> FakeHike, SqliteLedger (/dev/shm)",
    )
    package = installed("woocommerce")
    for data in backfill["sizes"]["300"].values():
        assert set(data["seconds"]) - {PACKAGE} == {
            "raw httpx, threads (floor)",
            "WooClient.iter_orders (sync)",
            "raw httpx, asyncio (floor)",
            "AsyncWooClient.iter_orders",
            *syncers,
        }
        assert set(data["throughput_vs_floor"]) == set(data["seconds"]) - {
            "raw httpx, threads (floor)",
            "raw httpx, asyncio (floor)",
        }
        assert (PACKAGE in data["seconds"]) is package
        assert set(data["speedup_vs_woocommerce"]) == (set(data["seconds"]) if package else set())
        for name in syncers:
            assert data["processed"][name] == [{"created": 300, "failed": 0, "done": 300}]
        assert data["server"]["requests"] > 0
        assert data["server"]["cpu_us_per_request"] > 0
    # The backfill targets are read at 50 ms, at 10,000 orders or else the largest size.
    assert len(targets(result)) == (6 if package else 3)
    assert len(targets(result, "Syncer.backfill", "300 orders, 50 ms", "x woocommerce")) == (
        2 if package else 0
    )
    assert len(targets(result, "Syncer.backfill", "every order once")) == 2
    assert all(t["met"] for t in targets(result, "every order once"))
    assert len(targets(result, "WooClient.iter_orders", "x raw floor (8 threads)")) == 1
    assert len(targets(result, "WooClient.iter_orders", "x woocommerce")) == (1 if package else 0)


def test_memory_benchmark_runs(tmp_path: Path) -> None:
    result = run(tmp_path, "--only", "memory", "--memory-sizes", "50", "200")
    memory = result["memory"]
    assert set(memory["peak_rss_kib"]) == {"0", "50", "200"}
    assert memory["peak_ratio"] > 0
    assert len(targets(result, "memory: peak RSS")) == 1


# --- the benchmark server refuses what WooCommerce refuses ---------------------------


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, ModuleType]:
    """``benchmarks/_server.py`` and ``benchmarks/_oauth.py`` (sys.path restored after)."""
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("_server"), importlib.import_module("_oauth")


URL = "http://127.0.0.1:8080/wp-json/wc/v3/orders"
PARAMS = {"per_page": 100, "page": 2}


def test_benchmark_server_accepts_every_signer(bench: tuple[ModuleType, ModuleType]) -> None:
    """The floors' signer, the library's (query or header, SHA-1 or SHA-256), the package's."""
    server, oauth = bench
    check = server.OAuthCheck("ck_1", "cs_1")
    floor = oauth.signed_query("GET", URL, PARAMS, "ck_1", "cs_1")
    assert check.check("GET", URL, floor, "") is None
    creds = WooCredentials("ck_1", "cs_1")
    query = "per_page=100&page=2"
    for method in ("HMAC-SHA1", "HMAC-SHA256"):
        signed = oauth1_params("GET", URL, PARAMS, creds, signature_method=method)
        header = "OAuth " + ", ".join(f'{k}="{quote(v, safe="")}"' for k, v in signed.items())
        assert check.check("GET", URL, query, header) is None
        signed = oauth1_params("GET", URL, PARAMS, creds, signature_method=method)
        assert check.check("GET", URL, f"{query}&{urlencode(signed)}", "") is None
    try:
        from woocommerce.oauth import OAuth
    except ImportError:  # the woocommerce package is in the bench group only
        return
    signer = OAuth(f"{URL}?{query}", "ck_1", "cs_1", version="wc/v3", method="GET")
    assert check.check("GET", URL, signer.get_oauth_url().partition("?")[2], "") is None


@requires_shared
def test_benchmark_server_refuses_as_woocommerce(bench: tuple[ModuleType, ModuleType]) -> None:
    """Each refusal is the body a real WooCommerce 10.0.2 store answered."""
    server, oauth = bench
    now = time.time()
    check = server.OAuthCheck("ck_1", "cs_1", clock=lambda: now)
    signed = oauth.signed_query("GET", URL, PARAMS, "ck_1", "cs_1")
    assert check.check("GET", URL, signed, "") is None
    cases = {
        "auth_oauth_nonce_replay_401.json": signed,
        "auth_oauth_bad_signature_401.json": oauth.signed_query(
            "GET", URL, PARAMS, "ck_1", "cs_wrong"
        ),
        "auth_oauth_unknown_key_401.json": oauth.signed_query(
            "GET", URL, PARAMS, "ck_other", "cs_1"
        ),
        "auth_oauth_missing_params_401.json": "per_page=100&oauth_consumer_key=ck_1",
        "auth_query_over_plain_http_401.json": "consumer_key=ck_1&consumer_secret=cs_1",
    }
    for name, query in cases.items():
        refusal = check.check("GET", URL, query, "")
        assert refusal is not None, name
        assert json.loads(server.error_body(*refusal, 401)) == load(REAL / name)["body"], name
    # Signed for another host than the one asked: refused.
    other = oauth.signed_query("GET", URL.replace("127.0.0.1", "localhost"), PARAMS, "ck_1", "cs_1")
    assert check.check("GET", URL, other, "")[1].startswith("Invalid signature")
    # Signed an hour ago (by the server's clock): refused.
    later = server.OAuthCheck("ck_1", "cs_1", clock=lambda: now + 3600)
    refusal = later.check("GET", URL, oauth.signed_query("GET", URL, PARAMS, "ck_1", "cs_1"), "")
    expected = load(REAL / "auth_oauth_stale_timestamp_401.json")["body"]
    assert json.loads(server.error_body(*refusal, 401)) == expected
