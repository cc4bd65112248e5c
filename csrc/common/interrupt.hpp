// Cooperative Ctrl-C handling for kernels that run with the GIL released.
//
// The binding glue (bindings/glue.hpp, run_released) creates one Interrupt per kernel call
// and passes it down. Kernels call `poll()` every so often (from any thread); only the thread
// that entered the kernel actually asks Python about pending signals, rate-limited. After an
// interrupt every thread sees `requested()` and leaves its loop; the kernel then throws
// `Interrupted` (outside any OpenMP region), the one exception the glue turns into
// KeyboardInterrupt.
#pragma once
#include <atomic>
#include <exception>
#include <thread>

namespace ttsolve {

/// Installed by the binding layer: acquires the GIL and returns true if a signal
/// handler raised (e.g. KeyboardInterrupt). Kernels never call Python otherwise.
using SignalChecker = bool (*)();
void set_signal_checker(SignalChecker fn);

class Interrupt {
 public:
  Interrupt();
  /// True once an interrupt was seen; cheap, callable from any thread.
  bool requested() const { return flag_.load(std::memory_order_relaxed); }
  /// Checks for signals (only from the owning thread, at most every ~50 ms).
  bool poll();

 private:
  std::atomic<bool> flag_{false};
  std::thread::id owner_;
  long long last_check_ns_ = 0;
};

/// Thrown by kernels when Ctrl-C was seen; the binding glue turns it into KeyboardInterrupt.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted"; }
};

/// Polls for Ctrl-C (if an Interrupt is given) and throws Interrupted when one was seen.
/// Never call it inside an OpenMP region (an exception may not leave one).
inline void check_interrupt(Interrupt* intr) {
  if (intr && intr->poll()) throw Interrupted();
}

}  // namespace ttsolve
