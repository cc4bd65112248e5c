"""Checks of the independent exact references for discrete samplers (tests/reference/).

The references are what issue 14's compiled samplers will be measured against, so they are
checked here against closed forms, against each other where two definitions coincide, and for
pi T = pi on random tiny models (binary, K = 3, 4; weak and strong couplings; several seeds);
the biased variants (DULA, locally balanced without MH, DISCS's Hamming-ball radius weights)
must fail that check measurably.
"""

import numpy as np
import pytest

from reference import discrete_kernels as dk
from reference import discrete_models as dm

EXACT_TOL = 1e-12


def _models():
    """(id, model) pairs: binary and K = 3, 4, weak/strong couplings and fields, several seeds."""
    out = []
    for seed, (D, K, cs, fs) in enumerate([(4, 2, 0.4, 0.5), (5, 2, 1.5, 1.0), (3, 3, 0.3, 1.5),
                                          (4, 3, 1.2, 0.5), (3, 4, 0.8, 0.8), (3, 4, 2.0, 0.2)]):
        rng = np.random.default_rng(100 + seed)
        out.append((f"potts-D{D}K{K}-c{cs}-s{seed}", dm.random_potts(rng, D, K, cs, fs)))
    rng = np.random.default_rng(7)
    A = rng.normal(scale=0.6, size=(9, 9))
    out.append(("quadratic-onehot-D3K3", dm.quadratic_onehot(A + A.T, rng.normal(size=9), 3)))
    out.append(("lattice-2x2-K3", dm.potts_lattice((2, 2), 3, 0.9, bias=rng.normal(size=(4, 3)))))
    W = rng.normal(size=(4, 4))
    W = W + W.T
    np.fill_diagonal(W, 0.0)
    out.append(("binary-quadratic-D4", dm.binary_quadratic(W, rng.normal(size=4))))
    return out


MODELS = _models()
IDS = [name for name, _ in MODELS]


def _exact_kernels(model):
    """Every exact reference kernel on this model, by name."""
    kernels = {f"gwg-{b}": dk.gwg(model, b) for b in dk.BALANCING}
    kernels.update({f"lb-{b}": dk.locally_balanced(model, b) for b in dk.BALANCING})
    kernels["dmala-0.5"] = dk.dmala(model, 0.5)
    kernels["dmala-2-barker"] = dk.dmala(model, 2.0, "barker")
    kernels["pas-L2"] = dk.pas(model, 2)
    kernels["pas-random-L"] = dk.pas(model, length_probs=[0.5, 0.3, 0.2])
    for solver in ("expm", "interpolate", "euler_forward"):
        kernels[f"dlmc-{solver}"] = dk.dlmc(model, 0.7, solver=solver)
    kernels["dlmc-max"] = dk.dlmc(model, 1.5, "max")
    kernels["gibbs-systematic"] = dk.gibbs_systematic(model)
    kernels["gibbs-random"] = dk.gibbs_random(model)
    kernels["block-gibbs"] = dk.block_gibbs(model, [0, 1])
    kernels["rw-single"] = dk.random_walk(model)
    kernels["rw-independent"] = dk.random_walk(model, 0.3)
    kernels["hamming-ball-2"] = dk.hamming_ball(model, 2)
    return kernels


@pytest.mark.parametrize("name,model", MODELS, ids=IDS)
def test_exact_kernels_leave_pi_invariant(name, model):
    pi = dm.exact_pi(model)
    for kname, T in _exact_kernels(model).items():
        assert T.min() >= -1e-15, kname
        np.testing.assert_allclose(T.sum(axis=1), 1.0, atol=1e-13, err_msg=kname)
        assert dk.stationarity_error(T, pi) < EXACT_TOL, (name, kname, dk.stationarity_error(T, pi))
        if kname != "gibbs-systematic":  # a sweep is not reversible; every other kernel is
            assert dk.detailed_balance_error(T, pi) < EXACT_TOL, (name, kname)


@pytest.mark.parametrize("name,model", MODELS[:6], ids=IDS[:6])
def test_dula_biased_where_dmala_exact(name, model):
    pi = dm.exact_pi(model)
    for alpha in (0.5, 1.5):
        assert dk.stationarity_error(dk.dmala(model, alpha), pi) < EXACT_TOL
        T = dk.dula(model, alpha)
        np.testing.assert_allclose(T.sum(axis=1), 1.0, atol=1e-13)
        stationary = np.linalg.matrix_power(T, 4096)[0]  # DULA's own stationary law, far from pi
        assert np.abs(stationary - pi).sum() > 1e-2, (name, alpha)


@pytest.mark.parametrize("name,model", MODELS[:6], ids=IDS[:6])
def test_locally_balanced_without_mh_biased(name, model):
    pi = dm.exact_pi(model)
    for b in dk.BALANCING:
        assert dk.stationarity_error(dk.locally_balanced(model, b, mh=False), pi) > 1e-4, b


def test_discs_hamming_ball_radius_weights_break_invariance():
    _, model = MODELS[3]
    pi = dm.exact_pi(model)
    m = 2 * (model.n_states - 1)
    discs_stay = np.exp(1.0) / (np.exp(1.0) + np.exp(m))
    assert dk.stationarity_error(dk.hamming_ball(model, 2), pi) < EXACT_TOL
    assert dk.stationarity_error(dk.hamming_ball(model, 2, stay_prob=discs_stay), pi) > 1e-4


def test_enumeration_and_gradients():
    for name, model in MODELS:
        S = dm.all_states(model.n_sites, model.n_states)
        np.testing.assert_array_equal(dm.state_index(S, model.n_states), np.arange(len(S)))
        pi = dm.exact_pi(model)
        lp = model.log_prob(S)
        np.testing.assert_allclose(np.log(pi) - np.log(pi[0]), lp - lp[0], atol=1e-10)
        # grad is the derivative of the relaxation f_onehot (central differences, f is quadratic)
        X = dm.one_hot(S[::7], model.n_states) + 0.1
        G = model.grad_onehot(X)
        h = 1e-5
        for i in range(model.n_sites):
            for a in range(model.n_states):
                E = np.zeros_like(X)
                E[:, i, a] = h
                fd = (model.f_onehot(X + E) - model.f_onehot(X - E)) / (2 * h)
                np.testing.assert_allclose(G[:, i, a], fd, atol=1e-6, err_msg=name)


def test_gradient_differences_exact_for_pairwise_models_only():
    for name, model in MODELS:
        S = dm.all_states(model.n_sites, model.n_states)
        gap = np.abs(dm.gradient_differences(model, S) - dm.exact_local_differences(model, S)).max()
        if name.startswith("quadratic-onehot"):
            assert gap > 1e-2
        else:
            assert gap < 1e-12, name


def test_builders_closed_forms():
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(3, 4))
    pi = dm.exact_pi(dm.categorical(logits)).reshape(4, 4, 4)
    marg = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(pi, np.einsum("a,b,c->abc", *marg), atol=1e-14)
    b = rng.normal(size=3)
    np.testing.assert_allclose(dm.exact_pi(dm.bernoulli(b)).reshape(2, 2, 2),
                               np.einsum("a,b,c->abc", *[np.array([1, np.exp(v)]) / (1 + np.exp(v)) for v in b]))
    # lattice: 2x2 periodic with side 2 counts each pair once -> 4 pairs; all-equal state scores 4 c
    lat = dm.potts_lattice((2, 2), 3, 0.7, periodic=True)
    assert lat.log_prob(np.zeros((1, 4), dtype=int))[0] == pytest.approx(4 * 0.7)
    chain = dm.potts_lattice((4,), 2, 1.0, periodic=False)
    assert chain.log_prob(np.array([[0, 0, 1, 1]]))[0] == pytest.approx(2.0)
    assert dm.potts_lattice((4,), 2, 1.0, periodic=True).log_prob(np.array([[0, 0, 1, 1]]))[0] == pytest.approx(2.0)


def test_potts_rejects_asymmetric_or_diagonal_couplings():
    J = np.zeros((2, 2, 3, 3))
    J[0, 1, 0, 1] = 1.0
    with pytest.raises(ValueError, match=r"J\[i, j, a, b\] == J\[j, i, b, a\]"):
        dm.potts(J, np.zeros((2, 3)))
    J[1, 0, 1, 0] = 1.0
    dm.potts(J, np.zeros((2, 3)))
    J[0, 0, 1, 1] = 1.0
    with pytest.raises(ValueError, match="J\\[i, i\\]"):
        dm.potts(J, np.zeros((2, 3)))


def test_gwg_proposal_is_softmax_of_half_gradient_differences():
    _, model = MODELS[2]
    S = dm.all_states(model.n_sites, model.n_states)
    T = dk.gwg(model)
    x = 5
    d = dm.gradient_differences(model, S[x:x + 1])[0]
    q = np.exp(d / 2)
    q[np.arange(model.n_sites), S[x]] = 0.0
    q /= q.sum()
    log_pi = model.log_prob(S)
    for i in range(model.n_sites):
        for k in range(model.n_states):
            if k == S[x, i]:
                continue
            y_state = S[x].copy()
            y_state[i] = k
            y = int(dm.state_index(y_state, model.n_states))
            dy = dm.gradient_differences(model, S[y:y + 1])[0]
            qy = np.exp(dy / 2)
            qy[np.arange(model.n_sites), S[y]] = 0.0
            rev = qy[i, S[x, i]] / qy.sum()
            acc = min(1.0, np.exp(log_pi[y] - log_pi[x]) * rev / q[i, k])
            assert T[x, y] == pytest.approx(q[i, k] * acc, rel=1e-12)


def test_gwg_equals_locally_balanced_when_gradient_is_exact():
    for name, model in MODELS:
        if name.startswith("quadratic-onehot"):
            assert np.abs(dk.gwg(model) - dk.locally_balanced(model)).max() > 1e-3
            continue
        for b in dk.BALANCING:
            np.testing.assert_allclose(dk.gwg(model, b), dk.locally_balanced(model, b), atol=1e-13)


def test_pas_length_one_is_gwg():
    for _, model in MODELS[:5]:
        np.testing.assert_allclose(dk.pas(model, 1, "barker"), dk.gwg(model, "barker"), atol=1e-13)


def test_pas_transition_matches_simulation():
    """Empirical moves of a straightforward PAS simulation (Gumbel top-k path) agree with T's row."""
    _, model = MODELS[3]
    K, D, L = model.n_states, model.n_sites, 2
    S = dm.all_states(D, K)
    log_pi = model.log_prob(S)
    x = 17
    T = dk.pas(model, L)
    rng = np.random.default_rng(0)
    n = 20000

    def tables(state):
        d = dm.gradient_differences(model, state[None])[0] / 2
        d[np.arange(D), state] = -np.inf
        pair = np.exp(d - d[np.isfinite(d)].max())
        pair /= pair.sum()
        return pair.sum(axis=1), pair / pair.sum(axis=1, keepdims=True)

    cache = [tables(state) for state in S]
    site_p, val_p = cache[x]
    keys = np.log(site_p)[None, :] + rng.gumbel(size=(n, D))
    order = np.argsort(-keys, axis=1)[:, :L]  # Gumbel-top-k = sequential draws without replacement
    counts = np.zeros(len(S))
    for r in range(n):
        sites = order[r]
        y_state = S[x].copy()
        fwd = 0.0
        used = 0.0
        for i in sites:
            k = rng.choice(K, p=val_p[i])
            y_state[i] = k
            fwd += np.log(site_p[i] / (1 - used) * val_p[i, k])
            used += site_p[i]
        y = int(dm.state_index(y_state, K))
        sp_y, vp_y = cache[y]
        rev, used = 0.0, 0.0
        for i in sites[::-1]:
            rev += np.log(sp_y[i] / (1 - used) * vp_y[i, S[x, i]])
            used += sp_y[i]
        accept = np.log(rng.uniform()) < log_pi[y] + rev - log_pi[x] - fwd
        counts[y if accept else x] += 1
    freq = counts / n
    sd = np.sqrt(T[x] * (1 - T[x]) / n)
    assert np.all(np.abs(freq - T[x]) <= 5 * sd + 1e-12)


def test_dmala_binary_closed_form():
    _, model = MODELS[1]
    S = dm.all_states(model.n_sites, 2)
    alpha = 0.4
    g = model.grad(S)
    grad1 = g[:, :, 1] - g[:, :, 0]  # d f / d x_i in the 0/1 encoding
    p_flip = 1 / (1 + np.exp(-(grad1 * (1 - 2 * S) / 2 - 1 / (2 * alpha))))
    np.testing.assert_allclose(dk.dmala_proposal(model, S, alpha)[np.arange(len(S))[:, None],
                                                                  np.arange(model.n_sites), 1 - S],
                               p_flip, rtol=1e-12)


def test_dlmc_solvers():
    t = 0.8
    # K = 2: DISCS's interpolation is exp(t Q) exactly; closed form nu (1 - exp(-t (r1 + r2)))
    _, binary = MODELS[1]
    S = dm.all_states(binary.n_sites, 2)
    P = dk.dlmc_proposal(binary, S, t)
    np.testing.assert_allclose(P, dk.dlmc_proposal(binary, S, t, solver="interpolate"), atol=1e-12)
    d = dm.gradient_differences(binary, S)[np.arange(len(S))[:, None], np.arange(binary.n_sites), 1 - S]
    flip = 1 / (1 + np.exp(-d)) * -np.expm1(-t * (np.exp(d / 2) + np.exp(-d / 2)))
    np.testing.assert_allclose(P[np.arange(len(S))[:, None], np.arange(binary.n_sites), 1 - S], flip, rtol=1e-10)
    # K = 3: interpolation is only an approximation of exp(t Q)
    _, tern = MODELS[3]
    S3 = dm.all_states(tern.n_sites, 3)
    gap = np.abs(dk.dlmc_proposal(tern, S3, t) - dk.dlmc_proposal(tern, S3, t, solver="interpolate")).max()
    assert gap > 1e-3
    # t -> infinity: exp(t Q) -> the local linearised conditional; on independent sites that is pi,
    # so every proposal is accepted and each row of T is pi
    cat = dm.categorical(np.random.default_rng(1).normal(size=(3, 3)))
    T = dk.dlmc(cat, 60.0)
    np.testing.assert_allclose(T, np.broadcast_to(dm.exact_pi(cat), T.shape), atol=1e-12)


def test_gibbs_and_ball_on_independent_sites_draw_pi():
    cat = dm.categorical(np.random.default_rng(2).normal(size=(3, 3)))
    pi = dm.exact_pi(cat)
    np.testing.assert_allclose(dk.gibbs_systematic(cat), np.broadcast_to(pi, (27, 27)), atol=1e-14)
    np.testing.assert_allclose(dk.block_gibbs(cat, [0, 1, 2]), np.broadcast_to(pi, (27, 27)), atol=1e-14)
    one = dm.categorical(np.random.default_rng(3).normal(size=(1, 4)))
    np.testing.assert_allclose(dk.hamming_ball(one, 1), np.broadcast_to(dm.exact_pi(one), (4, 4)), atol=1e-14)


def test_bad_arguments():
    _, model = MODELS[0]
    with pytest.raises(ValueError, match="balance"):
        dk.gwg(model, "cube")
    with pytest.raises(ValueError, match="solver"):
        dk.dlmc(model, 1.0, solver="rk4")
    with pytest.raises(ValueError, match="length_probs"):
        dk.pas(model, length_probs=[0.5, 0.2])
