// Sample sums of triple products, the inner loop of the compressed local Gram:
// T[(a nv + j) nw + b] += sum_s U[a][s] V[j][s] W[b][s] for factor rows stored sample-major.
#pragma once
#include <cstdint>

namespace ttsolve::regression {

/// T (nu nv x nw, row-major) += sum over s < bn of U[a*ld + s] V[j*ld + s] W[b*ld + s].
/// Only call when simd_enabled() (simd.hpp) is true. Vectorised over samples: four sample lanes
/// per register, a tile of 2 (a, j) rows x up to 6 b columns in registers; the summation order
/// depends on bn only, so results are the same whatever the thread count.
void triple_product_sum(const double* U, int64_t nu, const double* V, int64_t nv, const double* W, int64_t nw,
                        int64_t bn, int64_t ld, double* T);

}  // namespace ttsolve::regression
