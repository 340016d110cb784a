"""In CI, tests that read the real captures never skip in silence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pytest_run(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HIKEWOO_SHARED_DIR": str(tmp_path / "no-shared-here")}
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "tests/test_woo_fixtures.py"]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_in_ci_a_missing_shared_folder_fails_the_run_at_once(tmp_path: Path) -> None:
    run = pytest_run(tmp_path, "true")
    assert run.returncode == 4, run.stdout + run.stderr  # pytest's usage error
    assert "shared fixtures are missing" in run.stderr


def test_outside_ci_the_real_capture_tests_skip_with_the_reason(tmp_path: Path) -> None:
    run = pytest_run(tmp_path, None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "skipped" in run.stdout
