"""Error mapping: classes, statuses and messages of 0.2.1 (§3.5), plus the richer fields."""

from __future__ import annotations

import json
import socket

import poke
import pytest
from conftest import api_requests

PATH = "/api/v1/inbound/api-message"
AUTH = "Invalid API key. Get a new one at https://poke.com/kitchen/api-keys"
FORBIDDEN = "API key doesn't have permission for this action"
RATE = "Rate limited. Please slow down and retry."


def fail_with(emulator, status, body="", headers=None, times=5):
    emulator.add_fault(path=PATH, status=status, body=body, headers=headers or {}, times=times)


def raised(client):
    with pytest.raises(poke.PokeError) as info:
        client.send_message("x")
    return info.value


@pytest.mark.parametrize(
    ("status", "cls", "message"),
    [
        (401, poke.AuthenticationError, AUTH),
        (403, poke.ForbiddenError, FORBIDDEN),
        (429, poke.RateLimitError, RATE),
    ],
)
@pytest.mark.parametrize("body", ['{"error": "server text"}', "", "<html>oops</html>"])
def test_special_statuses_use_fixed_messages(emulator, status, cls, message, body):
    client = poke.Poke(api_key="k", base_url=emulator.poke_api_url, max_retries=0)
    fail_with(emulator, status, body)
    e = raised(client)
    assert type(e) is cls
    assert str(e) == message and e.args == (message,)
    assert e.status == status


@pytest.mark.parametrize(
    ("status", "body", "suffix", "cls"),
    [
        (500, '{"error":"boom"}', "boom", poke.InternalServerError),
        (500, '{"message":"m"}', "m", poke.InternalServerError),
        (500, "{}", "", poke.InternalServerError),
        (500, "notjson", "Internal Server Error", poke.InternalServerError),
        (500, "", "Internal Server Error", poke.InternalServerError),
        (500, "<html><body>Bad</body></html>", "Internal Server Error", poke.InternalServerError),
        (400, "[1]", "Bad Request", poke.BadRequestError),
        (400, '{"error":"bad input"}', "bad input", poke.BadRequestError),
        (404, '{"error":"","message":"mm"}', "mm", poke.NotFoundError),
        (404, '{"error":null,"message":"mm"}', "mm", poke.NotFoundError),
        (422, '{"error":{"a":1}}', "{'a': 1}", poke.UnprocessableEntityError),
        (409, '{"error":123}', "123", poke.ConflictError),
        (502, "", "Bad Gateway", poke.InternalServerError),
        (502, '{"message":"upstream down"}', "upstream down", poke.InternalServerError),
    ],
)
def test_generic_message_matrix(emulator, status, body, suffix, cls):
    client = poke.Poke(api_key="k", base_url=emulator.poke_api_url, max_retries=0)
    fail_with(emulator, status, body)
    e = raised(client)
    assert str(e) == f"Poke API error ({status}): {suffix}"
    assert e.status == status and e.status_code == status
    assert type(e) is cls


def test_rich_fields(emulator):
    client = poke.Poke(api_key="k", base_url=emulator.poke_api_url, max_retries=0)
    fail_with(emulator, 404, '{"error":"nope"}', {"content-type": "application/json"})
    e = raised(client)
    assert e.request_id and e.request_id.startswith("req_")
    assert e.body == '{"error":"nope"}'
    assert e.headers["content-type"] == "application/json"
    assert e.code == "nope"


def test_wrong_key_is_authentication_error(emulator):
    from poke.testing import start_emulator

    with start_emulator(api_key="right") as strict:
        c = poke.Poke(api_key="wrong", base_url=strict.poke_api_url)
        with pytest.raises(poke.AuthenticationError) as info:
            c.send_message("x")
        assert info.value.status == 401
        assert poke.Poke(api_key="right", base_url=strict.poke_api_url).send_message("x")["success"]


def test_bad_webhook_token_is_authentication_error(client, emulator):
    with pytest.raises(poke.AuthenticationError, match="Invalid API key"):
        client.send_webhook(
            webhook_url=emulator.poke_api_url + "/inbound/webhook", webhook_token="nope", data={}
        )


def test_connection_refused(emulator):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = poke.Poke(api_key="k", base_url=f"http://127.0.0.1:{port}/api/v1", max_retries=0)
    e = raised(c)
    assert type(e) is poke.APIConnectionError
    assert str(e) == "Network error: [Errno 111] Connection refused"
    assert e.status is None
    assert isinstance(e, ConnectionError)


def test_closed_without_reply_is_a_poke_error_and_a_connection_error(emulator):
    client = poke.Poke(api_key="k", base_url=emulator.poke_api_url, max_retries=0)
    emulator.add_fault(path=PATH, reset=True)
    e = raised(client)
    assert isinstance(e, poke.APIConnectionError) and isinstance(e, ConnectionError)
    assert str(e).startswith("Network error: ")


@pytest.mark.parametrize("body", ["", "not json", "<html></html>"])
def test_non_json_2xx_is_poke_error_and_json_decode_error(emulator, body):
    client = poke.Poke(api_key="k", base_url=emulator.poke_api_url)
    emulator.add_fault(path=PATH, status=200, body=body)
    with pytest.raises(json.JSONDecodeError) as info:
        client.send_message("x")
    assert isinstance(info.value, poke.PokeError)
    assert isinstance(info.value, ValueError)
    assert info.value.status == 200


def test_control_characters_rejected_before_sending(emulator):
    for bad in ("key\r\nX-Injected: 1", "key\n", "k\x00"):
        c = poke.Poke(api_key=bad, base_url=emulator.poke_api_url)
        with pytest.raises(poke.InvalidRequestError) as info:
            c.send_message("x")
        assert "X-Injected" not in str(info.value)
        assert isinstance(info.value, ValueError)
    assert api_requests(emulator) == []


def test_control_characters_in_webhook_token(client, emulator):
    with pytest.raises(poke.PokeError):
        client.send_webhook(
            webhook_url=emulator.poke_api_url + "/inbound/webhook", webhook_token="t\r\nx", data={}
        )
    assert api_requests(emulator) == []


def test_huge_reply_is_an_error_not_oom(emulator):
    big = '{"x": "' + "a" * (33 * 1024 * 1024) + '"}'
    emulator.add_fault(path=PATH, status=200, body=big)
    client = poke.Poke(api_key="k", base_url=emulator.poke_api_url)
    with pytest.raises(poke.ResponseTooLargeError):
        client.send_message("x")


def test_secret_never_in_error_text(emulator):
    canary = "pk_canary_0123456789"
    client = poke.Poke(api_key=canary, base_url=emulator.poke_api_url, max_retries=0)
    for status in (400, 401, 403, 429, 500):
        fail_with(emulator, status, json.dumps({"error": "e"}), times=1)
        e = raised(client)
        assert canary not in str(e) and canary not in repr(e)
        assert all(canary not in v for v in e.headers.values())
    assert canary not in repr(client)


def test_reply_truncated_mid_body_is_a_connection_error(emulator):
    emulator.add_fault(
        path=PATH, status=200, body='{"success": true, "message": "cut"}', drop_after_bytes=5
    )
    client = poke.Poke(api_key="k", base_url=emulator.poke_api_url, max_retries=0)
    e = raised(client)
    assert isinstance(e, poke.APIConnectionError) and e.status is None
