#include "pde/antithetic_terminal.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "common/parallel.hpp"
#include "common/rng.hpp"
#include "pde/gaussian_rows.hpp"
#include "pde/scalar_draws.hpp"

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

bool reduced_draws_exact(Terminal kind, int64_t n_scale) {
  // radial g: |c + a xi - s|^2 reduces to (z, chi^2_{d-1}) only for a scalar a; cos(w.x): w.(a xi)
  // is N(0, |w a|^2) for any diagonal a
  return kind == Terminal::kCosDot || n_scale == 1;
}

namespace {

// The reduced pair: what g(c +- a xi) depends on, drawn directly. Radial kinds: with
// r = |c - s| and z = (c - s).xi / r, |c +- a xi - s|^2 = (r +- a z)^2 + a^2 q, where
// q = |xi|^2 - z^2 ~ chi^2_{d-1} independent of z (also for r = 0: any unit vector serves), and
// xi -> -xi flips z only. kCosDot: w.(c +- a xi) = w.c +- |w a| z. Per path: `base` = r (radial) or
// w.c (cos), `spread` = a (radial) or |w a| (cos).
inline PairValues reduced_pair(Terminal kind, const double* params, double base, double spread,
                               const ChiSquare& chi, NormalDraws& draws) {
  const double z = draws.next();
  if (kind == Terminal::kCosDot) return {std::cos(base + spread * z), std::cos(base - spread * z)};
  const double q = chi(draws);
  const double up = base + spread * z, down = base - spread * z, rest = spread * spread * q;
  const double p = up * up + rest, m = down * down + rest;
  if (kind == Terminal::kScaledSqDist) return {params[0] * p, params[0] * m};
  return {std::log(0.5 + 0.5 * p), std::log(0.5 + 0.5 * m)};
}

// (base, spread) of reduced_pair for path row c with scale a.
inline void reduced_moments(Terminal kind, const double* params, const double* c, const double* a, int64_t n_scale,
                            int64_t d, double* base, double* spread) {
  const bool diag = n_scale != 1;
  double s1 = 0.0, s2 = 0.0;
  if (kind == Terminal::kCosDot) {
    for (int64_t i = 0; i < d; ++i) {
      const double wa = params[i] * (diag ? a[i] : a[0]);
      s1 += params[i] * c[i];
      s2 += wa * wa;
    }
    *base = s1;
    *spread = std::sqrt(s2);
    return;
  }
  const double shift = kind == Terminal::kScaledSqDist ? params[1] : 0.0;
  for (int64_t i = 0; i < d; ++i) s1 += (c[i] - shift) * (c[i] - shift);
  *base = std::sqrt(s1);
  *spread = a[0];
}

}  // namespace

void antithetic_terminal(Terminal kind, const double* params, int64_t n_params, uint64_t seed,
                         uint64_t first_pair, int64_t n_pairs, int64_t K, int64_t d, const double* centre,
                         const double* scale, int64_t n_scale, const double* poly, int64_t m, double* out,
                         bool reduced, Interrupt* intr, uint64_t first_path, int64_t n_paths_total) {
  check_params(kind, n_params, d);
  if (reduced && !reduced_draws_exact(kind, n_scale))
    throw std::invalid_argument("antithetic_terminal: reduced draws need a scalar scale for a radial terminal");
  if (n_paths_total < 0 || (n_paths_total > 0 && int64_t(first_path) + K > n_paths_total))
    throw std::invalid_argument("n_paths_total must be 0 or >= first_path + K");
  const uint64_t stride = uint64_t(n_paths_total > 0 ? n_paths_total : K);
  const ChiSquare chi(double(d - 1));
  // paths between Ctrl-C polls (and parallel regions): about 2^16 pairs of work each
  const int64_t per_path = reduced ? n_pairs : n_pairs * (d > 0 ? d : 1);
  const int64_t block = per_path > 0 ? std::max<int64_t>(64, (int64_t(1) << 16) / per_path) : K + 1;
  for (int64_t start = 0; start < K; start += block) {
    const int64_t stop = start + block < K ? start + block : K;
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel num_threads(get_num_threads())
#endif
    {
      std::vector<double> xi(size_t(d > 0 && !reduced ? d : 1));  // one row, stays in L1
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
      for (int64_t k = start; k < stop; ++k) {
        const double* c = centre + k * d;
        const double* a = scale + (n_scale == 1 ? k : k * d);
        double sum = 0.0;
        if (reduced) {
          double base, spread;
          reduced_moments(kind, params, c, a, n_scale, d, &base, &spread);
          for (int64_t j = 0; j < n_pairs; ++j) {
            Philox rng(seed, (first_pair + uint64_t(j)) * stride + first_path + uint64_t(k));
            NormalDraws draws(rng);
            const PairValues v = reduced_pair(kind, params, base, spread, chi, draws);
            sum += poly_value(poly, m, v.plus) + poly_value(poly, m, v.minus);
          }
        } else {
          for (int64_t j = 0; j < n_pairs; ++j) {
            Philox rng(seed, (first_pair + uint64_t(j)) * stride + first_path + uint64_t(k));
            fill_normal_row(rng, xi.data(), d);
            const PairValues v = terminal_pair(kind, params, c, xi.data(), a, n_scale, d);
            sum += poly_value(poly, m, v.plus) + poly_value(poly, m, v.minus);
          }
        }
        out[k] = sum;
      }
    }
    check_interrupt(intr);
  }
}

void chi_square_draws(uint64_t seed, uint64_t first, int64_t n, double dof, double* out) {
  const ChiSquare chi(dof);
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(get_num_threads())
#endif
  for (int64_t i = 0; i < n; ++i) {
    Philox rng(seed, first + uint64_t(i));
    NormalDraws draws(rng);
    out[i] = chi(draws);
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
