// Fused inner sampling for the PDE solver: antithetic pairs centre +- a xi drawn, shifted,
// passed through a compiled terminal function g and a polynomial, and summed per path, one
// path at a time in an L1-sized buffer (no (pairs x K, d) array is ever formed).
#pragma once
#include <cstdint>

#include "common/interrupt.hpp"

namespace ttsolve::pde {

/// Terminal functions of the built-in problems (params in brackets):
///   kLogHalfOnePlusSqNorm  g = log(1/2 + |x|^2 / 2)               (HJB)     []
///   kScaledSqDist          g = p0 sum_i (x_i - p1)^2                (wells)   [eta, shift]
///   kCosDot                g = cos(sum_i w_i x_i)                   (sine)    [w_1 .. w_d]
enum class Terminal : int { kLogHalfOnePlusSqNorm = 0, kScaledSqDist = 1, kCosDot = 2 };

/// out[k] = sum_{j < n_pairs} P(g(c_k + a_k xi_jk)) + P(g(c_k - a_k xi_jk)) with
/// P(u) = sum_{i=1..m} poly[i-1] u^i, c_k = centre row k, a_k = scale row k (n_scale = d, a
/// diagonal) or scale[k] (n_scale = 1, a scalar per path). Pair j of path k reads the Philox
/// stream (seed, (first_pair + j) K + k):
///  - reduced = false: xi_jk is the d-vector of fill_normal_row, the same normals as
///    gaussian_rows(seed, first_pair K, n_pairs K, d);
///  - reduced = true (only where reduced_draws_exact): g(c +- a xi) is drawn through what it
///    depends on, exactly in distribution: for the radial kinds (scalar a) one normal z and
///    one chi^2_{d-1} draw q, |c +- a xi - s|^2 = (|c - s| +- a z)^2 + a^2 q; for kCosDot one
///    normal, w.(c +- a xi) = w.c +- |w a| z. O(1) instead of O(d) random numbers per pair.
/// Parallel over paths, each path's sum in a fixed order, so the result does not depend on the
/// thread count. Polls `intr` (may be null) and throws Interrupted on Ctrl-C. A shard of paths
/// (ttsolve.distributed): the K rows are paths [first_path, first_path + K) of n_paths_total
/// (0: K), streams (seed, (first_pair + j) n_paths_total + first_path + k), i.e. those paths'
/// streams of the whole set.
void antithetic_terminal(Terminal kind, const double* params, int64_t n_params, uint64_t seed,
                         uint64_t first_pair, int64_t n_pairs, int64_t K, int64_t d, const double* centre,
                         const double* scale, int64_t n_scale, const double* poly, int64_t m, double* out,
                         bool reduced = false, Interrupt* intr = nullptr, uint64_t first_path = 0,
                         int64_t n_paths_total = 0);

/// Whether the reduced draws of antithetic_terminal are exact for this terminal and scale
/// (n_scale = 1: scalar a per path; n_scale = d: diagonal): always for kCosDot, for the radial
/// kinds only with a scalar a.
bool reduced_draws_exact(Terminal kind, int64_t n_scale);

/// out[i] = chi^2(dof) draw from Philox stream (seed, first + i) (the sampler of the reduced
/// inner sampling; tests check its distribution). Parallel over i.
void chi_square_draws(uint64_t seed, uint64_t first, int64_t n, double dof, double* out);

/// g(X) for the (K, d) rows of X (tests: the compiled g against the Python g).
void terminal_values(Terminal kind, const double* params, int64_t n_params, int64_t K, int64_t d,
                     const double* X, double* out);

}  // namespace ttsolve::pde
