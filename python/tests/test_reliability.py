"""Timeouts, retries, idempotency keys and logging (beyond 0.2.1, on by default)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid

import poke
import pytest
from conftest import api_requests, headers_of

PATH = "/api/v1/inbound/api-message"


def fast_client(emulator, **kw):
    return poke.Poke(api_key="k", base_url=emulator.poke_api_url, **kw)


def test_stalled_server_times_out(emulator):
    emulator.add_fault(path=PATH, stall_ms=5000)
    c = fast_client(emulator, timeout=0.3, max_retries=0)
    with pytest.raises(poke.APITimeoutError) as info:
        c.send_message("x")
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value, poke.APIConnectionError)
    assert info.value.status is None


def test_per_call_timeout_override(emulator):
    emulator.add_fault(path=PATH, stall_ms=5000)
    c = fast_client(emulator, max_retries=0)
    with pytest.raises(poke.APITimeoutError):
        c.send_message("x", timeout=poke.Timeout(0.3))


def test_read_timeout_on_post_is_not_retried_without_honoured_key(emulator):
    emulator.add_fault(path=PATH, stall_ms=5000)
    c = fast_client(emulator, timeout=0.3, max_retries=2)
    with pytest.raises(poke.APITimeoutError):
        c.send_message("x")
    assert len(api_requests(emulator)) == 1


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
def test_transient_statuses_retried_with_same_idempotency_key(emulator, status):
    emulator.add_fault(path=PATH, status=status, headers={"retry-after-ms": "10"}, times=2)
    c = fast_client(emulator)
    assert c.send_message("x")["success"]
    reqs = api_requests(emulator)
    assert len(reqs) == 3
    keys = {headers_of(r)["idempotency-key"] for r in reqs}
    assert len(keys) == 1
    uuid.UUID(keys.pop(), version=4)
    assert [headers_of(r).get("x-poke-retry-count") for r in reqs] == [None, "1", "2"]
    assert len(emulator.messages()) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 500])
def test_never_retried(emulator, status):
    emulator.add_fault(path=PATH, status=status, times=3)
    with pytest.raises(poke.PokeError):
        fast_client(emulator).send_message("x")
    assert len(api_requests(emulator)) == 1


def test_retries_exhausted_raise_last_error(emulator):
    emulator.add_fault(path=PATH, status=503, headers={"retry-after": "0"}, times=10)
    with pytest.raises(poke.InternalServerError) as info:
        fast_client(emulator, max_retries=1).send_message("x")
    assert info.value.status == 503
    assert len(api_requests(emulator)) == 2


def test_per_call_max_retries(emulator):
    emulator.add_fault(path=PATH, status=503, headers={"retry-after": "0"}, times=10)
    with pytest.raises(poke.PokeError):
        fast_client(emulator).send_message("x", max_retries=0)
    assert len(api_requests(emulator)) == 1


def test_x_should_retry_header_wins(emulator):
    emulator.add_fault(
        path=PATH, status=400, headers={"x-should-retry": "true", "retry-after-ms": "1"}
    )
    assert fast_client(emulator).send_message("x")["success"]
    emulator.clear_requests()
    emulator.add_fault(path=PATH, status=503, headers={"x-should-retry": "false"}, times=3)
    with pytest.raises(poke.PokeError):
        fast_client(emulator).send_message("x")
    assert len(api_requests(emulator)) == 1


def test_retry_after_above_cap_raises_with_hint(emulator):
    emulator.add_fault(path=PATH, status=429, headers={"retry-after": "3600"}, times=3)
    with pytest.raises(poke.RateLimitError) as info:
        fast_client(emulator).send_message("x")
    assert info.value.retry_after == 3600
    assert len(api_requests(emulator)) == 1


def test_connection_refused_is_retried(emulator):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = poke.Poke(api_key="k", base_url=f"http://127.0.0.1:{port}", max_retries=1)
    with pytest.raises(poke.APIConnectionError):
        c.send_message("x")


def test_caller_idempotency_key_is_sent(emulator):
    fast_client(emulator).send_message("x", idempotency_key="my-key-1")
    assert headers_of(api_requests(emulator)[0])["idempotency-key"] == "my-key-1"


def test_every_mutating_call_carries_a_fresh_key(client, emulator):
    client.send_message("a")
    client.send_message("b")
    hook = client.create_webhook(condition="c", action="a")
    client.send_webhook(webhook_url=hook["webhookUrl"], webhook_token=hook["webhookToken"], data={})
    keys = [headers_of(r)["idempotency-key"] for r in api_requests(emulator)]
    assert len(keys) == 4 and len(set(keys)) == 4


def test_bad_timeout_values(emulator):
    with pytest.raises(ValueError):
        fast_client(emulator, timeout=-1)
    with pytest.raises(ValueError):
        poke.Timeout(float("nan"))


def test_logging_redacts_secrets(emulator, tmp_path):
    script = textwrap.dedent(
        f"""
        import poke
        c = poke.Poke(api_key="pk_canary_log_123", base_url={emulator.poke_api_url!r})
        c.send_message("hello")
        """
    )
    emulator.add_fault(path=PATH, status=503, headers={"retry-after": "0"}, times=2)
    out = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "POKE_LOG": "debug"},
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "poke" in out.stderr and "attempt" in out.stderr and "retrying" in out.stderr
    assert "/api/v1/inbound/api-message" in out.stderr
    assert "pk_canary_log_123" not in out.stderr + out.stdout


def test_retry_after_seconds_spacing_is_honoured(emulator):
    import time

    emulator.add_fault(path=PATH, status=503, headers={"retry-after": "1"})
    started = time.monotonic()
    fast_client(emulator).send_message("same body")
    elapsed = time.monotonic() - started
    reqs = api_requests(emulator)
    assert len(reqs) == 2
    assert elapsed >= 1.0  # a lower bound only: noisy machines can only be slower
    assert reqs[0]["body"] == reqs[1]["body"]
    assert headers_of(reqs[0])["idempotency-key"] == headers_of(reqs[1])["idempotency-key"]


def test_retry_after_http_date_is_honoured(emulator):
    from email.utils import formatdate

    emulator.add_fault(path=PATH, status=429, headers={"retry-after": formatdate(usegmt=True)})
    assert fast_client(emulator).send_message("x")["success"]
    assert len(api_requests(emulator)) == 2


def test_sync_context_manager_and_close(emulator):
    with fast_client(emulator) as c:
        c.send_message("x")
    with pytest.raises(poke.PokeError, match="closed"):
        c.send_message("y")
    assert len(api_requests(emulator)) == 1
