#!/usr/bin/env python3
"""Scenario matrix: which language has a test for each id in scenarios.json.

A language has scenario `<id>` when a file under its test directory contains the token
`scenario_<id>` (not followed by another identifier character), e.g. Kotlin
`fun scenario_resume_after_drop()`, Swift `func test_scenario_resume_after_drop()`, Python
`def test_scenario_resume_after_drop`, Rust `fn scenario_resume_after_drop`.

    python3 tests/scenarios/check.py            # print the matrix (Markdown); fail if a required
                                                # language (Kotlin, Swift) misses a scenario
    python3 tests/scenarios/check.py --strict   # every language is required

Exit status: 0 when every required cell is there, 1 when one is missing, 2 when the scenario
list itself is invalid. Standard library only.
"""

from __future__ import annotations

import argparse
import json
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="require every language, not only Kotlin and Swift")
    parser.add_argument("--list", type=Path, default=HERE / "scenarios.json", help="the scenario list (JSON)")
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

    def has(lang: dict, sid: str) -> bool:
        return sid in found[lang["name"]]

    names = [lang["name"] for lang in languages]
    lines = [
        "| scenario | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for s in scenarios:
        cells = ["✓" if has(lang, s["id"]) else "✗" for lang in languages]
        lines.append(f"| `{s['id']}` | " + " | ".join(cells) + " |")
    totals = [f"{sum(has(lang, i) for i in ids)}/{len(ids)}" for lang in languages]
    lines.append("| **total** | " + " | ".join(totals) + " |")
    print("\n".join(lines))
    print()
    for lang in languages:
        required = args.strict or lang.get("required", False)
        print(f"- {lang['name']} (`{lang['dir']}`, {'required' if required else 'reported'}): {lang.get('ci', '')}")

    failures = []
    for lang in languages:
        if not (args.strict or lang.get("required", False)):
            continue
        missing = [i for i in ids if not has(lang, i)]
        if missing:
            failures.append(f"{lang['name']} lacks: {', '.join(missing)}")
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
            print(f"MISSING {f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
