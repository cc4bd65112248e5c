"""The ``ttsolve`` command line.

Every bad argument ends in argparse's usage line and a one-line message on stderr with exit
status 2 (no traceback): malformed or out-of-range numbers at parse time, an unknown problem
name or a setting the problem refuses (the library's ``ValueError``/``TypeError``) right
after. ``--progress`` draws a built-in text bar on stderr (no tqdm needed). Ctrl-C exits
with status 130.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

__all__ = ["main", "build_parser"]


def _int_at_least(minimum: int) -> Callable[[str], int]:
    """argparse ``type=``: an int >= minimum, else argparse's own error for the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = f"int >= {minimum}"
    return parse


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

    from .config import max_num_threads, set_num_threads
    from .pde import SolverDivergedError, get_problem, solve

    if args.threads is not None:
        if args.threads > max_num_threads():
            raise _UsageError(f"argument --threads: must be <= {max_num_threads()} (4 per core), got {args.threads}")
        set_num_threads(args.threads)
    kwargs = {} if args.dim is None else {"dim": args.dim}
    try:
        problem = get_problem(args.name, **kwargs)
    except (ValueError, TypeError) as exc:  # unknown name (the message lists the choices), bad dim
        raise _UsageError(str(exc)) from exc
    if args.error_estimate and args.coarse_factor:  # refuse before the solve, not after it
        n_steps = args.n_steps if args.n_steps is not None else problem.defaults.get("n_steps", 100)
        if args.coarse_factor < 2 or n_steps % args.coarse_factor:
            raise _UsageError(f"argument --coarse-factor: must be 0 or >= 2 and divide the {n_steps} time steps, "
                              f"got {args.coarse_factor}")
    progress: object = False
    bar = None
    if args.progress:
        from ._progress import TextProgress

        n_steps = args.n_steps if args.n_steps is not None else problem.defaults.get("n_steps", 100)
        bar = TextProgress(int(n_steps), desc=f"{problem.name} backward steps")
        progress = lambda n, diag: bar.update(1)  # noqa: E731  (called after each step)
    t0 = time.perf_counter()
    try:
        sol = solve(problem, scheme=args.scheme, n_steps=args.n_steps, n_samples=args.n_samples,
                    degree=args.degree, max_rank=args.max_rank, seed=args.seed, method=args.method,
                    progress=progress, inner_samples=args.inner_samples, inner_samples_g=args.inner_samples_g,
                    additive_powers=args.additive_powers)
    except (ValueError, TypeError) as exc:
        raise _UsageError(str(exc)) from exc
    except SolverDivergedError as exc:  # not a usage error: a one-line report, exit status 1
        sys.stderr.write(f"ttsolve: solver diverged: {exc}\n")
        return 1
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - t0
    st = sol.settings
    print(f"{problem.name} d={problem.dim} T={problem.T} scheme={st['scheme']} N={sol.n_steps} K={st['n_samples']} "
          f"degree={st['degree']} max_rank={st['max_rank']} method={st['method']} "
          f"inner_samples={st['inner_samples']}/{st['inner_samples_g']} additive_powers={st['additive_powers']}")
    print(f"scheme         = {st['scheme']} ({st.get('scheme_reason', '')})")
    print(f"V(0, x0)       = {sol.v0:.10g}")
    if problem.reference_value is not None:
        se = f" +- {problem.reference_stderr:.2g} (MC stderr)" if problem.reference_stderr else " (exact)"
        print(f"reference      = {problem.reference_value:.10g}{se}")
        print(f"relative error = {abs(sol.v0 - problem.reference_value) / abs(problem.reference_value):.3e}")
    print(f"time           = {elapsed:.2f} s")
    if args.error_estimate:
        try:
            est = sol.error_estimate(replicas=args.replicas, coarse_factor=args.coarse_factor or None, seed=args.seed)
        except (ValueError, TypeError) as exc:
            raise _UsageError(f"--error-estimate: {exc}") from exc
        except SolverDivergedError as exc:
            sys.stderr.write(f"ttsolve: a solve of the error estimate diverged: {exc}\n")
            return 1
        print(f"error estimate = +- {est.bound:.3g} (relative {est.relative_bound:.2e}, level {est.level:g}); "
              f"statistical sd {est.statistical:.3g}, time-discretisation bias "
              + ("not estimated" if est.richardson is None else f"{est.bias:+.3g} (N={est.n_steps} vs {est.coarse_n_steps})"))
        if est.richardson is not None:
            rich = f"Richardson     = {est.richardson:.10g} +- {est.richardson_stderr:.2g}"
            if problem.reference_value is not None:
                rich += f" (relative error {abs(est.richardson - problem.reference_value) / abs(problem.reference_value):.3e})"
            print(rich)
        print(f"estimate cost  = {est.extra_solves} extra solves, {est.cost_seconds:.2f} s")
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


class _UsageError(Exception):
    """A bad argument found after parsing; main() reports it the way argparse does."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ttsolve", description="Tensor-train PDE solvers and discrete MCMC.")
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="show version, compiler, OpenMP, threads and BLAS")
    info.set_defaults(func=_cmd_info)
    probs = sub.add_parser("problems", help="list the built-in PDE problems")
    probs.set_defaults(func=_cmd_problems)
    sol = sub.add_parser("solve", help="solve a built-in PDE problem and print V(0, x0)")
    sol.add_argument("name", help="problem name (see `ttsolve problems`)")
    sol.add_argument("--dim", type=_int_at_least(1), default=None)
    sol.add_argument("--scheme", choices=("implicit", "explicit", "trapezoidal"), default=None,
                     help="default: the problem's")
    sol.add_argument("--n-steps", type=_int_at_least(1), default=None, help="default: the problem's")
    sol.add_argument("--n-samples", type=_int_at_least(1), default=None, help="default: the problem's (else 2000)")
    sol.add_argument("--degree", type=_int_at_least(0), default=None, help="default: the problem's")
    sol.add_argument("--max-rank", type=_int_at_least(1), default=None, help="default: the problem's")
    sol.add_argument("--method", choices=("als", "salsa"), default=None, help="default: the problem's")
    sol.add_argument("--inner-samples", type=_int_at_least(0), default=None,
                     help="antithetic pairs per step for the conditional expectation (default: the problem's)")
    sol.add_argument("--inner-samples-g", type=_int_at_least(1), default=None,
                     help="antithetic pairs for the additive term g (default: the problem's)")
    sol.add_argument("--additive-powers", type=_int_at_least(1), default=None,
                     help="m in the ansatz TT + c_1 g + ... + c_m g^m (degree 0 only; default: the problem's)")
    sol.add_argument("--seed", type=_int_at_least(0), default=0)
    sol.add_argument("--threads", type=_int_at_least(1), default=None)
    sol.add_argument("--progress", action="store_true", help="show a text progress bar on stderr")
    sol.add_argument("--plot", metavar="PNG", default=None,
                     help="write the solution figure (needs matplotlib: pip install 'ttsolve[plot]')")
    sol.add_argument("--error-estimate", action="store_true",
                     help="also estimate the error of V(0, x0) without the reference (sol.error_estimate): costs "
                          "--replicas more solves plus replicas + 1 solves on the coarse grid, about "
                          "(R + 1)(1 + 1/c) - 1 times the solve (3.5x with the defaults)")
    sol.add_argument("--replicas", type=_int_at_least(0), default=2,
                     help="independent solves for the statistical part of --error-estimate (default 2)")
    sol.add_argument("--coarse-factor", type=_int_at_least(0), default=2,
                     help="coarse grid N / c for the time-discretisation part of --error-estimate; must divide "
                          "N; 0 skips it (default 2)")
    sol.set_defaults(func=_cmd_solve, parser=sol)
    bench = sub.add_parser("bench", help="run ttsolve's own microbenchmarks (peers only when installed)")
    bench.add_argument("areas", nargs="*", choices=("tt", "regression", "mcmc", "pde"),
                       help="default: all four")
    bench.add_argument("--quick", action="store_true", help="small sizes (seconds, for a smoke test)")
    bench.add_argument("--repeats", type=_int_at_least(1), default=None,
                       help="timed runs per case (default 2 quick, 5 full)")
    bench.add_argument("--json", metavar="PREFIX", default=None, help="also write PREFIX.<area>.json")
    bench.set_defaults(func=_cmd_bench, parser=bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with status 2 on a malformed argument
    try:
        return int(args.func(args))
    except _UsageError as exc:
        getattr(args, "parser", parser).error(str(exc))  # usage + one line, exit status 2
    except KeyboardInterrupt:
        sys.stderr.write("ttsolve: interrupted\n")
        return 130
    return 2  # pragma: no cover  (error() exits)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
