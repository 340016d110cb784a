"""Keep secrets out of URLs, ``repr`` output, logs and error messages.

Pure functions, no I/O and no httpx: :func:`redact_url` is what every error and log
line passes a URL through before storing or printing it.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

from ._errors import PayloadError

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_PARAMS",
    "is_secret_param",
    "redact_mapping",
    "redact_pairs",
    "redact_url",
    "scrub",
    "scrub_json",
    "scrubbing",
    "secret_forms",
]

REDACTED = "<redacted>"

#: Query / form parameter names whose values are secrets (compared case-insensitively).
SECRET_PARAMS: frozenset[str] = frozenset(
    {
        "access_token",
        "client_secret",
        "code",
        "consumer_key",
        "consumer_secret",
        "oauth_consumer_key",
        "oauth_nonce",
        "oauth_signature",
        "password",
        "refresh_token",
        "token",
    }
)

#: Header names whose values are secrets (compared case-insensitively).
SECRET_HEADERS: frozenset[str] = frozenset(
    {"authorization", "cookie", "proxy-authorization", "set-cookie", "x-api-key"}
)

# A consumer key keeps a short prefix ("ck_1a2…") so operators can tell keys apart;
# keys shorter than this are hidden whole, as a 6-character prefix would be most of it.
# OAuth 1.0a sends the same key as ``oauth_consumer_key``.
_KEY_PREFIX = 6
_KEY_MIN_LENGTH_FOR_PREFIX = 16
_KEY_PARAMS = frozenset({"consumer_key", "oauth_consumer_key"})


def is_secret_param(name: str) -> bool:
    """Whether a query or form parameter called ``name`` carries a secret."""
    return name.lower() in SECRET_PARAMS


def _hide(name: str, value: str) -> str:
    if name.lower() in _KEY_PARAMS and len(value) >= _KEY_MIN_LENGTH_FOR_PREFIX:
        return value[:_KEY_PREFIX] + "…"
    return REDACTED


def redact_pairs(pairs: Iterable[tuple[str, object]]) -> list[tuple[str, object]]:
    """``(name, value)`` pairs with the values of secret parameters hidden."""
    return [
        (name, _hide(name, str(value)) if is_secret_param(name) else value) for name, value in pairs
    ]


def redact_mapping(values: Mapping[str, object]) -> dict[str, object]:
    """A copy of ``values`` with secret parameters hidden (for ``repr``)."""
    return dict(redact_pairs(values.items()))


def _redact_query(query: str) -> str:
    if not query:
        return query
    parts: list[str] = []
    for part in query.split("&"):
        raw_name, sep, raw_value = part.partition("=")
        name = unquote_plus(raw_name)
        if is_secret_param(name):
            parts.append(f"{raw_name}={_hide(name, unquote_plus(raw_value))}")
        else:
            parts.append(f"{raw_name}{sep}{raw_value}")
    return "&".join(parts)


def redact_url(url: str) -> str:
    """``url`` with secret query values and any ``user:password@`` removed.

    Values of the parameters in :data:`SECRET_PARAMS` become ``<redacted>``; a
    consumer key keeps its first six characters (``ck_1a2…``) when it is long enough
    for that to be harmless. The fragment is treated like a query (OAuth implicit
    grants put tokens there). Everything else is kept byte for byte. Never raises:
    a URL that cannot be parsed is replaced whole.

    >>> redact_url("https://u:p@shop.test/wc?consumer_secret=cs_x&page=2")
    'https://shop.test/wc?consumer_secret=<redacted>&page=2'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            parts.path,
            _redact_query(parts.query),
            _redact_query(parts.fragment),
        )
    )


_PERCENT = re.compile(r"%[0-9A-F]{2}")
#: Secrets shorter than this are not scrubbed from free text: replacing every ``"ab"``
#: in a message would hide the message, not the secret (real keys and tokens are long).
MIN_SCRUBBED_LENGTH = 5


def secret_forms(secrets: Iterable[str | None]) -> tuple[str, ...]:
    """Every form in which ``secrets`` may be echoed back, longest first.

    A server, proxy or WAF page may echo a secret as sent (a query string, a form
    body, a header), percent-encoded, JSON-escaped (WordPress writes ``\\/``) or
    HTML-escaped. Secrets shorter than :data:`MIN_SCRUBBED_LENGTH` are left out.
    """
    return _forms(tuple(s for s in secrets if s and len(s) >= MIN_SCRUBBED_LENGTH))


@functools.lru_cache(maxsize=16)
def _forms(secrets: tuple[str, ...]) -> tuple[str, ...]:
    # Cached: a client asks for the same few secrets' forms on every response it checks.
    forms: set[str] = set()
    for secret in secrets:
        encoded = {quote(secret, safe=""), quote_plus(secret), quote(secret)}
        # .NET's UrlEncode writes lowercase hex digits: %2b, not %2B
        encoded |= {_PERCENT.sub(lambda m: m[0].lower(), form) for form in encoded}
        forms.update(encoded)
        forms.update((secret, secret.replace("/", "\\/"), html.escape(secret)))
    return tuple(sorted(forms, key=len, reverse=True))


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every form of every secret (see :func:`secret_forms`) redacted.

    For text the library keeps from a response (an error page that echoes the request
    URL, a token endpoint that repeats the refresh token), before it is stored in an
    exception, logged or pickled. A secret echoed in an encoding those forms do not
    list (HTML character references such as ``&#99;``, percent-encoding of letters)
    is found by decoding the text: the decoded text is returned, scrubbed.

    >>> scrub("denied: /wc?consumer_secret=cs_0123456789", ["cs_0123456789"])
    'denied: /wc?consumer_secret=<redacted>'
    >>> scrub("key: &#99;&#115;_0123456789", ["cs_0123456789"])
    'key: <redacted>'
    """
    hidden = tuple(s for s in secrets if s and len(s) >= MIN_SCRUBBED_LENGTH)
    text = _replace_forms(text, hidden)
    if "&" in text or "%" in text:
        for decode in (html.unescape, unquote_plus):
            decoded = decode(text)
            if decoded != text and any(secret in decoded for secret in hidden):
                text = _replace_forms(decoded, hidden)
    return text


def _replace_forms(text: str, secrets: tuple[str, ...]) -> str:
    for form in secret_forms(secrets):
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def scrub_json(value: Any, secrets: Iterable[str | None]) -> Any:
    """``value`` (decoded JSON) with every string scrubbed (see :func:`scrub`): a body
    may write a secret with ``\\u`` escapes that only decoding reveals."""
    hidden = tuple(secrets)
    if isinstance(value, str):
        return scrub(value, hidden)
    if isinstance(value, Mapping):
        return {scrub(str(k), hidden): scrub_json(v, hidden) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v, hidden) for v in value]
    return value


#: The shortest start of a secret hidden by :func:`scrubbing` (messages quote a value's
#: first 37 characters, which may be most of a secret).
_SHORTEST_CUT = 8


def _scrub_cut(text: str, secrets: tuple[str | None, ...]) -> str:
    text = scrub(text, secrets)
    for secret in secrets:
        if not secret or len(secret) < MIN_SCRUBBED_LENGTH:
            continue
        for size in range(len(secret) - 1, _SHORTEST_CUT - 1, -1):
            if secret[:size] in text:
                text = text.replace(secret[:size], REDACTED)
                break
    return text


@contextmanager
def scrubbing(secrets: Iterable[str | None]) -> Iterator[None]:
    """Re-raise a :class:`PayloadError` raised inside with the secrets scrubbed from its
    problems: a message may quote a value of the response (the first 40 characters)."""
    try:
        yield
    except PayloadError as exc:
        hidden = tuple(secrets)
        problems = [
            (_scrub_cut(path, hidden), _scrub_cut(text, hidden)) for path, text in exc.problems
        ]
        if problems == list(exc.problems):
            raise
        raise PayloadError(problems, what=exc.what) from None
