#!/usr/bin/env python3
"""Records which scenarios one language's test run passed, for check.py's matrix.

Each runner calls it after its suite with that suite's own output, and it writes
`<results dir>/<Language>.json`:

    record.py Swift --xctest swift-test.log            # XCTest console output
    record.py Kotlin --junit target/surefire-reports/TEST-*.xml
    record.py Python --junit pytest-junit.xml          # pytest --junitxml
    record.py Rust --libtest cargo-test.log            # cargo test output (not --quiet)
    record.py Swift --not-run "needs root" [--unavailable]

A scenario passed when at least one test named for it passed and none failed. `--unavailable`
marks a run that could not happen here (no toolchain can be set up on this machine), as
opposed to one that was skipped or broke. The run id is `$POKE_TEST_RUN` (scripts/test.sh sets
it), so check.py can tell this run's results from stale ones. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_DIR = ROOT / "target" / "scenario-results"

# XCTest: Linux `Test Case 'ScenarioTests.test_scenario_x' passed`, macOS
# `Test Case '-[PokeTests.ScenarioTests test_scenario_x]' passed`.
XCTEST = re.compile(r"Test Case '[^']*?\btest_scenario_([a-z0-9_]+)\]?' (passed|failed)")
# libtest: `test scenario_x ... ok` (possibly with a module path).
LIBTEST = re.compile(r"^test (?:\S+::)?scenario_([a-z0-9_]+) \.\.\. (ok|FAILED|ignored)", re.M)
# JUnit test case names: `scenario_x()` (JUnit 5), `test_scenario_x` / `test_scenario_x[param]`.
JUNIT_NAME = re.compile(r"^(?:test_)?scenario_([a-z0-9_]+?)(?:\(\))?(?:\[.*\])?$")


def results_dir() -> Path:
    return Path(os.environ.get("POKE_SCENARIO_RESULTS") or DEFAULT_DIR)


def from_xctest(text: str) -> list[tuple[str, bool]]:
    return [(sid, outcome == "passed") for sid, outcome in XCTEST.findall(text)]


def from_libtest(text: str) -> list[tuple[str, bool | None]]:
    return [(sid, {"ok": True, "FAILED": False}.get(outcome)) for sid, outcome in LIBTEST.findall(text)]


def from_junit(paths: list[Path]) -> list[tuple[str, bool | None]]:
    cases: list[tuple[str, bool | None]] = []
    for path in paths:
        for case in ET.parse(path).getroot().iter("testcase"):
            m = JUNIT_NAME.match(case.get("name", ""))
            if not m:
                continue
            tags = {child.tag for child in case}
            if tags & {"failure", "error"}:
                cases.append((m.group(1), False))
            elif "skipped" in tags:
                cases.append((m.group(1), None))
            else:
                cases.append((m.group(1), True))
    return cases


def summarize(cases: list[tuple[str, bool | None]]) -> tuple[list[str], list[str]]:
    """(passed, failed) scenario ids; a skipped case counts as neither."""
    failed = sorted({sid for sid, ok in cases if ok is False})
    passed = sorted({sid for sid, ok in cases if ok is True} - set(failed))
    return passed, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("language", help="as named in scenarios.json (Python, Rust, Kotlin, Swift)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--xctest", type=Path, metavar="LOG")
    source.add_argument("--libtest", type=Path, metavar="LOG")
    source.add_argument("--junit", type=Path, nargs="+", metavar="XML")
    source.add_argument("--not-run", metavar="REASON")
    parser.add_argument("--unavailable", action="store_true", help="with --not-run: no toolchain can be set up here")
    parser.add_argument("--note", default="", help="how it ran (shown in the matrix's notes)")
    parser.add_argument("--out", type=Path, default=None, help="results directory (default $POKE_SCENARIO_RESULTS or target/scenario-results)")
    args = parser.parse_args(argv)

    record: dict = {"language": args.language, "run": os.environ.get("POKE_TEST_RUN", "")}
    if args.not_run is not None:
        record.update(ran=False, reason=args.not_run, unavailable=args.unavailable)
    else:
        try:
            if args.xctest:
                cases = from_xctest(args.xctest.read_text(encoding="utf-8", errors="replace"))
                record["source"] = str(args.xctest)
            elif args.libtest:
                cases = from_libtest(args.libtest.read_text(encoding="utf-8", errors="replace"))
                record["source"] = str(args.libtest)
            else:
                cases = from_junit(args.junit)
                record["source"] = " ".join(str(p) for p in args.junit)
        except (OSError, ET.ParseError) as e:
            print(f"record.py: cannot read the {args.language} results: {e}", file=sys.stderr)
            cases = []
            record["reason"] = f"results unreadable: {e}"
        passed, failed = summarize(cases)
        record.update(ran=bool(cases), passed=passed, failed=failed, note=args.note)
        if not cases:
            record.setdefault("reason", "no scenario test ran")
    out = args.out or results_dir()
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.language}.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
