#include "regression/simd.hpp"

#include <atomic>

namespace ttsolve::regression {
namespace {

bool cpu_has_avx2_fma() {
#ifdef TTSOLVE_AVX2_KERNELS
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

std::atomic<bool>& enabled_flag() {
  static std::atomic<bool> enabled{cpu_has_avx2_fma()};
  return enabled;
}

}  // namespace

bool simd_enabled() { return enabled_flag().load(std::memory_order_relaxed); }

void set_simd_enabled(bool enabled) { enabled_flag().store(enabled && cpu_has_avx2_fma()); }

}  // namespace ttsolve::regression
