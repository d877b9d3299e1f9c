"""Drop-in compatibility: only the documented API of poke 0.2.1.

Runs unchanged against the official package and against ours (see run.sh). The emulator is
started outside the test process (`python -m poke.emulator`) and its URL given in
POKE_COMPAT_EMULATOR; faults are scripted over its HTTP control API with urllib only.
"""

from __future__ import annotations

import json
import os
import urllib.request

import pytest
from poke import AuthenticationError, ForbiddenError, Poke, PokeError, RateLimitError

EMU = os.environ["POKE_COMPAT_EMULATOR"]
API = EMU + "/api/v1"


def control(method, path, payload=None):
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(EMU + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
        return json.loads(body) if body else None


@pytest.fixture(autouse=True)
def fresh_emulator(monkeypatch, tmp_path):
    control("POST", "/_emulator/reset", {})
    for var in ("POKE_API_KEY", "POKE_API"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))


def journal():
    return [r for r in control("GET", "/_emulator/requests") if r["path"].startswith("/api/")]


def fault(status, body="", times=5):
    control(
        "POST",
        "/_emulator/faults",
        {"path": "/api/v1/inbound/api-message", "status": status, "body": body, "times": times},
    )


def test_quick_start_round_trip():
    client = Poke(api_key="pk_test", base_url=API)
    assert client.send_message("Summarize my unread emails") == {
        "success": True,
        "message": "Message sent successfully",
    }
    webhook = client.create_webhook(condition="When a deploy fails", action="Send me a summary")
    assert set(webhook) == {"triggerId", "webhookUrl", "webhookToken"}
    fired = client.send_webhook(
        webhook_url=webhook["webhookUrl"],
        webhook_token=webhook["webhookToken"],
        data={"event": "deploy_failed", "repo": "my-app", "error": "OOM killed"},
    )
    assert fired == {"success": True}


def test_body_and_headers():
    Poke(api_key="pk_test", base_url=API).send_message("h\u00e9llo")
    (req,) = journal()
    headers = dict(req["headers"])
    assert req["body"] == '{"message": "h\\u00e9llo"}'
    assert headers["authorization"] == "Bearer pk_test"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("poke-python/")


def test_env_key_and_base_url(monkeypatch):
    monkeypatch.setenv("POKE_API_KEY", "from-env")
    monkeypatch.setenv("POKE_API", API + "/")
    Poke().send_message("x")
    assert dict(journal()[0]["headers"])["authorization"] == "Bearer from-env"


def test_credentials_file(tmp_path):
    (tmp_path / "poke").mkdir()
    (tmp_path / "poke" / "credentials.json").write_text('{\n  "token": "from-file"\n}')
    Poke(base_url=API).send_message("x")
    assert dict(journal()[0]["headers"])["authorization"] == "Bearer from-file"


def test_missing_key():
    with pytest.raises(PokeError) as info:
        Poke()
    assert str(info.value) == (
        "No API key found. Pass api_key=, set POKE_API_KEY, or log in with the Poke CLI."
    )
    assert info.value.status is None


@pytest.mark.parametrize(
    ("status", "cls", "text"),
    [
        (
            401,
            AuthenticationError,
            "Invalid API key. Get a new one at https://poke.com/kitchen/api-keys",
        ),
        (403, ForbiddenError, "API key doesn't have permission for this action"),
        (429, RateLimitError, "Rate limited. Please slow down and retry."),
    ],
)
def test_documented_error_classes(status, cls, text):
    fault(status)
    with pytest.raises(cls) as info:
        Poke(api_key="k", base_url=API).send_message("x")
    assert str(info.value) == text and info.value.status == status
    assert isinstance(info.value, PokeError)


@pytest.mark.parametrize(
    ("status", "body", "text"),
    [
        (500, '{"error": "boom"}', "Poke API error (500): boom"),
        (400, '{"message": "bad"}', "Poke API error (400): bad"),
        (404, "", "Poke API error (404): Not Found"),
        (500, "{}", "Poke API error (500): "),
    ],
)
def test_generic_errors(status, body, text):
    fault(status, body)
    with pytest.raises(PokeError) as info:
        Poke(api_key="k", base_url=API).send_message("x")
    assert str(info.value) == text and info.value.status == status


def test_network_error():
    client = Poke(api_key="k", base_url="http://127.0.0.1:9/api/v1")
    with pytest.raises(PokeError) as info:
        client.send_message("x")
    assert str(info.value).startswith("Network error: ")
    assert info.value.status is None


def test_keyword_only():
    client = Poke(api_key="k", base_url=API)
    with pytest.raises(TypeError):
        client.create_webhook("c", "a")
    with pytest.raises(TypeError):
        Poke("k")
    assert journal() == []
