#!/usr/bin/env python3
"""Benchmarks of ours vs official poke 0.2.1, httpx, requests and aiohttp: ``python benchmarks/run.py``.

Starts a loopback server in its own process (the minimal hyper server of benchmarks/server, or
the bundled emulator with ``--server emulator``), measures its ceiling with ``wrk``, then runs
every (client, scenario) pair in a fresh process, interleaved over several rounds, and prints
medians and ratios as a markdown table; the raw results go to benchmarks/results/.

Standard library only; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKER = HERE / "worker.py"

ALL_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
# Sequential runs put the client and the server on this CPU (see --pin-sequential).
PIN_CPU = ALL_CPUS[-1] if len(ALL_CPUS) > 1 else None

SEQ_CLIENTS = ["ours", "ours-async", "official", "httpx", "httpx-async", "requests", "aiohttp"]
CONC_CLIENTS = SEQ_CLIENTS
WEBHOOK_CLIENTS = ["ours", "official"]
IMPORT_CLIENTS = ["ours", "official"]
CONSTRUCT_CLIENTS = ["ours", "official"]
ASYNC_CLIENTS = {"ours-async", "httpx-async", "aiohttp"}
PEER_PACKAGES = ["httpx", "requests", "aiohttp", "httpx-sse"]
# Against the emulator's sessions API (see --scenarios): a streamed turn, a file download, and
# sequential send_message over HTTPS. "curl" in sse is the SSE server's own ceiling.
SSE_CLIENTS = [
    "ours",
    "ours-async",
    "ours-responses",
    "ours-responses-async",
    "httpx",
    "httpx-async",
    "requests",
    "curl",
]
# Rows of ours that stream a stateless response (E19) instead of a session turn: beside the
# turn rows, not compared with the peers.
STATELESS_CLIENTS = ("ours-responses", "ours-responses-async")
# The sse worker's warm-up turn (benchmarks/worker.py, `run_sse`).
SSE_WARMUP_EVENTS = 2_000
# Downloads written to a file, and downloads whose bytes are processed in memory (counted).
DOWNLOAD_FILE_CLIENTS = ["ours", "ours-fileobj", "httpx", "requests"]
DOWNLOAD_MEMORY_CLIENTS = [
    "ours-iter",
    "ours-iter-async",
    "httpx-iter",
    "httpx-iter-async",
    "requests-iter",
]
DOWNLOAD_CLIENTS = DOWNLOAD_FILE_CLIENTS + DOWNLOAD_MEMORY_CLIENTS
OURS_DOWNLOAD_CLIENTS = ("ours-fileobj", "ours-iter", "ours-iter-async")
HTTPS_CLIENTS = SEQ_CLIENTS
# `--https-trust bundle` (default): every https client trusts this trust store (certifi's where it
# is missing) + the emulator's CA, as a real user's SSL_CERT_FILE names the whole trust store;
# "official-ca" is official 0.2.1 with the CA file alone (one certificate), an informative row.
SYSTEM_TRUST_STORE = Path("/etc/ssl/certs/ca-certificates.crt")
HTTPS_ROWS = [r for c in HTTPS_CLIENTS for r in ([c, "official-ca"] if c == "official" else [c])]
EXTRA_SCENARIOS = ("sse", "download", "https")
DOWNLOAD_BYTES = 256 << 20

LABELS = {
    "ours": "ours `Poke`",
    "ours-async": "ours `AsyncPoke`",
    "official": "official poke 0.2.1",
    "official-ca": "official poke 0.2.1, SSL_CERT_FILE = CA only",
    "httpx": "`httpx.Client`",
    "httpx-async": "`httpx.AsyncClient`",
    "requests": "`requests.Session`",
    "aiohttp": "`aiohttp.ClientSession`",
    "curl": "`curl -N` to /dev/null (the SSE server's ceiling)",
}
SSE_LABELS = {
    "ours": "ours `Pokee` `session.send()`",
    "ours-async": "ours `AsyncPokee`, `async for`",
    "ours-responses": "ours `Pokee` `responses.stream()` (stateless response, E19)",
    "ours-responses-async": "ours `AsyncPokee` `responses.stream()`, `async for` (stateless)",
    "httpx": "`httpx` + `httpx-sse` `connect_sse`",
    "httpx-async": "`httpx.AsyncClient` + `httpx-sse` `aconnect_sse`",
    "requests": "`requests` `iter_lines` + parsing",
}
DOWNLOAD_LABELS = {
    "ours": "ours `session.files.download()`",
    "ours-fileobj": "ours `session.files.download(path, f)`, `f` opened by the caller",
    "httpx": "`httpx` `iter_bytes()` to a file",
    "requests": "`requests` `iter_content(1 MiB)` to a file",
    "ours-iter": "ours `session.files.iter_bytes()`",
    "ours-iter-async": "ours `AsyncPokee` `iter_bytes()`, `async for`",
    "httpx-iter": "`httpx` `iter_bytes()`",
    "httpx-iter-async": "`httpx.AsyncClient` `aiter_bytes()`",
    "requests-iter": "`requests` `iter_content(1 MiB)`",
}


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


# --- interpreters


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv(venv: Path, packages: list[str]) -> Path:
    """Creates `venv` with `packages` from PyPI when it is missing (never upgrades it)."""
    py = venv_python(venv)
    if py.exists():
        return py
    log(f"creating {venv} with {' '.join(packages)} …")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages],
        check=True,
    )
    return py


def interpreters(args) -> dict[str, Path]:
    ours = Path(args.ours_venv)
    if not venv_python(ours).exists():
        raise SystemExit(f"{ours} not found: build ours first (bash scripts/setup.sh)")
    official = ensure_venv(Path(args.official_venv), ["poke==0.2.1"])
    peers = ensure_venv(Path(args.peers_venv), PEER_PACKAGES)
    if "sse" in args.scenarios.split(","):
        probe = subprocess.run(
            [str(peers), "-c", "import httpx_sse"], capture_output=True, check=False
        )
        if probe.returncode != 0:
            log(f"installing httpx-sse into {args.peers_venv} …")
            subprocess.run(
                [str(peers), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                 "httpx-sse"],
                check=True,
            )  # fmt: skip
    py = {"ours": venv_python(ours), "ours-async": venv_python(ours), "official": official,
          "official-ca": official}  # fmt: skip
    for c in (*STATELESS_CLIENTS, *OURS_DOWNLOAD_CLIENTS):
        py[c] = py["ours"]
    for c in ("httpx", "httpx-async", "requests", "aiohttp", "httpx-iter", "httpx-iter-async",
              "requests-iter"):  # fmt: skip
        py[c] = peers
    return py


def check_ours_build(py: Path, pythonpath) -> None:
    """Warns when ours is a debug build (`maturin develop` without `--release`)."""
    env = {**os.environ, "PYTHONPATH": pythonpath or ""}
    code = "import poke._poke as m; print(m.__file__)"
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, env=env, check=False)
    path = Path(r.stdout.strip()) if r.returncode == 0 else None
    if path and path.exists() and path.stat().st_size > 60 * 1024 * 1024:
        log(
            f"warning: {path} is {path.stat().st_size >> 20} MiB, probably a debug build; "
            "measure a release build (maturin develop --release)"
        )


def versions(py: dict[str, Path]) -> dict:
    code = (
        "import importlib.metadata as m, json, platform\n"
        "out = {'python': platform.python_version()}\n"
        "for p in ('poke', 'httpx', 'requests', 'aiohttp', 'httpx-sse'):\n"
        "    try: out[p] = m.version(p)\n"
        "    except Exception: pass\n"
        "print(json.dumps(out))\n"
    )
    out = {}
    for name, interp in {
        "ours": py["ours"],
        "official": py["official"],
        "peers": py["httpx"],
    }.items():
        r = subprocess.run([str(interp), "-c", code], capture_output=True, text=True, check=True)
        out[name] = json.loads(r.stdout)
    return out


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "loadavg_start": os.getloadavg(),
    }


# --- the server


class Server:
    def __init__(
        self, kind: str, ours_python: Path, pythonpath=None, tls_ca_file=None, sse_replay=None
    ):
        self.kind = kind
        self.ca_file = tls_ca_file
        env = dict(os.environ)
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        if kind == "minimal":
            cmd = [str(build_minimal_server())]
            if sse_replay:
                cmd += ["--sse-replay", str(sse_replay)]
            prefix = "listening on "
        else:
            cmd = [str(ours_python), "-m", "poke.emulator", "--port", "0"]
            if tls_ca_file:
                cmd += ["--tls", "--tls-ca-file", str(tls_ca_file)]
            prefix = "poke emulator listening on "
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
        line = self.proc.stdout.readline().strip() if self.proc.stdout else ""
        if not line.startswith(prefix):
            self.proc.kill()
            raise SystemExit(f"server did not start: {line!r}")
        self.url = line[len(prefix) :]
        self.api = self.url + "/api/v1"

    def pin(self, cpu) -> None:
        """Pins the server (every thread of it) to `cpu`, or lets it run anywhere (`None`)."""
        if not hasattr(os, "sched_setaffinity"):
            return
        cpus = {cpu} if cpu is not None else set(ALL_CPUS)
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{self.proc.pid}/task")]
        except OSError:
            tids = [self.proc.pid]
        for tid in tids:
            try:
                os.sched_setaffinity(tid, cpus)
            except OSError:  # a thread that just exited
                pass

    def control(self, path: str, body: bytes = b"") -> bytes:
        """POSTs to one of the emulator's /_emulator control routes."""
        ctx = ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file else None
        req = urllib.request.Request(
            self.url + path, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        return urllib.request.urlopen(req, timeout=30, context=ctx).read()

    def reset(self) -> None:
        """Empties the emulator's journal and stores between runs (bounded memory)."""
        if self.kind == "emulator":
            self.control("/_emulator/reset")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def build_minimal_server() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target-bench"))
    exe = target / "release" / "poke-bench-server"
    log("building benchmarks/server (cargo build --release) …")
    subprocess.run(
        [
            "cargo",
            "build",
            "--release",
            "-q",
            "--manifest-path",
            str(HERE / "server" / "Cargo.toml"),
        ],
        check=True,
        env={**os.environ, "CARGO_TARGET_DIR": str(target)},
    )
    return exe


def count_certs(path: Path) -> int:
    return path.read_text().count("-----BEGIN CERTIFICATE-----")


def https_trust(mode: str, ca: Path, peers_python: Path, tmpdir: str) -> dict:
    """The file the https clients trust: the emulator's CA alone (`ca-only`), or a bundle made
    now of the system trust store (certifi's where there is none) and the CA (`bundle`)."""
    out = {"mode": mode, "file": str(ca), "store": None, "certificates": count_certs(ca),
           "ca_file": str(ca), "ca_certificates": count_certs(ca)}  # fmt: skip
    if mode == "ca-only":
        return out
    store = SYSTEM_TRUST_STORE
    if not store.is_file():
        code = "import certifi; print(certifi.where())"
        r = subprocess.run([str(peers_python), "-c", code], capture_output=True, text=True,
                           check=True)  # fmt: skip
        store = Path(r.stdout.strip())
    text = store.read_text()
    bundle = Path(tmpdir) / "trust-bundle.pem"
    bundle.write_text(text + ("" if text.endswith("\n") else "\n") + ca.read_text())
    return {**out, "file": str(bundle), "store": str(store), "certificates": count_certs(bundle)}


WRK_LUA = """wrk.method = "POST"
wrk.body = '{"message": "Summarize my unread emails from today and tell me which ones need a reply"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-key"
"""


def wrk_ceiling(server: Server, seconds: int, pin_sequential: bool) -> list[dict]:
    wrk = shutil.which("wrk")
    if not wrk:
        log("wrk not found (apt-get install -y wrk): server ceiling not measured")
        return []
    out = []
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_LUA)
    try:
        for threads, conns in ((1, 1), (1, 32), (2, 32)):
            pinned = pin_sequential and conns == 1 and PIN_CPU is not None
            server.pin(PIN_CPU if pinned else None)
            taskset = ["taskset", "-c", str(PIN_CPU)] if pinned and shutil.which("taskset") else []
            r = subprocess.run(
                [*taskset, wrk, f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency",
                 "-s", f.name, server.api + "/inbound/api-message"],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            rps = next(
                float(line.split()[1])
                for line in r.stdout.splitlines()
                if line.startswith("Requests/sec:")
            )
            p50 = next(
                (
                    line.split()[1]
                    for line in r.stdout.splitlines()
                    if line.strip().startswith("50%")
                ),
                None,
            )
            out.append(
                {
                    "threads": threads,
                    "connections": conns,
                    "per_s": rps,
                    "p50": p50,
                    "pinned": bool(taskset),
                }
            )
            server.reset()
    finally:
        os.unlink(f.name)
    return out


def record_turns(server: Server, events: list[int], outdir: Path) -> None:
    """Records the emulator's turns of `events` events, as the sse worker asks for them
    (`bench events=N pace_ms=0`, `warm up events=2000 pace_ms=0`), to `outdir/N.sse`."""
    outdir.mkdir(parents=True, exist_ok=True)
    headers = {"Authorization": "Bearer bench-key", "Content-Type": "application/json"}

    def post(path: str, body: dict):
        req = urllib.request.Request(
            server.url + path, data=json.dumps(body).encode(), method="POST", headers=headers
        )
        return urllib.request.urlopen(req, timeout=300)

    sid = json.loads(post("/v1/sessions", {}).read())["id"]
    for n in events:
        verb = "warm up" if n == SSE_WARMUP_EVENTS else "bench"
        text = f"{verb} events={n} pace_ms=0"
        # Streamed to the file: this process's peak RSS is inherited by every worker's
        # `ru_maxrss`, so it stays small. The stateless response of the same size goes to
        # `resp-N.sse`.
        for path, body, name in (
            (f"/v1/sessions/{sid}/messages", {"message": text}, f"{n}.sse"),
            ("/v1/responses", {"input": text, "stream": True}, f"resp-{n}.sse"),
        ):
            with post(path, body) as r, open(outdir / name, "wb") as f:
                shutil.copyfileobj(r, f, 1 << 20)


# --- runs


def curl_sse(server: Server, events: int) -> dict:
    """The SSE server's own ceiling: the same turn read by `curl -N` into /dev/null."""
    hdr = ["-H", "Authorization: Bearer bench-key", "-H", "Content-Type: application/json"]
    r = subprocess.run(["curl", "-sf", "-X", "POST", *hdr, "-d", "{}", server.url + "/v1/sessions"],
                       capture_output=True, text=True, check=True)  # fmt: skip
    url = f"{server.url}/v1/sessions/{json.loads(r.stdout)['id']}/messages"
    body = json.dumps({"message": f"bench events={events} pace_ms=0"})
    r = subprocess.run(["curl", "-sfN", "-X", "POST", *hdr, "-d", body, "-o", "/dev/null",
                        "-w", "%{time_total} %{size_download}", url],
                       capture_output=True, text=True, check=True, timeout=300)  # fmt: skip
    seconds, size = r.stdout.split()
    return {"events": events, "seconds": float(seconds), "per_s": events / float(seconds),
            "bytes": int(size)}  # fmt: skip


def setup_download(server: Server, ours_python: Path, args, tmpdir: str) -> None:
    """Raises the emulator's upload limit, then uploads a 256 MiB file with ours, once."""
    server.control(
        "/_emulator/sessions/config", json.dumps({"upload_limit_bytes": 300_000_000}).encode()
    )
    src = Path(tmpdir) / "big.bin"
    with open(src, "wb") as f:
        block = os.urandom(1 << 20)
        for _ in range(DOWNLOAD_BYTES >> 20):
            f.write(block)
    code = (
        "import sys\nfrom poke import Pokee\n"
        "s = Pokee(api_key='bench-key', base_url=sys.argv[1]).sessions.create(persistent=True)\n"
        "s.files.upload('input/big.bin', sys.argv[2])\nprint(s.id)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("POKE_")}
    if args.ours_pythonpath:
        env["PYTHONPATH"] = args.ours_pythonpath
    log("uploading the 256 MiB file for download …")
    r = subprocess.run([str(ours_python), "-c", code, server.url, str(src)],
                       capture_output=True, text=True, env=env, check=False, timeout=300)  # fmt: skip
    if r.returncode != 0:
        raise SystemExit(f"download setup failed:\n{r.stderr[-2000:]}")
    src.unlink()
    args.download_session = r.stdout.strip().splitlines()[-1]
    args.download_dir = tmpdir


def run_one(py: Path, client: str, scenario: str, server: Server, args) -> dict:
    if scenario == "sse" and client == "curl":
        return curl_sse(server, args.sse_events)
    worker_scenario = "seq" if scenario == "https" else scenario
    worker_client = "official" if client == "official-ca" else client
    cmd = [str(py), str(WORKER), worker_client, worker_scenario, "--url", server.api,
           "--warmup", str(args.warmup), "--duration", str(args.duration),
           "--base", server.url, "--events", str(args.sse_events)]  # fmt: skip
    if scenario == "download":
        cmd += ["--session", args.download_session, "--dest-dir", args.download_dir]
    pinned = args.pin_sequential and scenario in ("seq", "webhook", "https") and PIN_CPU is not None
    server.pin(PIN_CPU if pinned else None)
    if pinned:
        cmd += ["--cpu", str(PIN_CPU)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("POKE_")}
    env.pop("PYTHONPATH", None)
    if scenario == "https":
        trust = server.ca_file if client == "official-ca" else args.https_trust_file
        env["SSL_CERT_FILE"] = env["REQUESTS_CA_BUNDLE"] = str(trust)
    if args.ours_pythonpath and client in (
        "ours",
        "ours-async",
        *STATELESS_CLIENTS,
        *OURS_DOWNLOAD_CLIENTS,
    ):
        env["PYTHONPATH"] = args.ours_pythonpath
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    if r.returncode != 0:
        raise SystemExit(
            f"{client} {scenario} failed (exit status {r.returncode}):\n"
            f"{r.stdout[-1000:]}{r.stderr[-2000:]}"
        )
    return json.loads(r.stdout.strip().splitlines()[-1])


def plan(args) -> list[tuple[str, str]]:
    pairs = []
    want = set(args.scenarios.split(","))
    only = set(args.clients.split(",")) if args.clients else None
    for scenario, clients in (
        ("seq", SEQ_CLIENTS),
        ("conc", CONC_CLIENTS),
        ("webhook", WEBHOOK_CLIENTS),
        ("import", IMPORT_CLIENTS),
        ("construct", CONSTRUCT_CLIENTS),
        ("sse", SSE_CLIENTS),
        ("download", DOWNLOAD_CLIENTS),
        ("https", HTTPS_CLIENTS + (["official-ca"] if args.https_trust == "bundle" else [])),
    ):
        if scenario in want:
            pairs += [
                (c, scenario)
                for c in clients
                if only is None or c in only or (c == "official-ca" and "official" in only)
            ]
    if not shutil.which("curl"):
        pairs = [(c, sc) for c, sc in pairs if c != "curl"]
    return pairs


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(raw: list[dict]) -> dict:
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in raw:
        groups.setdefault((r["scenario"], r["client"]), []).append(r["result"])
    out = {}
    for (scenario, client), results in groups.items():
        keys = sorted({k for res in results for k in res if isinstance(res[k], (int, float))})
        out[f"{scenario}/{client}"] = {
            "scenario": scenario,
            "client": client,
            "n": len(results),
            **{k: median([res.get(k) for res in results]) for k in keys},
        }
    return out


def ours_ref(scenario: str, client: str) -> str:
    """Which of ours a peer is compared with: threads vs `Poke`, asyncio tasks vs `AsyncPoke`."""
    if scenario in ("conc", "sse") and client in ASYNC_CLIENTS:
        return "ours-async"
    if scenario == "download" and client in DOWNLOAD_MEMORY_CLIENTS:
        return "ours-iter-async" if client.endswith("-async") else "ours-iter"
    return "ours"


def fmt(v, digits=0) -> str:
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def ratio(summary: dict, scenario: str, client: str, key="per_s", inverse=False):
    ref = summary.get(f"{scenario}/{ours_ref(scenario, client)}")
    row = summary.get(f"{scenario}/{client}")
    if not ref or not row or not ref.get(key) or not row.get(key):
        return None
    return row[key] / ref[key] if inverse else ref[key] / row[key]


# Issue #22's targets for the call scenarios (ratios in one run; reported, never enforced).
TARGETS = [
    ("32 threads on one `Poke` ≥ 2x aiohttp's 32 tasks", "conc", "aiohttp", 2.0),
    ("`AsyncPoke`, 32 tasks ≥ 5x aiohttp", "conc", "aiohttp", 5.0),
    ("sequential send_message ≥ 3x official", "seq", "official", 3.0),
]


def call_targets(doc: dict) -> list[str]:
    """Target rows measured against the server's ceiling or across our own clients."""
    s, out = doc["summary"], []
    seq = s.get("seq/ours")
    c1 = next((c for c in doc["server"]["ceiling"] if c["connections"] == 1), None)
    if seq and c1:
        share = seq["per_s"] / c1["per_s"]
        pinned = " (pinned: does not count)" if c1.get("pinned") else ""
        out.append(
            f"| sequential send_message ≥ 60 % of `wrk` on 1 connection{pinned} | "
            f"{share:.0%} | {'yes' if share >= 0.6 else 'no'} |"
        )
    a, b = s.get("seq/ours-async"), s.get("seq/ours")
    if a and b:
        out.append(
            f"| `AsyncPoke` sequential ≥ `Poke` | {a['per_s'] / b['per_s']:.2f}x | "
            f"{'yes' if a['per_s'] >= b['per_s'] else 'no'} |"
        )
    ours, peer = s.get("conc/ours"), s.get("conc/aiohttp")
    if ours and peer and ours.get("p99_us") and peer.get("p99_us"):
        ok = ours["p99_us"] <= peer["p99_us"]
        out.append(
            f"| 32 threads: p99 ≤ aiohttp's p99 | {ours['p99_us']:,.0f} vs "
            f"{peer['p99_us']:,.0f} µs | {'yes' if ok else 'no'} |"
        )
    c = s.get("construct/ours")
    if c:
        worst = max(c["us_per_client"], c["https_us_per_client"])
        out.append(
            f"| client construction ≤ 20 µs (http, https after the first) | "
            f"{c['us_per_client']:.1f} / {c['https_us_per_client']:.1f} µs | "
            f"{'yes' if worst <= 20 else 'no'} |"
        )
    return out


def ratio_text(summary: dict, scenario: str, client: str) -> str:
    if client == ours_ref(scenario, client):
        return "1.00 (ref)"
    r = ratio(summary, scenario, client)
    return f"{r:.2f}x" if r else "-"


def report_extras(doc: dict) -> list[str]:
    """The tables of the sse, download and https scenarios (those that ran)."""
    s, lines = doc["summary"], []
    replayed = doc["config"].get("sse_server", "emulator") == "replay"
    sse_server = (
        "recorded from the emulator, replayed by the minimal server" if replayed else "emulator"
    )
    if any(k.startswith("sse/") for k in s):
        lines.append(
            f"| streamed turn, {doc['config'].get('sse_events', 200_000):,} events of ~100 bytes"
            f" ({sse_server}) | events/s | "
            "client CPU µs/event | ours ÷ client |"
        )
        lines.append("|---|---:|---:|---:|")
        for c in SSE_CLIENTS:
            row = s.get(f"sse/{c}")
            if row:
                rtxt = "-" if c == "curl" or c in STATELESS_CLIENTS else ratio_text(s, "sse", c)
                lines.append(
                    f"| {SSE_LABELS[c] if c in SSE_LABELS else LABELS[c]} | {fmt(row['per_s'])} | "
                    f"{fmt(row.get('cpu_us_per_event'), 2)} | {rtxt} |"
                )
        curl = s.get("sse/curl")
        if curl:
            lines.append("")
            lines.append(
                f"Note: the {'replay server' if replayed else 'emulator'} itself streams at most "
                f"about {curl['per_s']:,.0f} events/s "
                "(`curl`): a client at or near that figure is bounded by the server, and the "
                "ratios between such clients understate the differences in client cost (the CPU "
                "column does not)."
            )
        lines.append("")
    if any(k.startswith("download/") for k in s):
        lines.append(
            "| download 256 MiB to a file (emulator) | MB/s | peak RSS growth MiB | ours ÷ client |"
        )
        lines.append("|---|---:|---:|---:|")
        for c in DOWNLOAD_FILE_CLIENTS:
            row = s.get(f"download/{c}")
            if row:
                lines.append(
                    f"| {DOWNLOAD_LABELS[c]} | {fmt(row['per_s'])} | "
                    f"{fmt(row['rss_growth_kib'] / 1024, 1)} | {ratio_text(s, 'download', c)} |"
                )
        lines.append("")
    if any(f"download/{c}" in s for c in DOWNLOAD_MEMORY_CLIENTS):
        lines.append(
            "| download 256 MiB, bytes processed in memory (counted) | MB/s | "
            "peak RSS growth MiB | ours ÷ client |"
        )
        lines.append("|---|---:|---:|---:|")
        for c in DOWNLOAD_MEMORY_CLIENTS:
            row = s.get(f"download/{c}")
            if row:
                lines.append(
                    f"| {DOWNLOAD_LABELS[c]} | {fmt(row['per_s'])} | "
                    f"{fmt(row['rss_growth_kib'] / 1024, 1)} | {ratio_text(s, 'download', c)} |"
                )
        lines.append("")
    if any(k.startswith("https/") for k in s):
        trust = doc["server"].get("https_trust") or {}
        if trust.get("mode") == "bundle":
            lines.append(
                f"HTTPS trust: every client has `SSL_CERT_FILE` = `REQUESTS_CA_BUNDLE` = "
                f"`{trust['file']}`, made at start of `{trust['store']}` + the emulator's CA: "
                f"{trust['certificates']} certificates, as a real user's `SSL_CERT_FILE` names the "
                'whole trust store; the "CA only" row is official 0.2.1 with the CA file alone '
                f"({trust['ca_certificates']} certificate)."
            )
            lines.append("")
        elif trust:
            lines.append(
                f"HTTPS trust (`--https-trust ca-only`): every client has `SSL_CERT_FILE` = "
                f"`REQUESTS_CA_BUNDLE` = the emulator's CA file `{trust['file']}` alone: "
                f"{trust['certificates']} certificate(s), so official 0.2.1's per-call SSL "
                "context loads no system trust store (cheaper than against the real API)."
            )
            lines.append("")
        for c in doc["server"].get("https_ceiling") or []:
            if c["connections"] == 1:
                lines.append(
                    f"HTTPS server: the emulator (`--tls`), not the minimal server; its own "
                    f"ceiling over TLS (`wrk`, 1 connection) is {c['per_s']:,.0f} requests/s, "
                    "so keep-alive clients near it are bounded by the emulator."
                )
                lines.append("")
        if not doc["server"].get("https_ceiling"):
            lines.append(
                "HTTPS server: the emulator (`--tls`), not the minimal server; it is the "
                "bottleneck of fast keep-alive clients (its ceiling was not measured: `--no-wrk` "
                "or no `wrk`)."
            )
            lines.append("")
        lines.append(
            "| send_message over HTTPS, sequential | calls/s | p50 µs | p99 µs | "
            "client CPU µs/call | ours ÷ client |"
        )
        lines.append("|---|---:|---:|---:|---:|---:|")
        for c in HTTPS_ROWS:
            row = s.get(f"https/{c}")
            if row:
                lines.append(
                    f"| {LABELS[c]} | {fmt(row['per_s'])} | {fmt(row.get('p50_us'), 1)} | "
                    f"{fmt(row.get('p99_us'), 1)} | {fmt(row.get('cpu_us_per_call'), 1)} | "
                    f"{ratio_text(s, 'https', c)} |"
                )
        lines.append("")
    return lines


def extra_targets(s: dict, https_trust: str) -> list[str]:
    """Target rows of the sse, download and https scenarios (reported, never enforced)."""
    out = []
    r = ratio(s, "sse", "httpx")
    if r is not None:
        out.append(f"| SSE ≥ 10x httpx-sse | {r:.2f}x | {'yes' if r >= 10 else 'no'} |")
    ours, curl = s.get("sse/ours"), s.get("sse/curl")
    if ours and curl:
        share = ours["per_s"] / curl["per_s"]
        out.append(
            f"| SSE ≥ 25 % of the server's ceiling (`curl`) | {share:.0%} | "
            f"{'yes' if share >= 0.25 else 'no'} |"
        )

    ours = s.get("download/ours")
    peers = [s[f"download/{c}"] for c in ("httpx", "requests") if f"download/{c}" in s]
    if ours and peers:
        best = max(peers, key=lambda row: row["per_s"])
        ok = ours["per_s"] >= best["per_s"]
        out.append(
            f"| download ≥ fastest peer ({best['client']}) | {ours['per_s']:,.0f} vs "
            f"{best['per_s']:,.0f} MB/s | {'yes' if ok else 'no'} |"
        )
        growth = ours["rss_growth_kib"] / 1024
        out.append(
            f"| download RSS growth ≤ 32 MB | {growth:.1f} MiB | "
            f"{'yes' if growth * 1.048576 <= 32 else 'no'} |"
        )
    r = ratio(s, "https", "official")
    if r is not None:
        trust = {"bundle": "trust store + CA", "ca-only": "CA only"}.get(https_trust, "")
        out.append(
            f"| HTTPS sequential ≥ 100x official (`SSL_CERT_FILE` = {trust}) | {r:.2f}x | "
            f"{'yes' if r >= 100 else 'no'} |"
        )
    keep = [c for c in ("httpx", "httpx-async", "requests", "aiohttp") if f"https/{c}" in s]
    if keep:
        best = max(keep, key=lambda c: s[f"https/{c}"]["per_s"])
        r = ratio(s, "https", best)
        out.append(
            f"| HTTPS sequential ≥ 2x the fastest keep-alive peer ({best}) | {r:.2f}x | "
            f"{'yes' if r >= 2 else 'no'} |"
        )
    return out


def report(doc: dict) -> str:
    s = doc["summary"]
    lines = []
    m = doc["machine"]
    lines.append(
        f"Machine: {m['cpu']} x {m['cpus']} CPUs, {m['system']}; load average at start "
        f"{m['loadavg_start'][0]:.2f}. Server: {doc['server']['kind']} (own process"
        + ("; sse, download, https: one emulator each" if doc["server"].get("extras") else "")
        + "). "
        f"{doc['config']['rounds']} rounds x {doc['config']['duration']} s per run, "
        f"each run a fresh process; medians"
        + (
            "; CPUs kept awake (`--keep-awake`)"
            if doc["config"]["keep_awake"]
            else "; idle CPUs allowed to sleep (`--no-keep-awake`)"
        )
        + (
            "; sequential runs with client and server on one CPU (`--pin-sequential`)."
            if doc["config"].get("pin_sequential")
            else "; no pinning (`--no-pin-sequential`)."
        )
    )
    lines.append("")
    if doc["server"]["ceiling"]:
        lines.append("| server ceiling (`wrk`, send_message POST) | requests/s | p50 |")
        lines.append("|---|---:|---:|")
        for c in doc["server"]["ceiling"]:
            lines.append(
                f"| {c['threads']} thread(s), {c['connections']} connection(s)"
                f"{' (same CPU as the server)' if c.get('pinned') else ''} | "
                f"{fmt(c['per_s'])} | {c['p50'] or '-'} |"
            )
        lines.append("")
    titles = {
        "seq": "send_message, sequential",
        "conc": "send_message, 32 threads (32 asyncio tasks for async clients)",
        "webhook": "create_webhook + send_webhook pairs, sequential",
    }
    calls = [sc for sc in ("seq", "conc", "webhook") if any(k.startswith(sc + "/") for k in s)]
    if calls:
        lines.append(
            "| scenario | client | calls/s | p50 µs | p99 µs | client CPU µs/call | ours ÷ client |"
        )
        lines.append("|---|---|---:|---:|---:|---:|---:|")
    for scenario in calls:
        clients = {"seq": SEQ_CLIENTS, "conc": CONC_CLIENTS, "webhook": WEBHOOK_CLIENTS}[scenario]
        for c in clients:
            row = s.get(f"{scenario}/{c}")
            if not row:
                continue
            r = ratio(s, scenario, c)
            ref = ours_ref(scenario, c)
            rtxt = "1.00 (ref)" if c == ref else (f"{r:.2f}x" if r else "-")
            if c != ref and ref != "ours":
                rtxt += " (vs AsyncPoke)"
            lines.append(
                f"| {titles[scenario]} | {LABELS.get(c) or SSE_LABELS[c]} | {fmt(row.get('per_s'))} | "
                f"{fmt(row.get('p50_us'), 1)} | {fmt(row.get('p99_us'), 1)} | "
                f"{fmt(row.get('cpu_us_per_call'), 1)} | {rtxt} |"
            )
    if calls:
        lines.append("")
    if any(k.startswith("import/") for k in s):
        lines.append("| `import poke` | time ms | RSS after import MiB | RSS growth MiB |")
        lines.append("|---|---:|---:|---:|")
        for c in IMPORT_CLIENTS:
            row = s.get(f"import/{c}")
            if row:
                lines.append(
                    f"| {LABELS[c]} | {fmt(row['import_ms'], 1)} | {fmt(row['rss_kib'] / 1024, 1)}"
                    f" | {fmt((row['rss_kib'] - row['rss_before_kib']) / 1024, 1)} |"
                )
        lines.append("")
    if any(k.startswith("construct/") for k in s):
        lines.append(
            "| client construction (`Poke(...)`, then dropped) | http:// µs | "
            "https:// first µs | https:// later µs | ours ÷ client |"
        )
        lines.append("|---|---:|---:|---:|---:|")
        for c in CONSTRUCT_CLIENTS:
            row = s.get(f"construct/{c}")
            if row:
                lines.append(
                    f"| {LABELS[c]} | {fmt(row['us_per_client'], 2)} | "
                    f"{fmt(row['https_first_us'], 0)} | {fmt(row['https_us_per_client'], 2)} | "
                    f"{ratio_text(s, 'construct', c)} |"
                )
        lines.append("")
    lines += report_extras(doc)
    c1 = next((c for c in doc["server"]["ceiling"] if c["connections"] == 1), None)
    seq = s.get("seq/ours")
    if c1 and seq and seq["per_s"] >= 0.5 * c1["per_s"]:
        lines.append(
            f"Note: the server's own sequential ceiling (`wrk`, 1 connection: "
            f"{c1['per_s']:,.0f}/s) is within 2x of ours: the sequential rows are bounded by "
            "the server and the loopback round trip, not by the clients (on a VM, mostly the "
            "wake-up of idle CPUs)."
            + ("" if doc["config"]["keep_awake"] else " `--keep-awake` removes most of that floor.")
        )
        lines.append("")
    lines.append("| target | measured | met |")
    lines.append("|---|---:|:---:|")
    for text, scenario, peer, want in TARGETS:
        r = ratio(s, scenario, peer)
        if text.startswith("32 threads"):
            # Threads on `Poke` against aiohttp's tasks (ratio() pairs aiohttp with AsyncPoke).
            mine, theirs = s.get("conc/ours"), s.get("conc/aiohttp")
            r = mine["per_s"] / theirs["per_s"] if mine and theirs else None
        if r is None:
            continue
        lines.append(f"| {text} | {r:.2f}x | {'yes' if r >= want else 'no'} |")
    lines += call_targets(doc)
    lines += extra_targets(s, (doc["server"].get("https_trust") or {}).get("mode"))
    imp_o, imp_off = s.get("import/ours"), s.get("import/official")
    if imp_o and imp_off:
        ok = imp_o["import_ms"] <= imp_off["import_ms"]
        lines.append(
            f"| `import poke` no slower than official | {imp_o['import_ms']:.1f} ms vs "
            f"{imp_off['import_ms']:.1f} ms | {'yes' if ok else 'no'} |"
        )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="3 rounds of 1 s runs (about 2 minutes)")
    p.add_argument("--rounds", type=int, help="rounds (default 5, quick 3)")
    p.add_argument("--duration", type=float, help="measured seconds per run (default 2, quick 1)")
    p.add_argument(
        "--warmup", type=float, help="unmeasured seconds per run (default 0.5, quick 0.3)"
    )
    p.add_argument("--server", choices=["minimal", "emulator"], default="minimal")
    p.add_argument(
        "--scenarios",
        default="seq,conc,webhook,import,construct",
        help="comma-separated; also sse, download, https (against the emulator, off by default)",
    )
    p.add_argument("--sse-events", type=int, default=200_000, help="events of the sse turn")
    p.add_argument(
        "--sse-server",
        choices=["replay", "emulator"],
        default="replay",
        help="what serves the sse turns: the minimal server replaying turns recorded from the "
        "emulator at start (replay, default), or the emulator itself",
    )
    p.add_argument(
        "--https-trust",
        choices=["bundle", "ca-only"],
        default="bundle",
        help="what SSL_CERT_FILE (and REQUESTS_CA_BUNDLE) names in https: the system trust store "
        "+ the emulator's CA, written to a file at start, as a real user's names the whole store "
        "(bundle, plus a row of official 0.2.1 with the CA alone), or the CA file alone "
        "(ca-only; default: bundle)",
    )
    p.add_argument("--clients", default="", help="comma-separated subset of clients")
    p.add_argument(
        "--import-runs", type=int, default=5, help="fresh processes per round for import"
    )
    p.add_argument(
        "--download-runs",
        type=int,
        default=3,
        help="fresh processes per round for download: one 256 MiB download takes about 0.1 s "
        "and varies by a third from run to run on a shared VM, so its median needs more runs",
    )
    p.add_argument("--ours-venv", default=str(ROOT / ".venv"))
    p.add_argument(
        "--emulator-venv",
        help="venv whose `python -m poke.emulator` serves sse, download and https (default: "
        "--ours-venv), so that two builds of ours can be measured against the same server",
    )
    p.add_argument(
        "--ours-pythonpath",
        help="directory holding a `poke` package (with its _poke extension) to measure as ours "
        "instead of the one installed in --ours-venv",
    )
    p.add_argument(
        "--keep-awake",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run a lowest-priority busy loop (SCHED_IDLE, and nice 19) per CPU during the runs, "
        "so idle CPUs never enter a sleep "
        "state: on VMs, waking an idle vCPU costs tens of µs per loopback round trip and makes "
        "the loopback, not the client, the bottleneck of sequential calls (default: on)",
    )
    p.add_argument(
        "--pin-sequential",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run sequential scenarios (seq, webhook, and wrk on 1 connection) with the client "
        "and the server pinned to the same CPU: on VMs a wake-up across CPUs costs tens of µs "
        "per round trip, and where the scheduler happens to put the two processes would "
        "otherwise decide the result (default: on)",
    )
    p.add_argument("--official-venv", default=str(ROOT / ".venv-official"))
    p.add_argument("--peers-venv", default=str(ROOT / ".venv-bench"))
    p.add_argument("--no-wrk", action="store_true", help="skip the server ceiling")
    p.add_argument("--out", help="results JSON path (default benchmarks/results/<time>.json)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    args.rounds = args.rounds or (3 if args.quick else 5)
    args.duration = args.duration or (1.0 if args.quick else 2.0)
    args.warmup = args.warmup if args.warmup is not None else (0.3 if args.quick else 0.5)

    py = interpreters(args)
    check_ours_build(py["ours"], args.ours_pythonpath)
    doc = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(py),
        "config": {
            k: getattr(args, k)
            for k in (
                "rounds",
                "duration",
                "warmup",
                "server",
                "keep_awake",
                "pin_sequential",
                "download_runs",
                "ours_pythonpath",
                "sse_events",
                "sse_server",
                "https_trust",
            )
        },
    }
    server = Server(args.server, py["ours"], args.ours_pythonpath)
    # sse, download and https each get their own emulator: the download one keeps its file (it
    # is never reset), the https one serves TLS with a throwaway CA.
    servers = {}
    emulator_py = venv_python(Path(args.emulator_venv)) if args.emulator_venv else py["ours"]
    emulator_path = None if args.emulator_venv else args.ours_pythonpath
    tmpdir = tempfile.mkdtemp(prefix="poke-bench-")
    wanted = set(args.scenarios.split(","))
    try:
        if "sse" in wanted:
            servers["sse"] = Server("emulator", emulator_py, emulator_path)
            if args.sse_server == "replay":
                # The emulator spends about 0.6 µs of CPU per event, on the same two CPUs as
                # the client measured: its turns are recorded once and replayed from memory.
                log("recording the emulator's sse turns for replay …")
                recorded = Path(tmpdir) / "sse"
                record_turns(servers["sse"], [SSE_WARMUP_EVENTS, args.sse_events], recorded)
                servers["sse"].stop()
                servers["sse"] = Server("minimal", py["ours"], sse_replay=recorded)
        if "download" in wanted:
            servers["download"] = Server("emulator", emulator_py, emulator_path)
            setup_download(servers["download"], py["ours"], args, tmpdir)
        if "https" in wanted:
            ca = Path(tmpdir) / "ca.pem"
            servers["https"] = Server("emulator", emulator_py, emulator_path, ca)
            trust = https_trust(args.https_trust, ca, py["requests"], tmpdir)
            args.https_trust_file = trust["file"]
            log(f"https: SSL_CERT_FILE = {trust['file']} ({trust['certificates']} certificates)")
    except BaseException:
        for sv in [server, *servers.values()]:
            sv.stop()
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    spinners = []
    if args.keep_awake:
        # One per CPU, pinned: the load balancer weighs tasks by priority, so unpinned
        # low-priority loops may share one CPU and leave the other free to fall asleep.
        # SCHED_IDLE where there is one: a nice-19 loop still gets time slices, and a client
        # woken while it runs may wait for the end of its slice (under EEVDF); a SCHED_IDLE
        # one gives way at once to any other task.
        spin = (
            "import os, sys\n"
            "if hasattr(os, 'sched_setaffinity'): os.sched_setaffinity(0, {int(sys.argv[1])})\n"
            "try:\n"
            "    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\n"
            "except (AttributeError, OSError):\n"
            "    pass  # nice 19 alone\n"
            "while True: pass\n"
        )
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
        spinners = [
            subprocess.Popen(["nice", "-n", "19", sys.executable, "-c", spin, str(cpu)])
            for cpu in cpus
        ]
    try:
        log(f"server {args.server} at {server.url}")
        ceiling = (
            []
            if args.no_wrk or not wanted & {"seq", "conc", "webhook"}
            else wrk_ceiling(server, 2 if args.quick else 3, args.pin_sequential)
        )
        doc["server"] = {"kind": args.server, "ceiling": ceiling, "extras": sorted(servers)}
        if "https" in servers:
            doc["server"]["https_trust"] = trust
            doc["server"]["https_ceiling"] = (
                [] if args.no_wrk else wrk_ceiling(servers["https"], 2, args.pin_sequential)
            )
        pairs = plan(args)
        rng = random.Random(args.seed)
        raw = []
        repeats = {"import": args.import_runs, "download": args.download_runs}
        for rnd in range(args.rounds):
            order = pairs[:]
            rng.shuffle(order)
            # A scenario run several times per round takes turns with the other clients of
            # the round, so that a slow spell of the machine does not hit one client's runs.
            passes = max([repeats.get(scenario, 1) for _, scenario in order], default=1)
            for pass_ in range(passes):
                for client, scenario in order:
                    if pass_ >= repeats.get(scenario, 1):
                        continue
                    sv = servers.get(scenario, server)
                    res = run_one(py.get(client), client, scenario, sv, args)
                    raw.append(
                        {"round": rnd, "client": client, "scenario": scenario, "result": res}
                    )
                    if scenario != "download":
                        sv.reset()
                    if scenario != "import":
                        unit = {"download": "MB/s", "sse": "events/s"}.get(scenario, "/s")
                        log(
                            f"round {rnd + 1}/{args.rounds} {scenario:8} {client:12} "
                            f"{res['per_s']:10,.0f} {unit}"
                        )
    finally:
        for sp in spinners:
            sp.kill()
            sp.wait()
        server.stop()
        for sv in servers.values():
            sv.stop()
        shutil.rmtree(tmpdir, ignore_errors=True)
    doc["machine"]["loadavg_end"] = os.getloadavg()
    doc["raw"] = raw
    doc["summary"] = summarize(raw)
    table = report(doc)
    doc["table"] = table
    out = (
        Path(args.out)
        if args.out
        else HERE / "results" / (dt.datetime.now().strftime("%Y%m%d-%H%M%S") + ".json")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(table)
    print(f"\nresults: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    png = plot_png(py["httpx"], out)
    if png:
        print(f"figure: {png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}")
    return 0


def plot_png(peers: Path, results: Path):
    """Draws the run's figure (plot.py) with the peers' venv, adding matplotlib to it once."""
    probe = subprocess.run(
        [str(peers), "-c", "import matplotlib"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        log("installing matplotlib into the peers' venv (for the figure) …")
        pip = [str(peers), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        if subprocess.run([*pip, "matplotlib"], check=False).returncode != 0:
            log("no figure: matplotlib could not be installed")
            return None
    r = subprocess.run([str(peers), str(HERE / "plot.py"), str(results)],
                       capture_output=True, text=True, check=False)  # fmt: skip
    if r.returncode != 0:
        log(f"no figure: plot.py failed:\n{r.stderr[-2000:]}")
        return None
    return results.with_suffix(".png")


if __name__ == "__main__":
    sys.exit(main())
