// Standard normal matrices with one counter-based stream per row (PDE inner sampling).
#pragma once
#include <cmath>
#include <cstdint>

#include "common/interrupt.hpp"
#include "common/rng.hpp"

namespace ttsolve::pde {

/// n standard normals into row from the stream rng: Marsaglia's polar method on 32-bit uniforms
/// (one log and one sqrt per pair, about 1.3 Philox words per normal, against log, sqrt, sin,
/// cos and two words for Box-Muller with 53-bit uniforms). The resolution 2^-31 of u and v is
/// ample for Monte Carlo averages (the largest possible |z| is about 9). Shared by
/// gaussian_rows and the fused inner sampling (antithetic_terminal), which must draw the same rows.
inline void fill_normal_row(Philox& rng, double* row, int64_t n) {
  constexpr double kScale = 0x1.0p-31;
  int64_t c = 0;
  while (c < n) {
    const double u = (double(rng.next_u32()) + 0.5) * kScale - 1.0;
    const double v = (double(rng.next_u32()) + 0.5) * kScale - 1.0;
    const double s = u * u + v * v;
    if (s >= 1.0 || s == 0.0) continue;
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    row[c++] = u * f;
    if (c < n) row[c++] = v * f;
  }
}

/// Fills out[r * n_cols + c] with N(0, 1) draws; row r uses Philox stream (seed, first_row + r),
/// so every row's values depend only on (seed, row index), not on threads or on how a caller
/// splits the rows into batches. Parallel over rows; polls `intr` (may be null) and throws
/// Interrupted on Ctrl-C.
void gaussian_rows(uint64_t seed, uint64_t first_row, int64_t n_rows, int64_t n_cols, double* out,
                   Interrupt* intr = nullptr);

}  // namespace ttsolve::pde
