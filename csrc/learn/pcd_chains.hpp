// Persistent chains of a PCD fit on a spin-quadratic model (Ising / binary quadratic
// families). The compiled run lives across updates: the couplings are rewritten in place on
// a fixed sparsity pattern, the chains' local fields, energies and proposal trees are
// refreshed (a GEMM when the pattern is dense), and the chains continue with their own
// Philox streams and step counters (a systematic Gibbs scan resumes where it stopped). So
// an update costs its sampler steps plus O(n_chains * nnz), with no model rebuild, CSR
// conversion or re-validation of the pattern.
#pragma once
#include <cstdint>
#include <vector>

#include "common/interrupt.hpp"
#include "mcmc/quadratic_run.hpp"

namespace ttsolve::learn {

class QuadPcdChains {
 public:
  /// Validates model (its CSR pattern is kept for the whole fit) and config, then starts
  /// chain c from row c of init (n_chains x dim, 0/1) with Philox stream (seed, c).
  QuadPcdChains(mcmc::SpinQuadratic model, mcmc::SamplerConfig config, const uint8_t* init, int64_t n_chains,
                uint64_t seed);

  int64_t dim() const { return run_.model.dim; }
  int64_t n_chains() const { return int64_t(run_.chains.size()); }
  int64_t nnz() const { return int64_t(run_.model.weights.size()); }

  /// New spin-form couplings (nnz values in the pattern's CSR order) and bias (dim).
  /// Throws std::invalid_argument on non-finite values (nothing changed then).
  void set_parameters(const double* weights, const double* bias);
  /// n_steps sampler steps on every chain; returns the mean acceptance of these steps.
  /// Polls `stop` between chunks (throws Interrupted; the chains stay consistent).
  double advance(int64_t n_steps, Interrupt* stop);
  /// States as 0/1 rows (n_chains x dim).
  void states(uint8_t* out) const;

 private:
  void refresh_chains();
  mcmc::QuadRun run_;
  std::vector<double> dense_;  // dense W (dim x dim) when the pattern is dense, else empty
};

}  // namespace ttsolve::learn
