"""Run DISCS's own samplers (JAX, CPU) on its classical models: chain-steps/s and per-chain traces.

DISCS is imported from a checkout given by --discs-path or $DISCS_PATH (never copied into
ttsolve). Two run-time shims adapt its 2023 source to the JAX on PyPI today without changing
what it computes: ``jnp.clip(a_min=, a_max=)`` -> ``jnp.clip(min=, max=)`` and
``jax.tree_map`` -> ``jax.tree.map``; its logging-only dependency ``clu`` is stubbed when
absent. Each run: build model + sampler from DISCS's configs, JIT-compile one step
(``jax.jit(partial(sampler.step, model=model))`` as DISCS's Sampling_Experiment does), warm up,
time ``--seconds`` of pure steps (blocking on the result at the end) for chain-steps/s, then
record ``--trace-steps`` steps of per-chain log-probability, Hamming distance to the chain's
start and DISCS's ESS statistic sum |x - x_ref| (x_ref one random state), saved to an .npz.

    python bench/peers/discs_runner.py --model potts-10x10x3 --sampler gwg --chains 100
    python bench/peers/discs_runner.py --all --seconds 3 --trace-steps 300 --out-dir bench/results/discs
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
import types

import numpy as np

__all__ = ["MODELS", "SAMPLERS", "import_discs", "build", "make_params", "run"]

# DISCS classical models of issue 14 (configs as in discs/models/configs, sizes as in the issue).
MODELS = {
    "bernoulli-2000": ("bernoulli", dict(shape=(2000,), num_categories=2, init_sigma=0.5)),
    "categorical-2000x4": ("categorical", dict(shape=(2000,), num_categories=4, init_sigma=1.5)),
    "ising-50x50": ("ising", dict(shape=(50, 50), num_categories=2, lambdaa=0.5, external_field_type=1,
                                  mu=0.5, init_sigma=1.5)),
    "potts-10x10x3": ("potts", dict(shape=(10, 10), num_categories=3, lambdaa=1.0, external_field_type=1,
                                    mu=0.5, init_sigma=1.5)),
    "potts-50x50x4": ("potts", dict(shape=(50, 50), num_categories=4, lambdaa=1.0, external_field_type=1,
                                    mu=0.5, init_sigma=1.5)),
    "rbm-784x500": ("rbm", dict(shape=(784,), num_categories=2, num_visible=784, num_hidden=500)),
    "fhmm-200x50": ("fhmm", dict(shape=(200, 50), num_categories=2, sigma=2.0, alpha=0.1, beta=0.8)),
}

# DISCS's sampler table (discs/samplers/configs/*, defaults as there); name -> (module, overrides).
SAMPLERS = {
    "randomwalk": ("randomwalk", dict(adaptive=True, target_acceptance_rate=0.237)),
    "gibbs": ("gibbs", dict()),
    "blockgibbs": ("blockgibbs", dict(block_size=2)),
    "hammingball": ("hammingball", dict(block_size=10)),
    "gwg": ("gwg", dict(num_flips=1, adaptive=True, target_acceptance_rate=0.574, balancing_fn_type="SQRT")),
    "locallybalanced": ("locallybalanced", dict(balancing_fn_type="SQRT")),
    "dmala": ("dmala", dict(adaptive=True, target_acceptance_rate=0.574, balancing_fn_type="SQRT",
                            schedule_step=100, reset_z_est=20, step_size=0.2)),
    "path_auxiliary": ("path_auxiliary", dict(use_fast_path=True, num_flips=1, adaptive=True,
                                              target_acceptance_rate=0.574, balancing_fn_type="SQRT",
                                              approx_with_grad=True)),
    "dlmc": ("dlmc", dict(adaptive=True, target_acceptance_rate=0.574, balancing_fn_type="SQRT",
                          schedule_step=200, reset_z_est=20, solver="interpolate", n=3.0)),
}


def import_discs(path):
    """Put DISCS on sys.path with the compatibility shims; returns the jax module."""
    path = path or os.environ.get("DISCS_PATH")
    if not path or not os.path.isdir(os.path.join(path, "discs")):
        raise SystemExit("give the DISCS checkout with --discs-path or $DISCS_PATH (the directory holding discs/)")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", False)
    cache = os.environ.get("DISCS_JAX_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "discs-jax"))
    if cache != "off":  # reruns skip XLA compiles (0.5-30 s per pair under load); DISCS_JAX_CACHE=off disables
        jax.config.update("jax_compilation_cache_dir", cache)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    orig_clip = jnp.clip

    def clip(x, min=None, max=None, *, a_min=None, a_max=None):  # noqa: A002 - jnp's own names
        return orig_clip(x, a_min if a_min is not None else min, a_max if a_max is not None else max)

    jnp.clip = clip
    if not hasattr(jax, "tree_map"):
        jax.tree_map = jax.tree.map
    try:
        import clu.metric_writers  # noqa: F401
    except ImportError:  # DISCS imports it for TensorBoard logging only
        clu = types.ModuleType("clu")
        mw = types.ModuleType("clu.metric_writers")
        sw = types.ModuleType("clu.metric_writers.summary_writer")
        sw.SummaryWriter = object
        mw.summary_writer = sw
        clu.metric_writers = mw
        sys.modules.update({"clu": clu, "clu.metric_writers": mw, "clu.metric_writers.summary_writer": sw})
    if path not in sys.path:
        sys.path.insert(0, path)
    # discs.common.utils imports the combinatorial-optimisation graph loaders (pickle5, networkx,
    # python-sat); the classical models never use them, so a stub stands in for that one module.
    import discs.graph_loader  # noqa: F401

    sys.modules.setdefault("discs.graph_loader.graph_gen", types.ModuleType("discs.graph_loader.graph_gen"))
    return jax


def build(model_name, sampler_name, n_chains, balancing=None):
    """DISCS config, model and sampler objects for one (model, sampler) pair."""
    import importlib

    from discs.common import configs as discs_configs

    model_mod, model_cfg = MODELS[model_name]
    sampler_mod, sampler_cfg = SAMPLERS[sampler_name]
    config = discs_configs.get_config()
    config.model.update(dict(model_cfg, name=model_mod))
    config.sampler.update(dict(sampler_cfg, name=sampler_mod))
    if balancing and "balancing_fn_type" in sampler_cfg:
        config.sampler.balancing_fn_type = balancing
    config.experiment.batch_size = n_chains
    model = importlib.import_module(f"discs.models.{model_mod}").build_model(config)
    if model_mod == "ising":
        _fix_ising_int_states(model)
    sampler = importlib.import_module(f"discs.samplers.{sampler_mod}").build_sampler(config)
    return config, model, sampler


def _fix_ising_int_states(model):
    """DISCS's Ising ``forward`` builds its neighbour message with ``jnp.zeros_like(x)``: for the
    int32 states that gibbs, blockgibbs, hammingball and randomwalk pass, the +-lambda/2
    messages are truncated to 0 in the int array, so those samplers would sample the field-only
    model (f = -sum b s, no coupling); gwg/dmala/PAS/DLMC pass float states and see the real
    model. This shim casts the states to float32 first (what DISCS's gradient samplers do), so
    every sampler runs on the same Ising model; the cost of one cast is negligible."""
    import jax.numpy as jnp

    forward = model.forward

    def forward_float(params, x):
        return forward(params, x.astype(jnp.promote_types(x.dtype, jnp.float32)))

    model.forward = forward_float
    model.forward_int_truncating = forward  # the unpatched method, for the test that shows the bug


def make_params(model, seed=0):
    """The model parameters run(..., seed) uses (same key split), so callers can build the
    same model elsewhere (bench/discrete_models.py)."""
    import jax

    k_param = jax.random.split(jax.random.PRNGKey(seed), 5)[0]
    return model.make_init_params(k_param)


def _load():
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def run(model_name, sampler_name, n_chains=100, seconds=3.0, trace_steps=300, seed=0, balancing=None,
        x0=None, x_ref=None, trace_from_start=True, trace_seconds=None, burn_in_seconds=0.0):
    """Time DISCS's step and record traces; returns (summary dict, traces dict).

    ``x0`` (n_chains, D) integer states start the chains (default DISCS's random init) and
    ``x_ref`` (D,) is the reference of the ``discs_ess_stat`` / ``hamming_to_ref`` traces
    (default one DISCS random init state). With ``trace_from_start=False`` the trace
    continues from the timed steps' end (chains and adapted sampler state kept: a burnt-in
    trace when ``x0`` is equilibrated) instead of restarting from ``x0``.
    """
    import jax
    import jax.numpy as jnp

    config, model, sampler = build(model_name, sampler_name, n_chains, balancing)
    key = jax.random.PRNGKey(seed)
    k_param, k_x0, k_state, k_ref, key = jax.random.split(key, 5)
    params = model.make_init_params(k_param)
    sample_shape = tuple(model.get_init_samples(k_x0, 1).shape[1:])
    if x0 is None:
        x0 = model.get_init_samples(k_x0, n_chains)
    else:
        x0 = jnp.asarray(np.asarray(x0).reshape((n_chains,) + sample_shape), dtype=jnp.int32)
    if x_ref is None:
        x_ref = model.get_init_samples(k_ref, 1)
    else:
        x_ref = jnp.asarray(np.asarray(x_ref).reshape((1,) + sample_shape), dtype=jnp.int32)
    state = sampler.make_init_state(k_state)
    step = jax.jit(functools.partial(sampler.step, model=model))
    forward = jax.jit(model.forward)

    @jax.jit
    def stats(x, start):
        flat = x.reshape(n_chains, -1)
        ref = x_ref.reshape(1, -1)
        return (forward(params, x), jnp.sum(flat != start.reshape(n_chains, -1), axis=1),
                jnp.sum(jnp.abs(flat - ref), axis=1), jnp.sum(flat != ref, axis=1))

    def advance(x, state, i):
        out = step(rng=jax.random.fold_in(key, i), x=x, model_param=params, state=state)
        return out[0], out[1], (out[2] if len(out) > 2 else jnp.nan)

    t0 = time.perf_counter()
    x, state, acc = advance(x0, state, 0)
    jax.block_until_ready(x)
    compile_s = time.perf_counter() - t0
    i = 1
    t0 = time.perf_counter()
    while i < 4 or time.perf_counter() - t0 < 0.3:  # warm-up past any shape-dependent retrace
        x, state, acc = advance(x, state, i)
        i += 1
    jax.block_until_ready(x)
    per_step = (time.perf_counter() - t0) / (i - 1)
    t0, burn_steps = time.perf_counter(), 0
    while time.perf_counter() - t0 < burn_in_seconds:
        x, state, acc = advance(x, state, i)
        i += 1
        burn_steps += 1
        if burn_steps % 16 == 0:
            jax.block_until_ready(x)
    jax.block_until_ready(x)
    n_timed = max(5, int(seconds / max(per_step, 1e-7)))
    load_before = _load()
    t0 = time.perf_counter()
    for _ in range(n_timed):
        x, state, acc = advance(x, state, i)
        i += 1
    jax.block_until_ready(x)
    elapsed = time.perf_counter() - t0
    if trace_seconds is not None:
        trace_steps = int(min(trace_steps, max(10, trace_seconds * n_timed / elapsed)))
    if trace_from_start:  # traces from the chains' start, like DISCS's chains
        x, state = x0, sampler.make_init_state(k_state)
    start = x
    logp, ham, discs_stat, ham_ref, accs = [], [], [], [], []
    t0 = time.perf_counter()
    for j in range(trace_steps):
        x, state, acc = advance(x, state, 10**7 + j)
        lp, h, ds, hr = stats(x, start)
        logp.append(lp)
        ham.append(h)
        discs_stat.append(ds)
        ham_ref.append(hr)
        accs.append(acc)
    jax.block_until_ready(x)
    trace_s = time.perf_counter() - t0

    def stack(rows):
        return np.asarray(jnp.stack(rows)) if rows else np.zeros((0, n_chains))

    traces = dict(log_prob=stack(logp), hamming_to_start=stack(ham), discs_ess_stat=stack(discs_stat),
                  hamming_to_ref=stack(ham_ref), acceptance=np.asarray([float(np.mean(a)) for a in accs]))
    summary = dict(model=model_name, sampler=sampler_name, balancing=balancing or "default", chains=n_chains,
                   backend="discs-jax", jax=jax.__version__, compile_s=round(compile_s, 3), timed_steps=n_timed,
                   seconds=round(elapsed, 4), steps_per_s=n_timed / elapsed,
                   chain_steps_per_s=n_timed * n_chains / elapsed, load_before=load_before, load_after=_load(),
                   trace_steps=trace_steps, trace_s=round(trace_s, 4), burn_in_steps=burn_steps,
                   final_mean_log_prob=float(np.mean(traces["log_prob"][-1])) if trace_steps else None)
    return summary, traces


def _save(out_dir, summary, traces):
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.join(out_dir, f"{summary['model']}__{summary['sampler']}__{summary['balancing']}")
    np.savez_compressed(stem + ".npz", **traces)
    with open(stem + ".json", "w") as fh:
        json.dump(summary, fh, indent=1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--discs-path", default=None)
    ap.add_argument("--model", choices=sorted(MODELS), action="append")
    ap.add_argument("--sampler", choices=sorted(SAMPLERS), action="append")
    ap.add_argument("--all", action="store_true", help="every model x every sampler")
    ap.add_argument("--balancing", choices=["SQRT", "RATIO", "MAX", "MIN"], default=None)
    ap.add_argument("--chains", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=3.0, help="timed budget per pair after warm-up")
    ap.add_argument("--trace-steps", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", default=None, help="save <model>__<sampler>__<balancing>.npz/.json here")
    args = ap.parse_args(argv)
    import_discs(args.discs_path)
    models = sorted(MODELS) if args.all or not args.model else args.model
    samplers = list(SAMPLERS) if args.all or not args.sampler else args.sampler
    print(f"{'model':20s} {'sampler':16s} {'chain-steps/s':>14s} {'compile s':>9s}  load (1 min)")
    for m in models:
        for s in samplers:
            try:
                summary, traces = run(m, s, args.chains, args.seconds, args.trace_steps, args.seed, args.balancing)
            except Exception as exc:  # report which DISCS piece does not run here, keep going
                print(f"{m:20s} {s:16s} {'FAILS':>14s}  {type(exc).__name__}: {str(exc).splitlines()[0][:90]}")
                continue
            print(f"{m:20s} {s:16s} {summary['chain_steps_per_s']:14.4g} {summary['compile_s']:9.2f}  "
                  f"{summary['load_before'][0]:.2f}", flush=True)
            if args.out_dir:
                _save(args.out_dir, summary, traces)


if __name__ == "__main__":
    main()
