// One registration function per _core submodule: register_<area>(sub, testing) defines the
// area's names on `sub` (_core.<area>, without the area prefix) and its test hooks on
// `testing` (_core._testing). register_common defines on _core itself.
#pragma once
#include <pybind11/pybind11.h>

namespace ttsolve::bindings {
void register_common(pybind11::module_& core, pybind11::module_& testing);    // register_common.cpp
void register_tt(pybind11::module_& sub, pybind11::module_& testing);         // register_tt.cpp
void register_regression(pybind11::module_& sub, pybind11::module_& testing); // register_regression.cpp
void register_mcmc(pybind11::module_& sub, pybind11::module_& testing);       // register_mcmc.cpp
void register_mcmc_gradient(pybind11::module_& sub, pybind11::module_& testing);  // register_mcmc_gradient.cpp
void register_pde(pybind11::module_& sub, pybind11::module_& testing);        // register_pde.cpp
void register_learn(pybind11::module_& sub, pybind11::module_& testing);      // register_learn.cpp
}  // namespace ttsolve::bindings
