"""WooCommerce webhook deliveries: verification, pings, parsing and de-duplication."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hikewoo_core._errors import ConfigurationError, PayloadError, WebhookSignatureError
from hikewoo_core.woo._webhooks import (
    SeenStore,
    WebhookDeduplicator,
    WooWebhookEvent,
    verify_woo_webhook,
)

from ._shared import REAL, load, requires_shared, shared_dir

SECRET = "s3cr3t-&-'quoted'"
DELIVERIES = REAL / "webhook_deliveries"
REAL_SECRET = "whsecret"  # the README of the captures says so

ORDER_BODY = {
    "id": 12,
    "status": "processing",
    "currency": "USD",
    "total": "9.50",
    "date_created_gmt": "2026-11-27T02:08:10",
    "date_modified_gmt": "2026-11-27T02:08:11",
}


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def headers_for(body: bytes, topic: str = "order.updated", **extra: str) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "https://shop.example/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(body),
        "X-WC-Webhook-ID": "2",
        "X-WC-Webhook-Delivery-ID": "fddfcedfb7b7dd558d7dc24e2b2a9ce5",
        **extra,
    }


def order_body(**changes: Any) -> bytes:
    return json.dumps({**ORDER_BODY, **changes}, separators=(",", ":")).encode()


# --- real deliveries ----------------------------------------------------------------


def _real() -> Iterator[tuple[str, bytes, dict[str, str]]]:
    for path in sorted(DELIVERIES.glob("*.json")):
        capture = load(path)
        yield path.stem, capture["raw_body"].encode("utf-8"), capture["headers"]


def _real_event(stem: str) -> WooWebhookEvent:
    capture = load(DELIVERIES / f"{stem}.json")
    return verify_woo_webhook(capture["raw_body"].encode(), capture["headers"], REAL_SECRET)


@requires_shared
@pytest.mark.fixtures
def test_every_real_delivery_verifies() -> None:
    seen = 0
    for stem, body, headers in _real():
        event = verify_woo_webhook(body, headers, REAL_SECRET)
        assert event.body_digest == hashlib.sha256(body).hexdigest()
        if stem.endswith("_ping"):
            assert event.is_ping
            assert event.topic == "ping"
            assert event.webhook_id == int(body.decode().split("=")[1])
            assert event.order is None
        elif json.loads(body).keys() == {"code", "message", "data"}:
            # Queued before a force delete, sent after it: the signed body is the REST
            # 404 and nothing names the order.
            assert stem == "014_order_updated_after_force_delete"
            assert not event.is_ping
            assert event.topic == headers["X-WC-Webhook-Topic"] == "order.updated"
            assert event.is_error
            assert event.error_code == "woocommerce_rest_shop_order_invalid_id"
            assert (event.order, event.resource_id, event.date_modified_gmt) == (None, None, None)
            assert event.delivery_id == headers["X-WC-Webhook-Delivery-ID"]
            with pytest.raises(WebhookSignatureError):
                verify_woo_webhook(body, headers, "not-" + REAL_SECRET)
        else:
            assert not event.is_error
            assert not event.is_ping
            assert event.topic == headers["X-WC-Webhook-Topic"]
            assert (event.resource, event.event) == tuple(event.topic.split("."))
            assert event.order is not None
            assert event.resource_id == event.order.id == json.loads(body)["id"]
            assert event.date_modified_gmt == event.order.date_modified_gmt
            assert event.date_modified_gmt is not None
            assert event.date_modified_gmt.tzinfo is not None
            assert event.delivery_id == headers["X-WC-Webhook-Delivery-ID"]
            assert event.webhook_id == int(headers["X-WC-Webhook-ID"])
            assert event.source == "http://127.0.0.1:8080/"
            with pytest.raises(WebhookSignatureError):
                verify_woo_webhook(body, headers, "not-" + REAL_SECRET)
        seen += 1
    assert seen == 15


@requires_shared
@pytest.mark.fixtures
def test_real_repeats_are_deduplicated_and_real_changes_are_not() -> None:
    events = {stem: _real_event(stem) for stem, _, _ in _real()}
    # Identical bodies: order.created then order.updated for the same state.
    for first, second in [
        ("002_order_created", "003_order_updated"),
        ("006_order_created", "007_order_updated"),
        ("008_order_created", "009_order_updated"),
    ]:
        assert events[first].dedup_key == events[second].dedup_key
    # Same delivery id and same date_modified_gmt, different news: 004 adds a
    # refund to order 12 and 011 completes order 17, within the same second as
    # the delivery before. Keyed on id + date_modified_gmt they would be lost.
    for before, after in [
        ("003_order_updated", "004_order_updated"),
        ("010_order_updated", "011_order_updated"),
    ]:
        a, b = events[before], events[after]
        assert (a.delivery_id, a.resource_id, a.date_modified_gmt) == (
            b.delivery_id,
            b.resource_id,
            b.date_modified_gmt,
        )
        assert a.dedup_key != b.dedup_key
    assert events["004_order_updated"].order is not None
    assert len(events["004_order_updated"].order.refunds) == 1
    assert events["011_order_updated"].order is not None
    assert events["011_order_updated"].order.status == "completed"
    # One delivery id shared by deliveries about different orders.
    shared = [e for e in events.values() if e.delivery_id == "818e107570c6d3585362fb2ec104a599"]
    assert {e.resource_id for e in shared} == {12, 16, 17}
    assert len({e.dedup_key for e in shared}) == 3

    dedup = WebhookDeduplicator()
    new = [stem for stem, event in events.items() if not dedup.seen(event)]
    assert new == [
        "000_ping",
        "001_ping",
        "002_order_created",
        "004_order_updated",
        "005_order_updated",
        "006_order_created",
        "008_order_created",
        "010_order_updated",
        "011_order_updated",
        "012_order_created",
        "013_order_created",
        "014_order_updated_after_force_delete",
    ]
    # A replay of everything is all seen.
    assert all(dedup.seen(_real_event(stem)) for stem in events)


@requires_shared
@pytest.mark.fixtures
@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(
            # the middle byte: some real bodies (an error body) are shorter than 100 bytes
            lambda b: b[: len(b) // 2] + bytes([b[len(b) // 2] ^ 1]) + b[len(b) // 2 + 1 :],
            id="one-byte-changed",
        ),
        pytest.param(lambda b: b[:-1], id="truncated"),
        pytest.param(lambda b: b + b"\n", id="newline-added"),
        pytest.param(lambda b: json.dumps(json.loads(b)).encode(), id="re-encoded"),
        pytest.param(lambda b: json.dumps(json.loads(b), indent=1).encode(), id="re-indented"),
    ],
)
def test_real_delivery_altered_fails(mutate: Any) -> None:
    for _stem, body, headers in list(_real())[2:]:
        altered = mutate(body)
        assert altered != body
        with pytest.raises(WebhookSignatureError, match="does not match"):
            verify_woo_webhook(altered, headers, REAL_SECRET)


# --- signatures ---------------------------------------------------------------------


def test_a_signed_order_delivery() -> None:
    body = order_body()
    event = verify_woo_webhook(body, headers_for(body), SECRET)
    assert event.topic == "order.updated"
    assert event.order is not None
    assert event.order.total == Decimal("9.50")
    assert event.resource_id == 12
    assert event.date_modified_gmt == datetime(2026, 11, 27, 2, 8, 11, tzinfo=timezone.utc)
    assert event.dedup_key == f"woo:12:2026-11-27T02:08:11+00:00:{event.body_digest}"
    assert event.payload == json.loads(body)
    assert "billing" not in repr(event)


def test_header_names_in_any_case_and_any_container() -> None:
    body = order_body()
    headers = headers_for(body)
    lower = {k.lower(): v for k, v in headers.items()}
    upper = {k.upper(): v for k, v in headers.items()}
    pairs = list(headers.items())
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]  # ASGI scope form
    events = [verify_woo_webhook(body, h, SECRET) for h in (headers, lower, upper, pairs, raw)]
    assert len({e.dedup_key for e in events}) == 1
    assert all(e.topic == "order.updated" for e in events)


def test_bytes_like_bodies_are_accepted() -> None:
    body = order_body()
    for given in (bytearray(body), memoryview(body)):
        assert verify_woo_webhook(given, headers_for(body), SECRET).resource_id == 12  # type: ignore[arg-type]


def _error(body: Any, headers: Any, secret: Any = SECRET) -> WebhookSignatureError:
    with pytest.raises(WebhookSignatureError) as info:
        verify_woo_webhook(body, headers, secret)
    return info.value


def test_failures_are_closed_and_say_why() -> None:
    body = order_body()
    good = headers_for(body)
    cases = {
        "wrong secret": (body, good, SECRET + "x"),
        "missing": (body, {k: v for k, v in good.items() if "Signature" not in k}, SECRET),
        "empty header": (body, {**good, "X-WC-Webhook-Signature": ""}, SECRET),
        "not base64": (body, {**good, "X-WC-Webhook-Signature": "not base64!"}, SECRET),
        "non-ascii": (body, {**good, "X-WC-Webhook-Signature": "é" * 44}, SECRET),
        "sha1 length": (
            body,
            {**good, "X-WC-Webhook-Signature": base64.b64encode(b"x" * 20).decode()},
            SECRET,
        ),
        "str body": (body.decode(), good, SECRET),
        "empty secret": (body, good, ""),
        "no secret": (body, good, None),
    }
    messages = {name: str(_error(*args)) for name, args in cases.items()}
    assert "does not match" in messages["wrong secret"]
    assert "no X-WC-Webhook-Signature" in messages["missing"]
    assert "not valid base64" in messages["not base64"]
    assert "32" in messages["sha1 length"]
    assert "raw request bytes" in messages["str body"]
    assert "no webhook secret" in messages["empty secret"]
    assert "no webhook secret" in messages["no secret"]
    expected = sign(body)
    for message in messages.values():
        assert SECRET not in message
        assert expected not in message


def test_conflicting_signature_headers_are_refused() -> None:
    body = order_body()
    pairs = [*headers_for(body).items(), ("x-wc-webhook-signature", sign(b"other"))]
    assert "different" in str(_error(body, pairs))
    same_twice = [*headers_for(body).items(), ("x-wc-webhook-signature", sign(body))]
    assert verify_woo_webhook(body, same_twice, SECRET).resource_id == 12


def test_the_secret_is_used_as_entered() -> None:
    # WooCommerce signs with wp_specialchars_decode(stored, ENT_QUOTES): what was typed.
    body = order_body()
    headers = headers_for(body)
    assert verify_woo_webhook(body, headers, SECRET).resource_id == 12
    escaped = SECRET.replace("&", "&amp;").replace("'", "&#039;")
    with pytest.raises(WebhookSignatureError):
        verify_woo_webhook(body, headers, escaped)


# --- pings --------------------------------------------------------------------------


def test_ping() -> None:
    event = verify_woo_webhook(
        b"webhook_id=42", {"Content-Type": "application/x-www-form-urlencoded"}, SECRET
    )
    assert event.is_ping
    assert (event.topic, event.webhook_id, event.order, event.payload) == ("ping", 42, None, None)


@pytest.mark.parametrize(
    "body", [b"webhook_id=", b"webhook_id=1&x=2", b"webhook_id=1\n", b"webhook_id=-1", b"{}", b""]
)
def test_anything_else_unsigned_is_refused(body: bytes) -> None:
    assert "no X-WC-Webhook-Signature" in str(_error(body, {}))


def test_a_ping_with_a_bad_signature_is_refused() -> None:
    _error(b"webhook_id=42", {"X-WC-Webhook-Signature": sign(b"webhook_id=43")})


def test_a_ping_still_needs_a_secret_configured() -> None:
    _error(b"webhook_id=42", {}, secret="")


# --- bodies after a valid signature --------------------------------------------------


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"x"', b"\xff\xfe"])
def test_a_signed_body_that_is_not_a_json_object(body: bytes) -> None:
    with pytest.raises(PayloadError):
        verify_woo_webhook(body, headers_for(body), SECRET)


def test_a_signed_order_that_does_not_parse_lists_the_problems() -> None:
    body = order_body(total="lots", id="12")
    with pytest.raises(PayloadError) as info:
        verify_woo_webhook(body, headers_for(body), SECRET)
    assert {"$.total", "$.id"} <= set(info.value.paths)


def test_a_signed_delivery_without_a_topic() -> None:
    body = order_body()
    headers = {"X-WC-Webhook-Signature": sign(body)}
    with pytest.raises(PayloadError, match="X-WC-Webhook-Topic"):
        verify_woo_webhook(body, headers, SECRET)


def test_topic_alone_is_enough() -> None:
    body = order_body()
    event = verify_woo_webhook(
        body, {"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": sign(body)}, SECRET
    )
    assert (event.resource, event.event, event.webhook_id, event.delivery_id) == (
        "order",
        "created",
        None,
        None,
    )


def test_order_deleted_carries_only_the_id() -> None:
    body = b'{"id":12}'
    first = verify_woo_webhook(body, headers_for(body, "order.deleted"), SECRET)
    assert (first.order, first.resource_id, first.date_modified_gmt) == (None, 12, None)
    assert first.dedup_key.startswith("woo:12:delivery-fddfcedf")
    # Trashed again later (after a restore): another delivery id, not a duplicate.
    again = verify_woo_webhook(
        body, headers_for(body, "order.deleted", **{"X-WC-Webhook-Delivery-ID": "0a1b"}), SECRET
    )
    dedup = WebhookDeduplicator()
    assert not dedup.seen(first)
    assert dedup.seen(first)
    assert not dedup.seen(again)


def test_other_resources_and_actions() -> None:
    product = json.dumps(
        {"id": 5, "date_modified_gmt": "2026-11-27T02:08:11", "name": "Mug"}
    ).encode()
    event = verify_woo_webhook(product, headers_for(product, "product.updated"), SECRET)
    assert (event.order, event.resource_id, event.payload["name"]) == (None, 5, "Mug")
    assert event.date_modified_gmt == datetime(2026, 11, 27, 2, 8, 11, tzinfo=timezone.utc)
    action = b'{"action":"woocommerce_something","arg":7}'
    event = verify_woo_webhook(action, headers_for(action, "action.woocommerce_something"), SECRET)
    assert (event.resource, event.event, event.resource_id) == (
        "action",
        "woocommerce_something",
        None,
    )
    bad_date = json.dumps({"id": 5, "date_modified_gmt": "yesterday"}).encode()
    assert (
        verify_woo_webhook(
            bad_date, headers_for(bad_date, "coupon.updated"), SECRET
        ).date_modified_gmt
        is None
    )


def test_a_custom_json_loader() -> None:
    body = order_body()
    calls: list[bytes] = []

    def loads(data: str | bytes) -> Any:
        calls.append(data if isinstance(data, bytes) else data.encode())
        return json.loads(data)

    verify_woo_webhook(body, headers_for(body), SECRET, loads=loads)
    assert calls == [body]


# --- de-duplication -------------------------------------------------------------------


def test_replay_is_seen() -> None:
    body = order_body()
    dedup = WebhookDeduplicator()
    event = verify_woo_webhook(body, headers_for(body), SECRET)
    assert not dedup.seen(event)
    assert dedup.seen(verify_woo_webhook(body, headers_for(body), SECRET))
    other = order_body(status="completed")  # same second, different news
    assert not dedup.seen(verify_woo_webhook(other, headers_for(other), SECRET))
    assert len(dedup) == 2


def test_dedup_is_a_bounded_lru() -> None:
    dedup = WebhookDeduplicator(max_size=3)
    assert isinstance(dedup, SeenStore)
    for key in "abc":
        assert dedup.add_if_new(key)
    assert not dedup.add_if_new("a")  # refreshes "a"
    assert dedup.add_if_new("d")  # evicts "b", the least recently seen
    assert "b" not in dedup
    assert "a" in dedup
    assert len(dedup) == 3
    with pytest.raises(ConfigurationError):
        WebhookDeduplicator(max_size=0)


def test_a_ledger_can_stand_in() -> None:
    class Ledger:
        def __init__(self) -> None:
            self.keys: set[str] = set()

        def add_if_new(self, key: str) -> bool:
            if key in self.keys:
                return False
            self.keys.add(key)
            return True

    ledger: SeenStore = Ledger()
    body = order_body()
    event = verify_woo_webhook(body, headers_for(body), SECRET)
    assert ledger.add_if_new(event.dedup_key)
    assert not ledger.add_if_new(event.dedup_key)


def test_shared_dir_helper_points_beside_the_clone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HIKEWOO_SHARED_DIR", raising=False)
    assert shared_dir() == Path(__file__).resolve().parents[2] / "shared"
    assert REAL.parts[-4:] == ("shared", "fixtures", "woocommerce", "real-10.0.2")
    monkeypatch.setenv("HIKEWOO_SHARED_DIR", "/elsewhere/shared")
    assert shared_dir() == Path("/elsewhere/shared")
