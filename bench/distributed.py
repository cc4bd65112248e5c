"""Scale-out on Dask: local threads vs a LocalCluster of processes on the same cores.

    python bench/distributed.py [--quick] [--json PREFIX]

1. 50 x 50 Ising (coupling 0.25), GWG, 10^3 chains: ``sample`` with 2 local threads vs
   ``sample(client=)`` on a LocalCluster of 2 processes x 1 thread (one shard per worker):
   wall time (median of repeats, cluster start excluded, workers warmed up), the payload bytes
   that travel (init rows and the model to the workers, records and final states back), and
   the overhead ratio distributed / local (target <= 1.3).
4. HJB d = 100 at K = 2 x 10^4 (``--hjb-steps``, default 100): local 2 threads vs
   ``solve(client=)`` on 2 processes x 1 thread: time, V(0, x0) difference, round trips, bytes.
3. One reduce round of the distributed PDE design (s x s Grams from data kept on the workers)
   on 2 and 8 workers, for s = 3 (HJB's closed form) and s = 128 (an ALS core r = 4, p = 8):
   as dask tasks, and through the shard hosts (Actors) that the PDE solve uses.
5. HJB d = 10 with a degree-3 basis (ALS sweeps, one round trip per core update), K = 2000
   and 2 x 10^4, N = 3: local vs 2 shards on the cluster, time per round.
2. Scheduling overhead per task: tiny shards (1 chain, 1 step) on 2 and on 8 worker
   processes (8 workers on 2 cores: more simulated workers than cores), wall time per shard.
   With (1) it feeds the cost model of docs/distributed.md.
The machine load (1-minute average) is recorded beside every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

# This file is named like the `distributed` package: take bench/ off the path (the spawned
# worker processes inherit it) so that `import distributed` finds dask's.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import numpy as np  # noqa: E402

import ttsolve as tts  # noqa: E402
from ttsolve._bench.harness import machine_state  # noqa: E402 (what bench/harness.py re-exports)
from ttsolve.mcmc import IsingLattice, sample  # noqa: E402


def _median_time(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def ising_run(n_steps, repeats, record):
    """Local and distributed runs interleaved (the load of a shared machine drifts)."""
    from distributed import Client, LocalCluster

    model = IsingLattice((50, 50), coupling=0.25)
    kw = dict(n_chains=1000, n_steps=n_steps, thin=10, record=record, seed=0)
    tts.set_num_threads(2)
    load0 = os.getloadavg()[0]
    t_local, t_dist, ratios = [], [], []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        sample(model, "gwg", **{**kw, "n_steps": 10}, client=client)  # warm up the workers (imports)
        for _ in range(repeats):
            a, local = _median_time(lambda: sample(model, "gwg", **kw), 1)
            b, dist = _median_time(lambda: sample(model, "gwg", client=client, **kw), 1)
            t_local.append(a), t_dist.append(b), ratios.append(b / a)
    same = all(np.array_equal(local.statistics[n], dist.statistics[n]) for n in local.statistics)
    return {"case": "ising 50x50 gwg, 1000 chains", "n_steps": n_steps, "thin": 10, "record": record,
            "local_2_threads_s": round(statistics.median(t_local), 3),
            "cluster_2x1_s": round(statistics.median(t_dist), 3),
            "overhead_ratio_median_of_pairs": round(statistics.median(ratios), 3),
            "ratios": [round(r, 3) for r in ratios], "identical": bool(same),
            "shard_seconds": [round(s, 3) for s in dist.info["shard_seconds"]],
            "bytes_to_workers": dist.info["bytes_to_workers"], "bytes_from_workers": dist.info["bytes_from_workers"],
            "chain_steps_per_s_local": round(1000 * n_steps / statistics.median(t_local)), "load1_start": round(load0, 2),
            "load1_end": round(os.getloadavg()[0], 2)}


def hjb_run(n_samples, n_steps):
    """HJB d = 100 (its defaults: degree 0, V = a + c1 g + c2 g^2, inner pairs 4/16): local solve
    with 2 threads vs solve(client=) on 2 processes x 1 thread; V(0, x0) difference, time,
    round trips and payload bytes."""
    from distributed import Client, LocalCluster

    from ttsolve.pde import get_problem, solve

    problem = get_problem("hjb", dim=100)
    kw = dict(n_samples=n_samples, n_steps=n_steps, seed=0)
    tts.set_num_threads(2)
    load0 = os.getloadavg()[0]
    t_local, local = _median_time(lambda: solve(problem, **kw), 1)
    load_mid = os.getloadavg()[0]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        solve(problem, client=client, n_samples=100, n_steps=2)  # warm up the workers (imports)
        t_dist, dist = _median_time(lambda: solve(problem, client=client, **kw), 1)
    info = dist.distributed_info
    return {"case": f"hjb d=100 K={n_samples} N={n_steps}", "local_2_threads_s": round(t_local, 2),
            "cluster_2x1_s": round(t_dist, 2), "overhead_ratio": round(t_dist / t_local, 3),
            "v0_local": local.v0, "v0_cluster": dist.v0, "v0_rel_diff": abs(local.v0 - dist.v0) / abs(local.v0),
            "rounds": info["rounds"], "rounds_per_step": round(info["rounds"] / n_steps, 2),
            "bytes_to_workers": info["bytes_to_workers"], "bytes_from_workers": info["bytes_from_workers"],
            "local_step_s_median": round(statistics.median(d.time for d in local.diagnostics), 3),
            "cluster_step_s_median": round(statistics.median(d.time for d in dist.diagnostics), 3),
            "host_compute_s": [round(x, 3) for x in info.get("host_seconds", [])],
            "recoveries": info.get("recoveries"),
            "load1_start": round(load0, 2), "load1_mid": round(load_mid, 2), "load1_end": round(os.getloadavg()[0], 2)}


def sweep_run(dim, degree, n_samples, n_steps, n_shards):
    """HJB at a basis of size degree + 1 (ALS sweeps, rank 1): local solve with 2 threads vs
    solve(client=) on 2 processes x 1 thread with n_shards shards: time, V(0, x0) difference,
    rounds (one per core update), bytes, and the time per round."""
    from distributed import Client, LocalCluster

    from ttsolve.pde import get_problem, solve

    problem = get_problem("hjb", dim=dim)
    kw = dict(n_samples=n_samples, n_steps=n_steps, degree=degree, seed=0)
    tts.set_num_threads(2)
    load0 = os.getloadavg()[0]
    t_local, local = _median_time(lambda: solve(problem, **kw), 1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        solve(problem, client=client, n_samples=100, n_steps=2, degree=degree)  # warm up the workers
        t_dist, dist = _median_time(lambda: solve(problem, client=client, n_shards=n_shards, **kw), 1)
    info = dist.distributed_info
    return {"case": f"hjb d={dim} degree={degree} K={n_samples} N={n_steps} shards={n_shards}",
            "local_2_threads_s": round(t_local, 2), "cluster_2x1_s": round(t_dist, 2),
            "overhead_ratio": round(t_dist / t_local, 3), "v0_rel_diff": abs(local.v0 - dist.v0) / abs(local.v0),
            "rounds": info["rounds"], "ms_per_round": round(1e3 * t_dist / info["rounds"], 2),
            "bytes_to_workers": info["bytes_to_workers"], "bytes_from_workers": info["bytes_from_workers"],
            "load1_start": round(load0, 2), "load1_end": round(os.getloadavg()[0], 2)}


def _shard_data(seed, rows, cols):
    return np.random.default_rng(seed).random((rows, cols))


def _partial_gram(data, coef):
    # one worker's part of a reduction round of the PDE design: features times the broadcast
    # coefficients, then the (s x s) Gram and right-hand side of its samples
    y = data @ coef
    return data.T @ data, data.T @ y


def reduction_rounds(n_workers, size, rows_per_worker, rounds):
    """Latency of one reduce round of the distributed PDE design (docs/distributed.md): each
    worker keeps its shard of samples in memory; per round the client broadcasts s numbers,
    every worker returns its s x s Gram and s right-hand side, the client sums them in order."""
    from distributed import Client, LocalCluster

    load0 = os.getloadavg()[0]
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        workers = list(client.nthreads())
        shards = [client.submit(_shard_data, i, rows_per_worker, size, workers=[w], pure=False)
                  for i, w in enumerate(workers)]
        client.gather(shards)
        coef = np.ones(size)
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            parts = client.gather([client.submit(_partial_gram, s, coef, pure=False) for s in shards])
            G = sum(p[0] for p in parts)
            coef = np.linalg.solve(G + np.eye(size), sum(p[1] for p in parts))
            times.append(time.perf_counter() - t0)
        host_times = _host_rounds(client, n_workers, size, rows_per_worker, rounds)
    t_compute = _median_time(lambda: _partial_gram(_shard_data(0, rows_per_worker, size), coef), 3)[0]
    return {"case": f"reduce round, {n_workers} workers", "s": size, "rows_per_worker": rows_per_worker,
            "round_ms_median": round(1e3 * statistics.median(times), 2),
            "round_ms_p90": round(1e3 * sorted(times)[int(0.9 * len(times))], 2),
            "host_round_ms_median": round(1e3 * statistics.median(host_times), 2),
            "host_round_ms_p90": round(1e3 * sorted(host_times)[int(0.9 * len(host_times))], 2),
            "compute_ms_per_worker": round(1e3 * t_compute, 2),
            "bytes_per_round": n_workers * 8 * (size * size + 2 * size),
            "load1_start": round(load0, 2), "load1_end": round(os.getloadavg()[0], 2)}


def _host_data(item, seed, rows, cols):
    return _shard_data(seed, rows, cols)


def _host_gram(data, coef):
    return _partial_gram(data, coef)


def _host_rounds(client, n_workers, size, rows_per_worker, rounds):
    """The same reduce round through ttsolve's shard hosts (dask Actors, direct client-worker
    calls: what the sharded PDE solve uses since session 10)."""
    from ttsolve.distributed.hosts import Rounds

    hosts = Rounds(client, n_workers)
    shards = hosts.map(_host_data, None, 0, rows_per_worker, size, store="data")
    coef, times = np.ones(size), []
    for _ in range(rounds):
        t0 = time.perf_counter()
        parts = hosts.gather(_host_gram, shards, coef)
        G = sum(p[0] for p in parts)
        coef = np.linalg.solve(G + np.eye(size), sum(p[1] for p in parts))
        times.append(time.perf_counter() - t0)
    return times


def task_overhead(n_workers, n_tasks, repeats):
    from distributed import Client, LocalCluster

    model = IsingLattice((5, 5), coupling=0.25)
    kw = dict(n_chains=n_tasks, n_steps=1, record="energy", seed=0)
    load0 = os.getloadavg()[0]
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        sample(model, "gwg", client=client, n_shards=n_tasks, **kw)  # warm up
        t, res = _median_time(lambda: sample(model, "gwg", client=client, n_shards=n_tasks, **kw), repeats)
    return {"case": f"{n_workers} workers x 1 thread on {os.cpu_count()} cores", "tasks": n_tasks,
            "wall_s": round(t, 4), "per_task_ms": round(1e3 * t / n_tasks, 3),
            "compute_per_task_ms": round(1e3 * statistics.mean(res.info["shard_seconds"]), 4),
            "load1_start": round(load0, 2), "load1_end": round(os.getloadavg()[0], 2)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None, help="write PREFIX_distributed.json")
    ap.add_argument("--only", nargs="*", default=["ising", "overhead", "rounds", "hjb", "sweeps"],
                    help="parts to run (ising overhead rounds hjb sweeps)")
    ap.add_argument("--hjb-steps", type=int, default=100, help="time steps of the HJB case")
    ap.add_argument("--hjb-samples", type=int, nargs="*", default=None, help="K of the HJB case (default 2e4)")
    args = ap.parse_args(argv)
    n_steps, tasks = (500, 32) if args.quick else (10_000, 256)
    report = {"machine_start": machine_state(), "ising": [], "overhead": [], "rounds": [], "hjb": [], "sweeps": []}

    def emit(part, row):
        report[part].append(row)
        print(json.dumps(row), flush=True)

    if "ising" in args.only:
        for record in (["energy"], ["energy", "magnetization"]):
            emit("ising", ising_run(n_steps, args.repeats, record))
    if "overhead" in args.only:
        for workers in (2, 8):
            emit("overhead", task_overhead(workers, tasks, args.repeats))
    if "rounds" in args.only:
        for workers in (2, 8):
            for size in (3, 128):
                emit("rounds", reduction_rounds(workers, size, 1000, 10 if args.quick else 50))
    if "hjb" in args.only:
        for K in args.hjb_samples or [2000 if args.quick else 20_000]:
            emit("hjb", hjb_run(K, 5 if args.quick else args.hjb_steps))
    if "sweeps" in args.only:
        for dim, K in ((10, 2000), (10, 20_000)):
            emit("sweeps", sweep_run(dim, 3, 500 if args.quick else K, 2 if args.quick else 3, 2))
    report["machine_end"] = machine_state()
    if args.json:
        with open(f"{args.json}_distributed.json", "w") as fh:
            json.dump(report, fh, indent=1)
    return report


if __name__ == "__main__":
    main()
