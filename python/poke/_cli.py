"""The ``poke`` console script: the command line is the Rust CLI inside the extension module.

It handles Ctrl+C itself (``poke tunnel`` removes its connection first, ``poke chat`` cancels
the turn), so Python's ``KeyboardInterrupt`` handler is set aside before it starts.
"""

from __future__ import annotations

import signal
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> None:
    """Runs ``poke`` with ``argv`` (default: the process arguments) and exits with its code."""
    args = sys.argv[1:] if argv is None else list(argv)
    # SIGINT as a plain process would have it: the commands that clean up catch it themselves.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from . import _poke

    sys.exit(_poke._cli_main(["poke", *args]))


if __name__ == "__main__":  # pragma: no cover
    main()
