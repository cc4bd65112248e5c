// Bindings for csrc/regression (functional TT evaluation, ALS/SALSA).
#include "bindings/register.hpp"

namespace ttsolve::bindings {
void register_regression(pybind11::module_& m) {}
}  // namespace ttsolve::bindings
