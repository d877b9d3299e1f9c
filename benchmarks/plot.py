#!/usr/bin/env python3
"""The figure of a benchmark run: ``python plot.py results/<time>.json`` writes ``<time>.png``.

One bar per (scenario, peer): how many times the peer's rate ours reaches in the same run
(log scale, 1x marked), and, beside it, ours as a share of the server's own ceiling (`wrk` for
sequential calls, `curl` for SSE). Needs matplotlib (run.py installs it into the peers' venv
and calls this script at the end of a run).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ours_ref, ratio  # run.py is standard library only

SCENARIO_TITLES = {
    "seq": "sequential",
    "conc": "32 threads / tasks",
    "webhook": "webhook pairs",
    "construct": "client construction",
    "sse": "SSE events",
    "download": "download",
    "https": "HTTPS sequential",
}


def ratio_rows(doc: dict) -> list[tuple[str, float]]:
    """(label, ours ÷ peer) for every peer row of the run, in table order."""
    s = doc["summary"]
    rows = []
    for row in s.values():
        scenario, client = row["scenario"], row["client"]
        if client in (ours_ref(scenario, client), "curl") or "responses" in client:
            continue
        r = ratio(s, scenario, client)
        if r is not None:
            ref = "AsyncPoke" if ours_ref(scenario, client) == "ours-async" else "ours"
            rows.append((f"{SCENARIO_TITLES.get(scenario, scenario)}: {ref} ÷ {client}", r))
    order = {title: i for i, title in enumerate(SCENARIO_TITLES.values())}
    rows.sort(key=lambda lr: (order.get(lr[0].split(":")[0], len(order)), lr[0]))
    return rows


def ceiling_rows(doc: dict) -> list[tuple[str, float]]:
    """(label, ours ÷ the server's ceiling) where the run measured a ceiling."""
    s, out = doc["summary"], []
    c1 = next((c for c in doc["server"].get("ceiling", []) if c["connections"] == 1), None)
    if c1:
        pinned = ", pinned" if c1.get("pinned") else ""
        for client in ("ours", "ours-async"):
            row = s.get(f"seq/{client}")
            if row:
                out.append(
                    (f"sequential {client} ÷ wrk 1 conn{pinned}", row["per_s"] / c1["per_s"])
                )
    curl = s.get("sse/curl")
    for client in ("ours", "ours-async"):
        row = s.get(f"sse/{client}")
        if row and curl:
            out.append((f"SSE {client} ÷ curl", row["per_s"] / curl["per_s"]))
    return out


def plot(doc: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratios, ceilings = ratio_rows(doc), ceiling_rows(doc)
    height = 1.2 + 0.32 * max(len(ratios), len(ceilings), 1)
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(13, height), gridspec_kw={"width_ratios": [3, 2]}
    )
    labels = [label for label, _ in ratios][::-1]
    values = [v for _, v in ratios][::-1]
    left.barh(labels, values, color=["#2e7d32" if v >= 1 else "#c62828" for v in values])
    left.set_xscale("log")
    left.axvline(1.0, color="black", linewidth=0.8)
    for y, v in enumerate(values):
        left.text(v, y, f" {v:.2f}x", va="center", fontsize=8)
    left.set_title("ours ÷ peer, same run (higher is better)", fontsize=10)
    left.tick_params(axis="y", labelsize=8)
    if ceilings:
        labels = [label for label, _ in ceilings][::-1]
        values = [v * 100 for _, v in ceilings][::-1]
        right.barh(labels, values, color="#1565c0")
        for y, v in enumerate(values):
            right.text(v, y, f" {v:.0f} %", va="center", fontsize=8)
        right.set_xlim(0, max(100, max(values) * 1.15))
        right.set_title("ours ÷ the server's own ceiling (%)", fontsize=10)
        right.tick_params(axis="y", labelsize=8)
    else:
        right.axis("off")
    m = doc["machine"]
    fig.suptitle(
        f"{doc['command']}\n{m['cpus']} CPUs, load {m['loadavg_start'][0]:.2f} at start, "
        f"{doc['started']}",
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    src = Path(sys.argv[1])
    out = src.with_suffix(".png")
    plot(json.loads(src.read_text()), out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
