"""Quickstart: send a message, create a webhook and fire it.

With no POKE_API set, this starts the bundled emulator in-process, so it needs no account
and no network. Point POKE_API / POKE_API_KEY at poke.com to run it for real.
"""

from __future__ import annotations

import contextlib
import os

from poke import Poke
from poke.testing import start_emulator


def main() -> None:
    with contextlib.ExitStack() as stack:
        if os.environ.get("POKE_API"):
            client = Poke()
        else:
            emu = stack.enter_context(start_emulator())
            print(f"using the bundled emulator at {emu.url}")
            client = Poke(api_key="pk_quickstart", base_url=emu.poke_api_url)

        reply = client.send_message("Summarize my unread emails")
        print("send_message   ->", reply)

        webhook = client.create_webhook(
            condition="When a deploy fails",
            action="Send me a summary of the error",
        )
        print("create_webhook ->", {**webhook, "webhookToken": "<redacted>"})

        fired = client.send_webhook(
            webhook_url=webhook["webhookUrl"],
            webhook_token=webhook["webhookToken"],
            data={"event": "deploy_failed", "repo": "my-app", "error": "OOM killed"},
        )
        print("send_webhook   ->", fired)
        print("round trip ok")


if __name__ == "__main__":
    main()
