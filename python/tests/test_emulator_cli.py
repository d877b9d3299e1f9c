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


def test_cli_tls_serves_https_trusted_through_ssl_cert_file(tmp_path):
    ca = tmp_path / "ca.pem"
    proc = subprocess.Popen(
        [sys.executable, "-m", "poke.emulator", "--tls", "--tls-ca-file", str(ca)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.fullmatch(r"poke emulator listening on (https://127\.0\.0\.1:\d+)\n", line)
        assert m, line
        assert ca.read_text().startswith("-----BEGIN CERTIFICATE-----")
        script = (
            "import poke, sys; "
            "print(poke.Poke(api_key='k', base_url=sys.argv[1] + '/api/v1').send_message('tls'))"
        )
        import os

        env = {**os.environ, "SSL_CERT_FILE": str(ca)}
        out = subprocess.run(
            [sys.executable, "-c", script, m.group(1)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        assert "'success': True" in out.stdout
        env.pop("SSL_CERT_FILE")
        untrusted = subprocess.run(
            [sys.executable, "-c", script, m.group(1)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert untrusted.returncode != 0 and "APIConnectionError" in untrusted.stderr
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
