"""The output of :func:`ttsolve.mcmc.sample`, whichever engine produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["SampleResult"]


@dataclass
class SampleResult:
    """Output of :func:`sample`.

    Attributes
    ----------
    samples : (n_chains, n_kept, D) uint8 or None
    statistics : dict name -> (n_chains, n_kept) float arrays
    acceptance : (n_chains,) fraction of steps that moved the chain
    final_energy : (n_chains,) f of the final states; final_state : (n_chains, D) uint8
    seconds : sampling wall time; interrupted : True if stopped by Ctrl-C (partial output)
    """

    samples: np.ndarray | None
    statistics: dict[str, np.ndarray]
    acceptance: np.ndarray
    final_energy: np.ndarray
    final_state: np.ndarray
    seconds: float
    interrupted: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def statistic(self, name: str) -> np.ndarray:
        """Recorded per-step statistic ``name`` (energy, magnetization or hamming)."""
        if name not in self.statistics:
            raise KeyError(f"statistic {name!r} was not recorded; have {sorted(self.statistics)}")
        return self.statistics[name]

    @classmethod
    def from_compiled(cls, out: dict[str, Any], names: list[str]) -> "SampleResult":
        """From the dict a compiled engine returns (records trimmed to the kept steps done)."""
        kept = int(out["n_kept_done"])
        stats = {n: np.asarray(out[n])[:, :kept] for n in names if n != "samples"}
        samples = np.asarray(out["samples"])[:, :kept] if "samples" in names else None
        return cls(samples, stats, np.asarray(out["acceptance"]), np.asarray(out["final_energy"]),
                   np.asarray(out["final_state"]), float(out["seconds"]), bool(out["interrupted"]),
                   {"steps_done": int(out["steps_done"])})
