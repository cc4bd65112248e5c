"""A dependency-free text progress bar on stderr (private).

Used where ttsolve shows progress without tqdm (the ``ttsolve solve --progress`` command
line, and as the fallback when tqdm is not installed): ``\\r``-rewritten line, at most
about ten redraws a second, a final newline when done.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Optional

__all__ = ["TextProgress"]


class TextProgress:
    """``desc  [#####.....]  done/total  elapsed s``; call :meth:`update` and :meth:`close`."""

    def __init__(self, total: int, desc: str = "", stream: Optional[IO[str]] = None, width: int = 30):
        self.total = max(int(total), 1)
        self.desc = desc
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.done = 0
        self._start = time.perf_counter()
        self._last_draw = -1.0
        self._closed = False

    def update(self, n: int = 1) -> None:
        self.done = min(self.done + n, self.total)
        now = time.perf_counter()
        if self.done >= self.total or now - self._last_draw >= 0.1:
            self._draw(now)

    def set(self, done: int) -> None:
        """Moves the bar to ``done`` steps (for callers that report absolute progress)."""
        self.update(done - self.done)

    def _draw(self, now: float) -> None:
        self._last_draw = now
        filled = self.width * self.done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{self.desc}  [{bar}]  {self.done}/{self.total}  {now - self._start:.1f} s")
        self.stream.flush()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
