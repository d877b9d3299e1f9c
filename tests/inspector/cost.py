"""What the journal costs the emulator (not a test; prints numbers, asserts nothing).

    python3 tests/inspector/cost.py target/release/poke-emulator [OTHER_BINARY ...]

For each `poke-emulator` binary given (e.g. one built from this branch and one from before it):
the server's own CPU time (from /proc, so a busy machine disturbs it less than wall time) per
send-message request over one keep-alive connection, and per event of a 200,000-event turn
streamed at full speed. Best of three fresh emulators each. Linux only.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys

TICK = os.sysconf("SC_CLK_TCK")


def start(binary: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [binary, "--exit-on-stdin-close"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = proc.stdout.readline().strip().rsplit(" ", 1)[1]
    return proc, url.removeprefix("http://")


def cpu_secs(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def posts(host: str, n: int) -> None:
    conn = http.client.HTTPConnection(host)
    headers = {"Authorization": "Bearer k", "Content-Type": "application/json"}
    body = json.dumps({"message": "x" * 200})
    for _ in range(n):
        conn.request("POST", "/api/v1/inbound/api-message", body, headers)
        conn.getresponse().read()
    conn.close()


def stream(host: str, events: int) -> None:
    conn = http.client.HTTPConnection(host)
    conn.request("POST", "/_emulator/sessions/config", json.dumps({"pace_ms": 0}))
    conn.getresponse().read()
    headers = {"Authorization": "Bearer k", "Content-Type": "application/json"}
    conn.request("POST", "/v1/sessions", "{}", headers)
    sid = json.loads(conn.getresponse().read())["id"]
    name, port = host.split(":")
    body = json.dumps({"message": f"events={events}"}).encode()
    request = (
        f"POST /v1/sessions/{sid}/messages HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer k\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    # The server closes the connection after the terminal event.
    with socket.create_connection((name, int(port))) as sock:
        sock.sendall(request)
        while sock.recv(1 << 20):
            pass


def main() -> None:
    for binary in sys.argv[1:]:
        per_post, per_event = [], []
        for _ in range(3):
            proc, host = start(binary)
            posts(host, 2000)
            before = cpu_secs(proc.pid)
            posts(host, 20_000)
            middle = cpu_secs(proc.pid)
            stream(host, 200_000)
            after = cpu_secs(proc.pid)
            per_post.append((middle - before) / 20_000 * 1e6)
            per_event.append((after - middle) / 200_000 * 1e9)
            proc.stdin.close()
            proc.wait()
        print(
            f"{binary}: {min(per_post):.1f} µs server CPU per request, "
            f"{min(per_event):.0f} ns per streamed event (best of 3)"
        )


if __name__ == "__main__":
    main()
