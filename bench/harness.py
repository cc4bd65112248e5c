"""The benchmarks' timing harness: ``ttsolve._bench.harness`` (shipped in the package, so
``ttsolve bench`` uses the same code from an installed wheel), imported here as ``harness``.

    from harness import Report, measure, add_arguments
"""

from ttsolve._bench.harness import *  # noqa: F401,F403
from ttsolve._bench.harness import __all__  # noqa: F401
