// Categorical pairwise models on x in {0..K-1}^D (Potts, lattice Potts, independent
// categorical / Bernoulli sites):
//
//   f(x) = sum_i b[i, x_i] + 1/2 sum_i sum_{j in N(i)} J_ij[x_i, x_j],
//
// with J_ij[a, b] = J[i, j, a, b] = J[j, i, b, a] (the symmetry the Python layer checks)
// stored once per direction: CSR over sites (row i lists its neighbours j != i), one K x K
// block per CSR entry. This is the convention of tests/reference/discrete_models.potts.
//
// The gradient of the one-hot relaxation at x is
//   g[i, k] = b[i, k] + sum_{j in N(i)} J_ij[k, x_j],
// and because f is linear in each site's one-hot vector, g[i, k] - g[i, x_i] is exactly the
// change of f when site i alone moves to state k. Moving site i from a to c changes
// g[j, k] by J_ji[k, c] - J_ji[k, a] for every neighbour j.
//
// Every sampler that needs only f and its gradient (the multi-coordinate kinds) is written
// against the two whole-state methods below; single-site kinds also use the CSR directly.
#pragma once
#include <cstdint>
#include <vector>

namespace ttsolve::mcmc {

struct PairwiseModel {
  int64_t dim = 0, n_states = 0;         // D sites, K states each (2 <= K <= 255)
  std::vector<int64_t> indptr, indices;  // CSR (D + 1, nnz): row i = neighbours of i
  std::vector<double> blocks;            // (nnz, K, K): blocks[e*K*K + a*K + b] = J_ij[a, b]
  std::vector<double> bias;              // (D, K)

  /// Throws std::invalid_argument on inconsistent sizes, K outside [2, 255], indices out of
  /// range or on the diagonal, non-finite values, or J_ij != J_ji^T (to 1e-12 relative).
  void validate() const;
  /// f(x) from scratch; x holds D states in 0..K-1.
  double log_prob(const uint8_t* x) const;
  /// g (D x K, row-major) = gradient of the one-hot relaxation at x, from scratch.
  void grad(const uint8_t* x, double* g) const;
  /// Applies site i: a -> c to a gradient table g kept for the current state.
  void move_grad(int64_t i, uint8_t a, uint8_t c, double* g) const;
};

}  // namespace ttsolve::mcmc
