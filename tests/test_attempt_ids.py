"""Attempt ids: unique across threads and across a fork (they decide whether a pending
intent is this attempt's own, so a repeat would skip the lookup before a resend)."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from hikewoo_core._executor import _ATTEMPTS


def test_attempt_ids_are_unique_across_threads() -> None:
    with ThreadPoolExecutor(4) as pool:
        batches = list(pool.map(lambda _: [_ATTEMPTS.next() for _ in range(2_000)], range(8)))
    ids = [i for batch in batches for i in batch]
    assert len(set(ids)) == len(ids) == 16_000


@pytest.mark.skipif(sys.platform == "win32", reason="os.fork is POSIX only")
# 3.12+ warns about fork() in a process with threads; the child only writes and exits.
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_forked_child_never_repeats_its_parents_attempt_ids() -> None:
    _ATTEMPTS.next()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, to the parent
        os.close(read)
        os.write(write, _ATTEMPTS.next().encode())
        os._exit(0)
    os.close(write)
    try:
        child = os.read(read, 200).decode()
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    mine = _ATTEMPTS.next()
    assert child
    assert child.split("-")[0] != mine.split("-")[0]  # a new random prefix in the child
