// _core.pde: helper kernels of the PDE solver (Gaussian increments, fused antithetic inner sampling).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "bindings/glue.hpp"
#include "bindings/register.hpp"
#include "pde/antithetic_terminal.hpp"
#include "pde/gaussian_rows.hpp"

namespace ttsolve::bindings {

void register_pde(py::module_& m, py::module_& testing) {
  m.def(
      "gaussian_rows",
      [](uint64_t seed, uint64_t first_row, int64_t n_rows, int64_t n_cols) {
        if (n_rows < 0 || n_cols < 0) throw py::value_error("gaussian_rows: n_rows and n_cols must be >= 0");
        if (n_cols > 0 && n_rows > std::numeric_limits<int64_t>::max() / 8 / n_cols)
          throw std::length_error("gaussian_rows: n_rows * n_cols is too large");
        py::array_t<double> out({py::ssize_t(n_rows), py::ssize_t(n_cols)});
        double* data = out.mutable_data();
        run_released([&](Interrupt* intr) { pde::gaussian_rows(seed, first_row, n_rows, n_cols, data, intr); });
        return out;
      },
      py::arg("seed"), py::arg("first_row"), py::arg("n_rows"), py::arg("n_cols"),
      "(n_rows, n_cols) standard normals; row r is Philox stream (seed, first_row + r).");
  m.def(
      "antithetic_terminal",
      [](int kind, DArray params, uint64_t seed, uint64_t first_pair, int64_t n_pairs, DArray centre, DArray scale,
         DArray poly, bool reduced, uint64_t first_path, int64_t n_paths_total) {
        require_ndim(centre, 2, "centre");
        const int64_t K = centre.shape(0), d = centre.shape(1);
        require(n_pairs >= 0, "n_pairs must be >= 0");
        require((scale.ndim() == 1 && scale.shape(0) == K) ||
                    (scale.ndim() == 2 && scale.shape(0) == K && scale.shape(1) == d),
                "scale must have shape (K,) or (K, d)");
        const int64_t n_scale = scale.ndim() == 2 ? d : 1;
        require(kind >= 0 && kind <= 2, "kind must be 0, 1 or 2");
        require(!reduced || pde::reduced_draws_exact(pde::Terminal(kind), n_scale),
                "reduced draws are exact only for cos_dot or a scalar scale (K,)");
        require_ndim(params, 1, "params");
        require_ndim(poly, 1, "poly");
        py::array_t<double> out(K);
        double* o = out.mutable_data();
        run_released([&](Interrupt* intr) {
          pde::antithetic_terminal(pde::Terminal(kind), params.data(), params.shape(0), seed, first_pair, n_pairs, K,
                                   d, centre.data(), scale.data(), n_scale, poly.data(), poly.shape(0), o, reduced,
                                   intr, first_path, n_paths_total);
        });
        return out;
      },
      py::arg("kind"), py::arg("params"), py::arg("seed"), py::arg("first_pair"), py::arg("n_pairs"),
      py::arg("centre"), py::arg("scale"), py::arg("poly"), py::arg("reduced") = false, py::arg("first_path") = 0,
      py::arg("n_paths_total") = 0,
      "(K,) sums over antithetic pairs of P(g(c +- a xi)) for a compiled terminal g (pde/antithetic_terminal.hpp); "
      "reduced=True draws what g depends on (O(1) random numbers per pair) where that is exact.");
  m.def("reduced_draws_exact", [](int kind, bool diagonal) {
        require(kind >= 0 && kind <= 2, "kind must be 0, 1 or 2");
        return pde::reduced_draws_exact(pde::Terminal(kind), diagonal ? 2 : 1);
      }, py::arg("kind"), py::arg("diagonal"),
      "Whether antithetic_terminal(reduced=True) is exact for this terminal kind and a scalar/diagonal scale.");
  testing.def(
      "pde_terminal_values",
      [](int kind, DArray params, DArray X) {
        require_ndim(X, 2, "X");
        require_ndim(params, 1, "params");
        py::array_t<double> out(X.shape(0));
        pde::terminal_values(pde::Terminal(kind), params.data(), params.shape(0), X.shape(0), X.shape(1), X.data(),
                             out.mutable_data());
        return out;
      },
      py::arg("kind"), py::arg("params"), py::arg("X"), "Compiled terminal g(X) (K,) of the fused inner sampling.");
  testing.def(
      "pde_chi_square",
      [](uint64_t seed, uint64_t first, int64_t n, double dof) {
        require(n >= 0, "n must be >= 0");
        require(dof >= 0 && std::isfinite(dof), "dof must be finite and >= 0");
        py::array_t<double> out(n);
        double* o = out.mutable_data();
        run_released([&](Interrupt*) { pde::chi_square_draws(seed, first, n, dof, o); });
        return out;
      },
      py::arg("seed"), py::arg("first"), py::arg("n"), py::arg("dof"),
      "(n,) chi-square(dof) draws of the reduced inner sampling; draw i from Philox stream (seed, first + i).");
}

}  // namespace ttsolve::bindings
