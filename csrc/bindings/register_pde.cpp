// _core.pde: helper kernels of the PDE solver (Gaussian increments for the inner sampling).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <limits>
#include <stdexcept>

#include "bindings/glue.hpp"
#include "bindings/register.hpp"
#include "pde/gaussian_rows.hpp"

namespace ttsolve::bindings {

void register_pde(py::module_& m, py::module_& /*testing*/) {
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
}

}  // namespace ttsolve::bindings
