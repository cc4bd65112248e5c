#include "mcmc/binary_rows.hpp"

#include "mcmc/vec4.hpp"
#include "regression/simd.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"  // v4 values only between always-inline helpers

namespace ttsolve::mcmc {

namespace {

// e^x and e^x - 1 for x <= 0 from one reduction x = n ln 2 + r (reduce_ln2) and P = e^r - 1 by
// its Taylor sum to degree 13 (truncation < 2e-17 relative) in Estrin's scheme (short
// dependency chains): e^x = 2^n (1 + P), e^x - 1 = 2^n P + (2^n - 1) (n = 0: P itself, no
// cancellation); 0 and -1 below -708. No FMA. Measured against expl / expm1l on 4e6 points of
// [-700, 0]: <= 2.3e-16 and 4.0e-16 relative.
__attribute__((always_inline)) inline void exp_and_expm1(v4 x, v4& ex, v4& em) {
  const v4 lo = v4{} - 708.0;
  v4 r, scale;
  reduce_ln2(x < lo ? lo : x, r, scale);
  const v4 r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const v4 q0 = 1.0 + r * 0.5, q1 = 1.0 / 6.0 + r * (1.0 / 24.0), q2 = 1.0 / 120.0 + r * (1.0 / 720.0),
           q3 = 1.0 / 5040.0 + r * (1.0 / 40320.0), q4 = 1.0 / 362880.0 + r * (1.0 / 3628800.0),
           q5 = 1.0 / 39916800.0 + r * (1.0 / 479001600.0);
  const double q6 = 1.0 / 6227020800.0;  // 1 / 13!
  const v4 P = r * (((q0 + r2 * q1) + r4 * (q2 + r2 * q3)) + r8 * ((q4 + r2 * q5) + r4 * q6));
  ex = x < lo ? v4{} : scale * (1.0 + P);
  em = x < lo ? v4{} - 1.0 : scale * P + (scale - 1.0);
}

__attribute__((always_inline)) inline void lanes(bool dlmc, Balance bal, double t, v4 z, v4& stay, v4& flip) {
  const v4 zero = {0.0, 0.0, 0.0, 0.0}, one = {1.0, 1.0, 1.0, 1.0};
  const v4 neg = z < zero ? z : -z;  // -|z|
  // E = e^{-|z|} as the square of e^{-|z|/2} (one exp for both; sqrt-balanced DLMC needs the root)
  const v4 h = exp4v(0.5 * neg), E = h * h, inv = one / (one + E);
  const v4 s = z >= zero ? inv : E * inv, sc = z >= zero ? E * inv : inv;  // sigmoid(z), sigmoid(-z)
  if (!dlmc) {
    flip = s;
    stay = sc;
    return;
  }
  // total rate w(e^d) + w(e^-d) from E = e^{-|d|}: sqrt (1 + E) / e^{-|d|/2}, barker 1, max
  // (1 + E) / E, min 1 + E (an underflowed E or e^{-|d|/2} gives inf, the limit)
  v4 rate;
  switch (bal) {
    case Balance::Barker: rate = one; break;
    case Balance::Max: rate = (one + E) / E; break;
    case Balance::Min: rate = one + E; break;
    default: rate = (one + E) / h; break;
  }
  // stay 1 - s + s e^{-t rate}, flip -s (e^{-t rate} - 1): no cancellation in either
  v4 ey, em;
  exp_and_expm1(-(t * rate), ey, em);  // t rate = inf: 0 and -1
  stay = sc + s * ey;
  flip = -(s * em);
}

__attribute__((always_inline)) inline void all(bool dlmc, Balance bal, double t, const double* z, int64_t n,
                                               double* stay, double* flip) {
  int64_t k = 0;
  v4 st, fl;
  for (; k + 4 <= n; k += 4) {
    lanes(dlmc, bal, t, load4(z + k), st, fl);
    store4(stay + k, st);
    store4(flip + k, fl);
  }
  if (k < n) {
    double in[4] = {0.0, 0.0, 0.0, 0.0}, a[4], b[4];
    for (int64_t j = k; j < n; ++j) in[j - k] = z[j];
    lanes(dlmc, bal, t, load4(in), st, fl);
    store4(a, st);
    store4(b, fl);
    for (int64_t j = k; j < n; ++j) {
      stay[j] = a[j - k];
      flip[j] = b[j - k];
    }
  }
}

void probs_portable(bool dlmc, Balance bal, double t, const double* z, int64_t n, double* stay, double* flip) {
  all(dlmc, bal, t, z, n, stay, flip);
}

#ifdef TTSOLVE_AVX2_KERNELS
// avx2 without fma: no contraction, the same roundings as the portable build
__attribute__((target("avx2"))) void probs_avx2(bool dlmc, Balance bal, double t, const double* z, int64_t n,
                                                double* stay, double* flip) {
  all(dlmc, bal, t, z, n, stay, flip);
}
#endif

}  // namespace

void binary_flip_probs(bool dlmc, Balance bal, double t, const double* z, int64_t n, double* stay, double* flip) {
#ifdef TTSOLVE_AVX2_KERNELS
  if (regression::simd_enabled()) return probs_avx2(dlmc, bal, t, z, n, stay, flip);
#endif
  probs_portable(dlmc, bal, t, z, n, stay, flip);
}

}  // namespace ttsolve::mcmc
