"""The ``ttsolve`` command line."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

__all__ = ["main"]


def _cmd_info(args: argparse.Namespace) -> int:
    from .config import show_config

    show_config()
    return 0


def _cmd_problems(args: argparse.Namespace) -> int:
    from .pde import list_problems

    for name, doc in list_problems():
        print(f"{name:24s} {doc}")
    return 0


def _cmd_solve(args: argparse.Namespace) -> int:
    import time

    from .config import set_num_threads
    from .pde import get_problem, solve

    if args.threads is not None:
        set_num_threads(args.threads)
    kwargs = {} if args.dim is None else {"dim": args.dim}
    problem = get_problem(args.name, **kwargs)
    t0 = time.perf_counter()
    sol = solve(problem, scheme=args.scheme, n_steps=args.n_steps, n_samples=args.n_samples, degree=args.degree,
                max_rank=args.max_rank, seed=args.seed, method=args.method, progress=args.progress,
                inner_samples=args.inner_samples, inner_samples_g=args.inner_samples_g,
                additive_powers=args.additive_powers)
    elapsed = time.perf_counter() - t0
    st = sol.settings
    print(f"{problem.name} d={problem.dim} T={problem.T} scheme={st['scheme']} N={sol.n_steps} K={st['n_samples']} "
          f"degree={st['degree']} max_rank={st['max_rank']} method={st['method']} "
          f"inner_samples={st['inner_samples']}/{st['inner_samples_g']} additive_powers={st['additive_powers']}")
    print(f"V(0, x0)       = {sol.v0:.10g}")
    if problem.reference_value is not None:
        se = f" +- {problem.reference_stderr:.2g} (MC stderr)" if problem.reference_stderr else " (exact)"
        print(f"reference      = {problem.reference_value:.10g}{se}")
        print(f"relative error = {abs(sol.v0 - problem.reference_value) / abs(problem.reference_value):.3e}")
    print(f"time           = {elapsed:.2f} s")
    if args.plot:
        from .plot import plot_solution

        plot_solution(sol).savefig(args.plot, dpi=100)
        print(f"figure         = {args.plot}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from ._bench import AREAS, run

    for area in args.areas or AREAS:
        run(area, quick=args.quick, repeats=args.repeats,
            json_path=f"{args.json}.{area}.json" if args.json else None)
        print()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ttsolve", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="show version, compiler, OpenMP, threads and BLAS")
    info.set_defaults(func=_cmd_info)
    probs = sub.add_parser("problems", help="list the built-in PDE problems")
    probs.set_defaults(func=_cmd_problems)
    sol = sub.add_parser("solve", help="solve a built-in PDE problem and print V(0, x0)")
    sol.add_argument("name", help="problem name (see `ttsolve problems`)")
    sol.add_argument("--dim", type=int, default=None)
    sol.add_argument("--scheme", choices=("implicit", "explicit", "trapezoidal"), default=None,
                     help="default: the problem's")
    sol.add_argument("--n-steps", type=int, default=None, help="default: the problem's")
    sol.add_argument("--n-samples", type=int, default=None, help="default: the problem's (else 2000)")
    sol.add_argument("--degree", type=int, default=None, help="default: the problem's")
    sol.add_argument("--max-rank", type=int, default=None, help="default: the problem's")
    sol.add_argument("--method", choices=("als", "salsa"), default=None, help="default: the problem's")
    sol.add_argument("--inner-samples", type=int, default=None,
                     help="antithetic pairs per step for the conditional expectation (default: the problem's)")
    sol.add_argument("--inner-samples-g", type=int, default=None,
                     help="antithetic pairs for the additive term g (default: the problem's)")
    sol.add_argument("--additive-powers", type=int, default=None,
                     help="m in the ansatz TT + c_1 g + ... + c_m g^m (degree 0 only; default: the problem's)")
    sol.add_argument("--seed", type=int, default=0)
    sol.add_argument("--threads", type=int, default=None)
    sol.add_argument("--progress", action="store_true", help="show a progress bar")
    sol.add_argument("--plot", metavar="PNG", default=None,
                     help="write the solution figure (needs matplotlib: pip install 'ttsolve[plot]')")
    sol.set_defaults(func=_cmd_solve)
    bench = sub.add_parser("bench", help="run ttsolve's own microbenchmarks (peers only when installed)")
    bench.add_argument("areas", nargs="*", choices=("tt", "regression", "mcmc", "pde"),
                       help="default: all four")
    bench.add_argument("--quick", action="store_true", help="small sizes (seconds, for a smoke test)")
    bench.add_argument("--repeats", type=int, default=None, help="timed runs per case (default 2 quick, 5 full)")
    bench.add_argument("--json", metavar="PREFIX", default=None, help="also write PREFIX.<area>.json")
    bench.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
