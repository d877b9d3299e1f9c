"""The long-running presentation recipe, written with poke's Pokee client.

Same flow as the Pokee cookbook (persistent session, stream the turn until it completes, poll
progress, download the .pptx, delete the session, bulk-delete idle sessions older than an
hour), but the stream resumes by itself after a disconnect and the download is atomic.

With no POKEE_API set, this runs against the bundled emulator (no account, no network).
"""

from __future__ import annotations

import contextlib
import os
import tempfile

from poke import Pokee
from poke.testing import start_emulator


def main() -> None:
    with contextlib.ExitStack() as stack:
        if os.environ.get("POKEE_API"):
            client = Pokee()
        else:
            emu = stack.enter_context(start_emulator())
            # Cut the first stream after 8 events to show the automatic resume.
            emu.add_fault(path="/v1/sessions/*/messages", drop_after_events=8)
            print(f"using the bundled emulator at {emu.url}")
            client = Pokee(api_key="pk_demo_token", base_url=emu.pokee_api_url)

        # 1. Persistent session: it won't auto-destroy after idling.
        session = client.sessions.create(persistent=True, ttl=14400)
        print("session", session.id)

        # 2. Run the long task and consume its stream (resumed after a drop, each event once).
        with session.send("Build a Temasek-style PPT on Q3 NVIDIA performance.") as turn:
            for event in turn:
                if event.type == "tool_use.start":
                    print("  tool:", event.data.get("name"))
            print("turn", turn.response_id, "ended with", event.type)

        # 3. (Or, if you disconnected) wait for the session with progress from its metadata.
        session.wait(
            poll_interval=1.0,
            on_progress=lambda r: print("  status:", r.metadata.get("temasek_status", "running")),
        )

        # 4. Download the result (to a temporary file renamed at the end: never half-written).
        deck = next(f for f in session.files.list("output") if f.name.endswith(".pptx"))
        dest = os.path.join(tempfile.gettempdir(), deck.name)
        path = session.files.download(f"output/{deck.name}", dest)
        print(f"downloaded {path} ({path.stat().st_size} bytes)")

        # 5. Clean up: this session, then idle sessions older than an hour.
        session.delete()
        print("bulk delete:", client.sessions.delete_many(status="idle", older_than=3600))


if __name__ == "__main__":
    main()
