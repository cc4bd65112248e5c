// Exact rescaling by powers of two: keeps long products of cores inside float64 range
// without rounding errors (the exponents are carried separately as integers).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "common/float_bits.hpp"
#include "tt/ops.hpp"

namespace ttsolve::tt {

int64_t normalize_pow2(std::vector<double>& v) {
  // The largest exponent field (an integer max that vectorises, unlike a max of doubles):
  // frexp's exponent of max|v| is that field - 1022 for normal numbers.
  uint32_t field = 0;
  for (double x : v) {
    const uint32_t f = exponent_field(double_bits(x));
    field = field > f ? field : f;
  }
  if (field == 0x7ffu) return 0;  // NaN or inf
  int e = 0;
  if (field == 0) {  // zeros and subnormals only
    double m = 0.0;
    for (double x : v) m = std::max(m, std::fabs(x));
    if (m == 0.0) return 0;
    std::frexp(m, &e);
  } else {
    e = static_cast<int>(field) - 1022;
  }
  if (e >= -1021 && e <= 1023) {  // 2^-e is a normal double: one exact multiplication each
    const double f = std::ldexp(1.0, -e);
    for (double& x : v) x *= f;
  } else {
    for (double& x : v) x = std::ldexp(x, -e);
  }
  return e;
}

bool rescale_pow2(std::vector<double>& v, int64_t& exp2) {
  const int64_t e = normalize_pow2(v);
  exp2 += e;
  return e != 0 || std::any_of(v.begin(), v.end(), [](double x) { return x != 0.0; });
}

void scale_core_pow2(TensorTrain& t, int64_t k, int64_t e) {
  if (e == 0) return;
  std::vector<double>& core = t.cores[k];
  bool was_nonzero = false, is_nonzero = false, finite = true;
  if (std::abs(e) <= 1022) {
    // Multiplying by the normal double 2^e rounds exactly as ldexp does (both are the
    // correctly rounded product) and vectorises; the checks are integer tests on the bits.
    const double f = std::ldexp(1.0, static_cast<int>(e));
    constexpr uint64_t kMagnitude = 0x7fffffffffffffffULL;
    uint64_t before = 0, after = 0;
    uint32_t bad = 0;
    for (double& v : core) {
      before |= double_bits(v) & kMagnitude;
      v *= f;
      const uint64_t bits = double_bits(v);
      after |= bits & kMagnitude;
      bad |= nonfinite_flag(bits);
    }
    was_nonzero = before != 0;
    is_nonzero = after != 0;
    finite = bad == 0;
  } else {
    const int ie = static_cast<int>(std::clamp<int64_t>(e, -100000, 100000));
    for (double& v : core) {
      was_nonzero = was_nonzero || v != 0.0;
      v = std::ldexp(v, ie);
      is_nonzero = is_nonzero || v != 0.0;
      finite = finite && std::isfinite(v);
    }
  }
  if (!finite) throw std::overflow_error("the tensor's entries overflow float64 (its log-norm is still available)");
  if (was_nonzero && !is_nonzero)
    throw std::overflow_error("the tensor's entries underflow float64 (its log-norm is still available)");
}

void distribute_pow2(TensorTrain& t, int64_t exp2) {
  const int64_t d = t.ndim();
  const int64_t base = exp2 / d, extra = exp2 % d;  // extra has the sign of exp2
  for (int64_t k = 0; k < d; ++k)
    scale_core_pow2(t, k, base + (k < std::abs(extra) ? (extra > 0 ? 1 : -1) : 0));
}

}  // namespace ttsolve::tt
