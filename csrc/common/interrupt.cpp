#include "common/interrupt.hpp"

#include <chrono>

namespace ttsolve {
namespace {
SignalChecker g_checker = nullptr;
long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void set_signal_checker(SignalChecker fn) { g_checker = fn; }

Interrupt::Interrupt() : owner_(std::this_thread::get_id()), last_check_ns_(now_ns()) {}

bool Interrupt::poll() {
  if (requested()) return true;
  if (g_checker == nullptr || std::this_thread::get_id() != owner_) return false;
  const long long t = now_ns();
  if (t - last_check_ns_ < 50'000'000LL) return false;
  last_check_ns_ = t;
  if (g_checker()) flag_.store(true, std::memory_order_relaxed);
  return requested();
}

}  // namespace ttsolve
