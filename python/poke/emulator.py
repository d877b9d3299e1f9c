"""Run the bundled emulator: ``python -m poke.emulator [--host H] [--port P] [--api-key K]``.

Prints one line, ``poke emulator listening on http://HOST:PORT``, then serves until SIGINT or
SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
from typing import List, NoReturn, Optional

from ._poke import Emulator

__all__ = ["Emulator", "main"]


class _Parser(argparse.ArgumentParser):
    """Bad arguments print one line (and the usage hint), never a traceback."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def main(argv: Optional[List[str]] = None) -> int:
    parser = _Parser(prog="python -m poke.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default=None, help="accept only this bearer token")
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a throwaway CA made now (trust it with SSL_CERT_FILE)",
    )
    parser.add_argument(
        "--tls-ca-file",
        default=None,
        help="where to write the CA certificate (default: a file in the temp dir)",
    )
    args = parser.parse_args(argv)

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, not {args.port}")
    try:
        emulator = Emulator(host=args.host, port=args.port, api_key=args.api_key, tls=args.tls)
    except Exception as e:  # one clear line (busy port, bad host), not a traceback
        print(f"{parser.prog}: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    if emulator.tls_ca_pem is not None:
        port = emulator.url.rsplit(":", 1)[-1]
        path = args.tls_ca_file or os.path.join(
            tempfile.gettempdir(), f"poke-emulator-ca-{port}.pem"
        )
        with open(path, "w") as f:
            f.write(emulator.tls_ca_pem)
        print(f"poke emulator: TLS CA certificate at {path}", file=sys.stderr, flush=True)
    print(f"poke emulator listening on {emulator.url}", flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        emulator.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
