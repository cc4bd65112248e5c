// Bindings for csrc/learn (sufficient statistics and pseudo-likelihood for model fitting).
// Registered onto the submodule _core.learn (names without an area prefix).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>
#include <utility>

#include "bindings/glue.hpp"
#include "bindings/register.hpp"
#include "learn/moments.hpp"
#include "learn/pcd_chains.hpp"
#include "learn/potts.hpp"
#include "mcmc/kinds.hpp"

namespace ttsolve::bindings {
namespace py = pybind11;

namespace {

/// (n, D) of a non-empty 2-D 0/1 array.
std::pair<int64_t, int64_t> binary_shape(const U8Array& X, const char* name) {
  require_ndim(X, 2, name);
  const int64_t n = X.shape(0), D = X.shape(1);
  if (n < 1 || D < 1) throw py::value_error(std::string(name) + " must have at least one row and column");
  const uint8_t* x = X.data();
  for (int64_t k = 0; k < n * D; ++k)
    if (x[k] > 1) throw py::value_error(std::string(name) + " must contain only 0/1 values");
  return {n, D};
}

py::tuple binary_moments(const U8Array& X, bool spins) {
  const auto [n, D] = binary_shape(X, "X");
  py::array_t<double> mean(D), second({D, D});
  double *m = mean.mutable_data(), *s = second.mutable_data();
  run_released([&](Interrupt*) { learn::binary_moments(X.data(), n, D, spins, m, s); });
  return py::make_tuple(mean, second);
}

py::tuple rbm_moments(const U8Array& V, const DArray& W, const DArray& c) {
  const auto [n, D] = binary_shape(V, "V");
  require_ndim(W, 2, "W");
  const int64_t H = W.shape(0);
  require_shape(W, {H, D}, "W");
  require_shape(c, {H}, "c");
  py::array_t<double> mean_v(D), mean_h(H), hv({H, D});
  double *mv = mean_v.mutable_data(), *mh = mean_h.mutable_data(), *h = hv.mutable_data();
  run_released([&](Interrupt*) { learn::rbm_moments(V.data(), n, D, H, W.data(), c.data(), mv, mh, h); });
  return py::make_tuple(mean_v, mean_h, hv);
}

py::tuple binary_pseudo_loglik(const U8Array& X, const DArray& J, const DArray& b, bool spins, double l2,
                               double l2_bias) {
  const auto [n, D] = binary_shape(X, "X");
  require_shape(J, {D, D}, "J");
  require_shape(b, {D}, "b");
  py::array_t<double> G({D, D}), gb(D);
  double *g = G.mutable_data(), *g_b = gb.mutable_data();
  const double value = run_released([&](Interrupt*) {
    return learn::binary_pseudo_loglik(X.data(), n, D, J.data(), b.data(), spins, l2, l2_bias, g, g_b);
  });
  return py::make_tuple(value, G, gb);
}

/// (n, D) of a non-empty 2-D array of states 0..K-1 (K >= 2).
std::pair<int64_t, int64_t> state_shape(const U8Array& X, int64_t K, const char* name) {
  if (K < 2 || K > 255) throw py::value_error("n_states must be in [2, 255]");
  require_ndim(X, 2, name);
  const int64_t n = X.shape(0), D = X.shape(1);
  if (n < 1 || D < 1) throw py::value_error(std::string(name) + " must have at least one row and column");
  const uint8_t* x = X.data();
  for (int64_t k = 0; k < n * D; ++k)
    if (x[k] >= K) throw py::value_error(std::string(name) + " must contain only states 0..n_states-1");
  return {n, D};
}

py::tuple potts_moments(const U8Array& X, int64_t K) {
  const auto [n, D] = state_shape(X, K, "X");
  py::array_t<double> mean({D, K}), pair({D, D, K, K});
  double *m = mean.mutable_data(), *p = pair.mutable_data();
  run_released([&](Interrupt*) { learn::potts_moments(X.data(), n, D, K, m, p); });
  return py::make_tuple(mean, pair);
}

py::tuple potts_pseudo_loglik(const U8Array& X, int64_t K, const DArray& J, const DArray& b, double l2,
                              double l2_bias) {
  const auto [n, D] = state_shape(X, K, "X");
  require_shape(J, {D, D, K, K}, "J");
  require_shape(b, {D, K}, "b");
  py::array_t<double> G({D, D, K, K}), gb({D, K});
  double *g = G.mutable_data(), *g_b = gb.mutable_data();
  const double value = run_released([&](Interrupt*) {
    return learn::potts_pseudo_loglik(X.data(), n, D, K, J.data(), b.data(), l2, l2_bias, g, g_b);
  });
  return py::make_tuple(value, G, gb);
}

/// Persistent PCD chains on a spin-quadratic pattern (see csrc/learn/pcd_chains.hpp).
learn::QuadPcdChains make_quad_chains(const IArray& indptr, const IArray& indices, const DArray& weights,
                                      const DArray& bias, const std::string& kind, int64_t n_flips,
                                      int64_t block_size, const U8Array& init, uint64_t seed) {
  mcmc::SpinQuadratic m;
  m.dim = int64_t(bias.size());
  m.indptr.assign(indptr.data(), indptr.data() + indptr.size());
  m.indices.assign(indices.data(), indices.data() + indices.size());
  m.weights.assign(weights.data(), weights.data() + weights.size());
  m.bias.assign(bias.data(), bias.data() + bias.size());
  mcmc::SamplerConfig cfg;
  cfg.kind = mcmc::kind_from_name(kind);
  cfg.n_flips = n_flips;
  cfg.block_size = block_size;
  cfg.validate(m.dim);
  const auto [n, D] = binary_shape(init, "init");
  if (D != m.dim) throw py::value_error("init must have shape (n_chains, dim)");
  return learn::QuadPcdChains(std::move(m), cfg, init.data(), n, seed);
}

void quad_chains_set(learn::QuadPcdChains& self, const DArray& weights, const DArray& bias) {
  require_shape(weights, {self.nnz()}, "weights");
  require_shape(bias, {self.dim()}, "bias");
  run_released([&](Interrupt*) { self.set_parameters(weights.data(), bias.data()); });
}

py::array_t<uint8_t> quad_chains_states(const learn::QuadPcdChains& self) {
  py::array_t<uint8_t> out({self.n_chains(), self.dim()});
  self.states(out.mutable_data());
  return out;
}

py::tuple quad_chains_moments(const learn::QuadPcdChains& self, bool spins) {
  const int64_t n = self.n_chains(), D = self.dim();
  std::vector<uint8_t> X(size_t(n * D));
  self.states(X.data());
  py::array_t<double> mean(D), second({D, D});
  double *m = mean.mutable_data(), *s = second.mutable_data();
  run_released([&](Interrupt*) { learn::binary_moments(X.data(), n, D, spins, m, s); });
  return py::make_tuple(mean, second);
}

}  // namespace

void register_learn(py::module_& sub, py::module_& /*testing: no hooks yet*/) {
  sub.def("binary_moments", &binary_moments, py::arg("X"), py::arg("spins"),
          "(mean (D,), second moment (D, D)) of the rows of a 0/1 matrix, as x or as s = 2x - 1");
  sub.def("rbm_moments", &rbm_moments, py::arg("V"), py::arg("W"), py::arg("c"),
          "(E[v], E[sigma(Wv + c)], E[sigma(Wv + c) v^T]) over the rows of V");
  sub.def("binary_pseudo_loglik", &binary_pseudo_loglik, py::arg("X"), py::arg("J"), py::arg("b"),
          py::arg("spins"), py::arg("l2"), py::arg("l2_bias"),
          "(penalised mean pseudo-log-likelihood, dJ (D, D), db (D,)) of a binary quadratic model");
  sub.def("potts_moments", &potts_moments, py::arg("X"), py::arg("n_states"),
          "(P[x_i = a] (D, K), P[x_i = a, x_j = c] (D, D, K, K)) over the rows of X");
  sub.def("potts_pseudo_loglik", &potts_pseudo_loglik, py::arg("X"), py::arg("n_states"), py::arg("J"),
          py::arg("b"), py::arg("l2"), py::arg("l2_bias"),
          "(penalised mean pseudo-log-likelihood, dJ (D, D, K, K), db (D, K)) of a Potts model");
  py::class_<learn::QuadPcdChains>(sub, "QuadPcdChains",
                                   "Persistent PCD chains on a fixed spin-quadratic CSR pattern (fit_pcd)")
      .def(py::init(&make_quad_chains), py::arg("indptr"), py::arg("indices"), py::arg("weights"),
           py::arg("bias"), py::arg("kind"), py::arg("n_flips"), py::arg("block_size"), py::arg("init"),
           py::arg("seed"))
      .def_property_readonly("dim", &learn::QuadPcdChains::dim)
      .def_property_readonly("n_chains", &learn::QuadPcdChains::n_chains)
      .def_property_readonly("nnz", &learn::QuadPcdChains::nnz)
      .def("set_parameters", &quad_chains_set, py::arg("weights"), py::arg("bias"),
           "New spin-form couplings (nnz, the pattern's CSR order) and bias; refreshes the chains")
      .def("advance", [](learn::QuadPcdChains& self, int64_t n_steps) {
             return run_released([&](Interrupt* stop) { return self.advance(n_steps, stop); });
           }, py::arg("n_steps"), "n_steps sampler steps on every chain; mean acceptance of these steps")
      .def("states", &quad_chains_states, "Chain states (n_chains, dim) uint8")
      .def("moments", &quad_chains_moments, py::arg("spins"),
           "(mean (D,), second moment (D, D)) of the chain states, as x or as s = 2x - 1");
}

}  // namespace ttsolve::bindings
