// The one glue layer between numpy and the kernels (bindings only; kernels never include it).
//
// - array aliases: C-contiguous, force-cast arrays of the kernels' element types;
// - as_array / optional_array: an argument (optional: None or an array) checked for its
//   shape, with errors naming the argument; an absent optional array is a null pointer;
// - move_to_numpy: a kernel's result vector handed to numpy without a copy;
// - run_released: the kernel runs with the GIL released and gets the ttsolve::Interrupt it
//   polls; its ttsolve::Interrupted becomes KeyboardInterrupt. Other std exceptions pass
//   through to pybind11's translation: invalid_argument / length_error / domain_error ->
//   ValueError, out_of_range -> IndexError, bad_alloc -> MemoryError, overflow_error ->
//   OverflowError.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "common/interrupt.hpp"

namespace ttsolve::bindings {
namespace py = pybind11;

template <class T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;
using DArray = CArray<double>;
using IArray = CArray<int64_t>;
using U8Array = CArray<uint8_t>;

/// Throws ValueError(msg) unless ok.
inline void require(bool ok, const std::string& msg) {
  if (!ok) throw py::value_error(msg);
}

/// Moves a vector into a numpy array without copying (the array owns the vector).
template <class T>
py::array_t<T> move_to_numpy(std::vector<T>&& data, std::vector<py::ssize_t> shape) {
  auto* heap = new std::vector<T>(std::move(data));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(shape, heap->data(), owner);
}

// ---- shape checks ---------------------------------------------------------------------

/// A shape to check against; kAny matches any extent.
using Shape = std::initializer_list<int64_t>;
constexpr int64_t kAny = -1;

/// "(3, *, 4)" for messages.
inline std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += shape[i] == kAny ? std::string("*") : std::to_string(shape[i]);
  }
  return s + (shape.size() == 1 ? ",)" : ")");
}

inline std::vector<int64_t> shape_of(const py::array& a) { return {a.shape(), a.shape() + a.ndim()}; }

/// Throws ValueError unless `a` has exactly `ndim` dimensions.
inline void require_ndim(const py::array& a, int ndim, const std::string& name) {
  if (a.ndim() != ndim)
    throw py::value_error(name + " must be " + std::to_string(ndim) + "-D, got " + std::to_string(a.ndim()) + "-D");
}

/// Throws ValueError naming `name` unless `a` has `shape` (kAny entries match anything).
inline void require_shape(const py::array& a, Shape shape, const std::string& name) {
  bool ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
  py::ssize_t axis = 0;
  for (int64_t n : shape) {
    ok = ok && (n == kAny || a.shape(axis) == n);
    ++axis;
  }
  if (!ok) throw py::value_error(name + " must have shape " + shape_str(shape) + ", got " + shape_str(shape_of(a)));
}

// ---- array arguments ------------------------------------------------------------------

/// `obj` as a C-contiguous array of T (converted or copied if needed); TypeError naming it
/// when it cannot be converted.
template <class T>
CArray<T> as_array(py::handle obj, const std::string& name) {
  CArray<T> a = CArray<T>::ensure(obj);
  if (!a) throw py::type_error(name + " cannot be converted to a numeric array of " + py::str(py::dtype::of<T>()).cast<std::string>());
  return a;
}

/// As as_array, and with `shape` checked.
template <class T>
CArray<T> as_array(py::handle obj, const std::string& name, Shape shape) {
  CArray<T> a = as_array<T>(obj, name);
  require_shape(a, shape, name);
  return a;
}

/// An optional array argument. A default-constructed py::array_t is an EMPTY ARRAY, not a null
/// handle, so "absent" is kept explicitly: data() is nullptr exactly when the argument was None.
template <class T>
class Optional {
 public:
  Optional() = default;
  explicit Optional(CArray<T> a) : array_(std::move(a)), present_(true) {}
  bool present() const { return present_; }
  explicit operator bool() const { return present_; }
  const T* data() const { return present_ ? array_.data() : nullptr; }
  /// The array itself (only meaningful when present()).
  const CArray<T>& array() const { return array_; }

 private:
  CArray<T> array_;
  bool present_ = false;
};

/// None -> absent; anything else must convert to T with `shape` (named in the errors).
template <class T>
Optional<T> optional_array(py::handle obj, const std::string& name, Shape shape) {
  if (obj.is_none()) return Optional<T>();
  return Optional<T>(as_array<T>(obj, name, shape));
}

// ---- running kernels ------------------------------------------------------------------

/// Runs kernel(Interrupt*) with the GIL released and returns its result. The kernel polls
/// the Interrupt and throws ttsolve::Interrupted on Ctrl-C, which becomes KeyboardInterrupt
/// (the GIL is held again by then). The kernel must not touch Python objects.
template <class Kernel>
auto run_released(Kernel&& kernel) {
  Interrupt interrupt;
  try {
    py::gil_scoped_release release;
    return kernel(&interrupt);
  } catch (const Interrupted&) {
    PyErr_SetNone(PyExc_KeyboardInterrupt);
    throw py::error_already_set();
  }
}

}  // namespace ttsolve::bindings
