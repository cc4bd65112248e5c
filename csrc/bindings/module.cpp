// The ttsolve._core extension: one registration function per area.
#include <pybind11/pybind11.h>

#include "bindings/register.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "ttsolve compiled kernels (private; use the ttsolve package)";
  ttsolve::bindings::register_common(m);
  ttsolve::bindings::register_tt(m);
  ttsolve::bindings::register_regression(m);
  ttsolve::bindings::register_mcmc(m);
  ttsolve::bindings::register_pde(m);
  auto learn = m.def_submodule("learn", "sufficient statistics and pseudo-likelihood for model fitting");
  ttsolve::bindings::register_learn(learn, m);
}
