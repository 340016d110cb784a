"""A page the read-ahead cannot start fails at its turn; it never goes missing.

Found in review: when starting the next fetch raised inside a fetch's done callback
(``RuntimeError: can't start new thread``), that page's number was used up but never
added, the error was only logged, and the read went on past the gap: orders lost with
no error (and a lookup behind an idempotent create could miss an existing order).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from hikewoo_core._http_types import Request
from hikewoo_core.woo import _fetch_threads
from hikewoo_core.woo._paging import ReadAhead
from hikewoo_core.woo._responses import Page

PAGES = 10


def test_a_fetch_that_cannot_be_started_fails_the_read_at_its_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    submit = ThreadPoolExecutor.submit
    failed: list[int] = []
    # Each page's fetch waits for its release, so the order of events is fixed: page 2
    # finishes on its fetch thread, whose done callback then has page 5 to start.
    release = {number: threading.Event() for number in range(1, PAGES + 1)}
    attempted = threading.Event()  # a fetch thread tried to start a page, and failed
    from_reader: list[int] = []

    def fetch(request: Request) -> int:
        number = int(request.params["page"])
        release[number].wait(5)
        return number

    def flaky_submit(self: ThreadPoolExecutor, fn: Any, *args: Any, **kw: Any) -> Any:
        if threading.current_thread().name.startswith("woo-page") and not failed:
            failed.append(1)
            attempted.set()
            for event in release.values():
                event.set()
            raise RuntimeError("can't start new thread")
        future = submit(self, fn, *args, **kw)
        from_reader.append(1)
        if len(from_reader) == 3:  # pages 1-3 asked for, their callbacks set: page 1 ends
            release[1].set()
        if len(from_reader) == 4:  # page 4 asked for by the reader: page 2 ends
            release[2].set()
        return future

    monkeypatch.setattr(_fetch_threads.ThreadPoolExecutor, "submit", flaky_submit)

    def parse(number: int) -> Page[int]:
        if number == 2:  # page 2's place is kept until its callback has tried
            attempted.wait(5)
        return Page(items=[number], total=PAGES, total_pages=PAGES)

    plan: ReadAhead[int] = ReadAhead(1, 3, "orders", True, 2)
    got: list[int] = []

    def read() -> None:
        for page in _fetch_threads.read_ahead(fetch, Request("GET", "http://x/o"), parse, plan):
            got.extend(page.items)

    with pytest.raises(RuntimeError, match="can't start new thread"):
        read()
    assert failed == [1]
    assert got == list(range(1, len(got) + 1))  # no gap before the failure
    assert len(got) < PAGES
