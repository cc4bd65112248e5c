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

    def to_inference_data(self) -> Any:
        """This result as an ``arviz.InferenceData`` (ArviZ optional): every recorded
        statistic, and the states when recorded, as ``(chain, draw)`` posterior variables;
        see :func:`ttsolve.mcmc.inference_data.to_inference_data`."""
        from .inference_data import to_inference_data

        return to_inference_data(self)

    def _summary(self) -> list[tuple[str, str]]:
        n_chains = len(self.acceptance)
        n_kept = next((v.shape[1] for v in self.statistics.values()),
                      0 if self.samples is None else self.samples.shape[1])
        recorded = sorted(self.statistics) + ([] if self.samples is None else ["samples"])
        acc = np.asarray(self.acceptance, dtype=float)
        rows = [("chains x kept draws", f"{n_chains} x {n_kept}"), ("dimension", str(self.final_state.shape[1])),
                ("recorded", ", ".join(recorded) or "nothing"),
                ("acceptance", f"mean {acc.mean():.3f} (min {acc.min():.3f}, max {acc.max():.3f})" if acc.size else "-"),
                ("time", f"{self.seconds:.3g} s" + (" (interrupted)" if self.interrupted else ""))]
        return rows

    def __repr__(self) -> str:
        rows = dict(self._summary())
        return (f"SampleResult({rows['chains x kept draws']} draws, D={rows['dimension']}, "
                f"recorded=[{rows['recorded']}], acceptance {rows['acceptance'].split(' (')[0]}, "
                f"{rows['time']})")

    def _repr_html_(self) -> str:
        from .._repr import summary_html

        return summary_html("ttsolve.mcmc.SampleResult", self._summary())

    @classmethod
    def from_compiled(cls, out: dict[str, Any], names: list[str]) -> "SampleResult":
        """From the dict a compiled engine returns (records trimmed to the kept steps done)."""
        kept = int(out["n_kept_done"])
        stats = {n: np.asarray(out[n])[:, :kept] for n in names if n != "samples"}
        samples = np.asarray(out["samples"])[:, :kept] if "samples" in names else None
        return cls(samples, stats, np.asarray(out["acceptance"]), np.asarray(out["final_energy"]),
                   np.asarray(out["final_state"]), float(out["seconds"]), bool(out["interrupted"]),
                   {"steps_done": int(out["steps_done"])})
