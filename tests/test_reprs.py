"""Readable repr and notebook HTML summaries of FunctionalTT, pde.Solution, mcmc.SampleResult."""

import numpy as np

import ttsolve as tts
from ttsolve._repr import short_list, summary_html
from ttsolve.basis import Legendre


def test_short_list_and_html_escaping():
    assert short_list([1, 2, 3]) == "[1, 2, 3]"
    assert short_list([1] + [4] * 98 + [1]) == "[1, 4, 4, 4, ..., 4, 1]"
    html = summary_html("T<1>", [("a&b", "<x>")])
    assert "T&lt;1&gt;" in html and "a&amp;b" in html and "&lt;x&gt;" in html and "<x>" not in html


def test_functional_tt_repr_is_short_for_large_d():
    f = tts.FunctionalTT(tts.TensorTrain.random([4] * 100, 3, seed=0), Legendre(3))
    text = repr(f)
    assert text.startswith("FunctionalTT(d=100, basis=Legendre(3") and "..., 3, 1]" in text and len(text) < 150
    html = f._repr_html_()
    assert "<table>" in html and "max 3" in html


def test_solution_repr_and_html():
    problem = tts.pde.get_problem("hjb", dim=3)
    sol = tts.pde.solve(problem, n_samples=100, n_steps=4, seed=0)
    assert repr(sol) == f"Solution('hjb', dim=3, scheme={sol.settings['scheme']!r}, n_steps=4, v0={sol.v0:.6g})"
    html = sol._repr_html_()
    assert "V(0, x0)" in html and f"{sol.v0:.10g}" in html and "rel. error" in html


def test_sample_result_repr_and_html():
    model = tts.mcmc.IsingLattice((3, 3), coupling=0.2)
    res = tts.mcmc.sample(model, "gwg", n_chains=2, n_steps=50, record=["energy", "samples"], seed=0)
    text = repr(res)
    assert text.startswith("SampleResult(2 x 50 draws, D=9, recorded=[energy, samples], acceptance ")
    assert f"{np.mean(res.acceptance):.3f}" in text
    assert "<table>" in res._repr_html_()
