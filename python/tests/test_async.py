"""AsyncPoke: the same calls as awaitables on the core's runtime."""

from __future__ import annotations

import asyncio

import poke
import pytest
from conftest import api_requests, headers_of

PATH = "/api/v1/inbound/api-message"


async def test_round_trip(aclient, emulator):
    assert await aclient.send_message("hi") == {
        "success": True,
        "message": "Message sent successfully",
    }
    hook = await aclient.create_webhook(condition="c", action="a")
    assert await aclient.send_webhook(
        webhook_url=hook["webhookUrl"], webhook_token=hook["webhookToken"], data={"k": 1}
    ) == {"success": True}
    reqs = api_requests(emulator)
    assert [r["target"] for r in reqs] == [
        "/api/v1/inbound/api-message",
        "/api/v1/api-keys/webhook",
        "/api/v1/inbound/webhook",
    ]
    assert reqs[0]["body"] == '{"message": "hi"}'
    assert headers_of(reqs[0])["user-agent"].startswith("poke-python/")


async def test_same_errors_as_sync(emulator):
    c = poke.AsyncPoke(api_key="k", base_url=emulator.poke_api_url, max_retries=0)
    emulator.add_fault(path=PATH, status=401)
    with pytest.raises(poke.AuthenticationError) as info:
        await c.send_message("x")
    assert info.value.status == 401
    emulator.add_fault(path=PATH, status=500, body='{"error":"boom"}')
    with pytest.raises(poke.InternalServerError, match=r"^Poke API error \(500\): boom$"):
        await c.send_message("x")


async def test_thirty_two_concurrent_tasks(aclient, emulator):
    results = await asyncio.gather(*(aclient.send_message(f"m{i}") for i in range(32)))
    assert all(r["success"] for r in results)
    assert sorted(m["message"] for m in emulator.messages()) == sorted(f"m{i}" for i in range(32))


async def test_cancelling_the_task_aborts_the_request(emulator):
    emulator.add_fault(path=PATH, stall_ms=10000)
    c = poke.AsyncPoke(api_key="k", base_url=emulator.poke_api_url)
    task = asyncio.ensure_future(c.send_message("x"))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The client still works afterwards.
    assert (await c.send_message("y"))["success"]


async def test_timeout(emulator):
    emulator.add_fault(path=PATH, stall_ms=5000)
    c = poke.AsyncPoke(api_key="k", base_url=emulator.poke_api_url, timeout=0.3, max_retries=0)
    with pytest.raises(poke.APITimeoutError):
        await c.send_message("x")


async def test_keyword_only_and_type_errors(aclient, emulator):
    with pytest.raises(TypeError):
        await aclient.create_webhook("c", "a")
    with pytest.raises(TypeError):
        await aclient.send_message(object())
    assert api_requests(emulator) == []


def test_missing_key_raises_at_construction():
    with pytest.raises(poke.PokeError, match="No API key found"):
        poke.AsyncPoke()


async def test_hundred_concurrent_calls_every_method(aclient, emulator):
    hook = await aclient.create_webhook(condition="c", action="a")
    calls = [aclient.send_message(f"m{i}") for i in range(50)]
    calls += [aclient.create_webhook(condition=f"c{i}", action="a") for i in range(25)]
    calls += [
        aclient.send_webhook(
            webhook_url=hook["webhookUrl"], webhook_token=hook["webhookToken"], data={"i": i}
        )
        for i in range(25)
    ]
    results = await asyncio.gather(*calls)
    assert len(results) == 100
    assert len(emulator.messages()) == 50
    assert sorted(f["data"]["i"] for f in emulator.webhook_fires()) == list(range(25))


async def test_async_context_manager_closes(emulator):
    async with poke.AsyncPoke(api_key="k", base_url=emulator.poke_api_url) as c:
        assert (await c.send_message("x"))["success"]
    with pytest.raises(poke.PokeError, match="closed"):
        await c.send_message("y")
    c2 = poke.AsyncPoke(api_key="k", base_url=emulator.poke_api_url)
    await c2.aclose()
    with pytest.raises(poke.PokeError):
        await c2.send_message("y")
    assert len(emulator.messages()) == 1
