"""Syncer.handle_woo_webhook: verify, de-duplicate through the ledger, sync the order."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from hikewoo_core import WebhookSignatureError

from ._shared import REAL, load, requires_shared
from ._world import make_world

SECRET = "whsecret-test"


def delivery(body: bytes, topic: str = "order.updated", secret: str = SECRET) -> dict[str, str]:
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    resource, event = topic.split(".")
    return {
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": signature.decode(),
        "X-WC-Webhook-ID": "3",
        "X-WC-Webhook-Delivery-ID": "same-id-every-time",
    }


def test_a_delivery_syncs_its_order_once_and_duplicates_are_dropped() -> None:
    w = make_world()
    oid = w.order("completed")
    body = json.dumps(w.woo.get_order(oid)).encode()
    first = w.syncer.handle_woo_webhook(body, delivery(body), SECRET)
    assert first.outcome == "synced"
    assert first.report is not None
    assert len(first.report.applied) == 1
    again = w.syncer.handle_woo_webhook(body, delivery(body), SECRET)
    assert again.outcome == "duplicate"
    assert len(w.hike.sales()) == 1


def test_a_new_change_with_the_same_delivery_id_is_not_a_duplicate() -> None:
    w = make_world()
    oid = w.order("processing")
    body = json.dumps(w.woo.get_order(oid)).encode()
    w.syncer.handle_woo_webhook(body, delivery(body), SECRET)
    w.tick()
    w.woo.set_status(oid, "completed")
    body2 = json.dumps(w.woo.get_order(oid)).encode()
    result = w.syncer.handle_woo_webhook(body2, delivery(body2), SECRET)
    assert result.outcome == "synced"
    [sale] = w.hike.sales()
    assert sale.fulfilment_status.value == "Completed"


def test_forged_and_unsigned_deliveries_are_refused_and_write_nothing() -> None:
    w = make_world()
    oid = w.order("completed")
    body = json.dumps(w.woo.get_order(oid)).encode()
    with pytest.raises(WebhookSignatureError):
        w.syncer.handle_woo_webhook(body, delivery(body, secret="wrong"), SECRET)
    headers = delivery(body)
    del headers["X-WC-Webhook-Signature"]
    with pytest.raises(WebhookSignatureError):
        w.syncer.handle_woo_webhook(body, headers, SECRET)
    with pytest.raises(WebhookSignatureError):
        w.syncer.handle_woo_webhook(body + b" ", delivery(body), SECRET)
    assert w.hike.sales() == []


def test_ping_and_composites_answer_without_raising() -> None:
    w = make_world()
    ping = w.syncer.handle_woo_webhook(b"webhook_id=3", {}, SECRET)
    assert ping.outcome == "ping"
    oid = w.order("completed", (("KIT", 1, "9.00"),), line_extra={0: {"composite_children": [2]}})
    body = json.dumps(w.woo.get_order(oid)).encode()
    result = w.syncer.handle_woo_webhook(body, delivery(body), SECRET)
    assert result.outcome == "synced"
    assert result.report is not None
    assert "refused whole" in result.report.plan.explain()
    assert w.hike.sales() == []


@requires_shared
@pytest.mark.fixtures
def test_a_real_delivery_sent_after_a_force_delete_is_ignored_and_not_recorded() -> None:
    """The real store signs the REST 404 as the body of an ``order.updated`` queued
    before the order was deleted for good: nothing to sync, nothing to remember."""
    capture = load(REAL / "webhook_deliveries" / "014_order_updated_after_force_delete.json")
    body, headers = capture["raw_body"].encode(), capture["headers"]
    w = make_world()
    result = w.syncer.handle_woo_webhook(body, headers, "whsecret")
    assert result.outcome == "ignored"
    assert result.event.error_code == "woocommerce_rest_shop_order_invalid_id"
    assert w.ledger.add_if_new(result.event.dedup_key), "an ignored delivery left a key"
    assert w.woo.calls == []
    assert w.hike.calls == []


@pytest.mark.parametrize("forged", ["order.deleted", "product.updated", "action.woocommerce_x"])
def test_a_forged_topic_cannot_poison_deduplication(forged: str) -> None:
    """The topic headers are not signed: a genuine body replayed under a forged topic is
    ignored without a trace, and the genuine delivery still syncs."""
    w = make_world()
    oid = w.order("completed")
    body = json.dumps(w.woo.get_order(oid)).encode()
    genuine = delivery(body)
    forgery = {
        **genuine,
        **{k: v for k, v in delivery(body, forged).items() if "Signature" not in k},
    }
    assert w.syncer.handle_woo_webhook(body, forgery, SECRET).outcome == "ignored"
    assert w.syncer.handle_woo_webhook(body, genuine, SECRET).outcome == "synced"
    assert w.syncer.handle_woo_webhook(body, genuine, SECRET).outcome == "duplicate"
    assert len(w.hike.sales()) == 1


def test_the_dedup_key_is_built_from_signed_content_only() -> None:
    from hikewoo_core.woo._webhooks import verify_woo_webhook

    w = make_world()
    body = json.dumps(w.woo.get_order(w.order("completed"))).encode()
    keys = {
        verify_woo_webhook(body, delivery(body, topic), SECRET).dedup_key
        for topic in ("order.updated", "order.created", "order.deleted", "coupon.updated")
    }
    assert len(keys) == 1


def test_a_delivery_for_an_order_deleted_since_is_ignored_not_an_error() -> None:
    """The order is deleted for good between the delivery and the read: the receiver
    must answer 200 (WooCommerce disables a webhook after repeated failures)."""
    w = make_world()
    oid = w.order("completed")
    body = json.dumps(w.woo.get_order(oid)).encode()
    w.woo.delete_order(oid, force=True)  # for good
    result = w.syncer.handle_woo_webhook(body, delivery(body), SECRET)
    assert result.outcome == "ignored"
    assert w.hike.sales() == []
