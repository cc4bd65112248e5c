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
#include <cstddef>
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

  /// move_grad (a != c) that calls touch(j) for every neighbour j just before g[j] changes
  /// (the incremental steps save a row the first time a step reaches it: one pass over the row).
  /// Moving i from a to c changes g[j, k] by J_ji[k, c] - J_ji[k, a] = J_ij[c, k] - J_ij[a, k].
  template <class Touch>
  void move_grad_touching(int64_t i, uint8_t a, uint8_t c, double* g, Touch&& touch) const {
    const int64_t lo = indptr[std::size_t(i)], hi = indptr[std::size_t(i + 1)];
    if (!nbr.empty()) {  // K = 2 move cache: +- the entry's flip deltas
      const double sign = c == 1 ? 1.0 : -1.0;  // exact: -(u - v) is v - u
      for (int64_t e = lo; e < hi; ++e) {
        const int64_t j = nbr[std::size_t(e)];
        touch(j);
        g[2 * j] += sign * flip_delta[std::size_t(2 * e)];
        g[2 * j + 1] += sign * flip_delta[std::size_t(2 * e + 1)];
      }
      return;
    }
    const int64_t K = n_states;
    for (int64_t e = lo; e < hi; ++e) {
      const int64_t j = indices[std::size_t(e)];
      touch(j);
      const double* Jij = &blocks[std::size_t(e * K * K)];
      double* gj = g + j * K;
      for (int64_t k = 0; k < K; ++k) gj[k] += Jij[c * K + k] - Jij[a * K + k];
    }
  }

  /// K = 2 move cache for the multi-coordinate engine, which applies ~50-200 moves of deg
  /// rows per step and spends most of that loading the CSR rows from L3: neighbours as int32
  /// and, per CSR entry, J_ij[1, k] - J_ij[0, k] (k = 0, 1), which a 0 -> 1 move of i adds to
  /// g[j] and a 1 -> 0 move subtracts (bitwise the block differences: negation is exact), so
  /// a moved row reads 20 bytes per neighbour instead of 40. No-op for K > 2 or D >= 2^31.
  void prepare_moves();
  /// f(j) for every neighbour j of site i (from the move cache when it is prepared).
  template <class F>
  void for_each_neighbour(int64_t i, F&& f) const {
    if (!nbr.empty()) {
      for (int64_t e = indptr[std::size_t(i)]; e < indptr[std::size_t(i + 1)]; ++e) f(int64_t(nbr[std::size_t(e)]));
    } else {
      for (int64_t e = indptr[std::size_t(i)]; e < indptr[std::size_t(i + 1)]; ++e) f(indices[std::size_t(e)]);
    }
  }

 private:
  std::vector<int32_t> nbr;         // move cache: indices as int32 (empty: not prepared)
  std::vector<double> flip_delta;   // move cache: (nnz, 2)
};

}  // namespace ttsolve::mcmc
