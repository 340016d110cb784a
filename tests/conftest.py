from __future__ import annotations

import logging
import os
from collections.abc import Generator, Iterator

import pytest
from hypothesis import HealthCheck, settings

from ._secrets import find_leaks

# The default profile is deterministic: the same examples every run (no example
# database, derandomized), so a test run never fails by chance. "explore" and "nightly"
# draw fresh examples to hunt for new failures.
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", max_examples=300, deadline=None)
settings.register_profile(
    "nightly",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# --- shared/: the real captures beside the clone -----------------------------------------


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI (``CI=true``), a missing ``shared/`` fails the run at once: the tests that read
    the real captures would otherwise skip in silence and prove nothing."""
    from ._shared import WOO_FIXTURES

    if os.environ.get("CI", "").lower() in ("1", "true", "yes") and not WOO_FIXTURES.is_dir():
        raise pytest.UsageError(
            f"CI is set but the shared fixtures are missing ({WOO_FIXTURES}): CI must place "
            "shared/ beside the clone; the real-capture tests would skip and prove nothing"
        )


# --- slow tests: skipped unless asked for ----------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run the tests marked slow (10,000-case fuzzing, more fault-suite seeds)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


# --- no ledger left open ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def close_sqlite_ledgers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every ``SqliteLedger`` a test opens is closed when it ends.

    Crash tests abandon a ledger on purpose (a killed process closes nothing), and
    Python 3.13 reports a connection collected while open as a ``ResourceWarning``,
    which this suite turns into an error, charged to whichever test the garbage
    collector happens to run in. Closing here keeps each test's failures its own.
    """
    from hikewoo_core._ledger import SqliteLedger

    opened: list[SqliteLedger] = []
    original = SqliteLedger.__init__

    def tracking_init(self: SqliteLedger, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        opened.append(self)

    monkeypatch.setattr(SqliteLedger, "__init__", tracking_init)
    yield
    for ledger in opened:
        ledger.close()


# --- no secret in any log record or captured output ------------------------------------


class _Collector(logging.Handler):
    """Keeps every record reaching the root logger, formatted (traceback included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.texts.append(self.format(record))
        except Exception as exc:  # a record that cannot be formatted is a bug too
            self.texts.append(f"unformattable record {record.name}: {exc!r}")


@pytest.fixture(autouse=True)
def no_secret_in_logs() -> Iterator[_Collector]:
    """Every test: all logging at DEBUG is collected; a registered secret in it fails."""
    collector = _Collector()
    root = logging.getLogger()
    level = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    try:
        yield collector
    finally:
        root.removeHandler(collector)
        root.setLevel(level)
    leaks = find_leaks(collector.texts)
    if leaks:
        shown = "\n".join(f"  {secret!r} in ...{excerpt}..." for secret, excerpt in leaks)
        pytest.fail(f"a secret reached the logs ({len(collector.texts)} records):\n{shown}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A registered secret in what a test printed fails it too."""
    report = yield
    if report.passed:
        printed = [
            text
            for name, text in report.sections
            if name in (f"Captured stdout {report.when}", f"Captured stderr {report.when}")
        ]
        leaks = find_leaks(printed)
        if leaks:
            report.outcome = "failed"
            shown = "\n".join(f"  {secret!r} in ...{excerpt}..." for secret, excerpt in leaks)
            report.longrepr = f"a secret reached the captured output:\n{shown}"
    return report
