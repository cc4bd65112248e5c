#include "pde/antithetic_terminal.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

#include "common/parallel.hpp"
#include "common/rng.hpp"
#include "pde/gaussian_rows.hpp"

namespace ttsolve::pde {
namespace {

// g at c + a xi and c - a xi from one pass over the coordinates. The radial and quadratic g
// need only |c|^2-type sums: |c +- a xi - s|^2 = |c - s|^2 +- 2 (c - s).(a xi) + |a xi|^2.
struct PairValues {
  double plus, minus;
};

inline PairValues terminal_pair(Terminal kind, const double* params, const double* c, const double* xi,
                                const double* a, int64_t n_scale, int64_t d) {
  const bool diag = n_scale != 1;
  switch (kind) {
    case Terminal::kLogHalfOnePlusSqNorm:
    case Terminal::kScaledSqDist: {
      const double shift = kind == Terminal::kScaledSqDist ? params[1] : 0.0;
      double cc = 0.0, cx = 0.0, xx = 0.0;
      for (int64_t i = 0; i < d; ++i) {
        const double ci = c[i] - shift;
        const double xi_i = (diag ? a[i] : a[0]) * xi[i];
        cc += ci * ci;
        cx += ci * xi_i;
        xx += xi_i * xi_i;
      }
      const double p = cc + 2.0 * cx + xx, q = cc - 2.0 * cx + xx;
      if (kind == Terminal::kScaledSqDist) return {params[0] * p, params[0] * q};
      return {std::log(0.5 + 0.5 * p), std::log(0.5 + 0.5 * q)};
    }
    case Terminal::kCosDot: {
      double wc = 0.0, wx = 0.0;
      for (int64_t i = 0; i < d; ++i) {
        wc += params[i] * c[i];
        wx += params[i] * (diag ? a[i] : a[0]) * xi[i];
      }
      return {std::cos(wc + wx), std::cos(wc - wx)};
    }
  }
  throw std::invalid_argument("antithetic_terminal: unknown terminal kind");
}

inline double poly_value(const double* poly, int64_t m, double u) {
  double out = 0.0;
  for (int64_t i = m - 1; i >= 0; --i) out = (out + poly[i]) * u;  // Horner, as FunctionalTT.additive
  return out;
}

void check_params(Terminal kind, int64_t n_params, int64_t d) {
  const int64_t want = kind == Terminal::kLogHalfOnePlusSqNorm ? 0 : kind == Terminal::kScaledSqDist ? 2 : d;
  if (int(kind) < 0 || int(kind) > 2) throw std::invalid_argument("terminal kind must be 0, 1 or 2");
  if (n_params != want) throw std::invalid_argument("terminal params have the wrong length for this kind");
}

}  // namespace

void antithetic_terminal(Terminal kind, const double* params, int64_t n_params, uint64_t seed,
                         uint64_t first_pair, int64_t n_pairs, int64_t K, int64_t d, const double* centre,
                         const double* scale, int64_t n_scale, const double* poly, int64_t m, double* out,
                         Interrupt* intr, uint64_t first_path, int64_t n_paths_total) {
  check_params(kind, n_params, d);
  if (n_paths_total < 0 || (n_paths_total > 0 && int64_t(first_path) + K > n_paths_total))
    throw std::invalid_argument("n_paths_total must be 0 or >= first_path + K");
  const uint64_t stride = uint64_t(n_paths_total > 0 ? n_paths_total : K);
  constexpr int64_t kBlock = 256;  // paths between Ctrl-C polls
  for (int64_t start = 0; start < K; start += kBlock) {
    const int64_t stop = start + kBlock < K ? start + kBlock : K;
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel num_threads(get_num_threads())
#endif
    {
      std::vector<double> xi(size_t(d > 0 ? d : 1));  // one row, stays in L1
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
      for (int64_t k = start; k < stop; ++k) {
        const double* c = centre + k * d;
        const double* a = scale + (n_scale == 1 ? k : k * d);
        double sum = 0.0;
        for (int64_t j = 0; j < n_pairs; ++j) {
          Philox rng(seed, (first_pair + uint64_t(j)) * stride + first_path + uint64_t(k));
          fill_normal_row(rng, xi.data(), d);
          const PairValues v = terminal_pair(kind, params, c, xi.data(), a, n_scale, d);
          sum += poly_value(poly, m, v.plus) + poly_value(poly, m, v.minus);
        }
        out[k] = sum;
      }
    }
    check_interrupt(intr);
  }
}

void terminal_values(Terminal kind, const double* params, int64_t n_params, int64_t K, int64_t d,
                     const double* X, double* out) {
  check_params(kind, n_params, d);
  const double zero = 0.0;
  for (int64_t k = 0; k < K; ++k) {
    // g(c + 0 xi) with a scalar scale 0: the pair formula at its centre
    out[k] = terminal_pair(kind, params, X + k * d, X + k * d, &zero, 1, d).plus;
  }
}

}  // namespace ttsolve::pde
