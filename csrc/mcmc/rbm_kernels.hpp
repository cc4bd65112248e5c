// Batched inner loops of the RBM engines (mcmc/rbm_gradient_run.hpp, rbm_run.hpp), one job
// each: moving the pre-activations A = c + W x of a block of chains by the sites each chain's
// proposal moved; a vectorised exp for arrays of non-positive arguments. The sums are taken per element in the listed order, and the moves are
// +-W[h, i] (multiplying by the sign +-1 is exact), so the AVX2 build of a loop (run-time
// choice, regression/simd.hpp) gives bitwise the same values as the portable one.
#pragma once
#include <cstdint>
#include <vector>

namespace ttsolve::mcmc {

/// One state's move: out = base + sum_k sign[k] WT[site[k], :] (H values each).
struct PreactivationMove {
  const double* base = nullptr;
  double* out = nullptr;
  const int64_t* sites = nullptr;
  const double* signs = nullptr;  // +1 (0 -> 1) or -1 (1 -> 0)
  int64_t n = 0;
};

/// W^T laid out for move_preactivations: for each chunk of 16 hidden units, the D sites' 16
/// values contiguous (chunk-major), so a chunk's slice (D x 16) is one contiguous block;
/// the last H % 16 units are read from WT itself.
struct ChunkedColumns {
  static constexpr int64_t kChunk = 16;
  int64_t dim = 0, n_hidden = 0;
  std::vector<double> values;  // (H / 16) x D x 16
  const double* WT = nullptr;  // D x H, row-major (the tail units)
  void prepare(const double* WT, int64_t D, int64_t H);
};

/// Applies every move of a block. The hidden units are taken in chunks of 16 held in
/// registers across a state's moved sites, so W streams from cache once per chunk for the
/// whole block instead of once per moved site and state: O(moved H) arithmetic, W read once
/// per block.
void move_preactivations(const ChunkedColumns& W, const PreactivationMove* moves, int64_t n_moves);

/// out[k] = exp(x[k]) for x[k] <= 0 (0 below -708, NaN stays NaN): Cody-Waite reduction by
/// ln 2 and the degree-13 Taylor polynomial on |r| <= ln 2 / 2 (truncation < 5e-18), without
/// FMA, so the AVX2 and portable builds agree bitwise; relative error within a few ulp of the
/// exact value (tests: <= 1e-15 against libm over [-708, 0]). Used where the same values
/// enter both sides of an MH ratio (proposal tables) or f through softplus, whose error
/// stays below f's own rounding.
void exp_nonpositive(const double* x, double* out, int64_t n);

}  // namespace ttsolve::mcmc
