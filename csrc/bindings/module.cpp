// The ttsolve._core extension: one submodule per area, test hooks in _core._testing.
//
// _core itself keeps what is common to every area (build_info, threads, BLAS/LAPACK
// registration); _core.tt, _core.regression, _core.mcmc and _core.pde hold the kernels of
// their area under names without the area prefix; _core._testing holds every test hook
// (hooks may change global state: only tests call them).
#include <pybind11/pybind11.h>

#include "bindings/register.hpp"

PYBIND11_MODULE(_core, m) {
  namespace b = ttsolve::bindings;
  m.doc() = "ttsolve compiled kernels (private; use the ttsolve package)";
  pybind11::module_ testing = m.def_submodule("_testing", "Test hooks (tests only; some change global state)");
  b::register_common(m, testing);
  pybind11::module_ tt = m.def_submodule("tt", "Tensor-train container and operations");
  b::register_tt(tt, testing);
  pybind11::module_ regression = m.def_submodule("regression", "Bases, functional TT and ALS kernels");
  b::register_regression(regression, testing);
  pybind11::module_ mcmc = m.def_submodule("mcmc", "Discrete MCMC samplers");
  b::register_mcmc(mcmc, testing);
  b::register_mcmc_gradient(mcmc, testing);
  pybind11::module_ pde = m.def_submodule("pde", "PDE helper kernels");
  b::register_pde(pde, testing);
  pybind11::module_ learn = m.def_submodule("learn", "Sufficient statistics and pseudo-likelihood for model fitting");
  b::register_learn(learn, testing);
}
