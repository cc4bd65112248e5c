// Standard normal matrices with one counter-based stream per row (PDE inner sampling).
#pragma once
#include <cstdint>

#include "common/interrupt.hpp"

namespace ttsolve::pde {

/// Fills out[r * n_cols + c] with N(0, 1) draws; row r uses Philox stream (seed, first_row + r),
/// so every row's values depend only on (seed, row index), not on threads or on how a caller
/// splits the rows into batches. Parallel over rows; polls `intr` (may be null) and throws
/// Interrupted on Ctrl-C.
void gaussian_rows(uint64_t seed, uint64_t first_row, int64_t n_rows, int64_t n_cols, double* out,
                   Interrupt* intr = nullptr);

}  // namespace ttsolve::pde
