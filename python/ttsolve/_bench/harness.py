"""The one timing harness of every ttsolve benchmark (bench/*.py and ``ttsolve bench``).

* :func:`measure` times a callable: ``warmup`` untimed calls, then ``repeats`` timed ones;
  the :class:`Timing` keeps every time, so medians, minima and the spread (IQR / median) are
  all available and a script reports the statistic its protocol names.
* :class:`Report` records the machine before and after (load average, cores), the thread
  counts of every library in the process (ttsolve's OpenMP, each BLAS/OpenMP pool that
  threadpoolctl sees, torch's when imported), rows of named columns, and prints a markdown
  table with ratio columns (``peer time / reference time``) beside a JSON file of the same.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

__all__ = ["Timing", "measure", "machine_state", "thread_counts", "Report", "add_arguments"]


@dataclass
class Timing:
    """Wall times in seconds of the timed calls (warm-up calls excluded)."""

    times: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def spread(self) -> float:
        """Interquartile range over the median (0 for fewer than 4 runs' worth of quartiles)."""
        if len(self.times) < 2:
            return 0.0
        q = statistics.quantiles(self.times, n=4, method="inclusive")
        return (q[2] - q[0]) / self.median if self.median > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"median": self.median, "min": self.min, "spread": self.spread, "times": list(self.times)}


def measure(fn: Callable[[], Any], repeats: int = 5, warmup: int = 1) -> Timing:
    """Call ``fn`` ``warmup`` times untimed (allocations, lazy imports), then ``repeats`` times."""
    if repeats < 1:
        raise ValueError(f"measure: repeats must be >= 1, got {repeats}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return Timing(times)


def machine_state() -> dict[str, Any]:
    """Load average (1, 5, 15 min), cores and the time: recorded at a report's start and end."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    return {"time": time.strftime("%Y-%m-%d %H:%M:%S"), "loadavg": [round(x, 2) for x in load],
            "cpu_count": os.cpu_count()}


def thread_counts() -> dict[str, Any]:
    """Threads of every pool in the process: ttsolve's OpenMP and BLAS, threadpoolctl's view of
    each native pool (OpenBLAS, MKL, libgomp, ...), torch's intra-op pool when it is imported."""
    import ttsolve

    cfg = ttsolve.config()
    out: dict[str, Any] = {"ttsolve": cfg["threads"], "ttsolve_blas": cfg["blas_threads"]}
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        out["threadpoolctl"] = "not installed"
    else:
        out["pools"] = [{"api": p.get("internal_api"), "threads": p.get("num_threads"),
                         "library": os.path.basename(p.get("filepath", ""))} for p in threadpool_info()]
    if "torch" in sys.modules:
        out["torch"] = sys.modules["torch"].get_num_threads()
    return out


def _cell(value: Any) -> str:
    if isinstance(value, Timing):
        value = value.median
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.3g}"
    return "-" if value is None else str(value)


@dataclass
class Report:
    """Rows of one benchmark run, with the machine state and thread counts around them.

    ``ratios`` maps a ratio column's title to ``(numerator column, denominator column)``:
    ``{"teneva/ttsolve": ("teneva", "ttsolve")}`` adds ``peer / ours`` to every row where
    both are numbers (a :class:`Timing` counts as its median unless ``statistic="min"``).
    """

    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    ratios: dict[str, tuple[str, str]] = field(default_factory=dict)
    statistic: str = "median"
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    start: dict[str, Any] = field(default_factory=machine_state)
    threads: dict[str, Any] | None = None  # at the end, after every library set its pools

    def _number(self, value: Any) -> float:
        if isinstance(value, Timing):
            return value.min if self.statistic == "min" else value.median
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan

    def add(self, **columns: Any) -> dict[str, Any]:
        """Append one row (column name -> number, Timing or text); ratio columns are added."""
        for title, (num, den) in self.ratios.items():
            if num in columns and den in columns:
                a, b = self._number(columns[num]), self._number(columns[den])
                columns[title] = a / b if b > 0 else math.nan
        self.rows.append(columns)
        return columns

    def note(self, text: str) -> None:
        self.notes.append(text)

    def columns(self) -> list[str]:
        names: list[str] = []
        for row in self.rows:
            names += [c for c in row if c not in names]
        return names

    def table(self, columns: Sequence[str] | None = None) -> str:
        cols = list(columns or self.columns())
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for row in self.rows:
            cells = []
            for c in cols:
                v = row.get(c)
                if c in self.ratios and isinstance(v, float) and not math.isnan(v):
                    cells.append(f"{v:.1f}x" if v >= 1 else f"{v:.2g}x")
                else:
                    cells.append(_cell(v))
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        if self.threads is None:
            self.threads = thread_counts()
        rows = [{k: (v.as_dict() if isinstance(v, Timing) else v) for k, v in row.items()} for row in self.rows]
        return {"benchmark": self.name, "settings": self.settings, "statistic": self.statistic,
                "python": sys.version.split()[0], "platform": platform.platform(), "start": self.start,
                "end": machine_state(), "threads": self.threads, "rows": rows, "notes": self.notes}

    def finish(self, json_path: str | None = None, columns: Iterable[str] | None = None,
               stream: Any = None) -> dict[str, Any]:
        """Print the header (load, threads), the table and the notes; write the JSON if asked."""
        stream = stream or sys.stdout
        data = self.as_dict()
        print(f"## {self.name}  (statistic: {self.statistic}; times in seconds; ratios = peer / reference)", file=stream)
        print(f"load average at start {data['start']['loadavg']}, at end {data['end']['loadavg']}, "
              f"{data['start']['cpu_count']} cores; threads {_threads_line(self.threads)}", file=stream)
        if self.settings:
            print("settings: " + ", ".join(f"{k}={v}" for k, v in self.settings.items()), file=stream)
        print(file=stream)
        print(self.table(list(columns) if columns else None), file=stream)
        for text in self.notes:
            print(text, file=stream)
        if json_path:
            with open(json_path, "w") as fh:
                json.dump(data, fh, indent=1, default=_json_default)
            print(f"\n(JSON: {json_path})", file=stream)
        return data


def _threads_line(threads: dict[str, Any]) -> str:
    parts = [f"ttsolve {threads['ttsolve']} (its BLAS {threads['ttsolve_blas']})"]
    for pool in threads.get("pools", []):
        parts.append(f"{pool['api']}:{pool['library']} {pool['threads']}")
    if "torch" in threads:
        parts.append(f"torch {threads['torch']}")
    return ", ".join(parts)


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


def add_arguments(parser: Any, repeats: int = 5) -> None:
    """The options every benchmark shares: ``--repeats`` and ``--json PATH``."""
    parser.add_argument("--repeats", type=int, default=repeats, help=f"timed runs per case (default {repeats})")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the results as JSON")
