// _core.mcmc: models, samplers, multi-chain driver (csrc/mcmc); oracles in _core._testing.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "bindings/glue.hpp"
#include "bindings/register.hpp"
#include "mcmc/driver.hpp"
#include "mcmc/rbm_gwg.hpp"

namespace ttsolve::bindings {
using namespace ttsolve::mcmc;

namespace {

SpinQuadratic make_model(const IArray& indptr, const IArray& indices, const DArray& weights,
                         const DArray& bias) {
  SpinQuadratic m;
  m.dim = int64_t(bias.size());
  m.indptr.assign(indptr.data(), indptr.data() + indptr.size());
  m.indices.assign(indices.data(), indices.data() + indices.size());
  m.weights.assign(weights.data(), weights.data() + weights.size());
  m.bias.assign(bias.data(), bias.data() + bias.size());
  m.validate();
  return m;
}

SamplerConfig make_config(const std::string& kind, int64_t n_flips, int64_t block_size, int64_t dim) {
  SamplerConfig cfg;
  cfg.kind = kind_from_name(kind);
  cfg.n_flips = n_flips;
  cfg.block_size = block_size;
  cfg.validate(dim);
  return cfg;
}

/// Validates the run arguments, allocates the records, and runs `run` (QuadRun or RbmRun)
/// chunk by chunk with the GIL released, honouring Ctrl-C and the progress callback.
template <class Run>
py::dict drive(Run& run, int64_t D, const U8Array& init, int64_t n_steps, int64_t burn_in,
               int64_t thin, uint64_t seed, const std::vector<std::string>& record,
               py::object reference, py::object callback, double chunk_seconds) {
  require_ndim(init, 2, "init");
  if (init.shape(1) != D) throw py::value_error("init must have shape (n_chains, dim)");
  const int64_t n_chains = init.shape(0);
  if (n_chains < 1) throw py::value_error("n_chains must be >= 1");
  if (n_steps < 0 || burn_in < 0 || thin < 1) throw py::value_error("bad n_steps / burn_in / thin");
  const Optional<uint8_t> ref = optional_array<uint8_t>(reference, "reference", {D});  // None: null
  Recording rec;
  rec.burn_in = burn_in;
  rec.thin = thin;
  rec.n_kept = n_steps / thin;
  py::dict out;
  auto want = [&](const char* name) { return std::find(record.begin(), record.end(), name) != record.end(); };
  py::array_t<uint8_t> samples;
  if (want("samples")) {
    samples = py::array_t<uint8_t>({n_chains, rec.n_kept, D});
    rec.samples = samples.mutable_data();
    out["samples"] = samples;
  }
  auto stat = [&](const char* name, double*& slot) {
    if (!want(name)) return;
    py::array_t<double> a({n_chains, rec.n_kept});
    std::fill(a.mutable_data(), a.mutable_data() + a.size(), std::nan(""));
    slot = a.mutable_data();
    out[name] = a;
  };
  stat("energy", rec.energy);
  stat("magnetization", rec.magnetization);
  stat("hamming", rec.hamming);

  {
    py::gil_scoped_release release;
    run.start(init.data(), n_chains, seed, ref.data());
  }
  const int64_t total = burn_in + n_steps;
  int64_t done = 0, chunk = std::max<int64_t>(1, 4096 / n_chains);
  bool interrupted = false;
  double seconds = 0.0;
  while (done < total) {
    const int64_t end = std::min(total, done + chunk);
    const auto t0 = std::chrono::steady_clock::now();
    {
      py::gil_scoped_release release;
      run.run(done, end, rec);
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    seconds += dt;
    done = end;
    // Aim at chunks of about chunk_seconds so progress and Ctrl-C stay responsive.
    const double scale = dt > 0 ? chunk_seconds / dt : 4.0;
    chunk = std::max<int64_t>(1, int64_t(double(chunk) * std::min(4.0, std::max(0.25, scale))));
    if (PyErr_CheckSignals() != 0) {
      if (!PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) throw py::error_already_set();
      PyErr_Clear();
      interrupted = true;
      break;
    }
    if (!callback.is_none()) callback(done, total);
  }
  out["steps_done"] = done;
  out["n_kept_done"] = done > burn_in ? std::min(rec.n_kept, (done - burn_in) / thin) : 0;
  out["interrupted"] = interrupted;
  out["seconds"] = seconds;
  return out;
}

/// Final per-chain acceptance, energy and state: chain_info(c, state_row) -> (acc, energy).
template <class Info>
void add_finals(py::dict& out, int64_t n_chains, int64_t D, Info chain_info) {
  py::array_t<double> acceptance(n_chains), final_energy(n_chains);
  py::array_t<uint8_t> final_state({n_chains, D});
  for (int64_t c = 0; c < n_chains; ++c) {
    const auto [acc, energy] = chain_info(c, final_state.mutable_data() + c * D);
    acceptance.mutable_data()[c] = acc;
    final_energy.mutable_data()[c] = energy;
  }
  out["acceptance"] = acceptance;
  out["final_energy"] = final_energy;
  out["final_state"] = final_state;
}

py::dict quad_sample(const IArray& indptr, const IArray& indices, const DArray& weights,
                     const DArray& bias, const std::string& kind, int64_t n_flips, int64_t block_size,
                     const U8Array& init, int64_t n_steps, int64_t burn_in, int64_t thin, uint64_t seed,
                     const std::vector<std::string>& record, py::object reference, py::object callback,
                     double chunk_seconds) {
  QuadRun run;
  run.model = make_model(indptr, indices, weights, bias);
  run.config = make_config(kind, n_flips, block_size, run.model.dim);
  const int64_t D = run.model.dim;
  py::dict out = drive(run, D, init, n_steps, burn_in, thin, seed, record, reference, callback,
                       chunk_seconds);
  add_finals(out, int64_t(run.chains.size()), D, [&](int64_t c, uint8_t* state) {
    const QuadChain& ch = run.chains[c];
    for (int64_t i = 0; i < D; ++i) state[i] = ch.s[i] > 0;
    return std::pair<double, double>(ch.steps ? double(ch.accepted) / double(ch.steps) : 0.0,
                                     run.model.energy(ch.s.data()));
  });
  return out;
}

py::dict rbm_gwg_sample(const DArray& W, const DArray& b, const DArray& c, int64_t n_flips,
                        const U8Array& init, int64_t n_steps, int64_t burn_in, int64_t thin,
                        uint64_t seed, const std::vector<std::string>& record, py::object reference,
                        py::object callback, double chunk_seconds) {
  require_ndim(W, 2, "W");
  RbmRun run;
  run.model.n_hidden = W.shape(0);
  run.model.dim = W.shape(1);
  run.model.W.assign(W.data(), W.data() + W.size());
  run.model.b.assign(b.data(), b.data() + b.size());
  run.model.c.assign(c.data(), c.data() + c.size());
  run.model.validate();
  run.n_flips = n_flips;
  if (n_flips < 1) throw py::value_error("n_flips must be >= 1");
  const int64_t D = run.model.dim;
  py::dict out = drive(run, D, init, n_steps, burn_in, thin, seed, record, reference, callback,
                       chunk_seconds);
  add_finals(out, int64_t(run.chains.size()), D, [&](int64_t k, uint8_t* state) {
    const RbmChain& ch = run.chains[k];
    std::copy(ch.x.begin(), ch.x.end(), state);
    return std::pair<double, double>(ch.steps ? double(ch.accepted) / double(ch.steps) : 0.0,
                                     run.model.log_prob(ch.x.data()));
  });
  return out;
}

py::array_t<double> quad_transition_row(const IArray& indptr, const IArray& indices,
                                        const DArray& weights, const DArray& bias,
                                        const std::string& kind, int64_t n_flips, int64_t block_size,
                                        const U8Array& x, int64_t site) {
  const SpinQuadratic m = make_model(indptr, indices, weights, bias);
  const SamplerConfig cfg = make_config(kind, n_flips, block_size, m.dim);
  if (x.size() != m.dim) throw py::value_error("x must have shape (dim,)");
  std::vector<double> row = quad_transition_row(m, cfg, x.data(), site);
  const py::ssize_t n = py::ssize_t(row.size());
  return move_to_numpy(std::move(row), {n});
}

/// Runs one chain for n_steps and returns the largest gaps between the incrementally kept
/// state (fields, proposal weights, f) and the same quantities recomputed from scratch.
py::dict quad_incremental_check(const IArray& indptr, const IArray& indices, const DArray& weights,
                                const DArray& bias, const std::string& kind, const U8Array& x,
                                int64_t n_steps, uint64_t seed) {
  QuadRun run;
  run.model = make_model(indptr, indices, weights, bias);
  run.config = make_config(kind, 1, 1, run.model.dim);
  if (x.size() != run.model.dim) throw py::value_error("x must have shape (dim,)");
  run.start(x.data(), 1, seed, nullptr);
  run.run(0, n_steps, Recording{});
  const QuadChain& ch = run.chains[0];
  const int64_t D = run.model.dim;
  std::vector<double> g(static_cast<size_t>(D));
  run.model.fields(ch.s.data(), g.data());
  double field_gap = 0.0, weight_gap = 0.0;
  for (int64_t i = 0; i < D; ++i) {
    field_gap = std::max(field_gap, std::abs(g[i] - ch.g[i]));
    if (run.config.uses_tree()) {
      const double w = std::exp(log_weight(run.config.kind, -2.0 * ch.s[i] * g[i]) - ch.shift);
      weight_gap = std::max(weight_gap, std::abs(w - ch.tree.leaf(i)) / std::max(w, 1e-300));
    }
  }
  py::dict out;
  out["field_gap"] = field_gap;
  out["weight_gap"] = weight_gap;
  out["energy_gap"] = std::abs(run.model.energy(ch.s.data()) - ch.f);
  out["accepted"] = ch.accepted;
  return out;
}

}  // namespace

void register_mcmc(py::module_& m, py::module_& testing) {
  m.def("quad_sample", &quad_sample, py::arg("indptr"), py::arg("indices"), py::arg("weights"),
        py::arg("bias"), py::arg("kind"), py::arg("n_flips"), py::arg("block_size"), py::arg("init"),
        py::arg("n_steps"), py::arg("burn_in"), py::arg("thin"), py::arg("seed"), py::arg("record"),
        py::arg("reference"), py::arg("callback"), py::arg("chunk_seconds") = 0.1,
        "Multi-chain sampling on a spin-quadratic model (use ttsolve.mcmc.sample).");
  m.def("rbm_gwg_sample", &rbm_gwg_sample, py::arg("W"), py::arg("b"), py::arg("c"),
        py::arg("n_flips"), py::arg("init"), py::arg("n_steps"), py::arg("burn_in"), py::arg("thin"),
        py::arg("seed"), py::arg("record"), py::arg("reference"), py::arg("callback"),
        py::arg("chunk_seconds") = 0.1, "Multi-chain GWG on an RBM (use ttsolve.mcmc.sample).");
  testing.def("mcmc_quad_transition_row", &quad_transition_row, py::arg("indptr"), py::arg("indices"),
        py::arg("weights"), py::arg("bias"), py::arg("kind"), py::arg("n_flips"), py::arg("block_size"),
        py::arg("x"), py::arg("site") = 0, "Exact one-step transition row (tests, dim <= 20).");
  testing.def("mcmc_quad_incremental_check", &quad_incremental_check, py::arg("indptr"), py::arg("indices"),
        py::arg("weights"), py::arg("bias"), py::arg("kind"), py::arg("x"), py::arg("n_steps"),
        py::arg("seed"), "Gaps between incremental and recomputed chain state (tests).");
}

}  // namespace ttsolve::bindings
