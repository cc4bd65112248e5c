// The chunk scheduler: advances a Run in chunks of about chunk_seconds so that progress
// reports and Ctrl-C stay responsive. The caller (the binding) supplies the callbacks:
// how to run work without the GIL, the signal check and the progress report.
#pragma once
#include <cstdint>
#include <functional>

#include "mcmc/run.hpp"

namespace ttsolve::mcmc {

struct DriveHooks {
  std::function<void(const std::function<void()>&)> released;  // runs the work (GIL released)
  std::function<bool()> interrupted;                             // between chunks: true stops
  std::function<void(int64_t, int64_t)> progress;                // (steps done, total) or empty
};

struct DriveOutcome {
  int64_t steps_done = 0, n_kept_done = 0;
  bool interrupted = false;
  double seconds = 0.0;          // time spent advancing (start excluded)
  double burn_in_seconds = 0.0;  // the part of it spent in burn-in steps (chunks end at burn-in)
};

DriveOutcome drive(Run& run, const uint8_t* init, int64_t n_chains, uint64_t seed,
                   const uint8_t* reference, int64_t n_steps, const Recording& rec,
                   double chunk_seconds, const DriveHooks& hooks);

}  // namespace ttsolve::mcmc
