// Conversions between numpy arrays and kernel buffers (bindings only).
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ttsolve::bindings {
namespace py = pybind11;

using DArray = py::array_t<double, py::array::c_style | py::array::forcecast>;
using IArray = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;

/// New numpy array of the given shape owning a copy of `data`.
inline py::array_t<double> to_numpy(const std::vector<double>& data, std::vector<py::ssize_t> shape) {
  py::array_t<double> out(shape);
  std::copy(data.begin(), data.end(), out.mutable_data());
  return out;
}

/// Moves a vector into a numpy array without copying (the array owns the vector).
template <class T>
py::array_t<T> move_to_numpy(std::vector<T>&& data, std::vector<py::ssize_t> shape) {
  auto* heap = new std::vector<T>(std::move(data));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(shape, heap->data(), owner);
}

/// Throws ValueError unless `a` has exactly `ndim` dimensions.
inline void require_ndim(const py::array& a, int ndim, const char* name) {
  if (a.ndim() != ndim)
    throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) + "-D, got " +
                          std::to_string(a.ndim()) + "-D");
}

}  // namespace ttsolve::bindings
