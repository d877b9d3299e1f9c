"""Event payloads the emulator never sends, from a fixed SSE body: `data` is what `json.loads`
makes of each payload (or the text itself), and events read ahead in one batch keep their own
id, type and raw text."""

from __future__ import annotations

import http.server
import json

import poke
import pytest
from conftest import KEY, serve_http

PAYLOADS = [
    '{"b": 1, "a": 2, "c": {"z": [], "y": {}}}',
    '{"k": 1, "k": 2}',
    '"just a string"',
    "[1, 2.5, -3, true, null]",
    "12",
    "plain text, not JSON",
    "{truncated",
    '{"a": 1} trailing',
    '{"esc": "tab\\there \\u00e9 \\ud83d\\ude00 \\"q\\""}',
    "line one\nline two",
    "",
]


def sse_body() -> bytes:
    out = []
    for i, payload in enumerate(PAYLOADS):
        data = "\n".join(f"data: {line}" for line in payload.split("\n"))
        out.append(f"id: {i}\nevent: custom.{i}\n{data}\n\n")
    n = len(PAYLOADS)
    out.append(f'id: {n}\nevent: message.completed\ndata: {{"sequence_number": {n}}}\n\n')
    return "".join(out).encode()


class _Fixed(http.server.BaseHTTPRequestHandler):
    """`POST /v1/sessions` answers a session; any other POST streams `sse_body()`."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/v1/sessions":
            body, kind = b'{"id": "sess_fixed", "status": "ready"}', "application/json"
        else:
            body, kind = sse_body(), "text/event-stream"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fixed_server():
    with serve_http(_Fixed) as url:
        yield url


def expected_data(raw: str):
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def test_data_matches_json_loads_or_is_the_text(fixed_server):
    session = poke.Pokee(api_key=KEY, base_url=fixed_server).sessions.create()
    events = list(session.send("go"))
    # `data: ` with nothing after it still dispatches an event, with empty data (WHATWG).
    assert [e.raw for e in events[:-1]] == PAYLOADS
    for ev, raw in zip(events, PAYLOADS):
        want = expected_data(raw)
        assert ev.data == want, raw
        assert type(ev.data) is type(want), raw
        if isinstance(want, dict):
            assert list(ev.data) == list(want), "keys keep the payload's order"
    assert events[0].data["c"] == {"z": [], "y": {}}
    assert events[1].data == {"k": 2}
    assert events[8].data["esc"] == 'tab\there é 😀 "q"'
    assert events[9].data == "line one\nline two"
    assert events[10].data == ""


def test_each_event_of_a_batch_keeps_its_own_parts(fixed_server):
    session = poke.Pokee(api_key=KEY, base_url=fixed_server).sessions.create()
    first = list(session.send("go"))
    again = list(session.send("go"))
    assert [e.id for e in first] == [str(i) for i in range(len(first))]
    assert [e.type for e in first[:-1]] == [f"custom.{i}" for i in range(len(first) - 1)]
    assert first[-1].is_terminal and first[-1].sequence_number == len(first) - 1
    assert not any(e.is_terminal for e in first[:-1])
    # Equal parts make equal events, across batches; different parts do not.
    assert first == again
    assert first[0] != first[1]
    assert first[2].content is None and first[0].sequence_number == 0
    assert first[0].to_dict() == {"id": "0", "type": "custom.0", "data": first[0].data}
    assert list(first[0].to_dict()["data"]) == ["b", "a", "c"]
    assert repr(first[1]) == "Event(id='1', type='custom.1', data={'k': 2})"
    assert repr(first[5]) == "Event(id='5', type='custom.5', data='plain text, not JSON')"
    # Events outlive their turn and their batch.
    del session
    assert [e.raw for e in first[:3]] == PAYLOADS[:3]
