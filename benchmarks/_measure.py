"""How the benchmarks measure and print: interleaved batches, medians, ratios, tables."""

from __future__ import annotations

import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence

__all__ = [
    "calibrate",
    "check",
    "cpu_seconds",
    "interleave",
    "log",
    "median",
    "table",
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def check(condition: bool, message: str) -> None:
    """Stop the run when a contender did not do the work it is timed for."""
    if not condition:
        raise RuntimeError(message)


def interleave(
    contenders: dict[str, Callable[[], object]], *, rounds: int, number: int
) -> dict[str, list[float]]:
    """Per-call seconds of each contender: ``rounds`` batches of ``number`` calls each,
    contenders taking turns (in alternating order), after one warm-up call each."""
    for fn in contenders.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    items = list(contenders.items())
    for index in range(rounds):
        for name, fn in items if index % 2 == 0 else items[::-1]:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples[name].append((time.perf_counter() - start) / number)
    return samples


def calibrate(fn: Callable[[], object], batch_seconds: float) -> int:
    """How many calls of ``fn`` take about ``batch_seconds``."""
    fn()
    number, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= batch_seconds / 4 or number >= 1 << 20:
            break
        number *= 4
    return max(1, round(number * batch_seconds / max(elapsed, 1e-9)))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def cpu_seconds() -> float:
    """CPU time of this process, every thread."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    line = "  ".join("-" * w for w in widths)

    def fmt(row: Sequence[str]) -> str:
        cells = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([f"\n{title}", fmt(header), line, *(fmt(r) for r in rows)])
