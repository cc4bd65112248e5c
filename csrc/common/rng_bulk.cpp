// Multi-block Philox4x32-10 (common/rng.hpp philox_blocks): several blocks advance through the
// ten rounds together, one lane per block. Portable: 8 scalar blocks per call (the CPU
// overlaps them). x86-64 with GCC/Clang: 16 blocks in two groups of AVX2
// registers (vpmuludq on the even and odd lanes), chosen at run time, no -march. Integer
// arithmetic only, so every version gives the scalar generator's words bit for bit.
#include <atomic>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "common/rng.hpp"

namespace ttsolve {
namespace {

constexpr int kLanes = 8;  // blocks per call of the portable version

// kLanes consecutive blocks from `counter` into out (4 kLanes words): independent scalar
// blocks, which the CPU overlaps.
void lanes_portable(uint32_t key0, uint32_t key1, uint64_t stream, uint64_t counter, uint32_t* out) {
  for (int j = 0; j < kLanes; ++j) philox_block(key0, key1, stream, counter + uint64_t(j), out + 4 * j);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define TTSOLVE_PHILOX_AVX2 1

// 8 lanes of 32-bit words in one register; the 32 x 32 -> 64 multiplies of the even lanes and
// of the odd lanes (shifted down) give the high and low halves, blended back into lane order.
struct Mul8 {
  __m256i hi, lo;
};
__attribute__((target("avx2"))) inline Mul8 mul8(__m256i a, __m256i m) {
  const __m256i even = _mm256_mul_epu32(a, m);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
  return {_mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA),
          _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA)};
}

// The ten rounds on one group of 8 blocks (c0..c3: word w of block j in lane j).
__attribute__((target("avx2"))) inline void round8(__m256i& c0, __m256i& c1, __m256i& c2, __m256i& c3, __m256i k0,
                                                   __m256i k1, __m256i m0, __m256i m1) {
  const Mul8 p0 = mul8(c0, m0), p1 = mul8(c2, m1);
  const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(p1.hi, c1), k0);
  const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(p0.hi, c3), k1);
  c0 = n0;
  c1 = p1.lo;
  c2 = n2;
  c3 = p0.lo;
}

// Lane j of (c0, c1, c2, c3) -> out[4 j .. 4 j + 3] (a 4 x 8 transpose).
__attribute__((target("avx2"))) inline void store8(__m256i c0, __m256i c1, __m256i c2, __m256i c3, uint32_t* out) {
  const __m256i a = _mm256_unpacklo_epi32(c0, c1), b = _mm256_unpackhi_epi32(c0, c1);  // (c0 c1) pairs
  const __m256i c = _mm256_unpacklo_epi32(c2, c3), d = _mm256_unpackhi_epi32(c2, c3);
  const __m256i r0 = _mm256_unpacklo_epi64(a, c), r1 = _mm256_unpackhi_epi64(a, c);  // blocks 0,1 | 4,5
  const __m256i r2 = _mm256_unpacklo_epi64(b, d), r3 = _mm256_unpackhi_epi64(b, d);  // blocks 2,3 | 6,7
  auto* o = reinterpret_cast<__m256i*>(out);
  _mm256_storeu_si256(o + 0, _mm256_permute2x128_si256(r0, r1, 0x20));
  _mm256_storeu_si256(o + 1, _mm256_permute2x128_si256(r2, r3, 0x20));
  _mm256_storeu_si256(o + 2, _mm256_permute2x128_si256(r0, r1, 0x31));
  _mm256_storeu_si256(o + 3, _mm256_permute2x128_si256(r2, r3, 0x31));
}

// 2 x 8 blocks from `counter` (two independent groups interleaved to hide the multiply latency).
__attribute__((target("avx2"))) void lanes_avx2(uint32_t key0, uint32_t key1, uint64_t stream, uint64_t counter,
                                                uint32_t* out) {
  alignas(32) uint32_t lo[16], hi[16];
  for (int j = 0; j < 16; ++j) {
    lo[j] = uint32_t(counter + uint64_t(j));
    hi[j] = uint32_t((counter + uint64_t(j)) >> 32);
  }
  __m256i a0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo));
  __m256i a1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi));
  __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo + 8));
  __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi + 8));
  __m256i a2 = _mm256_set1_epi32(int(uint32_t(stream))), a3 = _mm256_set1_epi32(int(uint32_t(stream >> 32)));
  __m256i b2 = a2, b3 = a3;
  const __m256i m0 = _mm256_set1_epi64x(0xD2511F53u), m1 = _mm256_set1_epi64x(0xCD9E8D57u);
  uint32_t k0 = key0, k1 = key1;
  for (int round = 0; round < 10; ++round) {
    const __m256i vk0 = _mm256_set1_epi32(int(k0)), vk1 = _mm256_set1_epi32(int(k1));
    round8(a0, a1, a2, a3, vk0, vk1, m0, m1);
    round8(b0, b1, b2, b3, vk0, vk1, m0, m1);
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  store8(a0, a1, a2, a3, out);
  store8(b0, b1, b2, b3, out + 32);
}
#endif

bool cpu_has_avx2() {
#ifdef TTSOLVE_PHILOX_AVX2
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

std::atomic<bool> use_avx2{cpu_has_avx2()};

}  // namespace

void philox_blocks(uint32_t key0, uint32_t key1, uint64_t stream, uint64_t counter, size_t n_blocks, uint32_t* out) {
  auto lanes = lanes_portable;
  size_t group = kLanes;
#ifdef TTSOLVE_PHILOX_AVX2
  if (use_avx2.load(std::memory_order_relaxed)) {
    lanes = lanes_avx2;
    group = 16;
  }
#endif
  size_t b = 0;
  for (; b + group <= n_blocks; b += group) lanes(key0, key1, stream, counter + b, out + 4 * b);
  if (b < n_blocks) {  // tail: a full group into scratch, the blocks needed copied
    uint32_t tmp[4 * 16];
    lanes(key0, key1, stream, counter + b, tmp);
    std::memcpy(out + 4 * b, tmp, sizeof(uint32_t) * 4 * (n_blocks - b));
  }
}

void set_philox_simd(bool enabled) { use_avx2.store(enabled && cpu_has_avx2(), std::memory_order_relaxed); }

bool philox_simd() { return use_avx2.load(std::memory_order_relaxed); }

}  // namespace ttsolve
