// Build/run-time configuration, threads, BLAS/LAPACK registration, Ctrl-C hook.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>

#include "bindings/register.hpp"
#include "common/blas_runtime.hpp"
#include "common/interrupt.hpp"
#include "common/lapack.hpp"
#include "common/parallel.hpp"

namespace ttsolve::bindings {
namespace py = pybind11;

namespace {
bool python_signal_pending() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) {
    PyErr_Clear();  // re-raised as KeyboardInterrupt by the binding that ran the kernel
    return true;
  }
  return false;
}

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

/// The row-major copy of a square float64 matrix, validated (for the eig test hooks).
std::vector<double> square_matrix(const Array& a) {
  if (a.ndim() != 2 || a.shape(0) != a.shape(1)) throw py::value_error("A must be a square 2-d array");
  std::vector<double> out(a.data(), a.data() + a.size());
  for (double v : out)
    if (!std::isfinite(v)) throw py::value_error("A must be finite");
  return out;
}

/// (w, V) as numpy arrays: w (n,), V (rows, n) with eigenvectors as rows.
py::tuple eig_result(const std::vector<double>& w, const std::vector<double>& V, int64_t n, int64_t rows) {
  Array wa(n), Va(std::vector<py::ssize_t>{rows, n});
  std::copy(w.begin(), w.end(), wa.mutable_data());
  std::copy(V.begin(), V.end(), Va.mutable_data());
  return py::make_tuple(wa, Va);
}
}  // namespace

void register_common(py::module_& m) {
  set_signal_checker(&python_signal_pending);

  m.def("_register_lapack", [](py::dict capsules) {
    for (const auto& name : la::required_routines()) {
      if (!capsules.contains(name.c_str()))
        throw py::value_error("missing BLAS/LAPACK routine " + name);
      py::object cap = capsules[name.c_str()];
      PyObject* c = cap.ptr();
      if (!PyCapsule_CheckExact(c)) throw py::type_error("expected a PyCapsule for " + name);
      void* fn = PyCapsule_GetPointer(c, PyCapsule_GetName(c));
      if (fn == nullptr) throw py::error_already_set();
      la::register_routine(name, fn);
    }
  }, py::arg("capsules"), "Register scipy's cython_blas/cython_lapack function pointers.");
  m.def("_required_lapack_routines", &la::required_routines);
  // Test hook for the symmetric eigensolver wrapper (tests/test_tt_lapack.py).
  m.def("_la_symmetric_eig", [](const Array& a) {
    std::vector<double> A = square_matrix(a), w, V;
    const int64_t n = a.shape(0);
    {
      py::gil_scoped_release nogil;
      la::symmetric_eig(n, A.data(), w, V);
    }
    return eig_result(w, V, n, n);
  }, py::arg("A"), "Ascending eigenvalues and eigenvectors (rows) of the symmetric A.");
  m.def("_la_symmetric_eig_top", [](const Array& a, int64_t k) {
    std::vector<double> A = square_matrix(a), w, V;
    const int64_t n = a.shape(0);
    if (k < 0 || k > n) throw py::value_error("k must lie in [0, n]");
    {
      py::gil_scoped_release nogil;
      const la::SymmetricEig eig(n, A.data());
      w = eig.values();
      eig.top_vectors(k, V);
    }
    return eig_result(w, V, n, k);
  }, py::arg("A"), py::arg("k"),
     "Ascending eigenvalues and the eigenvectors (rows, largest first) of the k largest.");

  m.def("_la_trmm_lower", [](const Array& b, const Array& l, bool left, bool transpose) {
    if (b.ndim() != 2) throw py::value_error("B must be a 2-d array");
    const int64_t M = b.shape(0), N = b.shape(1), t = left ? M : N;
    std::vector<double> L = square_matrix(l), B(b.data(), b.data() + b.size());
    if (l.shape(0) != t) throw py::value_error("L must match B's " + std::string(left ? "rows" : "columns"));
    {
      py::gil_scoped_release nogil;
      la::trmm_lower(left, transpose, M, N, B.data(), L.data());
    }
    Array out(std::vector<py::ssize_t>{M, N});
    std::copy(B.begin(), B.end(), out.mutable_data());
    return out;
  }, py::arg("B"), py::arg("L"), py::arg("left"), py::arg("transpose"),
     "op(tril(L)) B (left) or B op(tril(L)), op = transpose or identity; for tests.");

  m.def("_la_lq_inplace", [](const Array& a) {
    if (a.ndim() != 2) throw py::value_error("A must be a 2-d array");
    const int64_t M = a.shape(0), N = a.shape(1), k = std::min(M, N);
    std::vector<double> A(a.data(), a.data() + a.size()), L;
    {
      py::gil_scoped_release nogil;
      la::lq_inplace(M, N, A.data(), L);
    }
    Array l(std::vector<py::ssize_t>{M, k}), q(std::vector<py::ssize_t>{k, N});
    std::copy(L.begin(), L.end(), l.mutable_data());
    std::copy(A.begin(), A.begin() + k * N, q.mutable_data());
    return py::make_tuple(l, q);
  }, py::arg("A"), "(L, Q) with A = L Q, L lower trapezoidal, Q orthonormal rows; for tests.");

  m.def("get_num_threads", &get_num_threads, "Threads used by ttsolve's parallel kernels.");
  m.def("set_num_threads", &set_num_threads, py::arg("n"), "Set the threads used by ttsolve's kernels.");
  m.def("max_num_threads", &max_num_threads, "The cap on set_num_threads (4 x the hardware threads).");
  m.def("blas_get_num_threads", &la::blas_get_num_threads);
  m.def("blas_set_num_threads", &la::blas_set_num_threads, py::arg("n"));

  py::dict build;
  build["version"] = TTSOLVE_VERSION;
  build["compiler"] = TTSOLVE_COMPILER;
  build["openmp"] = have_openmp();
#ifdef _OPENMP
  build["openmp_version"] = _OPENMP;
#else
  build["openmp_version"] = py::none();
#endif
#ifdef __AVX2__
  build["avx2"] = true;
#else
  build["avx2"] = false;
#endif
  m.attr("build_info") = build;
  m.def("blas_description", &la::blas_description);
}

}  // namespace ttsolve::bindings
