"""client.skills (E16-E18) on Pokee and AsyncPokee against the emulator: installs from a
directory, a .zip file and bytes, with progress; every refusal typed, with nothing sent or
nothing changed on the server."""

from __future__ import annotations

import io
import os
import threading
import zipfile

import poke
import pytest
from conftest import KEY, session_requests


def zip_bytes(entries: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


def skill_dir(tmp_path, files: dict):
    root = tmp_path / "skill"
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


def test_install_list_replace_delete(pokee, emulator, tmp_path):
    root = skill_dir(tmp_path, {"SKILL.md": "# Weather\n", "run.py": "print(1)\n", "lib/a.py": "A = 1\n"})
    seen = []
    installed = pokee.skills.install("weather", root, on_progress=lambda d, t: seen.append((d, t)))
    assert isinstance(installed, poke.InstalledSkill)
    assert installed.name == "weather"
    assert installed.files == ["SKILL.md", "lib/a.py", "run.py"]
    assert installed.skill_md_size == 10
    assert installed.total_bytes == 10 + 9 + 6
    assert seen and seen[-1][0] == seen[-1][1]
    (upload,) = session_requests(emulator, "/v1/skills/weather")
    assert dict(upload["headers"])["content-type"] == "application/zip"
    assert upload["body_len"] == seen[-1][1]

    listed = pokee.skills.list()
    assert [s.name for s in listed] == ["weather"]
    assert isinstance(listed[0], poke.Skill) and listed[0].skill_md_size == 10

    # Replace from bytes and from a .zip file: files not in the new bundle disappear.
    replaced = pokee.skills.install("weather", zip_bytes({"SKILL.md": "# v2"}))
    assert replaced.files == ["SKILL.md"]
    assert emulator.skill_file("weather", "run.py") is None
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(zip_bytes({"SKILL.md": "# v3", "x.txt": "x"}))
    assert pokee.skills.install("weather", str(archive)).files == ["SKILL.md", "x.txt"]
    assert pokee.skills.install("weather", bytearray(zip_bytes({"SKILL.md": "4"}))).skill_md_size == 1

    assert pokee.skills.delete("weather") is None
    assert pokee.skills.list() == []
    with pytest.raises(poke.NotFoundError) as info:
        pokee.skills.delete("weather")
    assert info.value.status == 404


def test_local_refusals_send_nothing(pokee, emulator, tmp_path):
    bare = skill_dir(tmp_path, {"README.md": "x"})
    with pytest.raises(poke.InvalidRequestError, match=r"SKILL\.md"):
        pokee.skills.install("s", bare)
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "SKILL.md").write_text("x")
    os.symlink("/etc/hostname", linked / "host")
    with pytest.raises(poke.InvalidRequestError, match="symbolic link") as info:
        pokee.skills.install("s", linked)
    assert isinstance(info.value, ValueError)
    for bad in ["", "Bad", "custom-x", "-x", "a/b", "a" * 65]:
        with pytest.raises(poke.InvalidRequestError, match="name"):
            pokee.skills.install(bad, zip_bytes({"SKILL.md": "x"}))
        with pytest.raises(poke.InvalidRequestError):
            pokee.skills.delete(bad)
    with pytest.raises(TypeError, match="source"):
        pokee.skills.install("s", 42)  # type: ignore[arg-type]
    with pytest.raises(poke.PokeFileNotFoundError):
        pokee.skills.install("s", tmp_path / "missing")
    assert session_requests(emulator) == []


def test_server_refusals_are_typed_and_change_nothing(pokee, emulator):
    pokee.skills.install("keep", zip_bytes({"SKILL.md": "# ok", "a.txt": "a"}))
    before = emulator.skills()
    cases = [
        (b"not a zip", poke.BadRequestError),
        (zip_bytes({"SKILL.md": "x", "../escape": "x"}), poke.BadRequestError),
        (zip_bytes({"notes.md": "x"}), poke.BadRequestError),
        (zip_bytes({"outer/inner/SKILL.md": "x"}), poke.BadRequestError),
        (zip_bytes({"SKILL.md": "x", "big.bin": b"\0" * 26_000_000}), poke.PayloadTooLargeError),
    ]
    for bundle, error in cases:
        with pytest.raises(error) as info:
            pokee.skills.install("keep", bundle)
        assert type(info.value) is error
        assert emulator.skills() == before


def test_a_failing_progress_callback_stops_the_install(pokee, emulator, tmp_path):
    root = skill_dir(tmp_path, {"SKILL.md": "# s", "big.bin": os.urandom(300_000)})

    def refuse(done, total):
        raise RuntimeError("not now")

    with pytest.raises(RuntimeError, match="not now"):
        pokee.skills.install("s", root, on_progress=refuse)
    assert emulator.skills() == []


async def test_async_skills(apokee, emulator, tmp_path):
    root = skill_dir(tmp_path, {"SKILL.md": "# async"})
    threads = set()
    installed = await apokee.skills.install(
        "async-skill", root, on_progress=lambda d, t: threads.add(threading.get_ident())
    )
    assert installed.files == ["SKILL.md"]
    assert threads == {threading.get_ident()}
    assert [s.name for s in await apokee.skills.list()] == ["async-skill"]
    with pytest.raises(poke.BadRequestError):
        await apokee.skills.install("async-skill", b"junk")
    with pytest.raises(poke.InvalidRequestError):
        await apokee.skills.install("custom-nope", b"junk")
    await apokee.skills.delete("async-skill")
    with pytest.raises(poke.NotFoundError):
        await apokee.skills.delete("async-skill")
    await apokee.aclose()


def test_skills_reach_only_later_sessions(pokee, emulator):
    pokee.skills.install("first", zip_bytes({"SKILL.md": "x"}))
    early = pokee.sessions.create()
    pokee.skills.install("second", zip_bytes({"SKILL.md": "x"}))
    late = pokee.sessions.create()
    skills = {s["id"]: s["skills"] for s in emulator.sessions()}
    assert skills[early.id] == ["first"]
    assert skills[late.id] == ["first", "second"]


def test_records_build_compare_and_pickle():
    import pickle

    skill = poke.Skill(name="a", skill_md_size=3, modified=1.5)
    assert pickle.loads(pickle.dumps(skill)) == skill
    assert skill.to_dict() == {"name": "a", "skill_md_size": 3, "modified": 1.5}
    installed = poke.InstalledSkill(name="a", files=["SKILL.md"], total_bytes=3, skill_md_size=3)
    assert repr(installed).startswith("InstalledSkill(name='a'")
    assert KEY not in repr(installed)
