// Sums, scaling and Hadamard products of tensor trains (exact, rank-increasing).
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "common/float_bits.hpp"
#include "tt/ops.hpp"

namespace ttsolve::tt {
namespace {

std::string dims_str(const std::vector<int64_t>& dims) {
  std::string s = "(";
  for (size_t k = 0; k < dims.size(); ++k) s += (k ? ", " : "") + std::to_string(dims[k]);
  return s + ")";
}

/// Scaled cores can leave float64 range (e.g. x / 1e-310): refuse instead of storing inf.
void require_finite(const TensorTrain& t, const char* op) {
  for (const auto& c : t.cores)
    for (double v : c)
      if (!std::isfinite(v)) throw std::overflow_error(std::string(op) + ": the result overflows float64");
}

}  // namespace

void check_same_dims(const TensorTrain& x, const TensorTrain& y, const char* op) {
  if (x.dims != y.dims)
    throw std::invalid_argument(std::string(op) + ": incompatible tensor trains with dims " +
                                dims_str(x.dims) + " and " + dims_str(y.dims));
}

TensorTrain scale(const TensorTrain& x, double alpha) {
  TensorTrain out = x;
  // The usual case: alpha goes into core 0, which stays finite and loses no digits to
  // subnormals (integer tests on the bits, so the loop vectorises).
  uint32_t lost = 0;
  for (double& v : out.cores[0]) {
    const uint32_t was_normal = exponent_field(double_bits(v)) != 0;
    v *= alpha;
    const uint32_t field = exponent_field(double_bits(v));
    lost |= (was_normal & static_cast<uint32_t>(field == 0)) | static_cast<uint32_t>(field == 0x7ffu);
  }
  if (!lost || alpha == 0.0 || !std::isfinite(alpha)) {
    require_finite(out, "scale");
    return out;
  }
  // alpha * core 0 leaves float64's normal range in either direction: represent the result
  // exactly instead, with alpha's mantissa in core 0 and its power of two, together with
  // the cores' own, spread over all cores (exact powers of two). Only when even the spread
  // does not fit (e.g. d = 1) does this raise OverflowError, for overflow and underflow alike.
  out = x;
  int e = 0;
  const double mantissa = std::frexp(alpha, &e);
  int64_t exp2 = e;
  for (auto& core : out.cores) exp2 += normalize_pow2(core);
  for (double& v : out.cores[0]) v *= mantissa;
  distribute_pow2(out, exp2);
  return out;
}

TensorTrain linear_combination(double alpha, const TensorTrain& x, double beta, const TensorTrain& y) {
  return linear_combination(Terms{&x, &y}, {alpha, beta});
}

TensorTrain linear_combination(const Terms& terms, const std::vector<double>& coefficients) {
  if (terms.empty() || coefficients.size() != terms.size())
    throw std::invalid_argument("add: need one coefficient per summand");
  const TensorTrain& x = *terms[0];
  for (const TensorTrain* t : terms) check_same_dims(x, *t, "add");
  const int64_t d = x.ndim();
  if (d == 1) {  // every core is (1, n, 1): plain vector sum, summed in order
    TensorTrain out = x;
    for (size_t i = 0; i < out.cores[0].size(); ++i) out.cores[0][i] = coefficients[0] * x.cores[0][i];
    for (size_t a = 1; a < terms.size(); ++a)
      for (size_t i = 0; i < out.cores[0].size(); ++i) out.cores[0][i] += coefficients[a] * terms[a]->cores[0][i];
    require_finite(out, "add");
    return out;
  }
  // Block structure: first core [c0 X0 | c1 X1 | ...], middle cores diag(X0, X1, ...), last
  // core [X0 ; X1 ; ...].
  std::vector<int64_t> ranks(d + 1, 1);
  for (int64_t k = 1; k < d; ++k) {
    ranks[k] = 0;
    for (const TensorTrain* t : terms) ranks[k] += t->ranks[k];
  }
  TensorTrain out = zeros(x.dims, ranks);
  for (int64_t k = 0; k < d; ++k) {
    const int64_t n = x.dims[k], R = ranks[k + 1];
    double* o = out.cores[k].data();
    // Offsets of summand a's block: below the earlier blocks on the left rank (unless first
    // core) and to their right on the right rank (unless last core).
    int64_t row_off = 0, col_off = 0;
    for (size_t t = 0; t < terms.size(); ++t) {
      const TensorTrain& y = *terms[t];
      const int64_t r0 = y.ranks[k], r1 = y.ranks[k + 1];
      const double c = (k == 0) ? coefficients[t] : 1.0;
      const double* yc = y.cores[k].data();
      for (int64_t a = 0; a < r0; ++a)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t b = 0; b < r1; ++b) o[((row_off + a) * n + i) * R + col_off + b] = c * yc[(a * n + i) * r1 + b];
      if (k > 0) row_off += r0;
      if (k < d - 1) col_off += r1;
    }
  }
  require_finite(out, "add");
  return out;
}

TensorTrain hadamard(const TensorTrain& x, const TensorTrain& y) {
  check_same_dims(x, y, "hadamard");
  const int64_t d = x.ndim();
  std::vector<int64_t> ranks(d + 1);
  for (int64_t k = 0; k <= d; ++k) ranks[k] = x.ranks[k] * y.ranks[k];
  check_shape(x.dims, ranks);
  TensorTrain out = zeros(x.dims, ranks);
  // Core ((a, c), i, (b, e)) = X(a, i, b) * Y(c, i, e): a Kronecker product per slice i.
  for (int64_t k = 0; k < d; ++k) {
    const int64_t n = x.dims[k], xr0 = x.ranks[k], xr1 = x.ranks[k + 1], yr0 = y.ranks[k],
                  yr1 = y.ranks[k + 1], R = ranks[k + 1];
    double* o = out.cores[k].data();
    const double* xc = x.cores[k].data();
    const double* yc = y.cores[k].data();
    for (int64_t a = 0; a < xr0; ++a)
      for (int64_t c = 0; c < yr0; ++c)
        for (int64_t i = 0; i < n; ++i) {
          double* orow = o + ((a * yr0 + c) * n + i) * R;
          const double* yrow = yc + (c * n + i) * yr1;
          for (int64_t b = 0; b < xr1; ++b) {
            const double xv = xc[(a * n + i) * xr1 + b];
            for (int64_t e = 0; e < yr1; ++e) orow[b * yr1 + e] = xv * yrow[e];
          }
        }
  }
  require_finite(out, "hadamard");
  return out;
}

}  // namespace ttsolve::tt
