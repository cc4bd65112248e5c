// The one multi-chain sampling driver of the mcmc bindings (defined in register_mcmc.cpp):
// records, GIL / Ctrl-C / progress hooks around mcmc::drive, final states.
#pragma once
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "bindings/glue.hpp"
#include "mcmc/run.hpp"

namespace ttsolve::bindings {

pybind11::dict sample_run(mcmc::Run& run, const U8Array& init, int64_t n_steps, int64_t burn_in, int64_t thin,
                          uint64_t seed, const std::vector<std::string>& record, pybind11::object reference,
                          pybind11::object callback, double chunk_seconds,
                          pybind11::object statistic = pybind11::none(), int64_t first_chain = 0,
                          int64_t n_chains_total = 0);

}  // namespace ttsolve::bindings
