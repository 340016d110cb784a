"""Probe your Hike account: which of the library's assumed Hike names are right?

Hike publishes little of its API, so ``hikewoo_core/hike/_schema.py`` marks many JSON
names as *assumed*. This reads a few records of each kind the sync uses (sales,
products, register closures, outlets, a customer) and reports, for every name, whether
your account's API confirmed it, contradicted it (and what it used instead), or could
not be checked. It only reads: its HTTP client refuses to send anything but GET, so
nothing is created, changed or deleted in Hike.

Set a Hike OAuth2 access token, then run ``python examples/probe_hike_account.py``::

    HIKEWOO_HIKE_TOKEN=...

Optional: ``HIKEWOO_HIKE_BASE_URL`` (Hike's API base, default
``https://api.hikeup.com/api/v1``), ``HIKEWOO_HIKE_EMAIL`` (a customer's email to look
up, when no sale read carries one) and ``HIKEWOO_JSON=1`` (print the report as JSON,
for a program). Without the token it says it is skipping and exits 0 (that is how CI
runs it).
"""

from __future__ import annotations

import json
import os

import httpx

from hikewoo_core.hike import HikeClient, probe_account


def refuse_writes(request: httpx.Request) -> None:
    """An httpx event hook: the probe may read, never write."""
    if request.method not in ("GET", "HEAD"):
        raise RuntimeError(f"probe: refusing to send {request.method} {request.url.path}")


def probe(env: dict[str, str]) -> None:
    """Probe the account and print the report."""
    base_url = env.get("HIKEWOO_HIKE_BASE_URL") or "https://api.hikeup.com/api/v1"
    with (
        httpx.Client(timeout=30, event_hooks={"request": [refuse_writes]}) as http,
        HikeClient(env["HIKEWOO_HIKE_TOKEN"], client=http, base_url=base_url) as hike,
    ):
        report = probe_account(hike, email=env.get("HIKEWOO_HIKE_EMAIL") or None)
    if env.get("HIKEWOO_JSON"):
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(report.explain(), end="")
        print("Probe done: nothing was written.")


def main() -> None:
    """Run the probe if a token is set, else say why it is skipped."""
    env = dict(os.environ)
    if not env.get("HIKEWOO_HIKE_TOKEN"):
        print(
            "Skipping the Hike account probe: HIKEWOO_HIKE_TOKEN not set. Set it (and"
            " optionally HIKEWOO_HIKE_BASE_URL) to check the assumed Hike names against"
            " your account (read-only; nothing is written)."
        )
        return
    probe(env)


if __name__ == "__main__":
    main()
