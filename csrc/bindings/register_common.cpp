// _core itself: build/run-time configuration, threads, BLAS/LAPACK registration, the Ctrl-C
// hook; test hooks for the LAPACK wrappers and the interrupt path (_core._testing).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "bindings/glue.hpp"
#include "bindings/register.hpp"
#include "common/blas_runtime.hpp"
#include "common/interrupt.hpp"
#include "common/lapack.hpp"
#include "common/parallel.hpp"
#include "common/rng.hpp"
#include "testing/interrupt_probe.hpp"

namespace ttsolve::bindings {

namespace {
bool python_signal_pending() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) {
    PyErr_Clear();  // re-raised as KeyboardInterrupt by run_released
    return true;
  }
  return false;
}

/// The row-major copy of a square float64 matrix, validated (for the eig test hooks).
std::vector<double> square_matrix(const DArray& a) {
  if (a.ndim() != 2 || a.shape(0) != a.shape(1)) throw py::value_error("A must be a square 2-d array");
  std::vector<double> out(a.data(), a.data() + a.size());
  for (double v : out)
    if (!std::isfinite(v)) throw py::value_error("A must be finite");
  return out;
}

std::vector<py::ssize_t> dims(int64_t rows, int64_t cols) { return {py::ssize_t(rows), py::ssize_t(cols)}; }

/// (w, V): w (n,), V (rows, n) with eigenvectors as rows.
py::tuple eig_result(std::vector<double>&& w, std::vector<double>&& V, int64_t n, int64_t rows) {
  return py::make_tuple(move_to_numpy(std::move(w), {py::ssize_t(n)}), move_to_numpy(std::move(V), dims(rows, n)));
}

void register_lapack_hooks(py::module_& testing) {
  testing.def("la_symmetric_eig", [](const DArray& a) {
    std::vector<double> A = square_matrix(a), w, V;
    const int64_t n = a.shape(0);
    run_released([&](Interrupt*) { la::symmetric_eig(n, A.data(), w, V); });
    return eig_result(std::move(w), std::move(V), n, n);
  }, py::arg("A"), "Ascending eigenvalues and eigenvectors (rows) of the symmetric A.");
  testing.def("la_symmetric_eig_top", [](const DArray& a, int64_t k) {
    std::vector<double> A = square_matrix(a), w, V;
    const int64_t n = a.shape(0);
    if (k < 0 || k > n) throw py::value_error("k must lie in [0, n]");
    run_released([&](Interrupt*) {
      const la::SymmetricEig eig(n, A.data());
      w = eig.values();
      eig.top_vectors(k, V);
    });
    return eig_result(std::move(w), std::move(V), n, k);
  }, py::arg("A"), py::arg("k"), "Ascending eigenvalues and the eigenvectors (rows, largest first) of the k largest.");
  testing.def("la_trmm_lower", [](const DArray& b, const DArray& l, bool left, bool transpose) {
    require_ndim(b, 2, "B");
    const int64_t M = b.shape(0), N = b.shape(1), t = left ? M : N;
    std::vector<double> L = square_matrix(l), B(b.data(), b.data() + b.size());
    if (l.shape(0) != t) throw py::value_error("L must match B's " + std::string(left ? "rows" : "columns"));
    run_released([&](Interrupt*) { la::trmm_lower(left, transpose, M, N, B.data(), L.data()); });
    return move_to_numpy(std::move(B), dims(M, N));
  }, py::arg("B"), py::arg("L"), py::arg("left"), py::arg("transpose"),
     "op(tril(L)) B (left) or B op(tril(L)), op = transpose or identity.");
  testing.def("la_lq_inplace", [](const DArray& a) {
    require_ndim(a, 2, "A");
    const int64_t M = a.shape(0), N = a.shape(1), k = std::min(M, N);
    std::vector<double> A(a.data(), a.data() + a.size()), L;
    run_released([&](Interrupt*) { la::lq_inplace(M, N, A.data(), L); });
    A.resize(k * N);  // Q: the first k rows
    return py::make_tuple(move_to_numpy(std::move(L), dims(M, k)), move_to_numpy(std::move(A), dims(k, N)));
  }, py::arg("A"), "(L, Q) with A = L Q, L lower trapezoidal, Q orthonormal rows.");
}
/// Test hook: n words of Philox stream (seed, stream) from word `skip` on, read by `mode`
/// ("scalar": skip and read with next_u32; "fill": seek, then fill_u32 in chunks of mixed
/// sizes; "reader": seek, then a BulkWords reader), then 3 more words from the generator
/// itself (the position the mode left it at). simd: the AVX2 fill where the CPU has it.
py::array_t<uint32_t> philox_words(uint64_t seed, uint64_t stream, uint64_t skip, int64_t n, const std::string& mode,
                                   bool simd) {
  if (n < 0) throw py::value_error("n must be >= 0");
  if (mode != "scalar" && mode != "fill" && mode != "reader")
    throw py::value_error("mode must be 'scalar', 'fill' or 'reader'");
  const bool was = philox_simd();
  set_philox_simd(simd);
  std::vector<uint32_t> out(size_t(n + 3));
  Philox g(seed, stream);
  if (mode == "scalar") {
    for (uint64_t k = 0; k < skip; ++k) g.next_u32();
    for (int64_t k = 0; k < n; ++k) out[size_t(k)] = g.next_u32();
  } else if (mode == "fill") {
    g.seek(skip);
    static const size_t chunks[] = {1, 3, 64, 5, 256, 7, 1000, 2};
    size_t at = 0;
    for (size_t c = 0; at < size_t(n); ++c) {
      const size_t len = std::min(chunks[c % 8], size_t(n) - at);
      g.fill_u32(out.data() + at, len);
      at += len;
    }
  } else {
    g.seek(skip);
    BulkWords words(g);
    for (int64_t k = 0; k < n; ++k) out[size_t(k)] = words.next_u32();
  }
  for (int k = 0; k < 3; ++k) out[size_t(n + k)] = g.next_u32();
  set_philox_simd(was);
  py::array_t<uint32_t> arr(py::ssize_t(out.size()));
  std::copy(out.begin(), out.end(), arr.mutable_data());
  return arr;
}

}  // namespace

void register_common(py::module_& m, py::module_& testing) {
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

  m.def("get_num_threads", &get_num_threads, "Threads used by ttsolve's parallel kernels.");
  m.def("set_num_threads", &set_num_threads, py::arg("n"), "Set the threads used by ttsolve's kernels.");
  m.def("max_num_threads", &max_num_threads, "The cap on set_num_threads (4 x the hardware threads).");
  m.def("blas_get_num_threads", &la::blas_get_num_threads);
  m.def("blas_set_num_threads", &la::blas_set_num_threads, py::arg("n"));
  m.def("blas_description", &la::blas_description);

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

  register_lapack_hooks(testing);
  testing.def("philox_words", &philox_words, py::arg("seed"), py::arg("stream"), py::arg("skip"), py::arg("n"),
              py::arg("mode"), py::arg("simd") = true,
              "Words of a Philox stream read by the scalar generator, the multi-block fill or a bulk reader.");
  testing.def("philox_simd", &philox_simd, "True if the multi-block Philox fill uses its AVX2 version.");
  testing.def("wait_for_interrupt", [](double max_seconds) {
    return run_released([&](Interrupt* intr) { return ttsolve::testing::wait_for_interrupt(intr, max_seconds); });
  }, py::arg("max_seconds"),
     "Polls for Ctrl-C for at most max_seconds (KeyboardInterrupt if one comes; else returns False).");
}

}  // namespace ttsolve::bindings
