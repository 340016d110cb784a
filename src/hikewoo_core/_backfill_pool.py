"""A backfill's partitions run side by side on threads, as one job (shell).

:meth:`~hikewoo_core.Syncer.backfill` splits its creation-date range into partitions
(:func:`~hikewoo_core.partitions`) and runs them on ``concurrency`` threads. Each
partition is an ordinary one (:mod:`hikewoo_core._backfill`): its own keyset scan, its own
checkpoint, its own failures. Partitions share nothing but the ledger, whose per-pair
leases keep every order synced once whichever thread (or process) meets it, and an
order belongs to exactly one partition (by its creation date, which never changes).

- **The same split for every run.** A range is cut into :data:`PARTS` partitions of
  equal length whatever the ``concurrency`` (at most :data:`PARTS` threads are used),
  so every run of a range, in any process and with any ``concurrency``, resumes the
  same partitions from their checkpoints; nothing about the split is stored, so two
  processes starting a range at once cannot disagree on it. More parts than threads
  keep the threads busy: a busy month does not keep one thread working while the
  others wait. ``concurrency=1`` runs a range as one partition, in the calling thread,
  and so does every run of a range begun as one partition (by 0.1, by
  ``concurrency=1`` or by :meth:`~hikewoo_core.Syncer.backfill_partition`); a range
  run both ways is read again, and no order synced twice (the ledger's links say
  which are done).
- **One progress stream.** The callback sees the whole range's progress (the sum over
  its parts), from one thread at a time.
- **A failure stops the job, not the checkpoints.** When a partition raises (the store
  cannot be read, the ledger fails), the others stop at their next order, saving their
  checkpoint; the exception is then raised. The same happens on ``KeyboardInterrupt``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from ._backfill import (
    BackfillReport,
    Partition,
    Progress,
    RunOptions,
    _Run,
    partitions,
    report_of,
    start_run,
)
from ._errors import ConfigurationError

if TYPE_CHECKING:
    from ._sync import Syncer

__all__ = ["DEFAULT_CONCURRENCY", "PARTS", "run_concurrently", "split"]

#: Partitions run at once by :meth:`~hikewoo_core.Syncer.backfill` by default: each
#: keeps one request in flight, as many as the clients' default read-ahead.
DEFAULT_CONCURRENCY = 8
#: The partitions of a range run concurrently (see the module docstring).
PARTS = 32


def split(syncer: Syncer, whole: Partition, concurrency: int) -> tuple[Partition, ...]:
    """The parts of ``whole``: itself for ``concurrency=1`` or a range begun as one
    partition, else :data:`PARTS` parts of equal length (the same for every run)."""
    if concurrency == 1 or syncer.ledger.get_checkpoint(whole.name) is not None:
        return (whole,)
    return partitions(whole.after, whole.before, PARTS)


class _ProgressStream:
    """Adds up the progress of the parts into the progress of the whole range."""

    def __init__(
        self,
        whole: Partition,
        total: int | None,
        callback: Callable[[Progress], None],
        timer: Callable[[], float],
    ) -> None:
        self._whole, self._total, self._callback, self._timer = whole, total, callback, timer
        self._lock = threading.Lock()
        self._done: dict[str, int] = {}
        self._resumed: dict[str, int] = {}
        self._started = timer()

    def seed(self, runs: Sequence[_Run]) -> None:
        """Count what every part had done before this run (a complete part reports no
        progress of its own)."""
        for run in runs:
            self._done[run.partition.name] = run.done
            self._resumed[run.partition.name] = run.resumed

    def __call__(self, part: Progress) -> None:
        with self._lock:
            self._done[part.partition] = part.done
            self._resumed[part.partition] = part.resumed_from
            self._callback(
                Progress(
                    self._whole.name,
                    sum(self._done.values()),
                    self._total,
                    self._timer() - self._started,
                    sum(self._resumed.values()),
                )
            )


def run_concurrently(
    syncer: Syncer, whole: Partition, options: RunOptions, *, concurrency: int
) -> BackfillReport:
    """Backfill ``whole``, its parts on ``concurrency`` threads; one report for it all."""
    if type(concurrency) is not int or concurrency < 1:
        raise ConfigurationError(f"concurrency must be a positive integer, got {concurrency!r}")
    progress, total, timer = options.progress, options.total, options.timer
    stream = None if progress is None else _ProgressStream(whole, total, progress, timer)
    stop = threading.Event()
    runs: list[_Run] = []
    for part in split(syncer, whole, concurrency):
        run = start_run(syncer, part, options)
        run.progress, run.timer = stream, timer
        run.stopping = stop.is_set
        runs.append(run)
    if stream is not None:
        stream.seed(runs)
    if len(runs) == 1:
        runs[0].total = total
        runs[0].go()
    else:
        _go_all(runs, min(concurrency, len(runs)), stop)
    return report_of(whole, runs, syncer.tracked_products())


def _go_all(runs: Sequence[_Run], threads: int, stop: threading.Event) -> None:
    """Run every part on ``threads`` threads; on the first failure (or an interrupt),
    stop the others at their next order and raise it once they have stopped."""
    with ThreadPoolExecutor(threads, thread_name_prefix="hikewoo-backfill") as pool:
        futures: list[Future[None]] = [pool.submit(run.go) for run in runs]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:  # KeyboardInterrupt while waiting
            stop.set()
            for future in futures:
                future.cancel()  # parts not started never start
            raise
        for future in done:
            error = future.exception()
            if error is not None:
                stop.set()
                for other in futures:
                    other.cancel()
                raise error
