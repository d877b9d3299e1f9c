"""Every language's overhead over the core (issue 22, item 6): sequential ``send_message``
from each SDK against the same minimal server, in the same run, as a new user of each would
call it. Rounds take turns (a fresh process per client and round), medians.

    python3 benchmarks/langs.py --ours-venv V            # Python, Rust, Kotlin (if built)
    python3 benchmarks/langs.py --ours-venv V --rounds 3

Rows: Python ``Poke`` (and the official 0.2.1 package, for scale); Rust ``poke::Client``
awaited in a multi-thread ``#[tokio::main]``, the same in a current-thread runtime (the core
with nothing around it: the reference), and ``poke::blocking::Client`` (``core/examples/
bench_worker.rs``, built with ``cargo build --release``); Kotlin ``sendMessage`` (suspend, in
``runBlocking``), ``sendMessageBlocking`` and OkHttp doing the same request, in one JVM per
round (``benchmarks/kotlin/run.sh --url``, after ``mvn package`` in ``bindings/kotlin``; the
rows are skipped when the jars are missing); Swift ``sendMessage`` awaited in an app built in
release (``benchmarks/swift``, run by ``scripts/swift-chroot.sh run`` in the Debian chroot that
CI makes, or with ``swift`` on PATH; skipped when neither is there).

Writes ``benchmarks/results/langs-<time>.json`` and prints a markdown table: calls/s, process
CPU µs per call, and the ratio to the core's reference row. ``wrk`` with one connection gives
the server's own ceiling when it is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run as bench  # noqa: E402 - the benchmark's own server and venvs, not a copy

REFERENCE = "Rust `poke::Client`, current-thread runtime"
KOTLIN_JAR = bench.ROOT / "bindings" / "kotlin" / "poke" / "target"


def rust_worker() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", bench.ROOT / "target"))
    bench.log("building core/examples/bench_worker.rs (cargo build --release) …")
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "poke-sdk", "--features", "blocking",
         "--example", "bench_worker"],
        check=True, cwd=bench.ROOT,
    )  # fmt: skip
    return target / "release" / "examples" / "bench_worker"


def native_libs() -> Path | None:
    """The release libraries the Swift package links (built here), or None without Swift."""
    chroot = bench.ROOT / "scripts" / "swift-chroot.sh"
    version = subprocess.run(["bash", str(chroot), "version"], capture_output=True, check=False)
    has_chroot = version.returncode == 0
    if not (shutil.which("swift") or has_chroot):
        bench.log("Swift: no swift on PATH and no chroot (scripts/swift-chroot.sh setup): no row")
        return None
    bench.log(
        "building the native libraries (cargo build --release -p poke-ffi -p poke-ffi-testing) …"
    )
    subprocess.run(
        ["cargo", "build", "--release", "-q", "--no-default-features", "-p", "poke-ffi",
         "-p", "poke-ffi-testing"],
        check=True, cwd=bench.ROOT,
    )  # fmt: skip
    return Path(os.environ.get("CARGO_TARGET_DIR", bench.ROOT / "target")) / "release"


def swift_command(libs: Path, timing: list[str], api: str) -> list[str]:
    app = HERE / "swift"
    if shutil.which("swift"):
        flags = ["-Xlinker", f"-L{libs}", "-Xlinker", "-rpath", "-Xlinker", str(libs)]
        build = ["swift", "build", "-c", "release", "--package-path", str(app), *flags]
        subprocess.run(build, check=True, capture_output=True)
        return [str(app / ".build" / "release" / "PokeBench"), "--url", api, *timing]
    chroot = bench.ROOT / "scripts" / "swift-chroot.sh"
    return ["bash", str(chroot), "run", str(libs), str(app), "PokeBench", "--url", api, *timing]


def runs(args, py: Path, official: Path, rust: Path, api: str) -> list[tuple[str, list[str]]]:
    """(label, command) of each process of a round; a Kotlin process prints several rows."""
    timing = ["--warmup", str(args.warmup), "--duration", str(args.duration)]
    worker = str(bench.WORKER)
    out = [
        ("Python `Poke`", [str(py), worker, "ours", "seq", "--url", api, *timing]),
        ("Python official 0.2.1", [str(official), worker, "official", "seq", "--url", api, *timing]),
        ("Rust `poke::Client`, `#[tokio::main]`", [str(rust), "--url", api, "--mode", "async", *timing]),
        (REFERENCE, [str(rust), "--url", api, "--mode", "current-thread", *timing]),
        ("Rust `poke::blocking::Client`", [str(rust), "--url", api, "--mode", "blocking", *timing]),
    ]  # fmt: skip
    if any(KOTLIN_JAR.glob("poke-*.jar")) and shutil.which("mvn") and shutil.which("java"):
        script = HERE / "kotlin" / "run.sh"
        # The JVM compiles as it goes: a longer warm-up than the native clients'.
        kotlin_timing = ["--warmup", str(max(args.warmup, 3.0)), "--duration", str(args.duration)]
        out.append(("kotlin", ["bash", str(script), "--url", api, *kotlin_timing]))
    else:
        bench.log("Kotlin: no jars in bindings/kotlin/poke/target (mvn package there): no rows")
    libs = native_libs()
    if libs is not None:
        out.append(("Swift `PokeClient.sendMessage` (async)", swift_command(libs, timing, api)))
    return out


def parse(label: str, stdout: str) -> dict[str, dict]:
    rows = {}
    for line in map(str.strip, stdout.splitlines()):
        if not line.startswith("{"):
            continue
        d = json.loads(line)
        name = f"Kotlin {d['client']}" if label == "kotlin" else label
        rows[name] = d
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--ours-venv", type=Path, default=bench.ROOT / ".venv")
    p.add_argument("--official-venv", type=Path, default=bench.ROOT / ".venv-official")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--duration", type=float, default=2.0)
    args = p.parse_args()
    py = bench.venv_python(args.ours_venv)
    official = bench.ensure_venv(args.official_venv, ["poke==0.2.1"])
    rust = rust_worker()
    server = bench.Server("minimal", py)
    raw: list[dict] = []
    try:
        ceiling = bench.wrk_ceiling(server, 3, False)[:1] if shutil.which("wrk") else []
        plan = runs(args, py, official, rust, server.api)
        for r in range(args.rounds):
            random.Random(r).shuffle(plan)
            for label, cmd in plan:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
                if done.returncode != 0:
                    raise SystemExit(f"{label} failed:\n{done.stdout[-1000:]}{done.stderr[-2000:]}")
                for name, d in parse(label, done.stdout).items():
                    raw.append({"round": r, "client": name, "result": d})
                    bench.log(f"round {r + 1}/{args.rounds} {name:45} {d['per_s']:>9,.0f} /s")
    finally:
        server.stop()
    rows: dict[str, dict] = {}
    for item in raw:
        rows.setdefault(item["client"], []).append(item["result"])
    med = {
        name: {k: statistics.median(x[k] for x in rs) for k in ("per_s", "cpu_us_per_call")}
        for name, rs in rows.items()
    }
    ref = med.get(REFERENCE, {}).get("per_s")
    lines = [
        f"Sequential `send_message` against the minimal server, {args.rounds} rounds of "
        f"{args.duration} s per client (a fresh process each), medians; "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f} at the end.",
        "",
        "| client | calls/s | process CPU µs/call | ÷ the core (Rust, current-thread) |",
        "|---|---:|---:|---:|",
    ]
    for name, m in sorted(med.items(), key=lambda kv: -kv[1]["per_s"]):
        ratio = f"{m['per_s'] / ref:.2f}x" if ref else "-"
        lines.append(f"| {name} | {m['per_s']:,.0f} | {m['cpu_us_per_call']:.1f} | {ratio} |")
    if not any(name.startswith("Swift") for name in med):
        lines.append("| Swift | not run | | no Swift toolchain (see `native_libs`) |")
    if ceiling:
        lines += [
            "",
            f"Server ceiling (`wrk`, 1 connection): {ceiling[0]['per_s']:,.0f} requests/s.",
        ]
    table = "\n".join(lines)
    out = HERE / "results" / f"langs-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"raw": raw, "medians": med, "ceiling": ceiling, "table": table},
                              indent=1))  # fmt: skip
    print(table)
    bench.log(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
