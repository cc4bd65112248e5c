"""SampleResult -> ArviZ InferenceData (ArviZ optional: ``pip install "ttsolve[arviz]"``)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["to_inference_data"]


def _arviz() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ArviZ 0.2x announces its refactor on import
            import arviz
    except ImportError as exc:
        raise ImportError("to_inference_data needs ArviZ: pip install \"ttsolve[arviz]\" "
                          "(or pip install arviz)") from exc
    return arviz


def to_inference_data(result: Any) -> Any:
    """An ``arviz.InferenceData`` of a :class:`~ttsolve.mcmc.SampleResult`.

    ``posterior`` holds every recorded statistic as ``(chain, draw)`` and, when recorded, the
    states as ``x`` with dims ``(chain, draw, site)``; ``constant_data`` the per-chain
    acceptance rate, final energy and final state; ``attrs`` (also on ``posterior``) the wall time, whether the run
    was interrupted and the sampler's info. ``arviz.summary``, ``arviz.ess``, ``arviz.rhat``
    and ``arviz.plot_trace`` then work on it directly.
    """
    az = _arviz()
    posterior = {name: np.asarray(values, dtype=float) for name, values in result.statistics.items()}
    dims: dict[str, list[str]] = {}
    if result.samples is not None:
        posterior["x"] = np.asarray(result.samples)
        dims["x"] = ["site"]
    if not posterior:
        raise ValueError("to_inference_data: the result recorded nothing (record=[...] in sample())")
    constant = {"acceptance": np.asarray(result.acceptance, dtype=float),
                "final_energy": np.asarray(result.final_energy, dtype=float),
                "final_state": np.asarray(result.final_state)}
    dims.update(acceptance=["chain_index"], final_energy=["chain_index"], final_state=["chain_index", "site"])
    attrs = {"seconds": float(result.seconds), "interrupted": int(bool(result.interrupted)),
             "inference_library": "ttsolve"}
    attrs.update({f"info_{k}": v for k, v in result.info.items() if isinstance(v, (int, float, str))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        idata = az.from_dict(posterior=posterior, constant_data=constant, dims=dims, attrs=attrs)
    idata.posterior.attrs.update(attrs)  # from_dict puts them on the whole object only
    return idata
