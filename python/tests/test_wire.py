"""Wire format: method, target, headers and the exact JSON bytes 0.2.1 sends."""

from __future__ import annotations

import json
import platform

import poke
import pytest
from conftest import KEY, api_requests, body_json, headers_of


def only_request(emulator):
    reqs = api_requests(emulator)
    assert len(reqs) == 1, reqs
    return reqs[0]


def test_send_message_wire(client, emulator):
    result = client.send_message("Summarize my unread emails")
    assert result == {"success": True, "message": "Message sent successfully"}
    assert type(result) is dict
    req = only_request(emulator)
    assert req["method"] == "POST"
    assert req["target"] == "/api/v1/inbound/api-message"
    h = headers_of(req)
    assert h["authorization"] == f"Bearer {KEY}"
    assert h["content-type"] == "application/json"
    assert h["user-agent"] == f"poke-python/{poke.__version__} ({platform.system()})"
    assert req["body"] == '{"message": "Summarize my unread emails"}'


@pytest.mark.parametrize(
    "message",
    [
        "héllo wörld ✓ 😀",
        "quotes \" and ' and \\ backslash",
        "line1\nline2\r\n\ttab",
        "",
        "x" * 262144,
    ],
)
def test_message_bytes_match_json_dumps(client, emulator, message):
    client.send_message(message)
    req = only_request(emulator)
    assert req["body"] == json.dumps({"message": message})
    assert body_json(req)["message"] == message


def test_non_string_message_sent_as_is(client, emulator):
    client.send_message(123)
    assert only_request(emulator)["body"] == '{"message": 123}'


def test_big_integers_exact_both_ways(client, emulator):
    big = 2**53 + 1
    hook = client.create_webhook(condition="c", action="a")
    client.send_webhook(
        webhook_url=hook["webhookUrl"],
        webhook_token=hook["webhookToken"],
        data={"n": big, "f": 0.1},
    )
    fired = emulator.webhook_fires()[-1]["data"]
    assert fired == {"n": big, "f": 0.1}
    assert '"n": 9007199254740993' in api_requests(emulator)[-1]["body"]


def test_big_integer_in_response_is_exact(client, emulator):
    emulator.add_fault(
        path="/api/v1/inbound/api-message",
        status=200,
        headers={"content-type": "application/json"},
        body='{"success": true, "id": 9007199254740993, "text": "h\\u00e9 \\ud83d\\ude00"}',
    )
    out = client.send_message("x")
    assert out["id"] == 2**53 + 1 and out["text"] == "hé 😀"


def test_non_serializable_raises_type_error_before_io(client, emulator):
    with pytest.raises(TypeError):
        client.send_message(object())
    assert api_requests(emulator) == []


def test_create_webhook_wire(client, emulator):
    hook = client.create_webhook(condition="When a deploy fails", action="Summarize")
    assert set(hook) == {"triggerId", "webhookUrl", "webhookToken"}
    assert hook["webhookUrl"].startswith(emulator.url)
    req = only_request(emulator)
    assert req["target"] == "/api/v1/api-keys/webhook"
    assert req["body"] == '{"condition": "When a deploy fails", "action": "Summarize"}'


def test_webhook_round_trip_uses_webhook_token(client, emulator):
    hook = client.create_webhook(condition="c", action="a")
    data = {"event": "deploy_failed", "repo": "my-app", "error": "OOM killed"}
    assert client.send_webhook(
        webhook_url=hook["webhookUrl"], webhook_token=hook["webhookToken"], data=data
    ) == {"success": True}
    req = api_requests(emulator)[-1]
    assert headers_of(req)["authorization"] == f"Bearer {hook['webhookToken']}"
    assert req["body"] == json.dumps(data)
    assert emulator.webhook_fires() == [{"triggerId": hook["triggerId"], "data": data}]


def test_empty_webhook_token_falls_back_to_api_key(client, emulator):
    # 0.2.1 builds f"Bearer {token or self._api_key}"; the emulator rejects the API key there.
    with pytest.raises(poke.AuthenticationError):
        client.send_webhook(
            webhook_url=emulator.poke_api_url + "/inbound/webhook", webhook_token="", data={}
        )
    assert headers_of(api_requests(emulator)[-1])["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.create_webhook("c", "a"),
        lambda c: c.send_webhook("u", "t", {}),
        lambda c: c.create_webhook(condition="c"),
    ],
)
def test_keyword_rules_raise_type_error_and_send_nothing(client, emulator, call):
    with pytest.raises(TypeError):
        call(client)
    assert api_requests(emulator) == []


def test_send_message_accepts_keyword(client, emulator):
    client.send_message(message="kw")
    assert body_json(only_request(emulator)) == {"message": "kw"}


def test_eight_threads_share_one_client(client, emulator):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: client.send_message(f"m{i}"), range(64)))
    assert all(r["success"] for r in results)
    got = sorted(m["message"] for m in emulator.messages())
    assert got == sorted(f"m{i}" for i in range(64))
