"""Soak: many calls, cut-and-resumed turns and file round trips against one emulator, in
Python and in Rust, sampling the client's RSS, open descriptors and threads as it goes
(issue 20). Not part of CI: it takes minutes.

    python3 benchmarks/soak.py                       # 100,000 calls, 2,000 turns, 500 files
    python3 benchmarks/soak.py --calls 1000 --turns 50 --files 10   # a quick look

Each client runs in its own process (Python: this file with ``--worker``, using the SDK in
``.venv``; Rust: ``cargo run --release --example soak``); the emulator runs in another
(``poke-emulator``), so the figures are the client's own. Every ``--every`` seconds the
parent reads ``/proc/<pid>/status`` (VmRSS, Threads) and counts ``/proc/<pid>/fd``.
Results: ``benchmarks/results/soak-<time>.json`` (samples, phases, counts) and a plot
``benchmarks/soak.png``. Flatness is judged after warm-up (the first phase's first 10 %):
the RSS growth from the end of warm-up to the end, and the spread of fds and threads.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVENTS = 50
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")


def control(base: str, method: str, path: str, body: dict | None = None) -> None:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as reply:
        reply.read()


def worker(args: argparse.Namespace) -> None:
    """The Python client's workload; prints phases to stderr and counts as JSON to stdout."""
    import poke

    base = args.emulator.rstrip("/")
    client = poke.Poke(api_key="pk_soak", base_url=base + "/api/v1")
    pokee = poke.Pokee(api_key="pk_soak", base_url=base)
    control(base, "POST", "/_emulator/sessions/config", {"pace_ms": 0})
    started = time.monotonic()

    def phase(name: str) -> None:
        print(f"phase {name} {time.monotonic() - started:.1f}", file=sys.stderr, flush=True)

    phase("calls")
    for i in range(args.calls):
        client.send_message(f"soak {i}")

    phase("turns")
    session = pokee.sessions.create(persistent=True)
    rng = random.Random(20)
    expected = got = lost = resumes = 0
    want = [str(i) for i in range(EVENTS)]
    for k in range(args.turns):
        cut = rng.randrange(1, EVENTS)
        control(
            base,
            "POST",
            "/_emulator/faults",
            {
                "path": "/v1/sessions/*/messages",
                "drop_after_events": cut,
                "drop_mid_event": rng.random() < 0.5,
            },
        )
        resumes += 1
        if rng.randrange(4) == 0:
            again = rng.randrange(1, EVENTS)
            control(
                base,
                "POST",
                "/_emulator/faults",
                {"path": "/v1/sessions/*/responses/*/events", "drop_after_events": again},
            )
            resumes += 1
        ids = [ev.id for ev in session.send(f"turn {k} events={EVENTS} pace_ms=0")]
        expected += EVENTS
        got += len(ids)
        if ids != want:
            lost += len(set(want) - set(ids))
            print(f"turn {k}: ids {ids}", file=sys.stderr)
        control(base, "DELETE", "/_emulator/faults")

    phase("files")
    mismatched = 0
    for i in range(args.files):
        data = rng.randbytes(rng.randrange(1, 2 * 1024 * 1024))
        path = f"inputs/soak-{i % 16}.bin"
        session.files.upload(path, data)
        if session.files.read(path) != data:
            mismatched += 1
    session.delete()
    phase("done")
    print(
        json.dumps(
            {
                "calls": args.calls,
                "turns": args.turns,
                "events_expected": expected,
                "events_got": got,
                "events_lost": lost,
                "resume_faults": resumes,
                "files": args.files,
                "files_mismatched": mismatched,
            }
        )
    )


def sample(pid: int) -> tuple[float, int, int]:
    """RSS (MiB), open descriptors and threads of `pid`."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    rss = int(fields["VmRSS"].split()[0]) / 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd")), int(fields["Threads"])


def run_client(name: str, command: list[str], every: float) -> dict:
    print(f"soak: {name}: {' '.join(command)}", file=sys.stderr, flush=True)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    samples: list[list[float]] = []
    phases: list[tuple[str, float]] = []
    errors: list[str] = []

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("phase "):
                _, phase, _ = line.split()
                phases.append((phase, time.monotonic() - started))
                print(
                    f"soak: {name}: {phase} at {phases[-1][1]:.0f} s", file=sys.stderr, flush=True
                )
            else:
                errors.append(line.rstrip())

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    while proc.poll() is None:
        try:
            rss, fds, threads = sample(proc.pid)
        except (FileNotFoundError, ProcessLookupError, KeyError):
            break
        samples.append([time.monotonic() - started, rss, fds, threads])
        time.sleep(every)
    out = proc.stdout.read() if proc.stdout else ""
    proc.wait()
    reader.join(timeout=5)
    counts = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
    if proc.returncode != 0 or counts is None:
        sys.exit(f"soak: {name} failed ({proc.returncode}): {chr(10).join(errors[-20:])}")
    return {"samples": samples, "phases": phases, "counts": counts, "stderr": errors[-50:]}


def flatness(run: dict) -> dict:
    """Growth after warm-up: the first 10 % of the first phase is warm-up."""
    samples = run["samples"]
    start = run["phases"][0][1] if run["phases"] else 0.0
    end_calls = run["phases"][1][1] if len(run["phases"]) > 1 else samples[-1][0]
    warm = start + 0.1 * (end_calls - start)
    after = [s for s in samples if s[0] >= warm] or samples
    rss = [s[1] for s in after]
    return {
        "warmup_s": round(warm, 1),
        "rss_after_warmup_mib": round(rss[0], 1),
        "rss_end_mib": round(rss[-1], 1),
        "rss_max_mib": round(max(rss), 1),
        "rss_growth_mib": round(rss[-1] - rss[0], 1),
        "rss_max_growth_mib": round(max(rss) - rss[0], 1),
        "fds_range": [min(s[2] for s in after), max(s[2] for s in after)],
        "threads_range": [min(s[3] for s in after), max(s[3] for s in after)],
    }


def plot(results: dict, dest: pathlib.Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("soak: matplotlib missing (pip install matplotlib): no plot", file=sys.stderr)
        return False
    fig, axes = plt.subplots(3, 1, figsize=(8, 7), sharex=True)
    for name, run in results["clients"].items():
        t = [s[0] for s in run["samples"]]
        for ax, column, label in zip(axes, (1, 2, 3), ("RSS (MiB)", "open fds", "threads")):
            ax.plot(t, [s[column] for s in run["samples"]], label=name)
            ax.set_ylabel(label)
        for phase, at in run["phases"]:
            axes[0].axvline(at, color="grey", linewidth=0.5)
            axes[0].annotate(
                f"{name}:{phase}", (at, axes[0].get_ylim()[1]), fontsize=6, rotation=90, va="top"
            )
    axes[0].legend()
    axes[-1].set_xlabel("seconds")
    c = results["config"]
    fig.suptitle(
        f"soak: {c['calls']} send_message, {c['turns']} cut+resumed turns, {c['files']} file round trips"
    )
    fig.tight_layout()
    fig.savefig(dest, dpi=80)
    return True


def emulator_binary() -> str:
    for profile in ("release", "debug"):
        path = TARGET / profile / "poke-emulator"
        if path.exists():
            return str(path)
    subprocess.run(
        ["cargo", "build", "--release", "-p", "poke-sdk-emulator", "--bin", "poke-emulator"],
        cwd=ROOT,
        check=True,
    )
    return str(TARGET / "release" / "poke-emulator")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=2_000)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between samples")
    parser.add_argument("--clients", default="python,rust")
    parser.add_argument("--plot", default=str(ROOT / "benchmarks" / "soak.png"))
    parser.add_argument("--profile", default="release", help="cargo profile of the Rust client")
    parser.add_argument(
        "--python",
        default=str(ROOT / ".venv" / "bin" / "python"),
        help="interpreter of the Python client (default .venv's: measure a release build)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--emulator", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    counts = ["--calls", str(args.calls), "--turns", str(args.turns), "--files", str(args.files)]
    results: dict = {"config": vars(args), "clients": {}}
    for name in args.clients.split(","):
        # A fresh emulator per client, so neither inherits the other's journal and sessions.
        emu = subprocess.Popen(
            [emulator_binary(), "--port", "0", "--exit-on-stdin-close"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert emu.stdout is not None
        base = emu.stdout.readline().strip().removeprefix("poke emulator listening on ")
        # Thousands of turns in minutes: past the default hourly turn and token limits (429)
        # and a credit balance (402), which are not what a soak measures.
        limits = {k: 10**12 for k in ("hour_max_turns", "hour_max_tokens", "day_max_turns")}
        limits.update(day_max_tokens=10**12, credits_enabled=False)
        control(base.rstrip("/"), "POST", "/_emulator/sessions/config", limits)
        try:
            if name == "python":
                command = [args.python, __file__, "--worker", "--emulator", base, *counts]
            else:
                subprocess.run(
                    [
                        *("cargo", "build", "-q", "--profile", args.profile, "-p", "poke-sdk"),
                        *("--example", "soak"),
                    ],
                    cwd=ROOT,
                    check=True,
                )
                out_dir = "debug" if args.profile == "dev" else args.profile
                binary = TARGET / out_dir / "examples" / "soak"
                command = [str(binary), "--emulator", base, *counts]
            run = run_client(name, command, args.every)
        finally:
            emu.kill()
            emu.wait()
        run["flatness"] = flatness(run)
        results["clients"][name] = run
        print(f"soak: {name}: {json.dumps(run['counts'])}", file=sys.stderr)
        print(f"soak: {name}: {json.dumps(run['flatness'])}", file=sys.stderr)

    out = ROOT / "benchmarks" / "results" / f"soak-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    png = pathlib.Path(args.plot)
    plotted = plot(results, png)
    print(f"soak: results in {out}" + (f", plot {png}" if plotted else ""), file=sys.stderr)
    print(
        json.dumps(
            {n: {**r["counts"], **r["flatness"]} for n, r in results["clients"].items()}, indent=1
        )
    )


if __name__ == "__main__":
    main()
