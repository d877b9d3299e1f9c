"""A/B of two builds of ours on one streamed turn: which one reads SSE faster.

    python3 benchmarks/ab_sse.py --a OLD_VENV --b NEW_VENV [--runs 3] [--events 200000]
                                 [--server replay|emulator]

Each venv must have `poke` installed (a wheel, not an editable install: editable installs
share the one extension module of the source tree). One server serves both: by default the
minimal server replaying the turns recorded from an emulator started from `--a`'s venv (as
`run.py --scenarios sse` does), or that emulator itself (`--server emulator`, which caps
the fastest readers). The runs alternate A, B, A, B, ... each in a fresh process, and each prints
events/s, process CPU µs/event and the iterating thread's CPU µs/event, for the sync
(`Pokee`) and asyncio (`AsyncPokee`) readers. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from run import SSE_WARMUP_EVENTS, Server, record_turns

PROBE = r"""
import asyncio, sys, time
import poke

base, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
BENCH = f"bench events={n} pace_ms=0"

def report(k, t0, c0, th0):
    dt, cpu, th = time.perf_counter() - t0, time.process_time() - c0, time.thread_time() - th0
    print(f"{k / dt:.0f} {cpu * 1e6 / k:.3f} {th * 1e6 / k:.3f}")

if mode == "sync":
    session = poke.Pokee(api_key="k", base_url=base).sessions.create()

    def turn(message):
        k = 0
        for ev in session.send(message):
            ev.data
            k += 1
        return k

    turn("warm up events=2000 pace_ms=0")
    t0, c0, th0 = time.perf_counter(), time.process_time(), time.thread_time()
    report(turn(BENCH), t0, c0, th0)
else:
    async def main():
        session = await poke.AsyncPokee(api_key="k", base_url=base).sessions.create()

        async def turn(message):
            k = 0
            async for ev in await session.send(message):
                ev.data
                k += 1
            return k

        await turn("warm up events=2000 pace_ms=0")
        t0, c0, th0 = time.perf_counter(), time.process_time(), time.thread_time()
        report(await turn(BENCH), t0, c0, th0)

    asyncio.run(main())
"""


def python_of(venv: str) -> str:
    return str(Path(venv) / "bin" / "python")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--a", required=True, help="venv of build A (the emulator runs from it)")
    p.add_argument("--b", required=True, help="venv of build B")
    p.add_argument("--runs", type=int, default=3, help="runs of each build per mode")
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--server", choices=["replay", "emulator"], default="replay")
    args = p.parse_args()

    recorded = Path(tempfile.mkdtemp(prefix="poke-ab-sse-"))
    server = Server("emulator", Path(python_of(args.a)))
    try:
        if args.server == "replay":
            record_turns(server, [SSE_WARMUP_EVENTS, args.events], recorded)
            server.stop()
            server = Server("minimal", Path(python_of(args.a)), sse_replay=recorded)
        base = server.url
        for mode in ("sync", "async"):
            results: dict[str, list[list[float]]] = {"A": [], "B": []}
            for i in range(args.runs):
                for name, venv in (("A", args.a), ("B", args.b)):
                    out = subprocess.run(
                        [python_of(venv), "-c", PROBE, base, str(args.events), mode],
                        capture_output=True,
                        text=True,
                        check=True,
                        timeout=600,
                    ).stdout.split()
                    row = [float(x) for x in out]
                    results[name].append(row)
                    print(
                        f"{mode:5} run {i + 1} {name}: {row[0]:>11,.0f} events/s, "
                        f"CPU {row[1]:.2f} µs/event (iterating thread {row[2]:.2f})",
                        file=sys.stderr,
                    )
            med = {
                k: [statistics.median(r[j] for r in v) for j in range(3)]
                for k, v in results.items()
            }
            print(
                f"{mode}: A {med['A'][0]:,.0f} events/s ({med['A'][1]:.2f} µs CPU), "
                f"B {med['B'][0]:,.0f} ({med['B'][1]:.2f}), B/A {med['B'][0] / med['A'][0]:.2f}x"
            )
    finally:
        server.stop()
        shutil.rmtree(recorded, ignore_errors=True)


if __name__ == "__main__":
    main()
