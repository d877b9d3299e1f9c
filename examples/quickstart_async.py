"""Async quickstart: the quickstart with AsyncPoke, then one streamed session turn with AsyncPokee.

With no POKE_API set, this starts the bundled emulator in-process, so it needs no account
and no network. Point POKE_API / POKE_API_KEY and POKEE_API / POKEE_KEY at the real services
to run it for real.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

from poke import AsyncPoke, AsyncPokee
from poke.testing import start_emulator


async def main() -> None:
    with contextlib.ExitStack() as stack:
        if os.environ.get("POKE_API"):
            client, pokee = AsyncPoke(), AsyncPokee()
        else:
            emu = stack.enter_context(start_emulator())
            print(f"using the bundled emulator at {emu.url}")
            client = AsyncPoke(api_key="pk_quickstart", base_url=emu.poke_api_url)
            pokee = AsyncPokee(api_key="pk_quickstart", base_url=emu.pokee_api_url)

        reply, webhook = await asyncio.gather(
            client.send_message("Summarize my unread emails"),
            client.create_webhook(condition="When a deploy fails", action="Send me a summary"),
        )
        print("send_message   ->", reply)
        fired = await client.send_webhook(
            webhook_url=webhook["webhookUrl"],
            webhook_token=webhook["webhookToken"],
            data={"event": "deploy_failed", "repo": "my-app"},
        )
        print("send_webhook   ->", fired)

        session = await pokee.sessions.create()
        text = []
        async with await session.send("Say hello in a few words. events=8 pace_ms=0") as turn:
            async for event in turn:
                if event.type == "text.delta":
                    text.append(event.content or "")
        print("turn           ->", event.type, repr("".join(text)))
        await session.delete()
        print("async round trip ok")


if __name__ == "__main__":
    asyncio.run(main())
