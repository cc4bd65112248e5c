// The interface every multi-chain engine implements (quadratic, RBM, future ones), and the
// one writer of kept steps. drive() (mcmc/drive.hpp) advances a Run chunk by chunk.
//
// States are stored as uint8 values 0..K-1 (K = 2 for the binary models); the
// magnetization statistic (mean of 2x - 1) is only meaningful for K = 2.
//
// Statistics every engine gets from keep() without doing anything itself: per-site state
// counts over the kept steps and a user linear statistic sum_i w[i, x_i] (both O(D) per
// kept step, read through state_at).
#pragma once
#include <cstdint>

#include "common/parallel.hpp"

namespace ttsolve::mcmc {

/// Where and when kept steps are written. Null pointers are statistics not asked for.
struct Recording {
  int64_t dim = 0, burn_in = 0, thin = 1, n_kept = 0;
  int64_t n_states = 2;              // K (layout of counts and linear_weights)
  uint8_t* samples = nullptr;        // (n_chains, n_kept, dim) or null
  double* energy = nullptr;          // (n_chains, n_kept) f, or null
  double* magnetization = nullptr;   // mean spin 2x - 1 (binary states)
  double* hamming = nullptr;         // Hamming distance to the reference
  int64_t* counts = nullptr;         // (n_chains, dim, n_states): kept steps with x_i = k, or null
  const double* linear_weights = nullptr;  // w (dim, n_states) of the linear statistic, or null
  double* linear = nullptr;          // (n_chains, n_kept) sum_i w[i, x_i], or null

  /// Throws std::invalid_argument on a bad schedule; n_kept = n_steps / thin.
  static Recording plan(int64_t dim, int64_t n_steps, int64_t burn_in, int64_t thin);

  /// Kept slot of global step t (0-based, burn-in included) or -1.
  int64_t slot(int64_t t) const {
    if (t < burn_in || (t - burn_in + 1) % thin != 0) return -1;
    const int64_t k = (t - burn_in + 1) / thin - 1;
    return k < n_kept ? k : -1;
  }

  /// Records chain c after global step t if that step is kept: state_at(i) is site i's
  /// state, f the log-probability, spin_sum = sum_i (2 x_i - 1), hamming the distance.
  template <class StateAt>
  void keep(int64_t t, int64_t c, StateAt&& state_at, double f, int64_t spin_sum, int64_t hamming_dist) const {
    const int64_t k = slot(t);
    if (k < 0) return;
    const int64_t at = c * n_kept + k;
    if (samples) {
      uint8_t* out = samples + at * dim;
      for (int64_t i = 0; i < dim; ++i) out[i] = state_at(i);
    }
    if (energy) energy[at] = f;
    if (magnetization) magnetization[at] = double(spin_sum) / double(dim);
    if (hamming) hamming[at] = double(hamming_dist);
    if (counts) {
      int64_t* out = counts + c * dim * n_states;
      for (int64_t i = 0; i < dim; ++i) ++out[i * n_states + state_at(i)];
    }
    if (linear) {
      double s = 0.0;
      for (int64_t i = 0; i < dim; ++i) s += linear_weights[i * n_states + state_at(i)];
      linear[at] = s;
    }
  }
};

/// body(u) for every unit u in [0, n) (a chain or a block of chains), units spread over
/// the threads one at a time; each unit owns its Philox streams, so the output does not
/// depend on the thread count.
template <class Body>
void for_each_unit(int64_t n, Body&& body) {
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(ttsolve::get_num_threads())
#endif
  for (int64_t u = 0; u < n; ++u) body(u);
}

/// Acceptance rate and f of a chain's final state.
struct ChainSummary {
  double acceptance = 0.0, energy = 0.0;
};

inline double acceptance_rate(uint64_t accepted, uint64_t steps) {
  return steps ? double(accepted) / double(steps) : 0.0;
}

class Run {
 public:
  virtual ~Run() = default;
  /// Global index of chain 0: chain c draws from Philox stream (seed, first_chain + c), so a
  /// shard of chains [first_chain, first_chain + n) reproduces those chains of a whole run.
  uint64_t first_chain = 0;
  /// Row stride of the Hamming reference passed to start(): 0 = one reference (dim,) shared
  /// by every chain, dim = one row per chain (n_chains, dim), e.g. each chain's own start.
  int64_t reference_stride = 0;
  /// Chains of the whole run this one is a shard of (0: this run is the whole run). Engines
  /// that batch chains (RBM blocks) lay their blocks out on the whole run's chains, so a shard
  /// whose range is a union of those blocks reproduces them bit for bit.
  int64_t n_chains_total = 0;
  virtual int64_t dim() const = 0;
  /// States per site (K); 2 for the binary engines.
  virtual int64_t n_states() const { return 2; }
  /// Chain c's Hamming reference within start()'s `reference` (null: all zeros).
  const uint8_t* reference_row(const uint8_t* reference, int64_t c) const {
    return reference ? reference + c * reference_stride : nullptr;
  }
  /// Validates model and options, then starts chain c from row c of init (n_chains x dim)
  /// with Philox stream (seed, first_chain + c); reference_row(reference, c) (or null: all
  /// zeros) is chain c's reference for the Hamming statistic.
  virtual void start(const uint8_t* init, int64_t n_chains, uint64_t seed, const uint8_t* reference) = 0;
  /// Runs global steps [t_begin, t_end) on every chain (GIL released, any thread count).
  virtual void advance(int64_t t_begin, int64_t t_end, const Recording& rec) = 0;
  /// After the last advance: chain c's final state into `state` (dim values) and summary.
  virtual ChainSummary finish(int64_t c, uint8_t* state) const = 0;
};

}  // namespace ttsolve::mcmc
