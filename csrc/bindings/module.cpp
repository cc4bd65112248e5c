// The ttsolve._core extension: one registration function per area.
#include <pybind11/pybind11.h>

#include "bindings/register.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "ttsolve compiled kernels (private; use the ttsolve package)";
  ttsolve::bindings::register_common(m);
  ttsolve::bindings::register_tt(m);
  ttsolve::bindings::register_regression(m);
  // Test hooks live in _core._testing; areas that moved to a submodule register onto it.
  pybind11::module_ testing = m.def_submodule("_testing", "test hooks (private)");
  pybind11::module_ mcmc = m.def_submodule("mcmc", "discrete MCMC kernels (use ttsolve.mcmc)");
  ttsolve::bindings::register_mcmc(mcmc, testing);
  ttsolve::bindings::register_pde(m);
}
