// Polynomial bases evaluated from a per-dimension coefficient matrix (monomials in the
// affinely shifted variable t keep the coefficients well scaled on the basis interval).
#include <cmath>
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
#pragma omp parallel num_threads(K * d * p * p < 1000000 ? 1 : ttsolve::get_num_threads())
#endif
  {
    std::vector<double> pw(p);  // one buffer per thread, not one allocation per sample
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
    for (int64_t i = 0; i < K; ++i) {
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
}

void product_basis_values(const double* X, int64_t K, int64_t d, const int64_t* kind, const double* shift,
                          const double* scale, int64_t q, double* out) {
  if (q < 1) throw std::invalid_argument("product basis size must be >= 1");
  for (int64_t j = 0; j < d; ++j)
    if (kind[j] < 0 || kind[j] > 2) throw std::invalid_argument("product basis kind must be 0, 1 or 2");
  // The recurrences are evaluated for the monic-like families and normalised on the fly:
  // Legendre P_{n+1} = ((2n+1) t P_n - n P_{n-1}) / (n+1), norm^2 = 1/(2n+1) for dt/2;
  // Hermite He_{n+1} = t He_n - n He_{n-1}, norm^2 = n!.
  std::vector<double> norm(2 * q);
  for (int64_t n = 0; n < q; ++n) {
    norm[n] = std::sqrt(2.0 * n + 1.0);
    norm[q + n] = n == 0 ? 1.0 : norm[q + n - 1] / std::sqrt(double(n));
  }
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(K * d * q < 1000000 ? 1 : ttsolve::get_num_threads())
#endif
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = 0; j < d; ++j) {
      const double t = (X[i * d + j] - shift[j]) / scale[j];
      double* o = out + (i * d + j) * q;
      if (kind[j] == 2) {  // plain powers (exact for monomial bases)
        double tn = 1.0;
        for (int64_t n = 0; n < q; ++n, tn *= t) o[n] = tn;
        continue;
      }
      const bool herm = kind[j] == 1;
      const double* nm = norm.data() + (herm ? q : 0);
      double prev = 0.0, cur = 1.0;
      for (int64_t n = 0; n < q; ++n) {
        o[n] = cur * nm[n];
        const double next = herm ? t * cur - n * prev : ((2.0 * n + 1.0) * t * cur - n * prev) / (n + 1.0);
        prev = cur;
        cur = next;
      }
    }
}

}  // namespace ttsolve::regression
