"""One measurement in a fresh process: ``python worker.py CLIENT SCENARIO --url URL ...``.

Run by ``run.py`` with the interpreter of the venv that holds CLIENT; prints one JSON object
on stdout. Standard library only, apart from the client under test (imported lazily, so
``import`` of one client never pays for another).

Clients: ours (poke.Poke), ours-async (poke.AsyncPoke), official (poke 0.2.1), httpx,
httpx-async, requests, aiohttp. Scenarios: seq, conc (32 threads, or 32 asyncio tasks for the
async clients), webhook (create_webhook + send_webhook pairs), import; against the emulator's
sessions API (``--base`` is its root URL): sse (one streamed turn of ``--events`` events: ours,
httpx, requests) and download (``--session``'s ``input/big.bin`` to a file: ours, httpx, requests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import threading
import time

API_KEY = "bench-key"
MESSAGE = "Summarize my unread emails from today and tell me which ones need a reply"
CONDITION = "When a deploy fails"
ACTION = "Summarize the error and page the on-call engineer"
WEBHOOK_DATA = {"event": "deploy_failed", "service": "api", "build": 1234, "ok": False}

ASYNC_CLIENTS = {"ours-async", "httpx-async", "aiohttp"}


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s() -> float:
    """User + system CPU seconds of this process, all threads."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[i]


# --- sync clients: each returns (send_message(), (create_webhook(), send_webhook(hook)) | None)


def sync_client(name: str, base: str):
    headers = {
        "Authorization": f"Bearer {API_KEY}",
        "Content-Type": "application/json",
        "User-Agent": f"bench ({platform.system()})",
    }
    url = f"{base}/inbound/api-message"
    body = {"message": MESSAGE}

    if name in ("ours", "official"):
        import poke

        client = poke.Poke(api_key=API_KEY, base_url=base)

        def send():
            return client.send_message(MESSAGE)

        def pair():
            hook = client.create_webhook(condition=CONDITION, action=ACTION)
            return client.send_webhook(
                webhook_url=hook["webhookUrl"],
                webhook_token=hook["webhookToken"],
                data=WEBHOOK_DATA,
            )

        return send, pair

    if name == "httpx":
        import httpx

        client = httpx.Client(headers=headers, limits=httpx.Limits(max_connections=64))

        def send():
            r = client.post(url, content=json.dumps(body).encode())
            r.raise_for_status()
            return json.loads(r.content)

        return send, None

    if name == "requests":
        import requests
        from requests.adapters import HTTPAdapter

        session = requests.Session()
        session.headers.update(headers)
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=64)
        session.mount("http://", adapter)
        session.mount("https://", adapter)

        def send():
            r = session.post(url, data=json.dumps(body).encode())
            r.raise_for_status()
            return json.loads(r.content)

        return send, None

    raise SystemExit(f"unknown sync client {name}")


async def async_client(name: str, base: str):
    """Returns (send coroutine function, close coroutine function)."""
    headers = {
        "Authorization": f"Bearer {API_KEY}",
        "Content-Type": "application/json",
        "User-Agent": f"bench ({platform.system()})",
    }
    url = f"{base}/inbound/api-message"
    body = {"message": MESSAGE}

    if name == "ours-async":
        import poke

        client = poke.AsyncPoke(api_key=API_KEY, base_url=base)

        async def send():
            return await client.send_message(MESSAGE)

        async def close():
            await client.aclose()

        return send, close

    if name == "httpx-async":
        import httpx

        client = httpx.AsyncClient(headers=headers, limits=httpx.Limits(max_connections=64))

        async def send():
            r = await client.post(url, content=json.dumps(body).encode())
            r.raise_for_status()
            return json.loads(r.content)

        return send, client.aclose

    if name == "aiohttp":
        import aiohttp

        session = aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(limit=64))

        async def send():
            async with session.post(url, data=json.dumps(body).encode()) as r:
                r.raise_for_status()
                return json.loads(await r.read())

        return send, session.close

    raise SystemExit(f"unknown async client {name}")


# --- scenarios


def run_seq(call, warmup: float, duration: float) -> dict:
    end = time.perf_counter() + warmup
    while time.perf_counter() < end:
        call()
    lat = []
    append = lat.append
    clock = time.perf_counter_ns
    cpu0 = cpu_s()
    start = clock()
    stop = start + int(duration * 1e9)
    now = start
    while now < stop:
        t0 = now
        call()
        now = clock()
        append(now - t0)
    elapsed = (now - start) / 1e9
    cpu = cpu_s() - cpu0
    lat.sort()
    return {
        "cpu_us_per_call": cpu * 1e6 / len(lat),
        "calls": len(lat),
        "seconds": elapsed,
        "per_s": len(lat) / elapsed,
        "p50_us": percentile(lat, 0.50) / 1e3,
        "p99_us": percentile(lat, 0.99) / 1e3,
    }


def run_threads(call, n: int, warmup: float, duration: float) -> dict:
    counts = [0] * n
    stop = threading.Event()
    errors = []

    def worker(i):
        try:
            c = 0
            while not stop.is_set():
                call()
                c += 1
                counts[i] = c
        except BaseException as e:  # reported, not hidden
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(warmup)
    c0, t0, u0 = sum(counts), time.perf_counter(), cpu_s()
    time.sleep(duration)
    c1, t1, u1 = sum(counts), time.perf_counter(), cpu_s()
    stop.set()
    for t in threads:
        t.join(30)
    if errors:
        raise SystemExit(f"worker failed: {errors[0]}")
    return {
        "cpu_us_per_call": (u1 - u0) * 1e6 / max(1, c1 - c0),
        "calls": c1 - c0,
        "seconds": t1 - t0,
        "per_s": (c1 - c0) / (t1 - t0),
    }


async def run_async_seq(send, warmup: float, duration: float) -> dict:
    end = time.perf_counter() + warmup
    while time.perf_counter() < end:
        await send()
    lat = []
    clock = time.perf_counter_ns
    cpu0 = cpu_s()
    start = clock()
    stop = start + int(duration * 1e9)
    now = start
    while now < stop:
        t0 = now
        await send()
        now = clock()
        lat.append(now - t0)
    elapsed = (now - start) / 1e9
    cpu = cpu_s() - cpu0
    lat.sort()
    return {
        "cpu_us_per_call": cpu * 1e6 / len(lat),
        "calls": len(lat),
        "seconds": elapsed,
        "per_s": len(lat) / elapsed,
        "p50_us": percentile(lat, 0.50) / 1e3,
        "p99_us": percentile(lat, 0.99) / 1e3,
    }


async def run_tasks(send, n: int, warmup: float, duration: float) -> dict:
    counts = [0] * n
    stopping = False

    async def worker(i):
        c = 0
        while not stopping:
            await send()
            c += 1
            counts[i] = c

    tasks = [asyncio.ensure_future(worker(i)) for i in range(n)]
    await asyncio.sleep(warmup)
    c0, t0, u0 = sum(counts), time.perf_counter(), cpu_s()
    await asyncio.sleep(duration)
    c1, t1, u1 = sum(counts), time.perf_counter(), cpu_s()
    stopping = True
    await asyncio.gather(*tasks)
    return {
        "cpu_us_per_call": (u1 - u0) * 1e6 / max(1, c1 - c0),
        "calls": c1 - c0,
        "seconds": t1 - t0,
        "per_s": (c1 - c0) / (t1 - t0),
    }


def check_reply(reply) -> None:
    if not (isinstance(reply, dict) and reply.get("success") is True):
        raise SystemExit(f"unexpected reply: {reply!r}")


# --- sessions API scenarios (emulator): sse, download


def auth_headers() -> dict:
    return {"Authorization": f"Bearer {API_KEY}", "User-Agent": f"bench ({platform.system()})"}


def run_sse(client: str, base: str, events: int) -> dict:
    """One turn of `events` events, each decoded (JSON data), after a 2,000-event warm-up turn."""
    if client == "ours":
        from poke import Pokee

        session = Pokee(api_key=API_KEY, base_url=base).sessions.create()

        def turn(message):
            n = 0
            for ev in session.send(message):
                ev.data  # noqa: B018 - the parsed payload, as the peers decode theirs
                n += 1
            return n

    elif client == "httpx":
        import httpx
        from httpx_sse import connect_sse

        c = httpx.Client(headers=auth_headers(), timeout=None)
        r = c.post(f"{base}/v1/sessions", json={})
        r.raise_for_status()
        url = f"{base}/v1/sessions/{r.json()['id']}/messages"

        def turn(message):
            n = 0
            with connect_sse(c, "POST", url, json={"message": message}) as source:
                source.response.raise_for_status()
                for sse in source.iter_sse():
                    json.loads(sse.data)
                    n += 1
            return n

    elif client == "requests":
        import requests

        s = requests.Session()
        s.headers.update(auth_headers())
        r = s.post(f"{base}/v1/sessions", json={})
        r.raise_for_status()
        url = f"{base}/v1/sessions/{r.json()['id']}/messages"

        def turn(message):
            n = 0
            data, event, last_id = [], None, None
            with s.post(url, json={"message": message}, stream=True) as r:
                r.raise_for_status()
                for line in r.iter_lines(chunk_size=65536):
                    if not line:
                        if data:
                            json.loads(b"\n".join(data))
                            n += 1
                        data, event = [], None
                    elif line.startswith(b"data:"):
                        v = line[5:]
                        data.append(v[1:] if v.startswith(b" ") else v)
                    elif line.startswith(b"event:"):
                        event = line[6:].strip()
                    elif line.startswith(b"id:"):
                        last_id = line[3:].strip()
            del event, last_id
            return n

    elif client == "ours-responses":
        from poke import Pokee

        responses = Pokee(api_key=API_KEY, base_url=base).responses

        def turn(message):
            n = 0
            for ev in responses.stream(input=message):
                ev.data  # noqa: B018 - the parsed payload, as for the turn rows
                n += 1
            return n

    elif client in ("ours-async", "httpx-async", "ours-responses-async"):
        return asyncio.run(run_sse_async(client, base, events))

    else:
        raise SystemExit(f"{client} has no sse scenario")

    turn("warm up events=2000 pace_ms=0")
    cpu0, t0 = cpu_s(), time.perf_counter()
    n = turn(f"bench events={events} pace_ms=0")
    return sse_result(client, events, n, time.perf_counter() - t0, cpu_s() - cpu0)


def sse_result(client: str, events: int, n: int, elapsed: float, cpu: float) -> dict:
    """The figures of one timed turn of `n` events (at least `events`, or the run fails)."""
    if n < events:
        raise SystemExit(f"{client}: {n} events, expected {events}")
    return {
        "events": n,
        "seconds": elapsed,
        "per_s": n / elapsed,
        "cpu_us_per_event": cpu * 1e6 / n,
    }


async def run_sse_async(client: str, base: str, events: int) -> dict:
    """`run_sse` for asyncio clients: `async for` over the same turn."""
    if client == "ours-responses-async":
        from poke import AsyncPokee

        responses = AsyncPokee(api_key=API_KEY, base_url=base).responses

        async def turn(message):
            n = 0
            async for ev in await responses.stream(input=message):
                ev.data  # noqa: B018 - the parsed payload, as for the turn rows
                n += 1
            return n

    elif client == "ours-async":
        from poke import AsyncPokee

        session = await AsyncPokee(api_key=API_KEY, base_url=base).sessions.create()

        async def turn(message):
            n = 0
            async for ev in await session.send(message):
                ev.data  # noqa: B018 - the parsed payload, as the peers decode theirs
                n += 1
            return n

    else:
        import httpx
        from httpx_sse import aconnect_sse

        c = httpx.AsyncClient(headers=auth_headers(), timeout=None)
        r = await c.post(f"{base}/v1/sessions", json={})
        r.raise_for_status()
        url = f"{base}/v1/sessions/{r.json()['id']}/messages"

        async def turn(message):
            n = 0
            async with aconnect_sse(c, "POST", url, json={"message": message}) as source:
                source.response.raise_for_status()
                async for sse in source.aiter_sse():
                    json.loads(sse.data)
                    n += 1
            return n

    await turn("warm up events=2000 pace_ms=0")
    cpu0, t0 = cpu_s(), time.perf_counter()
    n = await turn(f"bench events={events} pace_ms=0")
    return sse_result(client, events, n, time.perf_counter() - t0, cpu_s() - cpu0)


def peak_rss_kib() -> int:
    """This process's peak RSS in KiB: `VmHWM` on Linux, which belongs to this program alone.
    (`ru_maxrss` also counts the parent's peak from before `exec`, which hid any growth
    smaller than the benchmark driver's own size.)"""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_download(client: str, base: str, session_id: str, dest_dir: str) -> dict:
    """Downloads the session's input/big.bin to a file, or counts its bytes in memory (the
    ``*-iter`` clients); MB/s and growth of the peak RSS."""
    path = "input/big.bin"
    dest = os.path.join(dest_dir, f"download-{client}-{os.getpid()}.bin")
    url = f"{base}/v1/sessions/{session_id}/files/{path}"
    counted = [0]
    if client in ("ours", "ours-fileobj", "ours-iter"):
        from poke import Pokee

        files = Pokee(api_key=API_KEY, base_url=base).sessions.get(session_id).files

        if client == "ours":

            def fetch():
                files.download(path, dest)

        elif client == "ours-fileobj":

            def fetch():
                with open(dest, "wb") as f:
                    files.download(path, f)

        else:

            def fetch():
                n = 0
                with files.iter_bytes(path) as stream:
                    for chunk in stream:
                        n += len(chunk)
                counted[0] = n

    elif client == "ours-iter-async":
        from poke import AsyncPokee

        async def setup():
            return (await AsyncPokee(api_key=API_KEY, base_url=base).sessions.get(session_id)).files

        loop = asyncio.new_event_loop()
        afiles = loop.run_until_complete(setup())

        async def count():
            n = 0
            async with afiles.iter_bytes(path) as stream:
                async for chunk in stream:
                    n += len(chunk)
            counted[0] = n

        def fetch():
            loop.run_until_complete(count())

    elif client == "httpx-iter":
        import httpx

        c = httpx.Client(headers=auth_headers(), timeout=None)

        def fetch():
            n = 0
            with c.stream("GET", url) as r:
                r.raise_for_status()
                for chunk in r.iter_bytes():
                    n += len(chunk)
            counted[0] = n

    elif client == "httpx-iter-async":
        import httpx

        loop = asyncio.new_event_loop()
        ac = httpx.AsyncClient(headers=auth_headers(), timeout=None)

        async def acount():
            n = 0
            async with ac.stream("GET", url) as r:
                r.raise_for_status()
                async for chunk in r.aiter_bytes():
                    n += len(chunk)
            counted[0] = n

        def fetch():
            loop.run_until_complete(acount())

    elif client == "requests-iter":
        import requests

        s = requests.Session()
        s.headers.update(auth_headers())

        def fetch():
            n = 0
            with s.get(url, stream=True) as r:
                r.raise_for_status()
                for chunk in r.iter_content(chunk_size=1 << 20):
                    n += len(chunk)
            counted[0] = n

    elif client == "httpx":
        import httpx

        c = httpx.Client(headers=auth_headers(), timeout=None)

        def fetch():
            with c.stream("GET", url) as r, open(dest, "wb") as f:
                r.raise_for_status()
                for chunk in r.iter_bytes():
                    f.write(chunk)

    elif client == "requests":
        import requests

        s = requests.Session()
        s.headers.update(auth_headers())

        def fetch():
            with s.get(url, stream=True) as r, open(dest, "wb") as f:
                r.raise_for_status()
                for chunk in r.iter_content(chunk_size=1 << 20):
                    f.write(chunk)

    else:
        raise SystemExit(f"{client} has no download scenario")

    maxrss0 = peak_rss_kib()
    cpu0, t0 = cpu_s(), time.perf_counter()
    try:
        fetch()
        elapsed, cpu = time.perf_counter() - t0, cpu_s() - cpu0
        maxrss1 = peak_rss_kib()
        size = counted[0] if client.endswith(("-iter", "-iter-async")) else os.path.getsize(dest)
    finally:
        if os.path.exists(dest):
            os.unlink(dest)
    return {
        "bytes": size,
        "seconds": elapsed,
        "per_s": size / 1e6 / elapsed,
        "cpu_s": cpu,
        "maxrss_before_kib": maxrss0,
        "maxrss_kib": maxrss1,
        "rss_growth_kib": maxrss1 - maxrss0,
    }


def run_construct(client: str, base: str, duration: float) -> dict:
    """Client construction (and drop): µs per `Poke(...)` for http://, and for https:// the
    first client of the process, then every later one (nothing connects)."""
    import poke

    https_base = base.replace("http://", "https://", 1)

    def make(url):
        c = poke.Poke(api_key=API_KEY, base_url=url)
        close = getattr(c, "close", None)
        if close is not None:
            close()

    t0 = time.perf_counter()
    make(https_base)
    first_https_us = (time.perf_counter() - t0) * 1e6
    out = {"https_first_us": first_https_us}
    for key, url in (("us_per_client", base), ("https_us_per_client", https_base)):
        make(url)
        n, t0, c0 = 0, time.perf_counter(), cpu_s()
        while time.perf_counter() - t0 < duration / 2:
            for _ in range(100):
                make(url)
            n += 100
        elapsed = time.perf_counter() - t0
        out[key] = elapsed / n * 1e6
        if key == "us_per_client":
            out["per_s"] = n / elapsed
            out["cpu_us_per_call"] = (cpu_s() - c0) / n * 1e6
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("client")
    p.add_argument(
        "scenario", choices=["seq", "conc", "webhook", "import", "sse", "download", "construct"]
    )
    p.add_argument("--url", help="Poke API base URL (…/api/v1)")
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--duration", type=float, default=2.0)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--base", help="emulator root URL (sse, download)")
    p.add_argument("--events", type=int, default=200_000, help="events of the sse turn")
    p.add_argument("--session", help="session holding input/big.bin (download)")
    p.add_argument("--dest-dir", default=".", help="where download writes (then deletes) its file")
    p.add_argument("--cpu", type=int, help="pin this process (all its threads) to one CPU")
    a = p.parse_args()
    if a.cpu is not None:
        os.sched_setaffinity(0, {a.cpu})

    if a.scenario == "import":
        before = rss_kib()
        t0 = time.perf_counter()
        import poke  # noqa: F401

        t1 = time.perf_counter()
        out = {"import_ms": (t1 - t0) * 1e3, "rss_kib": rss_kib(), "rss_before_kib": before}
    elif a.scenario == "construct":
        out = run_construct(a.client, a.url, a.duration)
    elif a.scenario == "sse":
        out = run_sse(a.client, a.base, a.events)
    elif a.scenario == "download":
        out = run_download(a.client, a.base, a.session, a.dest_dir)
    elif a.client in ASYNC_CLIENTS:

        async def go():
            send, close = await async_client(a.client, a.url)
            check_reply(await send())
            try:
                if a.scenario == "seq":
                    return await run_async_seq(send, a.warmup, a.duration)
                if a.scenario == "conc":
                    return await run_tasks(send, a.concurrency, a.warmup, a.duration)
                raise SystemExit(f"{a.client} has no scenario {a.scenario}")
            finally:
                await close()

        out = asyncio.run(go())
    else:
        send, pair = sync_client(a.client, a.url)
        check_reply(send())
        if a.scenario == "seq":
            out = run_seq(send, a.warmup, a.duration)
        elif a.scenario == "conc":
            out = run_threads(send, a.concurrency, a.warmup, a.duration)
        else:
            if pair is None:
                raise SystemExit(f"{a.client} has no webhook scenario")
            check_reply(pair())
            out = run_seq(pair, a.warmup, a.duration)
    out["rss_end_kib"] = rss_kib()
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
