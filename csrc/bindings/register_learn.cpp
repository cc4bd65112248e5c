// Bindings for csrc/learn (sufficient statistics and pseudo-likelihood for model fitting).
// Registered onto the submodule _core.learn (names without an area prefix).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <utility>

#include "bindings/glue.hpp"
#include "bindings/register.hpp"
#include "learn/moments.hpp"

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

}  // namespace

void register_learn(py::module_& sub, py::module_& /*testing: no hooks yet*/) {
  sub.def("binary_moments", &binary_moments, py::arg("X"), py::arg("spins"),
          "(mean (D,), second moment (D, D)) of the rows of a 0/1 matrix, as x or as s = 2x - 1");
  sub.def("rbm_moments", &rbm_moments, py::arg("V"), py::arg("W"), py::arg("c"),
          "(E[v], E[sigma(Wv + c)], E[sigma(Wv + c) v^T]) over the rows of V");
  sub.def("binary_pseudo_loglik", &binary_pseudo_loglik, py::arg("X"), py::arg("J"), py::arg("b"),
          py::arg("spins"), py::arg("l2"), py::arg("l2_bias"),
          "(penalised mean pseudo-log-likelihood, dJ (D, D), db (D,)) of a binary quadratic model");
}

}  // namespace ttsolve::bindings
