"""Processes that race: each says "ready", all are told "go" at once, each prints its
result as JSON on its last line."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from typing import Any


def race(procs: Sequence[subprocess.Popen[str]], timeout: float) -> list[Any]:
    """Start ``procs`` together once every one is ready; their results, in order (each
    must exit 0). A process left running by a failure is killed."""
    try:
        for proc in procs:  # every contender has opened its ledger
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, _ = proc.communicate(timeout=timeout)
            assert proc.returncode == 0
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:  # pragma: no cover - only on failure
                proc.kill()
                proc.wait()
