#include "mcmc/gradient_models.hpp"

#include <cstddef>

namespace ttsolve::mcmc {

double value_and_grad(const PairwiseModel& m, const uint8_t* x, double* g) {
  m.grad(x, g);
  const int64_t K = m.n_states;
  double f = 0.0;
  for (int64_t i = 0; i < m.dim; ++i) f += m.bias[size_t(i * K + x[i])] + g[i * K + x[i]];
  return 0.5 * f;
}

PairwiseModel pairwise_from_spin(const SpinQuadratic& q) {
  PairwiseModel m;
  m.dim = q.dim;
  m.n_states = 2;
  m.indptr = q.indptr;
  m.indices = q.indices;
  m.blocks.resize(q.weights.size() * 4);
  for (size_t e = 0; e < q.weights.size(); ++e) {
    // entry (i, j) adds W_ij s_i s_j to the spin f and J_ij[x_i, x_j] / 2 to the pairwise f
    const double w = 2.0 * q.weights[e];
    m.blocks[4 * e + 0] = w;   // (0, 0): s = (-1, -1)
    m.blocks[4 * e + 1] = -w;  // (0, 1)
    m.blocks[4 * e + 2] = -w;  // (1, 0)
    m.blocks[4 * e + 3] = w;   // (1, 1)
  }
  m.bias.resize(size_t(2 * q.dim));
  for (int64_t i = 0; i < q.dim; ++i) {
    m.bias[size_t(2 * i)] = -q.bias[size_t(i)];
    m.bias[size_t(2 * i + 1)] = q.bias[size_t(i)];
  }
  return m;
}

}  // namespace ttsolve::mcmc
