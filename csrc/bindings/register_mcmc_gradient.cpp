// Bindings for the multi-coordinate gradient engine (csrc/mcmc/gradient_run.hpp) and its
// transition-matrix oracle. Glue only: arrays -> models, the options dict -> GradientConfig
// (GradientConfig::set parses and checks each value), sample_run for the drive loop.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "bindings/glue.hpp"
#include "bindings/mcmc_sample.hpp"
#include "bindings/register.hpp"
#include "mcmc/gradient_run.hpp"
#include "mcmc/rbm_gradient.hpp"
#include "mcmc/rbm_gradient_run.hpp"
#include "testing/gradient_transitions.hpp"

namespace ttsolve::bindings {
using namespace ttsolve::mcmc;

namespace {

PairwiseModel pairwise_model(const IArray& indptr, const IArray& indices, const DArray& blocks,
                             const DArray& bias, int64_t n_states) {
  PairwiseModel m;
  require(n_states >= 2 && n_states <= 255, "n_states must be in [2, 255]");
  m.n_states = n_states;
  m.dim = int64_t(bias.size()) / n_states;
  m.indptr.assign(indptr.data(), indptr.data() + indptr.size());
  m.indices.assign(indices.data(), indices.data() + indices.size());
  m.blocks.assign(blocks.data(), blocks.data() + blocks.size());
  m.bias.assign(bias.data(), bias.data() + bias.size());
  m.validate();
  return m;
}

/// The engine's model for a backend family: "pairwise" (indptr, indices, blocks, bias) or
/// "quadratic" (the spin form's indptr, indices, weights, bias, converted exactly to K = 2).
PairwiseModel family_model(const std::string& family, const py::tuple& arrays, int64_t n_states) {
  require(arrays.size() == 4, "backend arrays must be (indptr, indices, values, bias)");
  const IArray indptr = as_array<int64_t>(arrays[0], "indptr");
  const IArray indices = as_array<int64_t>(arrays[1], "indices");
  const DArray values = as_array<double>(arrays[2], "values");
  const DArray bias = as_array<double>(arrays[3], "bias");
  if (family == "pairwise") return pairwise_model(indptr, indices, values, bias, n_states);
  require(family == "quadratic", "the gradient engine runs on 'pairwise' and 'quadratic' models, got '" + family + "'");
  SpinQuadratic q;
  q.dim = int64_t(bias.size());
  q.indptr.assign(indptr.data(), indptr.data() + indptr.size());
  q.indices.assign(indices.data(), indices.data() + indices.size());
  q.weights.assign(values.data(), values.data() + values.size());
  q.bias.assign(bias.data(), bias.data() + bias.size());
  q.validate();
  PairwiseModel m = pairwise_from_spin(q);
  m.validate();
  return m;
}

RbmModel rbm_model(const py::tuple& arrays) {
  require(arrays.size() == 3, "RBM backend arrays must be (W, b, c)");
  RbmModel m = make_rbm(as_array<double>(arrays[0], "W"), as_array<double>(arrays[1], "b"),
                        as_array<double>(arrays[2], "c"));
  m.prepare();
  return m;
}

std::string option_text(const py::handle& value) {
  if (py::isinstance<py::bool_>(value)) return value.cast<bool>() ? "true" : "false";
  return py::str(value).cast<std::string>();
}

GradientConfig make_config(const std::string& kind, int64_t n_flips, const py::dict& options) {
  GradientConfig cfg;
  cfg.kind = kind_from_name(kind);
  require(is_gradient_kind(cfg.kind), "'" + kind + "' is not a kind of the gradient engine");
  for (const auto& item : options) cfg.set(py::str(item.first).cast<std::string>(), option_text(item.second));
  if (cfg.kind == Kind::GwgMulti) cfg.path_length = n_flips;
  return cfg;
}

py::list gradient_kinds() {
  py::list out;
  for (const KindRow& r : kKindTable)
    if (is_gradient_kind(r.kind)) out.append(r.kernel);
  return out;
}

/// A PairwiseModel seen only through the generic model concept (no incremental updates): the
/// engine's template path, as other models (RBM, user) take it; a test hook runs it.
struct GenericPairwise {
  PairwiseModel m;
  int64_t dim = 0, n_states = 0;
  double log_prob(const uint8_t* x) const { return m.log_prob(x); }
  void grad(const uint8_t* x, double* g) const { m.grad(x, g); }
};

template <class Model>
Model wrap(PairwiseModel&& m) {
  if constexpr (std::is_same_v<Model, PairwiseModel>) {
    return std::move(m);
  } else {
    GenericPairwise w;
    w.dim = m.dim;
    w.n_states = m.n_states;
    w.m = std::move(m);
    return w;
  }
}

template <class Model>
py::dict gradient_sample(const std::string& family, const py::tuple& arrays, int64_t n_states,
                         const std::string& kind, int64_t n_flips, const py::dict& options, const U8Array& init,
                         int64_t n_steps, int64_t burn_in, int64_t thin, uint64_t seed,
                         const std::vector<std::string>& record, py::object reference, py::object callback,
                         double chunk_seconds, py::object statistic, int64_t first_chain,
                         int64_t n_chains_total) {
  auto go = [&](auto& run, int64_t K) {
    run.config = make_config(kind, n_flips, options);
    run.config.validate(run.dim(), K);
    py::dict out = sample_run(run, init, n_steps, burn_in, thin, seed, record, reference, callback, chunk_seconds,
                              statistic, first_chain, n_chains_total);
    const int64_t n_chains = init.shape(0);
    py::array_t<double> adapted(n_chains);
    for (int64_t c = 0; c < n_chains; ++c) adapted.mutable_data()[c] = run.adapted(c);
    out["adapted"] = adapted;
    return out;
  };
  if constexpr (std::is_same_v<Model, PairwiseModel>) {
    if (family == "rbm") {  // every gradient kind, chains batched: mcmc/rbm_gradient_run.hpp
      RbmGradientRun run;
      run.model = rbm_model(arrays);
      return go(run, 2);
    }
  }
  GradientRun<Model> run;
  run.model = wrap<Model>(family_model(family, arrays, n_states));
  return go(run, run.model.n_states);
}

py::array_t<double> to_matrix(std::vector<double>&& T) {
  const py::ssize_t n = py::ssize_t(std::llround(std::sqrt(double(T.size()))));
  return move_to_numpy(std::move(T), {n, n});
}

py::array_t<double> transitions_pairwise(const IArray& indptr, const IArray& indices, const DArray& blocks,
                                         const DArray& bias, int64_t n_states, const std::string& kind,
                                         int64_t n_flips, const py::dict& options) {
  const PairwiseModel m = pairwise_model(indptr, indices, blocks, bias, n_states);
  const GradientConfig cfg = make_config(kind, n_flips, options);
  return to_matrix(testing::gradient_transition_matrix(m, cfg));
}

py::array_t<double> transitions_onehot(const DArray& A, const DArray& b, int64_t n_states, const std::string& kind,
                                       int64_t n_flips, const py::dict& options) {
  require(n_states >= 2 && n_states <= 255, "n_states must be in [2, 255]");
  require_shape(A, {kAny, kAny}, "A");
  require(A.shape(0) == A.shape(1) && A.shape(0) % n_states == 0 && b.size() == A.shape(0),
          "A must be (D K, D K) and b (D K,)");
  testing::OnehotQuadratic m;
  m.n_states = n_states;
  m.dim = A.shape(0) / n_states;
  m.A.assign(A.data(), A.data() + A.size());
  m.b.assign(b.data(), b.data() + b.size());
  return to_matrix(testing::gradient_transition_matrix(m, make_config(kind, n_flips, options)));
}

/// factorised_table at one state (tests: the proposal rows against closed forms).
py::array_t<double> factorised_probs(const std::string& kind, const py::dict& options, const U8Array& x,
                                     const DArray& g) {
  require(g.ndim() == 2 && x.ndim() == 1 && g.shape(0) == x.shape(0) && g.shape(1) >= 2 && g.shape(1) <= 255,
          "g must be (D, K) with 2 <= K <= 255 and x (D,)");
  const int64_t D = g.shape(0), K = g.shape(1);
  for (int64_t i = 0; i < D; ++i) require(x.data()[i] < K, "x must hold states in [0, K)");
  const GradientConfig cfg = make_config(kind, 1, options);
  require(cfg.factorised(), "kind must be a factorised kind (dmala, dula, dlmc)");
  std::vector<double> prob(size_t(D * K));
  factorised_table(cfg, D, K, x.data(), g.data(), prob.data());
  return move_to_numpy(std::move(prob), {py::ssize_t(D), py::ssize_t(K)});
}

py::array_t<double> transitions_rbm(const DArray& W, const DArray& b, const DArray& c, const std::string& kind,
                                    int64_t n_flips, const py::dict& options) {
  return to_matrix(testing::gradient_transition_matrix(RbmGradModel(rbm_model(py::make_tuple(W, b, c))),
                                                       make_config(kind, n_flips, options)));
}

}  // namespace

void register_mcmc_gradient(py::module_& m, py::module_& testing) {
  m.def("gradient_kinds", &gradient_kinds, "Kernel names the gradient engine runs (csrc/mcmc/gradient_run.hpp).");
  m.def("gradient_sample", &gradient_sample<PairwiseModel>, py::arg("family"), py::arg("arrays"), py::arg("n_states"),
        py::arg("kind"), py::arg("n_flips"), py::arg("options"), py::arg("init"), py::arg("n_steps"),
        py::arg("burn_in"), py::arg("thin"), py::arg("seed"), py::arg("record"), py::arg("reference"),
        py::arg("callback"), py::arg("chunk_seconds") = 0.1, py::arg("statistic") = py::none(),
        py::arg("first_chain") = 0, py::arg("n_chains_total") = 0,
        "Multi-chain DMALA / DULA / PAS / DLMC / multi-flip GWG (use ttsolve.mcmc.sample).");
  testing.def("mcmc_gradient_sample_generic", &gradient_sample<GenericPairwise>, py::arg("family"), py::arg("arrays"),
              py::arg("n_states"), py::arg("kind"), py::arg("n_flips"), py::arg("options"), py::arg("init"),
              py::arg("n_steps"), py::arg("burn_in"), py::arg("thin"), py::arg("seed"), py::arg("record"),
              py::arg("reference"), py::arg("callback"), py::arg("chunk_seconds") = 0.1,
              py::arg("statistic") = py::none(), py::arg("first_chain") = 0, py::arg("n_chains_total") = 0,
              "gradient_sample through the engine's generic (non-incremental) model path (tests).");
  testing.def("mcmc_gradient_transitions_pairwise", &transitions_pairwise, py::arg("indptr"), py::arg("indices"),
              py::arg("blocks"), py::arg("bias"), py::arg("n_states"), py::arg("kind"), py::arg("n_flips"),
              py::arg("options"), "Exact transition matrix of a gradient kernel on a pairwise model (tests).");
  testing.def("mcmc_gradient_transitions_onehot", &transitions_onehot, py::arg("A"), py::arg("b"),
              py::arg("n_states"), py::arg("kind"), py::arg("n_flips"), py::arg("options"),
              "Exact transition matrix of a gradient kernel on a one-hot quadratic model (tests).");
  testing.def("mcmc_factorised_table", &factorised_probs, py::arg("kind"), py::arg("options"), py::arg("x"),
              py::arg("g"), "Proposal rows q_i(k | x) of a factorised gradient kind from the gradient table g (tests).");
  testing.def("mcmc_gradient_transitions_rbm", &transitions_rbm, py::arg("W"), py::arg("b"), py::arg("c"),
              py::arg("kind"), py::arg("n_flips"), py::arg("options"),
              "Exact transition matrix of a gradient kernel on a tiny RBM (mcmc/rbm_gradient.hpp; tests).");
}

}  // namespace ttsolve::bindings
