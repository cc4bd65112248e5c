// Block Gibbs (DISCS's blockgibbs): an exact draw of a block of L <= b consecutive sites from
// their K^L joint conditional, by enumeration. The model engines (quadratic, pairwise) fill
// the conditional's terms; this header enumerates, weighs and draws, so the step and the
// transition-row oracle use the same numbers.
//
// Every pairwise model's f, restricted to a block B with the rest of x fixed, is
//   f(z) = const + sum_{s in B} r_s[z_s] + sum_{pairs p = (s, t) in B} J_p[z_s, z_t],
// with r_s the site's field from outside the block. Configurations z are indexed in mixed
// radix, the block's first site most significant (as the tests' all_states).
//
// Blocks are the fixed partition [0, b), [b, 2b), ... (the last one shorter when b does not
// divide D): systematic scan takes block (step mod n_blocks), as DISCS does for D divisible
// by b; random scan a uniform block.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/rng.hpp"

namespace ttsolve::mcmc {

/// Largest K^b the enumeration accepts (the Python layer says the same).
inline constexpr int64_t kMaxBlockConfigs = int64_t(1) << 16;

/// K^L, or kMaxBlockConfigs + 1 when it is larger.
inline int64_t block_configs(int64_t K, int64_t L) {
  int64_t n = 1;
  for (int64_t s = 0; s < L; ++s) {
    n *= K;
    if (n > kMaxBlockConfigs) return kMaxBlockConfigs + 1;
  }
  return n;
}

/// std::invalid_argument naming block_size when K^block_size is above kMaxBlockConfigs.
inline void check_block_configs(int64_t K, int64_t block_size) {
  if (block_configs(K, block_size) > kMaxBlockConfigs)
    throw std::invalid_argument("block_gibbs: block_size = " + std::to_string(block_size) + " with " +
                                std::to_string(K) + " states enumerates K^block_size > " +
                                std::to_string(kMaxBlockConfigs) + " configurations per step");
}

/// The block [start, start + len) of step `steps` (systematic) or a uniform one (random).
struct BlockSpan {
  int64_t start = 0, len = 0;
};
inline BlockSpan block_span(int64_t dim, int64_t block_size, bool systematic, uint64_t steps, Philox& rng) {
  const int64_t n_blocks = (dim + block_size - 1) / block_size;
  const int64_t b = systematic ? int64_t(steps % uint64_t(n_blocks)) : int64_t(rng.below(uint64_t(n_blocks)));
  const int64_t start = b * block_size;
  return {start, std::min(block_size, dim - start)};
}

/// Test oracles: visit(start, len, weight) for every block the kernel may update in one step
/// with its probability (random scan: each of the n_blocks with 1 / n_blocks; systematic: block
/// `block` with 1). std::invalid_argument when `block` is not a block of a systematic scan.
template <class Visit>
void for_each_step_block(int64_t dim, int64_t block_size, bool systematic, int64_t block, Visit&& visit) {
  const int64_t n_blocks = (dim + block_size - 1) / block_size;
  if (systematic && (block < 0 || block >= n_blocks))
    throw std::invalid_argument("site (the block) must be in [0, n_blocks)");
  for (int64_t b = 0; b < n_blocks; ++b) {
    if (systematic && b != block) continue;
    const int64_t start = b * block_size;
    visit(start, std::min(block_size, dim - start), systematic ? 1.0 : 1.0 / double(n_blocks));
  }
}

struct BlockConditional {
  int64_t K = 2, L = 0;
  std::vector<double> rows;     // (L, K): r_s
  std::vector<int64_t> pair_s;  // pair p couples block sites pair_s[p] < ... (block-local)
  std::vector<int64_t> pair_t;
  std::vector<double> pair_j;   // (P, K, K): J_p[a * K + b] for z_s = a, z_t = b
  std::vector<double> log_w;    // (K^L): f(z) - const
  std::vector<double> w;        // exp(log_w - max)
  std::vector<int64_t> digits;
  double total = 0.0;

  /// Starts a block of L sites with K states: rows zeroed, no pairs.
  void reset(int64_t n_states, int64_t len) {
    K = n_states;
    L = len;
    rows.assign(size_t(L * K), 0.0);
    pair_s.clear();
    pair_t.clear();
    pair_j.clear();
  }
  /// Adds scale * J[z_s * K + z_t] to f (J: K x K row-major).
  void add_pair(int64_t s, int64_t t, const double* J, double scale) {
    pair_s.push_back(s);
    pair_t.push_back(t);
    for (int64_t a = 0; a < K * K; ++a) pair_j.push_back(scale * J[a]);
  }
  /// Fills log_w over all K^L configurations, then w and total.
  void enumerate() {
    int64_t n = 1;
    for (int64_t s = 0; s < L; ++s) n *= K;
    log_w.resize(size_t(n));
    w.resize(size_t(n));
    digits.assign(size_t(L), 0);
    const size_t P = pair_s.size();
    double mx = -INFINITY;
    for (int64_t z = 0; z < n; ++z) {
      double v = 0.0;
      for (int64_t s = 0; s < L; ++s) v += rows[size_t(s * K + digits[size_t(s)])];
      for (size_t p = 0; p < P; ++p)
        v += pair_j[p * size_t(K * K) + size_t(digits[size_t(pair_s[p])] * K + digits[size_t(pair_t[p])])];
      log_w[size_t(z)] = v;
      mx = v > mx ? v : mx;
      for (int64_t s = L - 1; s >= 0; --s) {  // next z: last site fastest
        if (++digits[size_t(s)] < K) break;
        digits[size_t(s)] = 0;
      }
    }
    total = 0.0;
    for (int64_t z = 0; z < n; ++z) total += (w[size_t(z)] = std::exp(log_w[size_t(z)] - mx));
  }
  /// Index of the configuration x[0..L) (the block's current states).
  template <class State>
  int64_t index_of(const State* x) const {
    int64_t z = 0;
    for (int64_t s = 0; s < L; ++s) z = z * K + int64_t(x[s]);
    return z;
  }
  /// The configuration drawn by inverse CDF at u in [0, 1).
  int64_t draw(double u) const {
    const double target = u * total;
    double acc = 0.0;
    const int64_t n = int64_t(w.size());
    for (int64_t z = 0; z < n - 1; ++z) {
      acc += w[size_t(z)];
      if (target < acc) return z;
    }
    return n - 1;
  }
  /// Site s's state in configuration z.
  int64_t digit(int64_t z, int64_t s) const {
    for (int64_t r = L - 1; r > s; --r) z /= K;
    return z % K;
  }
};

}  // namespace ttsolve::mcmc
