"""The output of :func:`ttsolve.mcmc.sample`, whichever engine produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._repr import summary_html
from .diagnostics import ess
from .inference_data import to_inference_data

__all__ = ["SampleResult"]


@dataclass
class SampleResult:
    """Output of :func:`sample`.

    Attributes
    ----------
    samples : (n_chains, n_kept, D) uint8 or None
    statistics : dict name -> (n_chains, n_kept) float arrays
    counts : (n_chains, D, K) int64 or None
        Kept steps with site i in state k, per chain (record "counts"); :meth:`marginals`
        turns them into per-site state frequencies.
    acceptance : (n_chains,) fraction of steps that moved the chain
    final_energy : (n_chains,) f of the final states; final_state : (n_chains, D) uint8
    seconds : sampling wall time; interrupted : True if stopped by Ctrl-C (partial output)
    info : dict, e.g. ``steps_done``; compiled engines add ``burn_in_seconds`` (the part of
        ``seconds`` spent in burn-in steps) and adaptive gradient samplers ``adapted``
    """

    samples: np.ndarray | None
    statistics: dict[str, np.ndarray]
    acceptance: np.ndarray
    final_energy: np.ndarray
    final_state: np.ndarray
    seconds: float
    interrupted: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    counts: np.ndarray | None = None

    def statistic(self, name: str) -> np.ndarray:
        """Recorded per-step statistic ``name`` (energy, magnetization or hamming)."""
        if name not in self.statistics:
            raise KeyError(f"statistic {name!r} was not recorded; have {sorted(self.statistics)}")
        return self.statistics[name]

    def marginals(self) -> np.ndarray:
        """Per-site state frequencies over the kept steps of all chains, (D, K), from the
        recorded counts (record "counts") or samples."""
        if self.counts is not None:
            total = self.counts.sum((0, 2))[:, None]
            return self.counts.sum(0) / np.maximum(total, 1)
        if self.samples is not None:
            K = max(2, int(self.samples.max(initial=0)) + 1)
            x = self.samples.reshape(-1, self.samples.shape[-1])
            return (x[:, :, None] == np.arange(K)).mean(0)
        raise KeyError("marginals need record 'counts' or 'samples'")

    def ess(self, name: str) -> float:
        """Effective sample size of the recorded statistic ``name`` over all chains
        (:func:`ttsolve.mcmc.diagnostics.ess`); e.g. "hamming" with ``reference="start"``,
        the statistic DISCS and the GWG paper report, or "energy"."""
        return float(ess(self.statistic(name)))

    def to_inference_data(self) -> Any:
        """This result as an ``arviz.InferenceData`` (ArviZ optional): every recorded
        statistic, and the states when recorded, as ``(chain, draw)`` posterior variables;
        see :func:`ttsolve.mcmc.inference_data.to_inference_data`."""
        return to_inference_data(self)

    def _summary(self, with_ess: bool = True) -> list[tuple[str, str]]:
        n_chains = len(self.acceptance)
        n_kept = next((v.shape[1] for v in self.statistics.values()),
                      0 if self.samples is None else self.samples.shape[1])
        recorded = sorted(self.statistics) + ([] if self.samples is None else ["samples"]) + \
            ([] if self.counts is None else ["counts"])
        acc = np.asarray(self.acceptance, dtype=float)
        rows = [("chains x kept draws", f"{n_chains} x {n_kept}"), ("dimension", str(self.final_state.shape[1])),
                ("recorded", ", ".join(recorded) or "nothing"),
                ("acceptance", f"mean {acc.mean():.3f} (min {acc.min():.3f}, max {acc.max():.3f})" if acc.size else "-"),
                ("time", f"{self.seconds:.3g} s" + (" (interrupted)" if self.interrupted else ""))]
        ess_rows = [f"{name} {self.ess(name):.4g}" for name in ("energy", "hamming", "statistic")
                    if with_ess and name in self.statistics and self.statistics[name].shape[1] >= 4
                    and np.isfinite(self.statistics[name]).all()]
        if ess_rows:
            rows.append(("ESS", ", ".join(ess_rows)))
        return rows

    def __repr__(self) -> str:
        rows = dict(self._summary(with_ess=False))
        return (f"SampleResult({rows['chains x kept draws']} draws, D={rows['dimension']}, "
                f"recorded=[{rows['recorded']}], acceptance {rows['acceptance'].split(' (')[0]}, "
                f"{rows['time']})")

    def _repr_html_(self) -> str:
        return summary_html("ttsolve.mcmc.SampleResult", self._summary())

    @classmethod
    def from_compiled(cls, out: dict[str, Any], names: list[str]) -> "SampleResult":
        """From the dict a compiled engine returns (records trimmed to the kept steps done)."""
        kept = int(out["n_kept_done"])
        stats = {n: np.asarray(out[n])[:, :kept] for n in names if n not in ("samples", "counts")}
        samples = np.asarray(out["samples"])[:, :kept] if "samples" in names else None
        return cls(samples, stats, np.asarray(out["acceptance"]), np.asarray(out["final_energy"]),
                   np.asarray(out["final_state"]), float(out["seconds"]), bool(out["interrupted"]),
                   {"steps_done": int(out["steps_done"]), "burn_in_seconds": float(out["burn_in_seconds"])},
                   np.asarray(out["counts"]) if "counts" in names else None)
