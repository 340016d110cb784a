"""The secrets the tests use, and how to tell whether a text leaks one.

Every test run is scanned (``tests/conftest.py``): the log records of each test, and its
captured output, must hold none of the registered secrets. Tests register the secrets
they configure with :func:`register_secret`; :data:`DEFAULT_SECRETS` lists the well-known
ones (the loopback servers' defaults and the constants the suite shares).

The real WooCommerce captures under ``shared/fixtures`` carry the API key of the
throw-away store they came from: those appear in fixture data on purpose and are not
registered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["DEFAULT_SECRETS", "find_leaks", "register_secret", "registered_secrets"]

#: Secrets configured somewhere in the suite (consumer secrets, OAuth tokens, client and
#: webhook secrets). ``"cs_test"`` and ``"secret"`` are the defaults of
#: ``FakeWooCommerce().serve()`` and ``FakeHike().serve()``.
DEFAULT_SECRETS: tuple[str, ...] = (
    "cs_test",  # serve_woo(consumer_secret=...) default
    "secret",  # serve_hike(client_secret=...) default
    "cs_TOPSECRET_fedcba9876543210fedcba98765432",  # test_woo_auth, _woo_loopback
    "cs_0123456789abcdef0123456789",  # test_http_retry
    "tok_abcdefghijklmnopqrstuvwxyz",  # test_http_retry
    "cs_live_123456",  # test_http_retry
    "app-SECRET-42",  # test_hike_oauth
    "ref-OLD-91bc",  # test_hike_oauth
    "pre-acc",  # test_hike_client, test_hike_oauth
    "pre-ref",
    "whsecret-test",  # test_webhook_sync
    "s3cr3t-&-'quoted'",  # test_woo_webhooks
)

#: Shorter values are refused: they would match ordinary words and identifiers.
MIN_LENGTH = 5

_registry: dict[str, re.Pattern[str]] = {}


def _pattern(secret: str) -> re.Pattern[str]:
    # A secret counts where it stands as a token of its own: not inside a longer
    # identifier ("client_secret" does not leak "secret", "cs_test2" not "cs_test").
    core = rf"(?<![\w-]){re.escape(secret)}(?![\w-])"
    if re.fullmatch(r"[a-z]+", secret):
        # A plain word ("secret") is also prose: a leak only where it stands as a value,
        # right after "=", ":", a quote... not between spaces ("the secret is wrong").
        core = rf"(?<![\s\w-]){re.escape(secret)}(?![\w-])|{core}(?=[=&\"'])"
    return re.compile(core)


def register_secret(value: str) -> str:
    """Register ``value`` as a secret no log or captured output may contain; returns it.

    ``SECRET = register_secret("cs_...")`` at module level registers it for the whole run.
    """
    if len(value) < MIN_LENGTH:
        raise ValueError(f"a registered secret needs {MIN_LENGTH}+ characters: {value!r}")
    if value not in _registry:
        _registry[value] = _pattern(value)
    return value


def registered_secrets() -> tuple[str, ...]:
    """Every registered secret."""
    return tuple(_registry)


def find_leaks(texts: Iterable[str]) -> list[tuple[str, str]]:
    """``(secret, excerpt)`` for every registered secret found in ``texts``."""
    text = "\n".join(texts)
    found: list[tuple[str, str]] = []
    for secret, pattern in _registry.items():
        match = pattern.search(text)
        if match is not None:
            start = max(match.start() - 60, 0)
            found.append((secret, text[start : match.end() + 60]))
    return found


for _secret in DEFAULT_SECRETS:
    register_secret(_secret)
