"""Load figures for the emulator inspector (not a test; prints numbers, asserts nothing).

    .venv/bin/python tests/inspector/measure.py

1. Journal cost: seconds for 10,050 sequential send-message requests over one keep-alive
   connection (the journal records each request and its answer), with and without the page open.
2. The page with 10,000 requests and 300 sessions: time from navigation until the list shows its
   first rows, rows in the page, JS heap.
3. A 20,000-event turn at full speed watched by the page: how many events the page shows, how
   many it skipped (it keeps up by skipping ahead), and the feed's bytes.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time

import poke
from playwright.sync_api import sync_playwright
from poke.testing import start_emulator

KEY = "pk_measure_0123456789"
CHROMIUM = os.environ.get("POKE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def flood(emu, n: int) -> float:
    conn = http.client.HTTPConnection(emu.url.removeprefix("http://"), timeout=30)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    started = time.perf_counter()
    for i in range(n):
        conn.request("POST", "/api/v1/inbound/api-message", json.dumps({"n": i}), headers)
        conn.getresponse().read()
    conn.close()
    return time.perf_counter() - started


def main() -> None:
    with start_emulator(api_key=KEY) as emu:
        print(f"10,050 requests, no page open: {flood(emu, 10_050):.2f} s")
    with sync_playwright() as p, start_emulator(api_key=KEY) as emu:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 820})
        page.goto(emu.url + "/_emulator/ui/")
        page.wait_for_selector("#feed-state[data-state=live]")
        print(f"10,050 requests, page open:    {flood(emu, 10_050):.2f} s")
        emu.configure_sessions(max_sessions=400)
        pokee = poke.Pokee(api_key=KEY, base_url=emu.pokee_api_url)
        for i in range(300):
            pokee.sessions.create(metadata={"n": i})
        started = time.perf_counter()
        page.reload()
        page.wait_for_selector(".req-row")
        loaded = time.perf_counter() - started
        rows = page.locator(".req-row").count()
        heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
        print(f"page load with 10,000 kept: first rows after {loaded * 1000:.0f} ms; ")
        print(f"  {rows} rows in the page; JS heap {heap / 1e6:.1f} MB")
        page.click("#tab-sessions")
        started = time.perf_counter()
        page.wait_for_function("document.querySelectorAll('.sess-row').length === 300")
        print(f"sessions view with 300 sessions: {(time.perf_counter() - started) * 1000:.0f} ms")

        session = pokee.sessions.create()
        page.click(f".sess-row[data-session='{session.id}']")
        page.wait_for_selector("#sd-title")
        emu.configure_sessions(pace_ms=0)
        done = threading.Event()

        def run():
            with session.send("events=20000") as turn:
                for _ in turn:
                    pass
            done.set()

        started = time.perf_counter()
        threading.Thread(target=run, daemon=True).start()
        page.wait_for_selector(".ev.terminal", timeout=120_000)
        shown = page.locator(".ev:not(.skipped)").count()
        skipped = page.evaluate(
            "[...document.querySelectorAll('.ev.skipped')]"
            ".map(e => Number(e.textContent.replace(/[^0-9]/g, ''))).reduce((a, b) => a + b, 0)"
        )
        print(
            f"20,000-event turn at full speed: terminal shown after "
            f"{(time.perf_counter() - started) * 1000:.0f} ms; {shown} rows in the page, "
            f"{skipped} events skipped"
        )
        done.wait(60)
        browser.close()


if __name__ == "__main__":
    main()
