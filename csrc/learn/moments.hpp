// Sufficient statistics and pseudo-likelihood of binary models, for learning (PCD, PL).
//
// Every kernel is deterministic whatever the thread count: moments of 0/1 data are exact
// integer counts, and floating-point sums run in a fixed order inside one thread.
#pragma once
#include <cstdint>

namespace ttsolve::learn {

/// First and second moments of the rows of a (n, D) 0/1 matrix X (row-major, n >= 1).
/// spins = false: mean[i] = E[x_i], second[i*D+j] = E[x_i x_j];
/// spins = true:  the same for s = 2x - 1 (second has a unit diagonal).
void binary_moments(const uint8_t* X, int64_t n, int64_t D, bool spins, double* mean, double* second);

/// RBM statistics of visible rows V (n, D) with W (H, D) row-major and hidden bias c (H):
/// mean_v = E[v], mean_h = E[sigma(W v + c)], hv[k*D+i] = E[sigma(W v + c)_k v_i].
void rbm_moments(const uint8_t* V, int64_t n, int64_t D, int64_t H, const double* W, const double* c,
                 double* mean_v, double* mean_h, double* hv);

/// Penalised mean pseudo-log-likelihood of a binary quadratic model and its entrywise
/// gradient (G (D, D), gb (D)); J symmetric (D, D), b (D). Penalty l2 ||J||_F^2 + l2_bias ||b||^2.
/// spins = false: f = x^T J x + b . x (log-odds of x_i: b_i + J_ii + 2 sum_{j!=i} J_ij x_j);
/// spins = true:  f = s^T J s + b . s, J's diagonal ignored (field 2 sum_{j!=i} J_ij s_j + b_i),
///                G's diagonal 0.
double binary_pseudo_loglik(const uint8_t* X, int64_t n, int64_t D, const double* J, const double* b,
                            bool spins, double l2, double l2_bias, double* G, double* gb);

}  // namespace ttsolve::learn
