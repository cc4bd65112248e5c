// Bindings for csrc/mcmc: the sampler table, one entry per compiled engine, test hooks.
// Glue only: array conversion, GIL / signal / progress callbacks for mcmc::drive. Ctrl-C
// here is not an error: drive() stops between chunks and the partial result is returned
// (interrupted=True), so the hook checks signals itself instead of run_released.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "bindings/glue.hpp"
#include "bindings/mcmc_sample.hpp"
#include "bindings/register.hpp"
#include "mcmc/drive.hpp"
#include "mcmc/pairwise_run.hpp"
#include "mcmc/quadratic_run.hpp"
#include "mcmc/rbm_kernels.hpp"
#include "mcmc/rbm_run.hpp"
#include "testing/pairwise_incremental_check.hpp"
#include "testing/pairwise_transition_rows.hpp"
#include "mcmc/rbm_site_run.hpp"
#include "testing/quadratic_incremental_check.hpp"
#include "testing/quadratic_transition_rows.hpp"
#include "testing/rbm_transition_rows.hpp"

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

PairwiseModel make_pairwise(const IArray& indptr, const IArray& indices, const DArray& blocks,
                            const DArray& bias) {
  require_ndim(bias, 2, "bias");
  require_ndim(blocks, 3, "blocks");
  PairwiseModel m;
  m.dim = bias.shape(0);
  m.n_states = bias.shape(1);
  require_shape(blocks, {kAny, m.n_states, m.n_states}, "blocks");
  m.indptr.assign(indptr.data(), indptr.data() + indptr.size());
  m.indices.assign(indices.data(), indices.data() + indices.size());
  m.blocks.assign(blocks.data(), blocks.data() + blocks.size());
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

py::list sampler_table() {
  py::list rows;
  for (const KindRow& r : kKindTable) {
    py::dict row;
    row["kernel"] = r.kernel;
    row["sampler"] = r.sampler;
    row["option"] = r.option;
    row["values"] = r.values;
    row["families"] = r.families;
    row["multi_flip"] = r.multi_flip;
    row["params"] = r.params;
    row["python"] = r.python;
    rows.append(row);
  }
  return rows;
}

}  // namespace

/// Allocates the records asked for, runs `run` through mcmc::drive with the GIL released
/// between Python callbacks, and returns the records, the outcome and the final states
/// (declared in bindings/mcmc_sample.hpp for the other mcmc registration files).
/// reference: None, (dim,) shared or (n_chains, dim) one row per chain; statistic: None or
/// the (dim, n_states) weights of the "statistic" record.
py::dict sample_run(Run& run, const U8Array& init, int64_t n_steps, int64_t burn_in, int64_t thin,
                    uint64_t seed, const std::vector<std::string>& record, py::object reference,
                    py::object callback, double chunk_seconds, py::object statistic, int64_t first_chain,
                    int64_t n_chains_total) {
  const int64_t D = run.dim(), K = run.n_states();
  require_ndim(init, 2, "init");
  if (init.shape(1) != D) throw py::value_error("init must have shape (n_chains, dim)");
  const int64_t n_chains = init.shape(0);
  if (n_chains < 1) throw py::value_error("n_chains must be >= 1");
  if (first_chain < 0) throw py::value_error("first_chain must be >= 0");
  if (n_chains_total < 0 || (n_chains_total > 0 && first_chain + n_chains > n_chains_total))
    throw py::value_error("n_chains_total must be 0 (this run is the whole run) or >= first_chain + n_chains");
  run.first_chain = uint64_t(first_chain);
  run.n_chains_total = n_chains_total;
  Recording rec = Recording::plan(D, n_steps, burn_in, thin);
  rec.n_states = K;
  Optional<uint8_t> ref;  // None: null
  if (!reference.is_none()) {
    const bool per_chain = as_array<uint8_t>(reference, "reference").ndim() == 2;
    ref = per_chain ? optional_array<uint8_t>(reference, "reference", {n_chains, D})
                    : optional_array<uint8_t>(reference, "reference", {D});
    run.reference_stride = per_chain ? D : 0;
  }
  const Optional<double> weights = optional_array<double>(statistic, "statistic", {D, K});
  py::dict out;
  auto want = [&](const char* name) { return std::find(record.begin(), record.end(), name) != record.end(); };
  if (want("samples")) {
    py::array_t<uint8_t> samples({n_chains, rec.n_kept, D});
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
  if (want("statistic")) {
    require(weights.present(), "record 'statistic' needs the statistic weights (dim, n_states)");
    rec.linear_weights = weights.data();
    stat("statistic", rec.linear);
  }
  if (want("counts")) {
    py::array_t<int64_t> counts({n_chains, D, K});
    std::fill(counts.mutable_data(), counts.mutable_data() + counts.size(), int64_t(0));
    rec.counts = counts.mutable_data();
    out["counts"] = counts;
  }

  DriveHooks hooks;
  hooks.released = [](const std::function<void()>& work) {
    py::gil_scoped_release release;
    work();
  };
  hooks.interrupted = [] {
    if (PyErr_CheckSignals() == 0) return false;
    if (!PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) throw py::error_already_set();
    PyErr_Clear();
    return true;  // Ctrl-C: stop and return what was sampled so far
  };
  if (!callback.is_none()) hooks.progress = [&](int64_t done, int64_t total) { callback(done, total); };
  const DriveOutcome done = drive(run, init.data(), n_chains, seed, ref.data(), n_steps, rec, chunk_seconds, hooks);
  out["steps_done"] = done.steps_done;
  out["n_kept_done"] = done.n_kept_done;
  out["interrupted"] = done.interrupted;
  out["seconds"] = done.seconds;
  out["burn_in_seconds"] = done.burn_in_seconds;

  py::array_t<double> acceptance(n_chains), final_energy(n_chains);
  py::array_t<uint8_t> final_state({n_chains, D});
  for (int64_t c = 0; c < n_chains; ++c) {
    const ChainSummary s = run.finish(c, final_state.mutable_data() + c * D);
    acceptance.mutable_data()[c] = s.acceptance;
    final_energy.mutable_data()[c] = s.energy;
  }
  out["acceptance"] = acceptance;
  out["final_energy"] = final_energy;
  out["final_state"] = final_state;
  return out;
}

RbmModel make_rbm(const DArray& W, const DArray& b, const DArray& c) {
  require_ndim(W, 2, "W");
  RbmModel m;
  m.n_hidden = W.shape(0);
  m.dim = W.shape(1);
  m.W.assign(W.data(), W.data() + W.size());
  m.b.assign(b.data(), b.data() + b.size());
  m.c.assign(c.data(), c.data() + c.size());
  m.validate();
  return m;
}

namespace {

py::dict quad_sample(const IArray& indptr, const IArray& indices, const DArray& weights,
                     const DArray& bias, const std::string& kind, int64_t n_flips, int64_t block_size,
                     const U8Array& init, int64_t n_steps, int64_t burn_in, int64_t thin, uint64_t seed,
                     const std::vector<std::string>& record, py::object reference, py::object callback,
                     double chunk_seconds, py::object statistic, int64_t first_chain, int64_t n_chains_total) {
  QuadRun run;
  run.model = make_model(indptr, indices, weights, bias);
  run.config = make_config(kind, n_flips, block_size, run.model.dim);
  return sample_run(run, init, n_steps, burn_in, thin, seed, record, reference, callback, chunk_seconds,
                    statistic, first_chain, n_chains_total);
}

py::dict pair_sample(const IArray& indptr, const IArray& indices, const DArray& blocks, const DArray& bias,
                     const std::string& kind, int64_t n_flips, int64_t block_size, const U8Array& init,
                     int64_t n_steps, int64_t burn_in, int64_t thin, uint64_t seed,
                     const std::vector<std::string>& record, py::object reference, py::object callback,
                     double chunk_seconds, py::object statistic, int64_t first_chain, int64_t n_chains_total) {
  PairRun run;
  run.model = make_pairwise(indptr, indices, blocks, bias);
  run.config = make_config(kind, n_flips, block_size, run.model.dim);
  return sample_run(run, init, n_steps, burn_in, thin, seed, record, reference, callback, chunk_seconds,
                    statistic, first_chain, n_chains_total);
}


/// Integer parameter `name` of the kernel (params from the sampler table), or `fallback`.
int64_t int_param(const py::dict& params, const char* name, int64_t fallback) {
  return params.contains(name) ? params[name].cast<int64_t>() : fallback;
}

py::dict rbm_sample(const DArray& W, const DArray& b, const DArray& c, const std::string& kind,
                    int64_t n_flips, const py::dict& params, const U8Array& init, int64_t n_steps,
                    int64_t burn_in, int64_t thin, uint64_t seed, const std::vector<std::string>& record,
                    py::object reference, py::object callback, double chunk_seconds, py::object statistic,
                    int64_t first_chain, int64_t n_chains_total) {
  const Kind k = kind_from_name(kind);
  if (n_flips < 1) throw py::value_error("n_flips must be >= 1");
  if (n_flips > 1 && !kind_row(k).multi_flip) throw py::value_error("n_flips > 1 is not available for " + kind);
  if (k == Kind::Gwg) {
    RbmRun run;
    run.model = make_rbm(W, b, c);
    run.n_flips = n_flips;
    return sample_run(run, init, n_steps, burn_in, thin, seed, record, reference, callback, chunk_seconds,
                      statistic, first_chain, n_chains_total);
  }
  if (!rbm_site_kind(k)) throw py::value_error("sampler kind '" + kind + "' has no compiled RBM engine");
  RbmSiteRun run;
  run.model = make_rbm(W, b, c);
  run.kind = k;
  run.block_size = std::min(int_param(params, "block_size", 1), run.model.dim);
  return sample_run(run, init, n_steps, burn_in, thin, seed, record, reference, callback, chunk_seconds,
                      statistic, first_chain, n_chains_total);
}

py::array_t<double> rbm_transition_row(const DArray& W, const DArray& b, const DArray& c,
                                       const std::string& kind, int64_t block_size, const U8Array& x,
                                       int64_t site) {
  const RbmModel m = make_rbm(W, b, c);
  if (x.size() != m.dim) throw py::value_error("x must have shape (dim,)");
  if (block_size < 1 || block_size > m.dim) throw py::value_error("block_size must be in [1, dim]");
  std::vector<double> row = testing::rbm_transition_row(m, kind_from_name(kind), block_size, x.data(), site);
  const py::ssize_t n = py::ssize_t(row.size());
  return move_to_numpy(std::move(row), {n});
}

py::array_t<double> rbm_exp(const DArray& x) {  // mcmc/rbm_kernels.hpp exp_nonpositive (tests)
  std::vector<double> out(size_t(x.size()));
  exp_nonpositive(x.data(), out.data(), int64_t(x.size()));
  const py::ssize_t n = py::ssize_t(out.size());
  return move_to_numpy(std::move(out), {n});
}

py::array_t<double> quad_transition_row(const IArray& indptr, const IArray& indices,
                                        const DArray& weights, const DArray& bias,
                                        const std::string& kind, int64_t n_flips, int64_t block_size,
                                        const U8Array& x, int64_t site) {
  const SpinQuadratic m = make_model(indptr, indices, weights, bias);
  const SamplerConfig cfg = make_config(kind, n_flips, block_size, m.dim);
  if (x.size() != m.dim) throw py::value_error("x must have shape (dim,)");
  std::vector<double> row = testing::quad_transition_row(m, cfg, x.data(), site);
  const py::ssize_t n = py::ssize_t(row.size());
  return move_to_numpy(std::move(row), {n});
}

py::array_t<double> pair_transition_row(const IArray& indptr, const IArray& indices, const DArray& blocks,
                                        const DArray& bias, const std::string& kind, int64_t block_size,
                                        const U8Array& x, int64_t site, int64_t n_flips) {
  const PairwiseModel m = make_pairwise(indptr, indices, blocks, bias);
  const SamplerConfig cfg = make_config(kind, n_flips, block_size, m.dim);
  if (x.size() != m.dim) throw py::value_error("x must have shape (dim,)");
  std::vector<double> row = testing::pair_transition_row(m, cfg, x.data(), site);
  const py::ssize_t n = py::ssize_t(row.size());
  return move_to_numpy(std::move(row), {n});
}

/// The test hooks' report of testing::IncrementalGaps.
py::dict gaps_dict(const testing::IncrementalGaps& gaps) {
  py::dict out;
  out["field_gap"] = gaps.field_gap;
  out["weight_gap"] = gaps.weight_gap;
  out["energy_gap"] = gaps.energy_gap;
  out["accepted"] = gaps.accepted;
  return out;
}

py::dict pair_incremental_check(const IArray& indptr, const IArray& indices, const DArray& blocks,
                                const DArray& bias, const std::string& kind, const U8Array& x, int64_t n_steps,
                                uint64_t seed, int64_t n_flips) {
  const PairwiseModel m = make_pairwise(indptr, indices, blocks, bias);
  const SamplerConfig cfg = make_config(kind, n_flips, 1, m.dim);
  if (x.size() != m.dim) throw py::value_error("x must have shape (dim,)");
  const testing::IncrementalGaps gaps = testing::pair_incremental_gaps(m, cfg, x.data(), n_steps, seed);
  return gaps_dict(gaps);
}

py::dict quad_incremental_check(const IArray& indptr, const IArray& indices, const DArray& weights,
                                const DArray& bias, const std::string& kind, const U8Array& x,
                                int64_t n_steps, uint64_t seed) {
  const SpinQuadratic m = make_model(indptr, indices, weights, bias);
  const SamplerConfig cfg = make_config(kind, 1, 1, m.dim);
  if (x.size() != m.dim) throw py::value_error("x must have shape (dim,)");
  const testing::IncrementalGaps gaps = testing::quad_incremental_gaps(m, cfg, x.data(), n_steps, seed);
  return gaps_dict(gaps);
}

}  // namespace

void register_mcmc(py::module_& m, py::module_& testing) {
  m.def("sampler_table", &sampler_table,
        "Rows of the compiled sampler table (csrc/mcmc/kinds.hpp), read by ttsolve.mcmc.kernels.");
  m.def("quad_sample", &quad_sample, py::arg("indptr"), py::arg("indices"), py::arg("weights"),
        py::arg("bias"), py::arg("kind"), py::arg("n_flips"), py::arg("block_size"), py::arg("init"),
        py::arg("n_steps"), py::arg("burn_in"), py::arg("thin"), py::arg("seed"), py::arg("record"),
        py::arg("reference"), py::arg("callback"), py::arg("chunk_seconds") = 0.1,
        py::arg("statistic") = py::none(), py::arg("first_chain") = 0, py::arg("n_chains_total") = 0,
        "Multi-chain sampling on a spin-quadratic model (use ttsolve.mcmc.sample); chain c draws "
        "from Philox(seed, first_chain + c), so a shard reproduces those chains of the whole run.");
  m.def("pair_sample", &pair_sample, py::arg("indptr"), py::arg("indices"), py::arg("blocks"), py::arg("bias"),
        py::arg("kind"), py::arg("n_flips"), py::arg("block_size"), py::arg("init"), py::arg("n_steps"),
        py::arg("burn_in"), py::arg("thin"), py::arg("seed"), py::arg("record"), py::arg("reference"),
        py::arg("callback"), py::arg("chunk_seconds") = 0.1, py::arg("statistic") = py::none(),
        py::arg("first_chain") = 0, py::arg("n_chains_total") = 0,
        "Multi-chain sampling on a categorical pairwise model (use ttsolve.mcmc.sample).");
  m.def("rbm_sample", &rbm_sample, py::arg("W"), py::arg("b"), py::arg("c"), py::arg("kind"),
        py::arg("n_flips"), py::arg("params"), py::arg("init"), py::arg("n_steps"), py::arg("burn_in"),
        py::arg("thin"), py::arg("seed"), py::arg("record"), py::arg("reference"), py::arg("callback"),
        py::arg("chunk_seconds") = 0.1, py::arg("statistic") = py::none(), py::arg("first_chain") = 0, py::arg("n_chains_total") = 0,
        "Multi-chain sampling on an RBM (use ttsolve.mcmc.sample); gwg shards must be aligned on "
        "rbm_block_bounds(n_chains_total).");
  m.def("rbm_block_bounds", &rbm_block_bounds, py::arg("n_chains"),
        "Chain-block boundaries of an RBM run of n_chains chains (shards of it start and end on them).");
  testing.def("mcmc_quad_transition_row", &quad_transition_row, py::arg("indptr"), py::arg("indices"),
              py::arg("weights"), py::arg("bias"), py::arg("kind"), py::arg("n_flips"),
              py::arg("block_size"), py::arg("x"), py::arg("site") = 0,
              "Exact one-step transition row of a quadratic kernel (tests, dim <= 20).");
  testing.def("mcmc_pair_transition_row", &pair_transition_row, py::arg("indptr"), py::arg("indices"),
              py::arg("blocks"), py::arg("bias"), py::arg("kind"), py::arg("block_size"), py::arg("x"),
              py::arg("site") = 0, py::arg("n_flips") = 1, "Exact one-step transition row of a pairwise kernel (tests, K^D <= 2^20).");
  testing.def("mcmc_pair_incremental_check", &pair_incremental_check, py::arg("indptr"), py::arg("indices"),
              py::arg("blocks"), py::arg("bias"), py::arg("kind"), py::arg("x"), py::arg("n_steps"), py::arg("seed"),
              py::arg("n_flips") = 1, "Gaps between incremental and recomputed pairwise chain state (tests).");
  testing.def("mcmc_quad_incremental_check", &quad_incremental_check, py::arg("indptr"), py::arg("indices"),
              py::arg("weights"), py::arg("bias"), py::arg("kind"), py::arg("x"), py::arg("n_steps"),
              py::arg("seed"), "Gaps between incremental and recomputed chain state (tests).");
  testing.def("mcmc_rbm_transition_row", &rbm_transition_row, py::arg("W"), py::arg("b"), py::arg("c"),
              py::arg("kind"), py::arg("block_size"), py::arg("x"), py::arg("site") = 0,
              "Exact one-step transition row of a single-site RBM kernel (tests, dim <= 16).");
  testing.def("mcmc_rbm_exp", &rbm_exp, py::arg("x"), "The RBM engines' vectorised exp of x <= 0 (tests).");
}

}  // namespace ttsolve::bindings
