// Sufficient statistics and pseudo-likelihood of Potts models (categorical pairwise), for
// learning. Convention (tests/reference/learning.py): f(x) = sum_{i,j} J[i,j,x_i,x_j] +
// sum_i b[i,x_i] over ordered pairs i != j, J[i,j,a,c] = J[j,i,c,a], diagonal blocks 0; so
// the conditional logits of site i are b[i,a] + 2 sum_{j != i} J[i,j,a,x_j].
//
// Deterministic whatever the thread count: counts are integers, and floating-point sums run
// over rows in a fixed order inside one thread.
#pragma once
#include <cstdint>

namespace ttsolve::learn {

/// Marginals mean[i*K+a] = P[x_i = a] and pair frequencies pair[((i*D+j)*K+a)*K+c] =
/// P[x_i = a, x_j = c] (diagonal blocks: P[x_i = a] on the diagonal) of the rows of X (n, D),
/// states 0..K-1.
void potts_moments(const uint8_t* X, int64_t n, int64_t D, int64_t K, double* mean, double* pair);

/// Penalised mean pseudo-log-likelihood and its entrywise gradient G (D, D, K, K; diagonal
/// blocks 0), gb (D, K). Penalty l2 ||J||_F^2 + l2_bias ||b||_F^2.
double potts_pseudo_loglik(const uint8_t* X, int64_t n, int64_t D, int64_t K, const double* J,
                           const double* b, double l2, double l2_bias, double* G, double* gb);

}  // namespace ttsolve::learn
