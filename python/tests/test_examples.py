"""The examples in examples/ run to completion against the bundled emulator."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("quickstart.py", "round trip ok"),
        ("quickstart_async.py", "async round trip ok"),
        ("cookbook_presentation.py", "downloaded"),
        ("skills_responses.py", "skills and responses ok"),
    ],
)
def test_example_runs_offline(script, expected, tmp_path):
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr
    assert expected in out.stdout
