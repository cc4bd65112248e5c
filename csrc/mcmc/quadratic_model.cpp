#include "mcmc/quadratic_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ttsolve::mcmc {

void SpinQuadratic::validate() const {
  if (dim < 1) throw std::invalid_argument("model dimension must be >= 1");
  if (int64_t(indptr.size()) != dim + 1 || indptr[0] != 0 ||
      indptr[dim] != int64_t(indices.size()) || indices.size() != weights.size() ||
      int64_t(bias.size()) != dim)
    throw std::invalid_argument("inconsistent CSR arrays for the quadratic model");
  for (int64_t i = 0; i < dim; ++i) {
    if (indptr[i + 1] < indptr[i]) throw std::invalid_argument("CSR indptr must be non-decreasing");
    if (!std::isfinite(bias[i])) throw std::invalid_argument("bias must be finite");
    for (int64_t k = indptr[i]; k < indptr[i + 1]; ++k) {
      const int64_t j = indices[k];
      if (j < 0 || j >= dim) throw std::invalid_argument("CSR column index out of range");
      if (j == i) throw std::invalid_argument("quadratic model must have a zero diagonal");
      if (!std::isfinite(weights[k])) throw std::invalid_argument("couplings must be finite");
    }
  }
}

void SpinQuadratic::prepare() {
  exp_pos.resize(weights.size());
  exp_neg.resize(weights.size());
  for (size_t k = 0; k < weights.size(); ++k) {
    exp_pos[k] = std::exp(4.0 * weights[k]);
    exp_neg[k] = std::exp(-4.0 * weights[k]);
  }
  simple_rows = true;
  max_degree = 0;
  for (int64_t i = 0; i < dim; ++i) max_degree = std::max(max_degree, indptr[i + 1] - indptr[i]);
  for (int64_t i = 0; i < dim && simple_rows; ++i) {
    for (int64_t k = indptr[i]; k < indptr[i + 1]; ++k)
      if (indices[k] == i || (k > indptr[i] && indices[k] <= indices[k - 1])) simple_rows = false;
  }
}

double SpinQuadratic::energy(const int8_t* s) const {
  double f = 0.0;
  for (int64_t i = 0; i < dim; ++i) {
    double row = 0.0;
    for (int64_t k = indptr[i]; k < indptr[i + 1]; ++k) row += weights[k] * s[indices[k]];
    f += s[i] * (row + bias[i]);
  }
  return f;
}

void SpinQuadratic::fields(const int8_t* s, double* g) const {
  for (int64_t i = 0; i < dim; ++i) {
    double row = 0.0;
    for (int64_t k = indptr[i]; k < indptr[i + 1]; ++k) row += weights[k] * s[indices[k]];
    g[i] = 2.0 * row + bias[i];
  }
}

}  // namespace ttsolve::mcmc
