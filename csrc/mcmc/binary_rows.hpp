// K = 2 rows of the factorised gradient proposals (DMALA / DULA, DLMC) on four lanes: the
// arithmetic of gradient_kernels.cpp's binary rows, vectorised (AVX2 by run-time dispatch, the
// same operations without FMA in the portable build, so both give bitwise the same values).
#pragma once
#include <cstdint>

#include "mcmc/gradient_kernels.hpp"

namespace ttsolve::mcmc {

/// For n sites with flip value z[k] (dmala / dula: the flip logit b(d) - 1 / (2 alpha); dlmc:
/// d = g[flip] - g[stay]), the probabilities to stay and to flip:
///   dmala / dula  flip = sigmoid(z), stay = sigmoid(-z);
///   dlmc          the two-state chain's exp(t Q) with total rate w(e^d) + w(e^-d):
///                 flip = sigmoid(d) (1 - e^{-t rate}), stay = 1 - sigmoid(d) + sigmoid(d) e^{-t rate},
///                 e^{-a} and e^{-a} - 1 from one reduction (no cancellation for small a).
/// Relative error a few ulp against the exact values; stay + flip = 1 to rounding.
void binary_flip_probs(bool dlmc, Balance bal, double t, const double* z, int64_t n, double* stay, double* flip);

}  // namespace ttsolve::mcmc
