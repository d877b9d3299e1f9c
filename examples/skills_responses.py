"""Skills and stateless responses on the Pokee Enterprise API: install a custom skill from a
directory, stream an OpenAI-Responses-shaped answer, and let the SDK run a function-calling
loop with a local Python function.

With no POKEE_API set, this starts the bundled emulator in-process, so it needs no account
and no network (its magic word ``tool=get_tide`` makes the model call the function).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import tempfile

from poke import Pokee
from poke.testing import start_emulator


def get_tide(location: str) -> dict[str, str]:
    """The next high tide at a place."""
    return {"location": location, "high_tide": "14:02"}


def main() -> None:
    with contextlib.ExitStack() as stack:
        if os.environ.get("POKEE_API"):
            pokee = Pokee()
        else:
            emu = stack.enter_context(start_emulator())
            print(f"using the bundled emulator at {emu.url}")
            pokee = Pokee(api_key="pk_example", base_url=emu.pokee_api_url)
        stack.callback(pokee.close)

        # A skill is a directory with SKILL.md at its root; it is zipped on the fly.
        skill = pathlib.Path(tempfile.mkdtemp()) / "tides"
        skill.mkdir()
        (skill / "SKILL.md").write_text("# Tides\nLook up tide tables.\n")
        (skill / "tides.py").write_text("print('high tide at 14:02')\n")
        installed = pokee.skills.install(
            "tides", skill, on_progress=lambda sent, total: print(f"  uploaded {sent}/{total}")
        )
        print("installed      ->", installed.name, installed.files)
        print("skills         ->", [s.name for s in pokee.skills.list()])

        # One stateless call, streamed: typed events, resumed by the SDK after a drop.
        with pokee.responses.stream(input="Tell me about tide pools") as stream:
            for event in stream:
                if event.type == "response.output_text.delta":
                    print(event.delta, end="", flush=True)
        print()

        # The tool loop: the SDK runs get_tide when the model asks for it.
        run = pokee.responses.run(input="When is high tide in Brest? tool=get_tide", tools=[get_tide])
        print("tool loop      ->", run.output_text, f"({run.rounds} rounds)")

        pokee.skills.delete("tides")
        print("skills and responses ok")


if __name__ == "__main__":
    main()
