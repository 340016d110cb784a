"""Keep secrets out of httpcore's DEBUG trace lines (logging only; no httpx import).

``_http`` redacts the URLs of httpx's own ``HTTP Request:`` lines. Below it, httpcore
logs every response's headers at DEBUG, and WooCommerce's ``Link`` header repeats the
request's query: with query-string keys it carries the consumer secret. This filter
rewrites such lines on httpcore's loggers (a filter on a parent logger would not see
its children's records).
"""

from __future__ import annotations

import logging
import re

from .._redact import REDACTED, SECRET_HEADERS, SECRET_PARAMS

__all__ = ["HTTPCORE_LOGGERS", "RedactTraceLogs", "install_trace_redaction", "redact_text"]

#: The loggers httpcore writes its traces to.
HTTPCORE_LOGGERS = (
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_NAMES = "|".join(re.escape(n) for n in sorted(SECRET_PARAMS, key=len, reverse=True))
_PARAM = re.compile(rf"(?i)(?<![\w%])({_NAMES})=([^&\s'\"<>;,)]*)")
_HEADERS = "|".join(re.escape(h) for h in sorted(SECRET_HEADERS))
_HEADER = re.compile(rf"(?i)\((b?)(['\"])({_HEADERS})\2, b?(['\"]).*?\4\)")


def redact_text(text: str) -> str:
    """``text`` with secret query values and secret header values replaced."""
    text = _PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    return _HEADER.sub(
        lambda m: f"({m.group(1)}{m.group(2)}{m.group(3)}{m.group(2)}, {REDACTED!r})", text
    )


class RedactTraceLogs(logging.Filter):
    """Rewrite a record whose message shows a secret; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place."""
        message = record.getMessage()
        clean = redact_text(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def install_trace_redaction() -> None:
    """Add :class:`RedactTraceLogs` to httpcore's loggers (once)."""
    for name in HTTPCORE_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactTraceLogs) for f in target.filters):
            target.addFilter(RedactTraceLogs())
