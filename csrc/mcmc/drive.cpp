#include "mcmc/drive.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace ttsolve::mcmc {

Recording Recording::plan(int64_t dim, int64_t n_steps, int64_t burn_in, int64_t thin) {
  if (n_steps < 0 || burn_in < 0 || thin < 1) throw std::invalid_argument("bad n_steps / burn_in / thin");
  Recording rec;
  rec.dim = dim;
  rec.burn_in = burn_in;
  rec.thin = thin;
  rec.n_kept = n_steps / thin;
  return rec;
}

DriveOutcome drive(Run& run, const uint8_t* init, int64_t n_chains, uint64_t seed,
                   const uint8_t* reference, int64_t n_steps, const Recording& rec,
                   double chunk_seconds, const DriveHooks& hooks) {
  if (n_chains < 1) throw std::invalid_argument("n_chains must be >= 1");
  hooks.released([&] { run.start(init, n_chains, seed, reference); });
  const int64_t total = rec.burn_in + n_steps;
  int64_t chunk = std::max<int64_t>(1, 4096 / n_chains);
  DriveOutcome out;
  while (out.steps_done < total) {
    const int64_t begin = out.steps_done;
    int64_t end = std::min(total, begin + chunk);
    if (begin < rec.burn_in && end > rec.burn_in) end = rec.burn_in;  // burn-in timed on its own
    const auto t0 = std::chrono::steady_clock::now();
    hooks.released([&] { run.advance(begin, end, rec); });
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.seconds += dt;
    if (end <= rec.burn_in) out.burn_in_seconds += dt;
    out.steps_done = end;
    // Aim at chunks of about chunk_seconds (growing or shrinking by at most 4x per chunk).
    const double scale = dt > 0 ? chunk_seconds / dt : 4.0;
    chunk = std::max<int64_t>(1, int64_t(double(chunk) * std::min(4.0, std::max(0.25, scale))));
    if (hooks.interrupted && hooks.interrupted()) {
      out.interrupted = true;
      break;
    }
    if (hooks.progress) hooks.progress(out.steps_done, total);
  }
  const int64_t done = out.steps_done;
  out.n_kept_done = done > rec.burn_in ? std::min(rec.n_kept, (done - rec.burn_in) / rec.thin) : 0;
  return out;
}

}  // namespace ttsolve::mcmc
