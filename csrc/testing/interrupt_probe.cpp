#include "testing/interrupt_probe.hpp"

#include <chrono>
#include <thread>

#include "common/parallel.hpp"

namespace ttsolve::testing {

bool wait_for_interrupt(Interrupt* intr, double max_seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(max_seconds);
  // As a kernel does: every thread polls (only the owner asks Python), all leave together,
  // and the exception is thrown after the parallel region.
#ifdef TTSOLVE_HAVE_OPENMP
#pragma omp parallel num_threads(get_num_threads())
#endif
  while (!(intr && intr->poll()) && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  check_interrupt(intr);
  return false;
}

}  // namespace ttsolve::testing
