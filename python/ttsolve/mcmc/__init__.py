"""Discrete MCMC on binary and categorical models: Gibbs-With-Gradients, baselines and diagnostics."""

from . import diagnostics
from .diagnostics import *  # noqa: F401,F403
from .custom import CustomModel
from .models import RBM, BinaryQuadratic, FactorialHMM, IsingLattice, UserModel
from .categorical import Bernoulli, Categorical, Potts, PottsLattice
from .kernels import SAMPLERS
from .result import SampleResult
from .samplers import sample

__all__: list[str] = ["diagnostics", *diagnostics.__all__, "IsingLattice", "BinaryQuadratic", "RBM", "FactorialHMM",
                      "UserModel", "CustomModel", "Potts", "PottsLattice", "Categorical", "Bernoulli", "SAMPLERS",
                      "SampleResult", "sample"]
