"""Where the time goes: one benchmark row of ours run under ``perf``, every thread of the
client process, as a flame graph and a text summary (issue 22's rows not at their target).

    python3 benchmarks/profile.py --ours-venv V                 # every row below
    python3 benchmarks/profile.py --ours-venv V --rows async-seq,sse

Rows: ``seq`` (``Poke.send_message`` in a loop), ``async-seq`` (``AsyncPoke``, awaited one
at a time), ``async-conc`` (32 tasks), ``sse`` and ``sse-async`` (one turn of 200,000 events,
``ev.data`` read), ``download`` (256 MiB to a file) and ``iter`` (``files.iter_bytes``). The
server is the one ``run.py`` uses for the row (the minimal server for calls; for the turn, the
minimal server replaying the emulator's recorded bytes; the emulator for downloads), in a
process of its own, so the profile is the client's alone.

Needs ``perf`` (Debian's linux-perf; software clock sampling is enough) and ``inferno``
(``cargo install inferno``) for the SVGs. Rust code of a release wheel has no frame pointers,
so stacks are unwound from DWARF (``--call-graph dwarf``), which perf records at a sampling
rate low enough to keep the overhead small; the rates perf slows the row to are not figures
to quote (``run.py`` is), only the shares are. Output: ``benchmarks/profiles/<row>.svg``
and ``<row>.txt`` (CPU share by thread, by library, and the hottest functions).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run as bench  # noqa: E402 - the benchmark's own servers and setup, not a copy

OUT = HERE / "profiles"
ROWS = {
    # row: (worker client, worker scenario, server kind); the stream and download rows run a
    # driver of their own (DRIVERS), the same calls as the worker's, repeated for the length
    # of the profile (the worker's single turn or download lasts a fraction of a second).
    "seq": ("ours", "seq", "minimal"),
    "async-seq": ("ours-async", "seq", "minimal"),
    "async-conc": ("ours-async", "conc", "minimal"),
    "sse": ("ours", "sse", "replay"),
    "sse-async": ("ours-async", "sse", "replay"),
    "download": ("ours", "download", "emulator"),
    "iter": ("ours-iter", "download", "emulator"),
}

# argv: base URL, seconds, session id (downloads), work dir (downloads).
DRIVERS = {
    "sse": """
import sys, time
from poke import Pokee
base, seconds = sys.argv[1], float(sys.argv[2])
session = Pokee(api_key="bench-key", base_url=base).sessions.create()
def turn(message):
    for ev in session.send(message):
        ev.data
turn("warm up events=2000 pace_ms=0")
end = time.monotonic() + 1 + seconds
while time.monotonic() < end:
    turn("bench events=200000 pace_ms=0")
""",
    "sse-async": """
import asyncio, sys, time
from poke import AsyncPokee
base, seconds = sys.argv[1], float(sys.argv[2])
async def main():
    session = await AsyncPokee(api_key="bench-key", base_url=base).sessions.create()
    async def turn(message):
        async for ev in await session.send(message):
            ev.data
    await turn("warm up events=2000 pace_ms=0")
    end = time.monotonic() + 1 + seconds
    while time.monotonic() < end:
        await turn("bench events=200000 pace_ms=0")
asyncio.run(main())
""",
    "download": """
import os, sys, time
from poke import Pokee
base, seconds, sid, work = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
files = Pokee(api_key="bench-key", base_url=base).sessions.get(sid).files
dest = os.path.join(work, "profile-download.bin")
end = time.monotonic() + 1 + seconds
while time.monotonic() < end:
    files.download("input/big.bin", dest)
os.unlink(dest)
""",
    "iter": """
import sys, time
from poke import Pokee
base, seconds, sid = sys.argv[1], float(sys.argv[2]), sys.argv[3]
files = Pokee(api_key="bench-key", base_url=base).sessions.get(sid).files
end = time.monotonic() + 1 + seconds
while time.monotonic() < end:
    with files.iter_bytes("input/big.bin") as stream:
        n = sum(len(chunk) for chunk in stream)
""",
}


def perf_record(cmd: list[str], data: Path, delay_ms: int, freq: int) -> None:
    delay = ["-D", str(delay_ms)] if delay_ms else []
    subprocess.run(
        ["perf", "record", "-q", "-e", "cpu-clock", "-F", str(freq), "--call-graph",
         "dwarf,16384", *delay, "-o", str(data), "--", *cmd],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def summarize(data: Path, row: str) -> str:
    """CPU share by thread name, by library, and the 25 hottest functions (self time)."""
    script = subprocess.run(
        ["perf", "script", "-i", str(data), "-F", "comm,tid,ip,sym,dso"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    by_thread: collections.Counter = collections.Counter()
    by_dso: collections.Counter = collections.Counter()
    by_sym: collections.Counter = collections.Counter()
    total = 0
    sample: list[str] = []

    def flush() -> None:
        nonlocal total
        if not sample:
            return
        head, top = sample[0], sample[1] if len(sample) > 1 else ""
        comm = head.split()[0]
        parts = top.split(None, 1)
        sym, dso = "?", "?"
        if len(parts) == 2:
            rest = parts[1]
            if "(" in rest:
                sym, _, dso = rest.rpartition("(")
                dso = Path(dso.rstrip(")")).name
            sym = sym.strip()
        by_thread[comm] += 1
        by_dso[f"{comm}: {dso}"] += 1
        by_sym[f"{sym} [{dso}]"] += 1
        total += 1
        sample.clear()

    for line in script.splitlines():
        if not line.strip():
            flush()
        else:
            sample.append(line.strip())
    flush()
    lines = [f"# {row}: {total} samples (cpu-clock)", "", "## by thread"]
    lines += [f"{n / total:6.1%}  {k}" for k, n in by_thread.most_common()]
    lines += ["", "## by thread and library"]
    lines += [f"{n / total:6.1%}  {k}" for k, n in by_dso.most_common(15)]
    lines += ["", "## hottest functions (self)"]
    lines += [f"{n / total:6.1%}  {k}" for k, n in by_sym.most_common(25)]
    return "\n".join(lines) + "\n"


def flamegraph(data: Path, svg: Path, title: str) -> bool:
    if not (shutil.which("inferno-collapse-perf") and shutil.which("inferno-flamegraph")):
        bench.log("inferno not found (cargo install inferno): no SVG")
        return False
    script = subprocess.run(["perf", "script", "-i", str(data)], capture_output=True, check=True)
    folded = subprocess.run(["inferno-collapse-perf", "--all"], input=script.stdout,
                            capture_output=True, check=True)  # fmt: skip
    with open(svg, "wb") as f:
        subprocess.run(["inferno-flamegraph", "--title", title, "--minwidth", "0.2"],
                       input=folded.stdout, stdout=f, check=True)  # fmt: skip
    return True


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--ours-venv", type=Path, default=bench.ROOT / ".venv")
    p.add_argument("--rows", default=",".join(ROWS))
    p.add_argument("--seconds", type=float, default=4.0, help="length of each row (after a second of warm-up)")
    p.add_argument("--freq", type=int, default=499, help="samples per second and CPU")
    args = p.parse_args()
    if not shutil.which("perf"):
        raise SystemExit("perf not found (apt-get install -y linux-perf)")
    py = bench.venv_python(args.ours_venv)
    OUT.mkdir(parents=True, exist_ok=True)
    rows = [r for r in args.rows.split(",") if r]
    for r in rows:
        if r not in ROWS:
            raise SystemExit(f"unknown row {r!r}: {', '.join(ROWS)}")
    with tempfile.TemporaryDirectory() as tmp:
        for row in rows:
            client, scenario, kind = ROWS[row]
            if kind == "replay":
                emulator = bench.Server("emulator", py)
                try:
                    bench.record_turns(emulator, [bench.SSE_WARMUP_EVENTS, 200_000], Path(tmp))
                finally:
                    emulator.stop()
                server = bench.Server("minimal", py, sse_replay=Path(tmp))
            else:
                server = bench.Server(kind, py)
            try:
                session = ""
                if scenario == "download":
                    ns = argparse.Namespace(ours_pythonpath=None)
                    bench.setup_download(server, py, ns, tmp)
                    session = ns.download_session
                if row in DRIVERS:
                    cmd = [str(py), "-c", DRIVERS[row], server.url, str(args.seconds), session, tmp]
                else:
                    cmd = [str(py), str(bench.WORKER), client, scenario, "--url", server.api,
                           "--warmup", "0.5", "--duration", str(args.seconds)]  # fmt: skip
                data = Path(tmp) / f"{row}.perf.data"
                bench.log(f"profiling {row} ({client} {scenario}) …")
                started = time.monotonic()
                # Skips the import, the set-up and the warm-up (the drivers' first second).
                perf_record(cmd, data, 1000, args.freq)
                bench.log(f"  {time.monotonic() - started:.1f} s")
                text = summarize(data, row)
                (OUT / f"{row}.txt").write_text(text)
                if flamegraph(data, OUT / f"{row}.svg", f"{row}: {client} {scenario}"):
                    bench.log(f"  {OUT / row}.svg")
                print(text)
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
