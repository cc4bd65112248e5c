// Four-lane double arithmetic for the compiled MCMC kernels (GCC vector extension: one AVX
// register, or two SSE2 ones in the portable build) and a vectorised exp for non-positive
// arguments built from plain multiplies and adds (no FMA), so a kernel compiled for AVX2 and
// its portable twin give bitwise the same values. Always-inline helpers only: v4 values never
// cross an ABI boundary.
#pragma once
#include <cstdint>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace ttsolve::mcmc {

typedef double v4 __attribute__((vector_size(32)));

__attribute__((always_inline)) inline v4 load4(const double* p) {
  v4 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

__attribute__((always_inline)) inline void store4(double* p, v4 v) { __builtin_memcpy(p, &v, sizeof v); }

typedef int64_t v4i __attribute__((vector_size(32)));

// x = n ln 2 + r for x in [-708, 0] (Cody-Waite, ln 2 in two parts): r with |r| <= ln 2 / 2,
// and scale = 2^n (n >= -1022, so a normal double).
__attribute__((always_inline)) inline void reduce_ln2(v4 x, v4& r, v4& scale) {
  const double shift = 0x1.8p52;  // adding it rounds to an integer held in the low mantissa bits
  const v4 t = x * 1.4426950408889634 + shift;
  const v4 nd = t - shift;
  r = (x - nd * 6.93147180369123816490e-01) - nd * 1.90821492927058770002e-10;
  v4i bits;
  __builtin_memcpy(&bits, &t, sizeof bits);
  bits = (bits + 1023) << 52;  // 2^n, n = low bits of t (two's complement)
  __builtin_memcpy(&scale, &bits, sizeof scale);
}

// e^x for x <= 0: reduce_ln2 and the degree-13 Taylor polynomial on |r| <= ln 2 / 2
// (truncation < 5e-18), 0 below -708, NaN stays NaN.
__attribute__((always_inline)) inline v4 exp4v(v4 x) {
  const v4 lo = v4{} - 708.0;
  const v4 xc = x < lo ? lo : x;  // NaN: the comparison is false, NaN stays
  v4 r, scale;
  reduce_ln2(xc, r, scale);
  v4 p = r * (1.0 / 6227020800.0) + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  return x < lo ? v4{} : p * scale;
}

__attribute__((always_inline)) inline void exp4(const double* in, double* out) { store4(out, exp4v(load4(in))); }

}  // namespace ttsolve::mcmc

#pragma GCC diagnostic pop
