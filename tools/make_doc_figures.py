"""Regenerate the example figures of docs/plots.md (docs/img/plot_*.png): python tools/make_doc_figures.py"""

import os

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import ttsolve as tts  # noqa: E402
from ttsolve import plot  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "img")


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    sol = tts.pde.solve(tts.pde.get_problem("hjb", dim=10), n_samples=1000, seed=0)
    plot.plot_solution(sol, n_paths=100).savefig(os.path.join(OUT, "plot_solution.png"), dpi=80)

    model = tts.mcmc.IsingLattice((10, 10), coupling=0.3)
    runs = {s: tts.mcmc.sample(model, s, n_chains=10, n_steps=2000, burn_in=2000, record=["energy"], seed=0)
            for s in ("gwg", "gibbs", "random_walk")}
    plot.plot_samplers(runs).savefig(os.path.join(OUT, "plot_samplers.png"), dpi=80)

    rng = np.random.default_rng(0)
    X, Xv = rng.uniform(-1, 1, (2000, 8)), rng.uniform(-1, 1, (500, 8))

    def target(Z):
        return np.prod(1 + 0.3 * Z, axis=1) + Z[:, 0] * Z[:, 1]

    _, report = tts.regression.fit(X, target(X), tts.basis.Legendre(3, domain=(-1, 1)), method="salsa",
                                   max_rank=4, validation=(Xv, target(Xv)))
    plot.plot_regression(report).savefig(os.path.join(OUT, "plot_regression.png"), dpi=80)


if __name__ == "__main__":
    main()
