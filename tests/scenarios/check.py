#!/usr/bin/env python3
"""Scenario matrix: which language ran and passed each id in scenarios.json in this test run.

A language has a test for scenario `<id>` when a file under its test directory contains the
token `scenario_<id>` (not followed by another identifier character), e.g. Kotlin
`fun scenario_resume_after_drop()`, Swift `func test_scenario_resume_after_drop()`, Python
`def test_scenario_resume_after_drop`, Rust `fn scenario_resume_after_drop`. Whether it *ran*
comes from the results each language's runner records with record.py in this run
(`target/scenario-results/<Language>.json`, or `--results DIR` / `$POKE_SCENARIO_RESULTS`):
a cell is ✓ only for a scenario whose test passed in this run; otherwise it says why not
(`FAILED`, `not run`, `no test`).

    python3 tests/scenarios/check.py            # print the matrix (Markdown); fail if a required
                                                # language (Kotlin, Swift) lacks a test, failed
                                                # one, or did not run
    python3 tests/scenarios/check.py --strict   # every language is required

A language that could not run because no toolchain can be set up on this machine (recorded
with `record.py --not-run REASON --unavailable`) shows "not run" with the reason and does not
fail the check; one that was skipped or broke does. When `$POKE_TEST_RUN` is set (by
scripts/test.sh), results recorded by another run count as not run.

Exit status: 0 when every required cell is there, 1 when one is missing, 2 when the scenario
list itself is invalid. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ID = re.compile(r"^[a-z][a-z0-9_]*$")
TOKEN = re.compile(r"scenario_([a-z0-9_]+)")


def load(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    ids = [s.get("id", "") for s in data.get("scenarios", [])]
    bad = [i for i in ids if not ID.match(i)]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    missing_text = [s.get("id") for s in data.get("scenarios", []) if not s.get("description")]
    problems = []
    if not ids:
        problems.append("no scenarios")
    if bad:
        problems.append(f"invalid ids: {bad}")
    if dupes:
        problems.append(f"duplicate ids: {dupes}")
    if missing_text:
        problems.append(f"scenarios without a description: {missing_text}")
    if not data.get("languages"):
        problems.append("no languages")
    if problems:
        raise ValueError("; ".join(problems))
    return data


def tokens(directory: Path, extensions: list[str]) -> dict[str, list[str]]:
    """Every `scenario_<name>` token under `directory`: name -> files (relative to the root)."""
    found: dict[str, list[str]] = {}
    if not directory.is_dir():
        return found
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path.suffix not in extensions:
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for name in set(TOKEN.findall(text)):
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def load_results(directory: Path, language: str) -> dict:
    """This run's record for `language`, or a not-run record saying why there is none."""
    path = directory / f"{language}.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"ran": False, "reason": "no results recorded in this run"}
    except (OSError, ValueError) as e:
        return {"ran": False, "reason": f"unreadable results ({e})"}
    run = os.environ.get("POKE_TEST_RUN")
    if run and record.get("run") != run:
        return {"ran": False, "reason": "results are from an earlier run"}
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="require every language, not only Kotlin and Swift")
    parser.add_argument("--list", type=Path, default=HERE / "scenarios.json", help="the scenario list (JSON)")
    parser.add_argument(
        "--results",
        type=Path,
        default=Path(os.environ.get("POKE_SCENARIO_RESULTS") or ROOT / "target" / "scenario-results"),
        help="where the runners recorded this run's results (record.py)",
    )
    args = parser.parse_args(argv)

    try:
        data = load(args.list)
    except (OSError, ValueError) as e:
        print(f"invalid scenario list {args.list}: {e}", file=sys.stderr)
        return 2

    scenarios = data["scenarios"]
    languages = data["languages"]
    ids = [s["id"] for s in scenarios]
    found = {lang["name"]: tokens(ROOT / lang["dir"], lang.get("extensions", [])) for lang in languages}
    results = {lang["name"]: load_results(args.results, lang["name"]) for lang in languages}

    def has(lang: dict, sid: str) -> bool:
        return sid in found[lang["name"]]

    def cell(lang: dict, sid: str) -> str:
        record = results[lang["name"]]
        if not has(lang, sid):
            return "no test"
        if not record.get("ran"):
            return "not run"
        if sid in record.get("failed", []):
            return "FAILED"
        if sid in record.get("passed", []):
            return "✓"
        return "not run"

    names = [lang["name"] for lang in languages]
    lines = [
        "| scenario | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for s in scenarios:
        lines.append(f"| `{s['id']}` | " + " | ".join(cell(lang, s["id"]) for lang in languages) + " |")
    totals = [f"{sum(cell(lang, i) == '✓' for i in ids)}/{len(ids)} passed" for lang in languages]
    lines.append("| **this run** | " + " | ".join(totals) + " |")
    print("\n".join(lines))
    print()
    for lang in languages:
        required = args.strict or lang.get("required", False)
        record = results[lang["name"]]
        if record.get("ran"):
            how = record.get("note") or lang.get("ci", "")
            status = f"ran: {how}" if how else "ran"
        else:
            why = record.get("reason", "unknown")
            status = f"not run: {why}" + (" (no toolchain can be set up here)" if record.get("unavailable") else "")
        print(f"- {lang['name']} (`{lang['dir']}`, {'required' if required else 'reported'}): {status}")

    failures = []
    for lang in languages:
        if not (args.strict or lang.get("required", False)):
            continue
        name = lang["name"]
        record = results[name]
        missing = [i for i in ids if not has(lang, i)]
        if missing:
            failures.append(f"MISSING {name} lacks: {', '.join(missing)}")
        if not record.get("ran"):
            if not record.get("unavailable"):
                failures.append(f"NOT RUN {name}: {record.get('reason', 'unknown')}")
            continue
        failed = [i for i in ids if cell(lang, i) == "FAILED"]
        if failed:
            failures.append(f"FAILED {name}: {', '.join(failed)}")
        unrun = [i for i in ids if has(lang, i) and cell(lang, i) == "not run"]
        if unrun:
            failures.append(f"NOT RUN {name}: {', '.join(unrun)}")
    unknown = {
        name: files
        for lang in languages
        for name, files in found[lang["name"]].items()
        if name not in ids
    }
    for name, files in sorted(unknown.items()):
        print(f"warning: scenario_{name} in {', '.join(files)} is not in {args.list.name}", file=sys.stderr)
    if failures:
        print(file=sys.stderr)
        for f in failures:
            print(f, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
