// Multi-chain driver: advances every chain over a range of steps in parallel (one Philox
// stream per chain, so output does not depend on the thread count) and records the kept
// steps. The binding calls it chunk by chunk to report progress and honour Ctrl-C.
#pragma once
#include <cstdint>
#include <vector>

#include "mcmc/quadratic_samplers.hpp"

namespace ttsolve::mcmc {

struct Recording {
  int64_t burn_in = 0, thin = 1, n_kept = 0;
  uint8_t* samples = nullptr;        // (n_chains, n_kept, D) or null
  double* energy = nullptr;          // (n_chains, n_kept) or null
  double* magnetization = nullptr;   // mean spin 2x - 1
  double* hamming = nullptr;         // Hamming distance to the reference
  /// Kept slot of global step t (0-based, burn-in included) or -1.
  int64_t slot(int64_t t) const {
    if (t < burn_in || (t - burn_in + 1) % thin != 0) return -1;
    const int64_t k = (t - burn_in + 1) / thin - 1;
    return k < n_kept ? k : -1;
  }
};

struct QuadRun {
  SpinQuadratic model;
  SamplerConfig config;
  std::vector<QuadChain> chains;

  /// Initialises chain c from row c of init (n_chains x D, 0/1) with stream (seed, c).
  void start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference);
  /// Runs global steps [t_begin, t_end) on every chain.
  void run(int64_t t_begin, int64_t t_end, const Recording& rec);
};

}  // namespace ttsolve::mcmc
