"""Runs fuzz cases in a worker subprocess with a time and an address-space limit.

One worker serves many cases (importing ttsolve once); a case that kills it (a signal, an
abort) or runs past the time limit is reported as CRASH / HANG and the worker is restarted,
so every case is judged on its own.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys

__all__ = ["Worker", "DOCUMENTED", "TIME_LIMIT", "MEMORY_LIMIT"]

#: Exceptions the public API documents for bad input (FormatError is a ValueError).
DOCUMENTED = {"ValueError", "TypeError", "IndexError", "MemoryError", "OverflowError", "ZeroDivisionError",
              "FormatError", "SolverDivergedError", "FileNotFoundError"}
TIME_LIMIT = float(os.environ.get("TTSOLVE_FUZZ_TIMEOUT", "60"))  # seconds per case
MEMORY_LIMIT = int(os.environ.get("TTSOLVE_FUZZ_MEMORY", str(4 << 30)))  # bytes of address space
if "libasan" in os.environ.get("LD_PRELOAD", ""):  # AddressSanitizer reserves terabytes of shadow
    MEMORY_LIMIT = 0  # address space: no RLIMIT_AS under tools/sanitize.sh (0 = no limit)

_WORKER = os.path.join(os.path.dirname(__file__), "worker.py")


class Worker:
    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def _start(self) -> None:
        env = dict(os.environ, OMP_NUM_THREADS="1")
        self.proc = subprocess.Popen([sys.executable, _WORKER, str(MEMORY_LIMIT)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        status = self._read(120.0)
        if status != "READY":
            raise RuntimeError(f"fuzz worker did not start: {status}")

    def _read(self, timeout: float) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout)
        sel.close()
        if not ready:
            self.stop()
            return "HANG"
        line = self.proc.stdout.readline()
        if not line:
            rc = self.proc.wait()
            self._close_pipes()
            return f"CRASH returncode {rc}"
        return line.rstrip("\n")

    def run(self, expr: str) -> str:
        """The worker's report line for `expr` (one line of Python), or HANG / CRASH."""
        if "\n" in expr:
            raise ValueError("a case must be one line")
        if self.proc is None:
            self._start()
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(expr + "\n")
        self.proc.stdin.flush()
        return self._read(TIME_LIMIT)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self._close_pipes()

    def _close_pipes(self) -> None:
        assert self.proc is not None
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        self.proc = None


def acceptable(report: str) -> bool:
    """A result, a documented exception, or the CLI's exit status 0 / 2."""
    if report.startswith("OK "):
        return True
    if report.startswith("EXC SystemExit"):
        return report.split()[2] in ("0", "2")
    if report.startswith("EXC "):
        return report.split()[1] in DOCUMENTED
    return False
