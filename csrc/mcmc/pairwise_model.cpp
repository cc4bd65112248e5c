#include "mcmc/pairwise_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ttsolve::mcmc {

void PairwiseModel::validate() const {
  const int64_t K = n_states;
  if (dim < 1) throw std::invalid_argument("model dimension must be >= 1");
  if (K < 2 || K > 255) throw std::invalid_argument("n_states must be in [2, 255]");
  if (int64_t(indptr.size()) != dim + 1 || indptr[0] != 0 || indptr[dim] != int64_t(indices.size()) ||
      int64_t(blocks.size()) != int64_t(indices.size()) * K * K || int64_t(bias.size()) != dim * K)
    throw std::invalid_argument("inconsistent arrays for the pairwise model");
  for (double v : bias)
    if (!std::isfinite(v)) throw std::invalid_argument("fields b must be finite");
  for (int64_t i = 0; i < dim; ++i) {
    if (indptr[i + 1] < indptr[i]) throw std::invalid_argument("CSR indptr must be non-decreasing");
    for (int64_t e = indptr[i]; e < indptr[i + 1]; ++e) {
      const int64_t j = indices[e];
      if (j < 0 || j >= dim) throw std::invalid_argument("CSR column index out of range");
      if (j == i) throw std::invalid_argument("couplings J[i, i] must be zero (no diagonal entries)");
      const double* Jij = &blocks[size_t(e * K * K)];
      for (int64_t a = 0; a < K * K; ++a)
        if (!std::isfinite(Jij[a])) throw std::invalid_argument("couplings J must be finite");
      // the reverse entry (j, i) must exist and hold the transpose
      const int64_t* lo = indices.data() + indptr[j];
      const int64_t* hi = indices.data() + indptr[j + 1];
      const int64_t* at = std::find(lo, hi, i);
      if (at == hi) throw std::invalid_argument("couplings must be symmetric: J[j, i] missing for a stored J[i, j]");
      const double* Jji = &blocks[size_t((at - indices.data()) * K * K)];
      for (int64_t a = 0; a < K; ++a)
        for (int64_t b = 0; b < K; ++b) {
          const double u = Jij[a * K + b], v = Jji[b * K + a];
          if (std::abs(u - v) > 1e-12 * std::max({1.0, std::abs(u), std::abs(v)}))
            throw std::invalid_argument("couplings must satisfy J[i, j, a, b] = J[j, i, b, a]");
        }
    }
  }
}

double PairwiseModel::log_prob(const uint8_t* x) const {
  const int64_t K = n_states;
  double unary = 0.0, pair = 0.0;
  for (int64_t i = 0; i < dim; ++i) {
    unary += bias[size_t(i * K + x[i])];
    for (int64_t e = indptr[i]; e < indptr[i + 1]; ++e)
      pair += blocks[size_t(e * K * K + x[i] * K + x[indices[e]])];
  }
  return unary + 0.5 * pair;
}

void PairwiseModel::grad(const uint8_t* x, double* g) const {
  const int64_t K = n_states;
  for (int64_t i = 0; i < dim; ++i) {
    double* gi = g + i * K;
    for (int64_t k = 0; k < K; ++k) gi[k] = bias[size_t(i * K + k)];
    for (int64_t e = indptr[i]; e < indptr[i + 1]; ++e) {
      const double* Jij = &blocks[size_t(e * K * K)];
      const int64_t xj = x[indices[e]];
      for (int64_t k = 0; k < K; ++k) gi[k] += Jij[k * K + xj];
    }
  }
}

void PairwiseModel::move_grad(int64_t i, uint8_t a, uint8_t c, double* g) const {
  if (a != c) move_grad_touching(i, a, c, g, [](int64_t) {});
}

void PairwiseModel::prepare_moves() {
  if (n_states != 2 || dim >= (int64_t(1) << 31) || !nbr.empty()) return;
  const size_t nnz = indices.size();
  nbr.resize(nnz);
  flip_delta.resize(2 * nnz);
  for (size_t e = 0; e < nnz; ++e) {
    nbr[e] = int32_t(indices[e]);
    const double* Jij = &blocks[4 * e];
    flip_delta[2 * e] = Jij[2] - Jij[0];      // J_ij[1, 0] - J_ij[0, 0]
    flip_delta[2 * e + 1] = Jij[3] - Jij[1];  // J_ij[1, 1] - J_ij[0, 1]
  }
}

}  // namespace ttsolve::mcmc
