"""Developer sessions: ``nox -s tests lint typecheck docs bench mutation``."""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


def _install(session: nox.Session, *groups: str, extras: str = "") -> None:
    session.install("-U", "pip")
    args = ["-e", f".[{extras}]" if extras else "."]
    for group in groups:
        args += ["--group", group]
    session.install(*args)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite (pass ``-- --run-slow`` for the long fuzz runs), with the
    ``fast`` extra (orjson): ``.ci/run`` runs the default install's suite on its main
    Python and these sessions on the others, so both decoders are tested. The
    ``postgres`` extra too: PostgresLedger's tests use ``$HIKEWOO_TEST_POSTGRES_DSN``
    (``.ci/run`` exports it) or start a throw-away server (``tests/_postgres.py``)."""
    _install(session, "tests", extras="fast,postgres")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, the layering contracts (import-linter), and that
    the generated synchronous clients are what ``tools/unasync.py`` makes of their
    asynchronous source."""
    _install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports", "--no-cache")
    session.run("python", "tools/unasync.py", "--check")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    _install(session, "typecheck")
    session.run("mypy", "--strict", "src/hikewoo_core")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with warnings as errors, then check it in Chromium.

    The check (``tools/check_docs_layout.py``) opens every page in headless Chromium at
    1280 px and fails when a code block or a table scrolls sideways, or a table cuts a
    name in two; it leaves full-page screenshots in ``build/docs-screenshots/``.
    Chromium is installed with apt-get when it is missing and the session runs as root;
    otherwise the check is skipped with a message saying so (in CI it fails instead).
    """
    # The lint group brings ruff, which mkdocstrings needs to wrap long signatures
    # (separate_signature); without it each signature is one line of up to 600 columns.
    _install(session, "docs", "lint")
    # NO_MKDOCS_2_WARNING: mkdocs-material's banner about MkDocs 2.0 is not a build warning.
    env = {"NO_MKDOCS_2_WARNING": "1"}
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", env=env)
    session.run(
        "python",
        "tools/check_docs_layout.py",
        "site",
        "--install-browser",
        "--screenshots",
        "build/docs-screenshots",
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks and print the comparison table."""
    _install(session, "bench")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def mutation(session: nox.Session) -> None:
    """Mutation testing of the core modules (mutmut), then the score of each module.

    The modules and the tests are listed under ``[tool.mutmut]`` in ``pyproject.toml``;
    results are kept in ``mutants/``, so a second run only redoes what changed. Fails
    when fewer than 90% of the mutants are detected (docs/testing.md, "Mutation
    testing"). Pass ``-- --survivors`` to list the mutants that survive.
    """
    _install(session, "mutation")
    shared = os.environ.get("HIKEWOO_SHARED_DIR") or str(Path("..", "shared").resolve())
    env = {"HIKEWOO_SHARED_DIR": shared}  # mutmut runs the tests from mutants/
    session.run("mutmut", "run", "--max-children", str(os.cpu_count() or 2), env=env)
    modules = PYPROJECT["tool"]["mutmut"]["only_mutate"]
    score = ["python", "tools/mutation_score.py", "--fail-under", "90", *session.posargs]
    session.run(*score, *modules)
