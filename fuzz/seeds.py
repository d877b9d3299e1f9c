#!/usr/bin/env python3
"""Writes the seed corpora (fuzz/seeds/<target>/) from the inputs of the unit tests.

Each target reads its own input layout (see the comment at the top of its fuzz_targets file);
this script encodes the test inputs in it. Run it again after changing a layout.
"""

from __future__ import annotations

import hashlib
import shutil
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "seeds"

SSE_STREAMS = [
    b'id: 3\nevent: text.delta\ndata: {"content": "NVIDIA "}\n\n',
    b"data: a\ndata:b\ndata\ndata:  c\n\n",
    b"data\n\ndata:\n\n",
    b"event: x\n\ndata: y\n\n",
    b"id: 1\ndata: a\n\ndata: b\n\nid: 7\n\n",
    b"id: 1\ndata: a\n\nid: 2\ndata: partial\n",
    b"id: 5\ndata: a\n\nid: 6\0x\ndata: b\n\nid\ndata: c\n\n",
    b"retry: 1500\nretry: 15x\nretry: -1\nretry:\nretry: 99999999999999999999999\n\n",
    b": ping\n:\nfoo: bar\nEvent: X\ndata: z\n\n",
    b"event:  two\ndata:\tx\n\n",
    b"id: 1\r\nevent: e\r\ndata: d\r\n\r\n",
    b"id: 1\revent: e\rdata: d\r\r",
    b"id: 1\r\nevent: e\rdata: d\n\r\n",
    b"\xef\xbb\xbfdata: a\n\n\xef\xbb\xbfdata: b\n\n",
    b"\xef\xbbx\n\ndata: \xef\xbb\n\n",
    "data: héllo 🦀\n\n".encode(),
    b'id: 0\nevent: message.created\ndata: {"id": "msg_abc", "sequence_number": 0}\n\n'
    b'id: 1\nevent: message.completed\ndata: {"sequence_number": 1}\n\n',
]


def sse(stream: bytes, cuts: list[int]) -> bytes:
    return bytes([len(cuts)]) + b"".join(struct.pack("<H", c) for c in cuts) + stream


RECORDS = [
    b'{"id":"sess_a86118c06688","created_at":1777222996.07,"last_activity":1777222996,'
    b'"busy":false,"persistent":false,"ttl":14400,"status":"warming","metadata":{"k":1},'
    b'"file_access":{"read":[""],"write":[""]},"shiny":true}',
    b'{"id":"s","status":"busy"}',
    b'[{"id":"a","status":"ready"},{"id":"b","busy":true,"model":"m","tools":[{"type":"function"}]}]',
    b'{"name":"x","type":"symlink","size":3,"modified":1.5,"target":"y"}',
    b'[{"name":"output","type":"directory","size":0},{"name":"a.md","type":"file","size":12}]',
    b'{"path":"input/a.bin","size":5,"modified":1777222996.5}',
    b'{"rate_limit":{"caller_id":"default","buckets":{"session_turn":{"windows":[{"name":"hour",'
    b'"duration_seconds":3600,"turns":5,"max_turns":500,"tokens":31137,"max_tokens":100000000,'
    b'"enabled":true}]}}},"credits":{"enabled":true,"mode":"soft","balance":99961.99}}',
    b'{"rate_limit":{"caller_id":"default","windows":[{"name":"hour","turns":1,"max_turns":120},'
    b'{"name":"day","turns":1,"max_turns":1000}]}}',
    b'{"deleted":3}',
    b'{"response_id":"resp_1","status":"cancelling"}',
    b'{"call_id":"call_1","status":"accepted"}',
    b'{"response_id":"resp_1","status":"replayed","note":"events evicted"}',
    b'{"success":true,"message":"queued"}',
    b'{"triggerId":"t1","webhookUrl":"http://x/hook","webhookToken":"tok"}',
    b"[1, 2.5e300, -0, null, true, \"\\u00e9\\ud83e\\udd80\"]",
    b"1e400",
    b"{}",
    b"",
]

API_ERRORS = [
    (0, 500, b"", b'{"error":"boom"}'),
    (0, 500, b"", b'{"message":"m"}'),
    (0, 500, b"", b"notjson"),
    (0, 400, b"", b"[1]"),
    (0, 404, b"", b'{"error":"","message":"mm"}'),
    (0, 422, b"", b'{"error":{"a":1}}'),
    (0, 409, b"", b'{"error":123}'),
    (0, 401, b"x-request-id: req_9", b'{"error":"x"}'),
    (0, 429, b"retry-after: 2", b""),
    (1, 409, b"x-request-id: req_1", b'{"error":"session.busy","message":"Session is busy"}'),
    (1, 503, b"retry-after-ms: 250", b'{"error":"unavailable"}'),
    (1, 404, b"", b'{"error":"not_found","message":"evicted"}'),
    (1, 999, b"", b"\xff\xfe"),
]

RETRY_AFTER = [
    (3, "250\n9"),
    (2, "\n2"),
    (2, "\nTue, 14 Nov 2023 22:13:50 GMT"),
    (2, "\nsoon"),
    (1, "x"),
    (3, "1e400\n-1"),
    (2, "\n1e20"),
    (1, "1e300"),
]

PATHS = [
    (0, "output/deck.pptx"),
    (0, "my docs/r&d #1.md"),
    (0, "%2e%2e/x"),
    (1, "output/"),
    (0, ""),
    (0, "/etc/passwd"),
    (0, "../x"),
    (0, "a/../b"),
    (0, "a/./b"),
    (0, "."),
    (0, "a//b"),
    (0, "a\\b"),
    (0, "a\0b"),
    (0, "a\nb"),
    (0, "output/"),
    (0, "a" * 1024),
    (0, "a" * 1025),
    (0, "é/🦀/\u0085x"),
]

CREDENTIALS = [
    b'{"token": "abc"}',
    b'{"token": 123}',
    b'{"token": 1e16}',
    b'{"token": ""}',
    b'{"token": null}',
    b'{"token": {"a": [1, "it\'s"]}}',
    b'{"token": true}',
    b"[]",
    b"not json",
]

CONTENT_RANGES = [
    b"bytes 100-199/1000",
    b"bytes 0-0/1",
    b"bytes */1000",
    b"items 1-2/3",
    b"  bytes   7 - 9 / *",
]

LISTINGS = [
    (1, 0, 0, b'[{"name":"a","type":"file","size":1}]'),
    (1, 3, 0, b'[{"name":"output","type":"directory","size":0},{"name":"b","type":"file"}]'),
    (1, 3, 5, b'[{"name":"output","type":"directory","size":0},{"name":"b","type":"file"}]'),
    (3, 0, 0, b'[{"name":"a","type":"file","size":1}]'),
    (5, 2, 0, b'[{"name":"a","type":"file"}'),
    (1, 0, 0, b'{"not": "a listing"}'),
    (0, 1, 0, b"PK\x03\x04binary"),
    (1, 0, 1, b"[]"),
]


def write(target: str, items: list[bytes]) -> None:
    out = SEEDS / target
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for item in items:
        name = hashlib.sha1(item).hexdigest()
        (out / name).write_bytes(item)


def main() -> None:
    write("sse", [sse(s, []) for s in SSE_STREAMS] + [sse(s, [3, 7, 11]) for s in SSE_STREAMS])
    write("json_replies", RECORDS)
    write(
        "api_error",
        [bytes([f]) + struct.pack("<H", st) + h + b"\n\n" + b for f, st, h, b in API_ERRORS],
    )
    write("retry_after", [bytes([f]) + t.encode() for f, t in RETRY_AFTER])
    write("workspace_path", [bytes([f]) + p.encode() for f, p in PATHS])
    write("credentials", CREDENTIALS)
    write("content_range", CONTENT_RANGES)
    write("listing", [bytes([f, c, cap]) + b for f, c, cap, b in LISTINGS])
    # Structure-aware: any bytes make an input; a few lengths give the fuzzer a start.
    write("resume", [bytes(range(n)) * 2 for n in (16, 64, 200)] + [b"\xff" * 64])


if __name__ == "__main__":
    main()
