// Polynomial bases evaluated from a per-dimension coefficient matrix (monomials in the
// affinely shifted variable t keep the coefficients well scaled on the basis interval).
#include <stdexcept>
#include <vector>

#include "common/parallel.hpp"
#include "regression/regression.hpp"

namespace ttsolve::regression {

void basis_evaluate(const double* X, int64_t K, int64_t d, const double* coef, const double* shift,
                    const double* scale, int64_t p, int deriv, double* out) {
  if (deriv < 0 || deriv > 2) throw std::invalid_argument("derivative must be 0, 1 or 2");
  if (p < 1) throw std::invalid_argument("basis size must be >= 1");
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(K * d * p * p < 1000000 ? 1 : ttsolve::get_num_threads())
#endif
  for (int64_t i = 0; i < K; ++i) {
    std::vector<double> pw(p);
    for (int64_t j = 0; j < d; ++j) {
      const double t = (X[i * d + j] - shift[j]) / scale[j];
      const double chain = deriv == 0 ? 1.0 : (deriv == 1 ? 1.0 / scale[j] : 1.0 / (scale[j] * scale[j]));
      // pw[m] = d^deriv/dt^deriv t^m
      double tm = 1.0;  // t^(m - deriv)
      for (int64_t m = 0; m < p; ++m) {
        if (m < deriv) { pw[m] = 0.0; continue; }
        const double fac = deriv == 0 ? 1.0 : (deriv == 1 ? double(m) : double(m) * double(m - 1));
        pw[m] = fac * tm;
        tm *= t;
      }
      const double* c = coef + j * p * p;
      double* o = out + (i * d + j) * p;
      for (int64_t a = 0; a < p; ++a) {
        double s = 0.0;
        for (int64_t m = 0; m < p; ++m) s += c[a * p + m] * pw[m];
        o[a] = s * chain;
      }
    }
  }
}

}  // namespace ttsolve::regression
