// Bindings for csrc/tt: the TensorTrain container and its operations.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bindings/arrays.hpp"
#include "bindings/register.hpp"
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

}  // namespace

void register_tt(py::module_& m) {
  py::class_<TensorTrain>(m, "TT", "Compiled tensor-train container (use ttsolve.TensorTrain)")
      .def(py::init(&from_core_list), py::arg("cores"))
      .def_property_readonly("dims", [](const TensorTrain& t) { return t.dims; })
      .def_property_readonly("ranks", [](const TensorTrain& t) { return t.ranks; })
      .def_property_readonly("ndim", &TensorTrain::ndim)
      .def_property_readonly("num_params", &TensorTrain::num_params)
      .def("core", &core_view, py::arg("k"), "Read-only view of core k, shape (r_k, n_k, r_{k+1}).")
      .def("copy", [](const TensorTrain& t) { return TensorTrain(t); });

  m.def("tt_zeros", &tt::zeros, py::arg("dims"), py::arg("ranks"));
}

}  // namespace ttsolve::bindings
