"""Progress display for long steps: one line per step on stderr, with elapsed time.

Plain lines rather than a live widget so that logs, CI output and `--json` stdout stay clean.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Progress:
    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.t0 = time.monotonic()

    def say(self, text: str) -> None:
        if not self.quiet:
            sys.stderr.write(f"[{time.monotonic() - self.t0:6.1f}s] {text}\n")
            sys.stderr.flush()

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        self.say(f"{text} ...")
        start = time.monotonic()
        yield
        self.say(f"{text}: done in {time.monotonic() - start:.1f}s")
