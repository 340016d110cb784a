"""Print the mutation score of each core module after ``mutmut run`` (``nox -s mutation``).

Reads the per-file results mutmut leaves in ``mutants/`` for the modules listed in
``[tool.mutmut] only_mutate`` of ``pyproject.toml`` and prints one table row per module:
mutants killed by a failing test, stopped by a timeout (an endless loop is caught, so it
counts as detected), surviving, and not run. With ``--fail-under N`` the exit status is 1
when the score of any module, or the total, is below N percent (a module without
mutants scores 0); ``--survivors`` lists the surviving mutants by
name, for ``mutmut show NAME``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut/stats.py): 1 and 3 are a failing test run, 0 a passing one.
KILLED = {1, 3, 37}
TIMEOUT = {36, 24, -24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}
NOT_RUN = {None, 2, 34}


def verdict(code: int | None) -> str:
    """The column a mutmut exit code counts in."""
    for name, codes in (
        ("killed", KILLED),
        ("timeout", TIMEOUT),
        ("survived", SURVIVED),
        ("no tests", NO_TESTS),
        ("not run", NOT_RUN),
    ):
        if code in codes:
            return name
    return "suspicious"


def _configured_modules() -> list[str]:
    if sys.version_info < (3, 11):  # nox passes the modules on the command line instead
        raise SystemExit("name the modules, or run on Python 3.11+ to read pyproject.toml")
    import tomllib

    config = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["mutmut"]["only_mutate"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fail-under", type=float, default=0.0, metavar="PERCENT")
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    parser.add_argument("modules", nargs="*", help="default: [tool.mutmut] only_mutate")
    args = parser.parse_args(argv)

    modules = args.modules or _configured_modules()
    rows: list[tuple[str, Counter[str]]] = []
    survivors: list[str] = []
    for module in modules:
        meta = Path("mutants") / f"{module}.meta"
        if not meta.is_file():
            print(f"no results for {module} ({meta} is missing): run mutmut first")
            return 2
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        counts = Counter(verdict(code) for code in codes.values())
        survivors += sorted(key for key, code in codes.items() if verdict(code) == "survived")
        rows.append((module.removeprefix("src/"), counts))

    total: Counter[str] = Counter()
    below: list[str] = []
    print("| module | mutants | killed | timeout | survived | other | score |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, counts in [*rows, ("**all**", total)]:
        if counts is not total:
            total.update(counts)
        detected = counts["killed"] + counts["timeout"]
        judged = detected + counts["survived"] + counts["no tests"] + counts["suspicious"]
        other = counts["no tests"] + counts["suspicious"] + counts["not run"]
        score = 100 * detected / judged if judged else 0.0
        if score < args.fail_under:
            below.append(f"{name} ({score:.1f}%, {sum(counts.values())} mutants)")
        print(
            f"| {name} | {sum(counts.values())} | {counts['killed']} | {counts['timeout']} "
            f"| {counts['survived']} | {other} | {score:.1f}% |"
        )
    if args.survivors:
        print("\nsurvivors (mutmut show NAME):", *survivors, sep="\n  ")
    if total["not run"]:
        print(f"\n{total['not run']} mutants were not run: the score is incomplete")
        return 1
    if below:  # each module on its own, and the total
        print(f"\nbelow {args.fail_under:.1f}%:", *below, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
