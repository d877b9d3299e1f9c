"""A 256 MiB upload and download stream in bounded memory (peak RSS of the client process).

The emulator runs in its own process so only the client's memory is measured.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap

from conftest import configure_sessions

SIZE = 256 * 1024 * 1024


def test_256_mib_download_has_bounded_client_memory(emulator_process, tmp_path):
    url = emulator_process
    configure_sessions(url, upload_limit_bytes=SIZE + 1024)
    src = tmp_path / "big.bin"
    block = bytes(range(256)) * 4096  # 1 MiB
    digest = hashlib.sha256()
    with open(src, "wb") as f:
        for _ in range(SIZE // len(block)):
            f.write(block)
            digest.update(block)
    script = textwrap.dedent(
        """
        import hashlib, resource, sys
        from poke import Pokee
        url, src, dest = sys.argv[1:4]
        client = Pokee(api_key="k", base_url=url)
        session = client.sessions.create()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        session.files.upload("input/big.bin", src)
        path = session.files.download("input/big.bin", dest)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        print(before, after, h.hexdigest())
        """
    )
    dest = tmp_path / "out.bin"
    out = subprocess.run(
        [sys.executable, "-c", script, url, str(src), str(dest)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    before_kib, after_kib, hexdigest = out.stdout.split()
    growth_mib = (int(after_kib) - int(before_kib)) / 1024
    print(
        f"\n256 MiB upload + download: client peak RSS {int(after_kib) / 1024:.1f} MiB, growth {growth_mib:.1f} MiB"
    )
    assert hexdigest == digest.hexdigest()
    assert dest.stat().st_size == SIZE
    assert growth_mib < 64, (
        f"peak RSS grew by {growth_mib:.1f} MiB during a {SIZE >> 20} MiB download"
    )
