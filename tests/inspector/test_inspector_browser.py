"""The emulator inspector in a real browser: Debian's chromium driven by Playwright.

Each test starts an emulator in-process, opens its page (``/_emulator/ui/``), drives the SDK
and the page, and checks what the page shows. Screenshots of every view land in
``docs/images/`` for the README. Run through ``tests/inspector/run.sh``, which says "not run"
when the browser or Playwright is missing.
"""

from __future__ import annotations

import http.client
import json
import os
import pathlib
import re
import shutil
import threading
import urllib.error
import urllib.request

import pytest

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # run.sh reports this as "not run"; pytest alone skips
    pytest.skip("the playwright package is not installed", allow_module_level=True)

import poke
from poke.testing import start_emulator

CHROMIUM = os.environ.get("POKE_CHROMIUM", "/usr/bin/chromium")
if not shutil.which(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "images"
KEY = "pk_inspector_live_9f3c2e71"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A bound on waiting for the page (a slow CI machine may need it), never a timing assertion.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def emu():
    with start_emulator(api_key=KEY) as emu:
        yield emu


@pytest.fixture
def page(browser, emu):
    context = browser.new_context(viewport={"width": 1280, "height": 820}, color_scheme="light")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" else None,
    )
    page.goto(emu.url + "/_emulator/ui/")
    expect(page.locator("#feed-state")).to_have_attribute("data-state", "live")
    yield page
    context.close()
    assert errors == [], errors


def control(emu, method: str, path: str, body=None):
    """Calls a control route directly, as a test in any language would."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(emu.url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def show(page, view: str):
    page.click(f"#tab-{view}")
    expect(page.locator(f"#view-{view}")).to_be_visible()


def shot(page, name: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def api_paths(emu):
    return [r["path"] for r in emu.requests()]


def test_quickstart_request_shows_with_the_key_redacted(page, emu):
    client = poke.Poke(api_key=KEY, base_url=emu.url + "/api/v1")
    assert client.send_message("Summarize my unread emails")["success"]

    row = page.locator(".req-row[data-path='/api/v1/inbound/api-message']")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-status", "200")
    row.click()
    detail = page.locator("#request-detail")
    expect(detail).to_contain_text("Bearer [redacted]")
    expect(detail).to_contain_text("Summarize my unread emails")
    expect(detail).to_contain_text("poke-python/")
    expect(detail).to_contain_text("Idempotency key")
    assert KEY not in page.content()
    assert KEY not in page.evaluate("document.body.innerText")
    # What the page fetched carries no key either.
    fetched = page.evaluate("async () => (await fetch('/_emulator/ui/api/requests')).text()")
    assert KEY not in fetched and "api-message" in fetched
    # The page, its assets and its feed are not in the API journal.
    assert api_paths(emu) == ["/api/v1/inbound/api-message"]


def test_a_long_turn_streams_into_the_page_live_and_in_order(page, emu):
    pokee = poke.Pokee(api_key=KEY, base_url=emu.pokee_api_url)
    tools = [{"type": "function", "function": {"name": "approve", "parameters": {}}}]
    session = pokee.sessions.create(metadata={"project": "inspector-demo"}, ttl=3600, tools=tools)
    emu.script_turn(
        session.id,
        {
            "pace_ms": 25,
            "steps": [
                {"type": "metadata", "set": {"stage": "researching"}},
                {"type": "thinking", "text": "plan the report in three parts"},
                {"type": "tool_use", "name": "web_search", "input": {"q": "q3"}, "output": "ok"},
                {"type": "text", "text": "drafting the summary now", "deltas": 12},
                {"type": "tool_call", "name": "approve", "arguments": {"draft": 1}},
                {"type": "metadata", "set": {"stage": "done"}},
                {"type": "file", "path": "output/report.md", "content": "# Q3\n", "size": 2048},
                {"type": "text", "text": "the report is in output/report.md"},
            ],
        },
    )
    show(page, "sessions")
    page.click(f".sess-row[data-session='{session.id}']")
    expect(page.locator("#sd-title")).to_have_text(session.id)

    sdk_events: list = []
    blocked = threading.Event()
    release = threading.Event()
    failures: list = []

    def run_turn():
        try:
            with session.send("write the Q3 report") as turn:
                for event in turn:
                    sdk_events.append(event)
                    if event.type == "tool_call.requested":
                        blocked.set()
                        release.wait(60)
                        session.submit_tool_result(event.data["call_id"], "approved")
        except Exception as err:  # reported by the main thread
            failures.append(err)
            blocked.set()

    worker = threading.Thread(target=run_turn, daemon=True)
    worker.start()
    assert blocked.wait(60) and not failures, failures

    # While the agent waits for the tool result, the page already shows what it streamed.
    turn = page.locator(".turn")
    expect(turn).to_have_count(1)
    expect(turn.locator(".ev[data-event='tool_call.requested']")).to_have_count(1)
    expect(turn).to_have_attribute("data-status", "in_progress")
    expect(page.locator(f".sess-row[data-session='{session.id}']")).to_have_attribute(
        "data-state", "busy"
    )
    expect(page.locator("#sd-meta")).to_contain_text('"stage": "researching"')
    assert turn.locator(".ev.terminal").count() == 0
    so_far = turn.locator(".ev").evaluate_all(
        "rows => rows.map(r => [Number(r.dataset.seq), r.dataset.event])"
    )
    assert [seq for seq, _ in so_far] == list(range(len(so_far)))
    assert [name for _, name in so_far] == [e.type for e in sdk_events]
    head = turn.locator(".turn-head").bounding_box()

    release.set()
    worker.join(60)
    assert not failures, failures
    expect(turn.locator(".ev.terminal")).to_have_count(1)
    expect(turn).to_have_attribute("data-status", "completed")
    shown = turn.locator(".ev").evaluate_all(
        "rows => rows.map(r => [Number(r.dataset.seq), r.dataset.event])"
    )
    assert [seq for seq, _ in shown] == list(range(len(sdk_events)))
    assert [name for _, name in shown] == [e.type for e in sdk_events]
    assert shown[-1][1] == "message.completed"
    # Metadata changed and a file appeared meanwhile; the turn did not move on the page.
    assert turn.locator(".turn-head").bounding_box() == head

    expect(page.locator("#sd-meta")).to_contain_text('"stage": "done"')
    link = page.locator("#sd-files a", has_text="output/report.md")
    expect(link).to_have_attribute("href", "/_emulator/workspace/output/report.md")
    expect(page.locator("#sd-files tr[data-path='output/report.md']")).to_contain_text("2.0 KiB")
    with page.expect_download() as download:
        link.click()
    saved = pathlib.Path(download.value.path()).read_bytes()
    assert saved == emu.workspace_file("output/report.md") and len(saved) == 2048
    page.locator("#session-detail").evaluate("el => el.scrollTo(0, 0)")
    shot(page, "inspector-sessions.png")


def test_cancel_from_the_page_ends_the_running_turn(page, emu):
    pokee = poke.Pokee(api_key=KEY, base_url=emu.pokee_api_url)
    session = pokee.sessions.create()
    show(page, "sessions")
    page.click(f".sess-row[data-session='{session.id}']")
    expect(page.locator("#cancel-turn")).to_be_disabled()

    seen: list = []

    def run_turn():
        # `tool=NAME` makes the agent wait for a tool result that never comes.
        with session.send("wait for approval tool=approve") as turn:
            seen.extend(turn)

    worker = threading.Thread(target=run_turn, daemon=True)
    worker.start()
    turn = page.locator(".turn")
    expect(turn.locator(".ev[data-event='tool_call.requested']")).to_have_count(1)
    expect(page.locator("#cancel-turn")).to_be_enabled()
    page.click("#cancel-turn")
    expect(turn).to_have_attribute("data-status", "cancelled")
    expect(turn.locator(".ev.terminal[data-event='message.cancelled']")).to_have_count(1)
    worker.join(60)
    assert seen and seen[-1].type == "message.cancelled"
    expect(page.locator(f".sess-row[data-session='{session.id}']")).to_have_attribute(
        "data-state", "ready"
    )
    # The page used the control route, which leaves a marker and no API request.
    show(page, "requests")
    expect(page.locator(".req-row.control", has_text=f"of {session.id} cancelled")).to_have_count(1)
    assert not [p for p in api_paths(emu) if p.endswith("/cancel")]


def test_a_fault_added_from_the_page_makes_the_next_call_retry(page, emu):
    client = poke.Poke(api_key=KEY, base_url=emu.poke_api_url)
    client.send_message("before the fault")
    show(page, "faults")
    page.click("[data-preset='503']")
    page.click("#add-fault")
    fault_row = page.locator("#fault-table tbody tr")
    expect(fault_row).to_have_count(1)
    expect(fault_row).to_contain_text("status 503")
    # The page used the control API: the fault is there for any client to see.
    (fault,) = control(emu, "GET", "/_emulator/faults")
    assert (fault["status"], fault["path"], fault["times"]) == (
        503,
        "/api/v1/inbound/api-message",
        1,
    )

    assert client.send_message("after the fault")["success"]
    expect(fault_row).to_have_count(0)

    show(page, "requests")
    rows = page.locator(".req-row[data-path='/api/v1/inbound/api-message']")
    expect(rows).to_have_count(3)
    failed = page.locator(
        f".req-row[data-status='503'][data-fault='{fault['id']}'][data-attempt='1']"
    )
    retried = page.locator(".req-row[data-status='200'][data-attempt='2']")
    expect(failed).to_have_count(1)
    expect(retried).to_have_count(1)
    expect(retried).to_contain_text("retry 1")
    marker = page.locator(".req-row.control", has_text=f"fault #{fault['id']} added")
    expect(marker).to_have_count(1)
    # Newest first: the retry sits above the failed attempt, which sits above the marker.
    order = page.locator(".req-row").evaluate_all(
        "rows => rows.sort((a, b) => a.offsetTop - b.offsetTop).map(r => r.dataset.seq)"
    )
    seq = {
        name: loc.get_attribute("data-seq")
        for name, loc in [("retry", retried), ("failed", failed), ("marker", marker)]
    }
    assert order.index(seq["retry"]) < order.index(seq["failed"]) < order.index(seq["marker"])

    failed.click()
    detail = page.locator("#request-detail")
    expect(detail).to_contain_text("Fault that hit it")
    expect(detail).to_contain_text('"status": 503')
    retries = [
        dict(r["headers"]).get("x-poke-retry-count")
        for r in emu.requests()
        if r["path"] == "/api/v1/inbound/api-message"
    ]
    assert retries == [None, None, "1"]

    page.fill("#filter-status", "5xx")
    expect(page.locator(".req-row")).to_have_count(1)
    page.fill("#filter-status", "")
    expect(page.locator(".req-row[data-kind='api']")).to_have_count(3)
    failed.click()
    shot(page, "inspector-requests.png")


def test_advancing_the_clock_from_the_page_expires_a_session(page, emu):
    pokee = poke.Pokee(api_key=KEY, base_url=emu.pokee_api_url)
    short = pokee.sessions.create(persistent=True, ttl=120, metadata={"job": "short"})
    keeper = pokee.sessions.create(persistent=True, metadata={"job": "keeper"})
    show(page, "sessions")
    row = page.locator(f".sess-row[data-session='{short.id}']")
    expect(row).to_have_attribute("data-state", "ready")
    expect(row.locator(".expiry")).to_have_text(re.compile(r"expires in (2m 0s|1m \d+s)"))
    row.click()
    expect(page.locator("#sd-expires")).to_contain_text("by TTL")

    show(page, "faults")
    page.click("[data-preset='delay']")
    page.fill("#fault-form [name=path]", "/v1/sessions/*/messages")
    page.fill("#fault-form [name=times]", "3")
    page.click("#add-fault")
    expect(page.locator("#fault-table tbody tr")).to_have_count(1)
    page.locator("#view-faults .cards").evaluate("el => el.scrollTo(0, 0)")
    shot(page, "inspector-faults.png")
    page.click("#fault-table tbody tr button")
    expect(page.locator("#fault-table tbody tr")).to_have_count(0)
    assert control(emu, "GET", "/_emulator/faults") == []

    page.click("[data-advance='300']")
    expect(page.locator("#clock-offset")).to_contain_text("5m 0s ahead")
    show(page, "sessions")
    expect(row).to_have_attribute("data-state", "ended")
    expect(row).to_contain_text("TTL expired")
    expect(page.locator("#sd-ended")).to_contain_text("Ended: TTL expired")
    expect(page.locator(f".sess-row[data-session='{keeper.id}']")).to_have_attribute(
        "data-state", "ready"
    )
    with pytest.raises(poke.NotFoundError):
        short.refresh()
    assert control(emu, "GET", "/_emulator/sessions/ended")[0]["cause"] == "ttl_expired"
    assert control(emu, "GET", "/_emulator/clock")["offset_secs"] == 300

    # Health: the page's switch is the config route.
    show(page, "faults")
    page.check("#degraded")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(emu.url + "/health", timeout=10)
    assert info.value.code == 503
    page.uncheck("#degraded")
    expect(page.locator("#degraded")).not_to_be_checked()
    assert control(emu, "GET", "/_emulator/sessions/config")["degraded"] is False


def test_keyboard_narrow_window_dark_theme_and_no_jumps(browser, page, emu):
    client = poke.Poke(api_key=KEY, base_url=emu.poke_api_url)
    for i in range(60):
        client.send_message(f"message {i}")
    expect(page.locator(".req-row[data-kind='api']").first).to_be_visible()

    # Keyboard: view keys, then the list with the arrow keys.
    page.keyboard.press("2")
    expect(page.locator("#tab-sessions")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("3")
    expect(page.locator("#view-faults")).to_be_visible()
    page.keyboard.press("1")
    page.focus("#request-list")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    selected = page.locator(".req-row[aria-selected='true']")
    expect(selected).to_have_count(1)
    expect(page.locator("#request-detail h2")).to_contain_text("POST /api/v1/inbound/api-message")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "filter-path"
    page.keyboard.press("Escape")

    # Rows on screen stay where they are when new requests arrive above them.
    page.locator("#request-list").evaluate("el => { el.scrollTop = 10 * 28; }")
    seq = page.evaluate(
        "[...document.querySelectorAll('.req-row')]"
        ".find(r => r.style.top === `${14 * 28}px`).dataset.seq"
    )
    before = page.locator(f".req-row[data-seq='{seq}']").bounding_box()
    for i in range(5):
        client.send_message(f"late {i}")
    expect(page.locator("#journal-chip")).to_contain_text("65 kept")
    after = page.locator(f".req-row[data-seq='{seq}']").bounding_box()
    assert after == before

    # Pausing holds new rows back and counts them.
    page.click("#pause")
    client.send_message("held back")
    expect(page.locator("#new-count")).to_have_text("1 new")
    page.click("#pause")
    expect(page.locator("#new-count")).to_be_hidden()

    # A narrow window: one column, nothing wider than the window.
    page.set_viewport_size({"width": 400, "height": 780})
    for view in ("requests", "sessions", "faults"):
        show(page, view)
        widest = page.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth,"
            " ...[...document.querySelectorAll('.view:not([hidden]) .pane, .card, .toolbar')]"
            ".map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= 400, (view, widest)

    # Dark follows the system setting.
    dark = browser.new_context(viewport={"width": 1280, "height": 820}, color_scheme="dark")
    dark_page = dark.new_page()
    dark_page.goto(emu.url + "/_emulator/ui/#requests")
    expect(dark_page.locator("#feed-state")).to_have_attribute("data-state", "live")
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    dark_bg = dark_page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert light_bg != dark_bg
    dark_page.locator(".req-row[data-kind='api']").first.click()
    expect(dark_page.locator("#request-detail h2")).to_be_visible()
    shot(dark_page, "inspector-dark.png")
    dark.close()


def test_ten_thousand_requests_and_hundreds_of_sessions_stay_usable(page, emu):
    control(emu, "POST", "/_emulator/sessions/config", {"max_sessions": 400})
    pokee = poke.Pokee(api_key=KEY, base_url=emu.pokee_api_url)
    sessions = [pokee.sessions.create(metadata={"n": i}) for i in range(300)]
    conn = http.client.HTTPConnection(emu.url.removeprefix("http://"), timeout=30)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    for i in range(10_050):
        conn.request("POST", "/api/v1/inbound/api-message", json.dumps({"n": i}), headers)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
    conn.close()

    page.reload()
    expect(page.locator("#feed-state")).to_have_attribute("data-state", "live")
    expect(page.locator("#journal-chip")).to_contain_text("10,000 kept")
    stats = control(emu, "GET", "/_emulator/journal")
    assert stats["len"] == 10_000 and stats["dropped"] > 0
    expect(page.locator("#journal-chip")).to_contain_text(f"{stats['dropped']:,} dropped")
    # Only the rows on screen are in the page, however long the list.
    assert page.locator(".req-row").count() < 120
    page.locator("#request-list").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    # Reaching the end loads older pages: the list grows past the first 200 rows.
    expect(page.locator(".vspace")).to_have_attribute("style", re.compile(r"height: \d{5,}px"))
    assert page.locator(".req-row").count() < 120
    page.fill("#filter-path", "api-message")
    expect(page.locator(".req-row[data-kind='api']").first).to_be_visible()

    show(page, "sessions")
    expect(page.locator(".sess-row")).to_have_count(300)
    page.fill("#filter-sessions", sessions[123].id)
    expect(page.locator(".sess-row")).to_have_count(1)
    page.click(f".sess-row[data-session='{sessions[123].id}']")
    expect(page.locator("#sd-meta")).to_contain_text('"n": 123')
