// Counter-based random streams (Philox4x32-10, Salmon et al., SC'11).
//
// A stream is identified by (seed, stream id): chain c of a sampler or sample block b of
// a simulation uses stream id c / b, so results never depend on how work is spread over
// threads. Within a stream, draws are generated from an incrementing 64-bit counter.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace ttsolve {

/// Philox4x32-10 blocks counter, counter + 1, ..., counter + n_blocks - 1 of the stream
/// (key0, key1, stream) into out (4 words per block, in stream order): exactly the words the
/// scalar generator gives, several blocks per SIMD lane group (AVX2 when the CPU has it,
/// chosen at run time; a portable loop otherwise). common/rng_bulk.cpp.
void philox_blocks(uint32_t key0, uint32_t key1, uint64_t stream, uint64_t counter, size_t n_blocks, uint32_t* out);

/// One Philox4x32-10 block (counter, stream) under key (k0, k1) into out[0..4): the scalar
/// generator's refill and the portable multi-block fill.
inline void philox_block(uint32_t k0, uint32_t k1, uint64_t stream, uint64_t counter, uint32_t* out) {
  uint32_t c0 = uint32_t(counter), c1 = uint32_t(counter >> 32), c2 = uint32_t(stream), c3 = uint32_t(stream >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t(0xD2511F53u) * c0;
    const uint64_t p1 = uint64_t(0xCD9E8D57u) * c2;
    // (c0, c1, c2, c3) <- (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
    const uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n2 = uint32_t(p0 >> 32) ^ c3 ^ k1;
    c0 = n0;
    c1 = uint32_t(p1);
    c2 = n2;
    c3 = uint32_t(p0);
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/// Test hook: use (true) or avoid (false) the AVX2 version where the CPU has it.
void set_philox_simd(bool enabled);
/// True if philox_blocks uses its AVX2 version.
bool philox_simd();

class Philox {
 public:
  Philox(uint64_t seed, uint64_t stream) : key0_(uint32_t(seed)), key1_(uint32_t(seed >> 32)),
                                           stream_(stream) {}

  /// Next 32 random bits.
  uint32_t next_u32() {
    if (pos_ == 4) refill();
    return buf_[pos_++];
  }
  /// Next 64 random bits.
  uint64_t next_u64() {
    const uint64_t hi = next_u32();
    return (hi << 32) | next_u32();
  }
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() { return double(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform double in (0, 1]: safe for log().
  double uniform_pos() { return 1.0 - uniform(); }
  /// Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject), n >= 1.
  uint64_t below(uint64_t n) {
    if (n <= 0xFFFFFFFFull) {
      const uint32_t n32 = uint32_t(n);
      uint64_t m = uint64_t(next_u32()) * n32;
      uint32_t low = uint32_t(m);
      if (low < n32) {
        const uint32_t threshold = uint32_t(-n32) % n32;
        while (low < threshold) {
          m = uint64_t(next_u32()) * n32;
          low = uint32_t(m);
        }
      }
      return m >> 32;
    }
    // Rare path for huge n: rejection on 64 bits.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do v = next_u64(); while (v >= limit);
    return v % n;
  }
  /// Standard normal (Box-Muller, caching the second value).
  double normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    const double u1 = uniform_pos(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double a = 6.283185307179586476925 * u2;
    spare_ = r * std::sin(a);
    have_spare_ = true;
    return r * std::cos(a);
  }
  /// The next n words, exactly as n calls of next_u32() (whole blocks from philox_blocks).
  void fill_u32(uint32_t* out, size_t n) {
    size_t i = 0;
    while (pos_ < 4 && i < n) out[i++] = buf_[pos_++];
    const size_t blocks = (n - i) / 4;
    if (blocks) {
      philox_blocks(key0_, key1_, stream_, counter_, blocks, out + i);
      counter_ += blocks;
      i += 4 * blocks;
    }
    while (i < n) out[i++] = next_u32();
  }
  /// Words drawn from the stream so far.
  uint64_t position() const { return counter_ * 4 - uint64_t(4 - pos_); }
  /// Moves the stream to word `word` (the next next_u32() returns it).
  void seek(uint64_t word) {
    counter_ = word / 4;
    pos_ = 4;
    if (word % 4) {
      refill();
      pos_ = int(word % 4);
    }
  }

  /// Standard Gumbel variate (for Gumbel-max categorical sampling).
  double gumbel() { return -std::log(-std::log(uniform_pos() * (1.0 - 0x1.0p-53) + 0x1.0p-54)); }

 private:
  void refill() {
    philox_block(key0_, key1_, stream_, counter_, buf_);
    ++counter_;
    pos_ = 0;
  }

  uint32_t key0_, key1_;
  uint64_t stream_;
  uint64_t counter_ = 0;
  uint32_t buf_[4] = {0, 0, 0, 0};
  int pos_ = 4;
  bool have_spare_ = false;
  double spare_ = 0.0;
};

/// Reads a Philox stream in bulk (fill_u32, 256 words at a time) word for word as next_u32()
/// would: when the reader goes out of scope the words it did not hand out go back to the
/// stream (seek), so the generator continues exactly where the reader stopped.
class BulkWords {
 public:
  explicit BulkWords(Philox& rng) : rng_(rng), start_(rng.position()) {}
  BulkWords(const BulkWords&) = delete;
  BulkWords& operator=(const BulkWords&) = delete;
  ~BulkWords() {
    if (n_) rng_.seek(start_ + used_ + pos_);
  }
  uint32_t next_u32() {
    ensure(1);
    return buf_[pos_++];
  }
  uint64_t next_u64() {
    const uint64_t hi = next_u32();
    return (hi << 32) | next_u32();
  }
  /// As Philox::uniform (same bits, same double).
  double uniform() { return double(next_u64() >> 11) * 0x1.0p-53; }
  /// The uniform() the next two words would give, without consuming them; skip(2) then
  /// consumes them (so a caller can draw it and keep it or not without a branch).
  double peek_uniform() {
    ensure(2);
    return double(((uint64_t(buf_[pos_]) << 32) | buf_[pos_ + 1]) >> 11) * 0x1.0p-53;
  }
  /// Consumes n <= 2 words already buffered by peek_uniform.
  void skip(size_t n) { pos_ += n; }

 private:
  static constexpr size_t kWords = 256;
  // At least k words buffered: the unread ones move to the front, the rest is refilled.
  void ensure(size_t k) {
    if (n_ - pos_ >= k) return;
    const size_t rest = n_ - pos_;
    for (size_t a = 0; a < rest; ++a) buf_[a] = buf_[pos_ + a];
    used_ += pos_;  // words handed out before the new buf_[0]
    rng_.fill_u32(buf_ + rest, kWords - rest);
    n_ = kWords;
    pos_ = 0;
  }
  Philox& rng_;
  uint64_t start_, used_ = 0;
  size_t pos_ = 0, n_ = 0;
  uint32_t buf_[kWords];
};

}  // namespace ttsolve
