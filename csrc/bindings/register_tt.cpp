// Bindings for csrc/tt: the TensorTrain container and its operations.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bindings/glue.hpp"
#include "bindings/register.hpp"
#include "common/blas_runtime.hpp"
#include "tt/ops.hpp"
#include "tt/tensor_train.hpp"

namespace ttsolve::bindings {
namespace py = pybind11;
using tt::TensorTrain;

namespace {

TensorTrain from_core_list(const py::list& cores) {
  TensorTrain t;
  const size_t d = cores.size();
  if (d == 0) throw py::value_error("cores must be a non-empty list of 3-D arrays");
  t.ranks.push_back(0);
  for (size_t k = 0; k < d; ++k) {
    py::object obj = cores[k];
    py::array raw = py::array::ensure(obj);
    if (!raw) throw py::type_error("cores[" + std::to_string(k) + "] is not array-like");
    if (raw.ndim() != 3)
      throw py::value_error("cores[" + std::to_string(k) + "] must be 3-D (r_left, n, r_right), got " +
                            std::to_string(raw.ndim()) + "-D");
    DArray a = DArray::ensure(raw);
    if (!a) throw py::type_error("cores[" + std::to_string(k) + "] cannot be converted to float64");
    const int64_t r0 = a.shape(0), n = a.shape(1), r1 = a.shape(2);
    if (k == 0) t.ranks[0] = r0;
    else if (t.ranks.back() != r0)
      throw py::value_error("rank mismatch: cores[" + std::to_string(k - 1) + "] ends with rank " +
                            std::to_string(t.ranks.back()) + " but cores[" + std::to_string(k) +
                            "] starts with rank " + std::to_string(r0));
    t.dims.push_back(n);
    t.ranks.push_back(r1);
    t.cores.emplace_back(a.data(), a.data() + a.size());
  }
  t.validate();
  return t;
}

/// Read-only numpy view of core k that keeps the owning TT alive.
py::array core_view(py::object self, int64_t k) {
  const TensorTrain& t = self.cast<const TensorTrain&>();
  if (k < 0) k += t.ndim();
  if (k < 0 || k >= t.ndim()) throw py::index_error("core index out of range");
  std::vector<py::ssize_t> shape = {t.ranks[k], t.dims[k], t.ranks[k + 1]};
  py::array_t<double> view(shape, t.cores[k].data(), self);
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return std::move(view);
}

/// run_released for TT kernels. They make many small BLAS/LAPACK calls, some from two OpenMP
/// threads at once: BLAS's own worker threads would only compete with ours for the cores
/// (measured 2x slower rounding on 2 cores), so BLAS stays single-threaded while they run,
/// except for the large dense SVDs of TT-SVD (single_threaded_blas = false).
template <bool single_threaded_blas = true, class Kernel>
auto run_tt(Kernel kernel) {
  return run_released([&](Interrupt* intr) {
    if constexpr (!single_threaded_blas) return kernel(intr);
    la::BlasSingleThreadScope blas_one_thread;
    return kernel(intr);
  });
}

py::tuple scaled_value(const tt::ScaledValue& v) { return py::make_tuple(v.sign, v.log_abs); }

py::array full_array(const TensorTrain& x, int64_t max_entries) {
  std::vector<double> data = run_released([&](Interrupt*) { return tt::full(x, max_entries); });
  std::vector<py::ssize_t> shape(x.dims.begin(), x.dims.end());
  return move_to_numpy(std::move(data), shape);
}

TensorTrain from_dense(const DArray& a, double eps, int64_t max_rank) {
  if (a.ndim() < 1) throw py::value_error("a must have at least one dimension");
  std::vector<int64_t> dims(a.shape(), a.shape() + a.ndim());
  const double* data = a.data();
  return run_tt<false>([&](Interrupt* intr) { return tt::tt_svd(data, dims, eps, max_rank, intr); });
}

py::array evaluate_array(const TensorTrain& x, const IArray& idx) {
  require_shape(idx, {kAny, x.ndim()}, "idx");
  const int64_t K = idx.shape(0);
  const int64_t* p = idx.data();
  std::vector<double> out = run_tt([&](Interrupt* intr) { return tt::evaluate(x, p, K, intr); });
  return move_to_numpy(std::move(out), {static_cast<py::ssize_t>(K)});
}

tt::BondPath bond_path(const std::string& path) {
  if (path == "auto") return tt::BondPath::Auto;
  if (path == "svd") return tt::BondPath::Svd;
  if (path == "gram") return tt::BondPath::Gram;
  throw std::invalid_argument("path must be 'auto', 'svd' or 'gram'");
}

}  // namespace

void register_tt(py::module_& m, py::module_& testing) {
  py::class_<TensorTrain>(m, "TT", "Compiled tensor-train container (use ttsolve.TensorTrain)")
      .def(py::init(&from_core_list), py::arg("cores"))
      .def_property_readonly("dims", [](const TensorTrain& t) { return t.dims; })
      .def_property_readonly("ranks", [](const TensorTrain& t) { return t.ranks; })
      .def_property_readonly("ndim", &TensorTrain::ndim)
      .def_property_readonly("num_params", &TensorTrain::num_params)
      .def("core", &core_view, py::arg("k"), "Read-only view of core k, shape (r_k, n_k, r_{k+1}).")
      .def("copy", [](const TensorTrain& t) { return TensorTrain(t); });

  using release = py::call_guard<py::gil_scoped_release>;  // kernels that never poll for Ctrl-C
  using Combination = TensorTrain (*)(double, const TensorTrain&, double, const TensorTrain&);
  m.def("add", static_cast<Combination>(&tt::linear_combination), py::arg("alpha"), py::arg("x"), py::arg("beta"), py::arg("y"),
        release(), "alpha * x + beta * y (ranks add).");
  m.def("scale", &tt::scale, py::arg("x"), py::arg("alpha"), release());
  m.def("hadamard", &tt::hadamard, py::arg("x"), py::arg("y"), release(), "Entrywise product (ranks multiply).");
  m.def("dot", [](const TensorTrain& x, const TensorTrain& y) {
    return scaled_value(run_tt([&](Interrupt*) { return tt::dot(x, y); }));
  }, py::arg("x"), py::arg("y"), "<x, y> as (sign, log|<x, y>|).");
  m.def("sum", [](const TensorTrain& x) {
    return scaled_value(run_tt([&](Interrupt*) { return tt::sum(x); }));
  }, py::arg("x"), "Sum of all entries as (sign, log|sum|).");
  m.def("full", &full_array, py::arg("x"), py::arg("max_entries"));
  m.def("log_norm", [](const TensorTrain& x) {
    return run_tt([&](Interrupt* intr) { return tt::log_norm(x, intr); });
  }, py::arg("x"), "log of the Frobenius norm (via QR; -inf for zero).");
  m.def("orthogonalize", [](const TensorTrain& x, int64_t mu) {
    return run_tt([&](Interrupt* intr) { return tt::orthogonalize(x, mu, intr); });
  }, py::arg("x"), py::arg("mu"));
  m.def("round", [](const TensorTrain& x, double eps, int64_t max_rank) {
    return run_tt([&](Interrupt* intr) { return tt::round(x, eps, max_rank, intr); });
  }, py::arg("x"), py::arg("eps"), py::arg("max_rank"), "TT rounding; max_rank <= 0 means unbounded.");
  // Pointers: the Python objects' trains are used in place (a vector of TensorTrain would copy them).
  m.def("round_sum", [](const tt::Terms& terms, const std::vector<double>& coefficients, double eps,
                        int64_t max_rank) {
    return run_tt([&](Interrupt* intr) { return tt::round_sum(terms, coefficients, eps, max_rank, intr); });
  }, py::arg("terms"), py::arg("coefficients"), py::arg("eps"), py::arg("max_rank"),
     "Rounding of sum(c * t) (empty coefficients: all ones): block Gram sweeps where they are provably "
     "accurate, else round() of the formed sum.");
  m.def("round_randomized", [](const TensorTrain& x, double eps, int64_t max_rank, int64_t oversample,
                               uint64_t seed) {
    return run_tt([&](Interrupt* intr) { return tt::round_randomized(x, eps, max_rank, oversample, seed, intr); });
  }, py::arg("x"), py::arg("eps"), py::arg("max_rank"), py::arg("oversample"), py::arg("seed"));
  m.def("from_dense", &from_dense, py::arg("a"), py::arg("eps"), py::arg("max_rank"));
  m.def("evaluate", &evaluate_array, py::arg("x"), py::arg("idx"));
  m.def("random", [](const std::vector<int64_t>& dims, const std::vector<int64_t>& ranks, uint64_t seed) {
    return run_tt([&](Interrupt* intr) { return tt::random(dims, ranks, seed, intr); });
  }, py::arg("dims"), py::arg("ranks"), py::arg("seed"));
  m.def("constant", &tt::constant, py::arg("dims"), py::arg("value"), release());

  testing.def("tt_round_paths", [](const TensorTrain& x, double eps, int64_t max_rank, const std::string& path) {
    const tt::BondPath p = bond_path(path);
    tt::RoundStats stats;
    TensorTrain y = run_tt([&](Interrupt* intr) { return tt::round(x, eps, max_rank, intr, p, &stats); });
    return py::make_tuple(std::move(y), stats.gram_bonds, stats.svd_bonds);
  }, py::arg("x"), py::arg("eps"), py::arg("max_rank"), py::arg("path"),
     "TT rounding with a forced bond path; returns (train, Gram bonds, SVD bonds).");
  testing.def("tt_round_sum_fast", [](const tt::Terms& terms, const std::vector<double>& coefficients, double eps,
                                      int64_t max_rank) {
    return run_tt([&](Interrupt* intr) { return tt::round_sum_fast(terms, coefficients, eps, max_rank, intr); });
  }, py::arg("terms"), py::arg("coefficients"), py::arg("eps"), py::arg("max_rank"),
     "round_sum's block Gram path alone: the train, or None where round_sum falls back to the exact path.");
}

}  // namespace ttsolve::bindings
