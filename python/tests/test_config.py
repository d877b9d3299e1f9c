"""Credential and base-URL resolution, exactly as 0.2.1 (argument, env, credentials file)."""

from __future__ import annotations

import json

import poke
import pytest
from conftest import api_requests, headers_of

MISSING = "No API key found. Pass api_key=, set POKE_API_KEY, or log in with the Poke CLI."


def write_credentials(base, content):
    path = base / "poke" / "credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def sent_key(client, emulator):
    client.send_message("x")
    return headers_of(api_requests(emulator)[-1])["authorization"]


def test_argument_wins_over_env_and_file(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("POKE_API_KEY", "env-key")
    write_credentials(tmp_path / "xdg", json.dumps({"token": "file-key"}))
    c = poke.Poke(api_key="arg-key", base_url=emulator.poke_api_url)
    assert sent_key(c, emulator) == "Bearer arg-key"


def test_env_wins_over_file(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("POKE_API_KEY", "env-key")
    write_credentials(tmp_path / "xdg", json.dumps({"token": "file-key"}))
    assert poke.Poke(base_url=emulator.poke_api_url)._api_key == "env-key"


def test_empty_argument_and_env_fall_through(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("POKE_API_KEY", "")
    write_credentials(tmp_path / "xdg", '{\n  "token": "file-key"\n}')
    c = poke.Poke(api_key="", base_url=emulator.poke_api_url)
    assert sent_key(c, emulator) == "Bearer file-key"


def test_xdg_config_home_preferred_over_home(monkeypatch, tmp_path):
    write_credentials(tmp_path / "xdg", json.dumps({"token": "xdg"}))
    write_credentials(tmp_path / "home" / ".config", json.dumps({"token": "home"}))
    assert poke.Poke()._api_key == "xdg"


def test_home_used_when_xdg_unset_or_empty(monkeypatch, tmp_path):
    write_credentials(tmp_path / "home" / ".config", json.dumps({"token": "home"}))
    monkeypatch.setenv("XDG_CONFIG_HOME", "")
    assert poke.Poke()._api_key == "home"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert poke.Poke()._api_key == "home"


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "{}",
        '{"token": null}',
        '{"token": ""}',
        "[1, 2]",
        '"just a string"',
        "null",
        b"\xff\xfe\x00garbage",
    ],
)
def test_malformed_or_empty_files_count_as_absent(tmp_path, content):
    write_credentials(tmp_path / "xdg", content)
    with pytest.raises(poke.PokeError) as info:
        poke.Poke()
    assert str(info.value) == MISSING
    assert info.value.status is None
    assert type(info.value) is poke.PokeError


def test_credentials_path_is_a_directory_counts_as_absent(tmp_path):
    (tmp_path / "xdg" / "poke" / "credentials.json").mkdir(parents=True)
    with pytest.raises(poke.PokeError, match="No API key found"):
        poke.Poke()


def test_numeric_token_used_as_text(emulator, tmp_path):
    write_credentials(tmp_path / "xdg", '{"token": 123}')
    c = poke.Poke(base_url=emulator.poke_api_url)
    assert sent_key(c, emulator) == "Bearer 123"


def test_missing_key_message_is_verbatim():
    with pytest.raises(poke.PokeError) as info:
        poke.Poke()
    assert info.value.args == (MISSING,)


def test_env_read_at_construction_only(emulator, monkeypatch):
    monkeypatch.setenv("POKE_API_KEY", "first")
    c = poke.Poke(base_url=emulator.poke_api_url)
    monkeypatch.setenv("POKE_API_KEY", "second")
    assert sent_key(c, emulator) == "Bearer first"


def test_base_url_default_and_env(monkeypatch):
    assert poke.Poke(api_key="k")._base_url == "https://poke.com/api/v1"
    monkeypatch.setenv("POKE_API", "http://env.example/api/v9///")
    assert poke.Poke(api_key="k")._base_url == "http://env.example/api/v9"
    assert poke.Poke(api_key="k", base_url="")._base_url == "http://env.example/api/v9"
    assert (
        poke.Poke(api_key="k", base_url="http://arg.example/x/")._base_url == "http://arg.example/x"
    )


def test_base_url_trailing_slashes_stripped_and_prefix_kept(emulator):
    c = poke.Poke(api_key="k", base_url=emulator.url + "/api/v1///")
    c.send_message("x")
    assert api_requests(emulator)[-1]["target"] == "/api/v1/inbound/api-message"


def test_base_url_from_env_is_used_on_the_wire(emulator, monkeypatch):
    monkeypatch.setenv("POKE_API", emulator.poke_api_url + "/")
    poke.Poke(api_key="k").send_message("x")
    assert api_requests(emulator)[-1]["target"] == "/api/v1/inbound/api-message"


def test_base_url_without_scheme_is_a_value_error_not_sent():
    c = poke.Poke(api_key="k", base_url="poke.com/api/v1")
    with pytest.raises(ValueError) as info:
        c.send_message("x")
    assert isinstance(info.value, poke.PokeError)


def test_repr_shows_no_secret():
    c = poke.Poke(api_key="pk_canary_secret_123")
    assert "pk_canary" not in repr(c)
    assert "https://poke.com/api/v1" in repr(c)


def test_standard_proxy_variables_are_honoured(emulator, monkeypatch):
    for var in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTP_PROXY", emulator.url)
    c = poke.Poke(api_key="k", base_url="http://poke.invalid/api/v1")
    assert c.send_message("via proxy")["success"]
    req = api_requests(emulator)[-1]
    assert req["path"] == "/api/v1/inbound/api-message"
    assert headers_of(req)["host"] == "poke.invalid"
    monkeypatch.setenv("NO_PROXY", "poke.invalid")
    with pytest.raises(poke.APIConnectionError):
        poke.Poke(api_key="k", base_url="http://poke.invalid/api/v1", max_retries=0).send_message(
            "x"
        )
