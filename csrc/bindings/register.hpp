#pragma once
#include <pybind11/pybind11.h>

namespace ttsolve::bindings {
void register_common(pybind11::module_& m);      // register_common.cpp
void register_tt(pybind11::module_& m);          // register_tt.cpp
void register_regression(pybind11::module_& m);  // register_regression.cpp
void register_mcmc(pybind11::module_& m);        // register_mcmc.cpp
void register_pde(pybind11::module_& m);         // register_pde.cpp
// Onto the submodule _core.learn; test hooks onto `testing` (the bindings contract).
void register_learn(pybind11::module_& sub, pybind11::module_& testing);  // register_learn.cpp
}  // namespace ttsolve::bindings
