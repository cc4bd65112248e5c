// Bindings for csrc/mcmc (models, samplers, multi-chain driver).
#include "bindings/register.hpp"

namespace ttsolve::bindings {
void register_mcmc(pybind11::module_& m) {}
}  // namespace ttsolve::bindings
