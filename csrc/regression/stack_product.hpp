// One step of the ALS left/right stacks for every sample: the contraction of a stack row and
// a sample's basis values with a TT core.
#pragma once
#include <cstdint>

namespace ttsolve::regression {

/// out[s, :] = sum_x X[s, x] sum_j Phi[s, j] C[x, j, :] for s < K, with X (K x rx), the basis
/// values of sample s at Phi + s * phi_stride (p values), C (rx x p x rout) row-major and out
/// (K x rout). Only call when simd_enabled() (simd.hpp) is true. Every sample's outputs are
/// computed in the same order whichever thread and sample group they fall in, so the results
/// do not depend on the thread count.
void stack_product(const double* X, int64_t rx, const double* Phi, int64_t phi_stride, int64_t p, const double* C,
                   int64_t rout, int64_t K, double* out);

}  // namespace ttsolve::regression
