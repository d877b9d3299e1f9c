"""`python -m poke.emulator`: one listening line, serves, stops on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request

import pytest


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_line_serves_and_stops(sig):
    proc = subprocess.Popen(
        [sys.executable, "-m", "poke.emulator", "--port", "0", "--api-key", "K"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.fullmatch(r"poke emulator listening on (http://127\.0\.0\.1:(\d+))\n", line)
        assert m, line
        url = m.group(1)
        with urllib.request.urlopen(url + "/health", timeout=5) as resp:
            assert json.loads(resp.read()) == {"status": "ok"}
        req = urllib.request.Request(
            url + "/api/v1/inbound/api-message",
            data=b'{"message": "hi"}',
            headers={"Authorization": "Bearer wrong", "Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=5)
        assert info.value.code == 401
        assert "error" in json.loads(info.value.read())
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == ""
    finally:
        proc.kill()
