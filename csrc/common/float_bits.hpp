// Branch-free tests on the bits of doubles, for scans that must vectorise at the baseline
// x86-64 ISA (SSE2): comparisons of doubles and of 64-bit integers do not vectorise there,
// integer operations on 32-bit words do.
#pragma once
#include <cstdint>
#include <cstring>

namespace ttsolve {

inline uint64_t double_bits(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

/// The biased exponent field: 0x7ff for NaN and +-inf, 0 for zeros and subnormals, otherwise
/// frexp's exponent + 1022.
inline uint32_t exponent_field(uint64_t bits) { return static_cast<uint32_t>(bits >> 52) & 0x7ffu; }

/// 1 for NaN and +-inf (all exponent bits set, tested on the high word), else 0.
inline uint32_t nonfinite_flag(uint64_t bits) {
  constexpr uint32_t kExponent = 0x7ff00000u;
  return static_cast<uint32_t>((static_cast<uint32_t>(bits >> 32) & kExponent) == kExponent);
}

}  // namespace ttsolve
