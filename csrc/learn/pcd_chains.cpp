#include "learn/pcd_chains.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "common/blas_runtime.hpp"
#include "common/lapack.hpp"
#include "mcmc/kinds.hpp"

namespace ttsolve::learn {

QuadPcdChains::QuadPcdChains(mcmc::SpinQuadratic model, mcmc::SamplerConfig config, const uint8_t* init,
                             int64_t n_chains, uint64_t seed) {
  if (n_chains < 1) throw std::invalid_argument("n_chains must be >= 1");
  run_.model = std::move(model);
  run_.config = config;
  run_.start(init, n_chains, seed, nullptr);  // validates the pattern and the kind once
  const int64_t D = run_.model.dim;
  if (nnz() * 8 >= D * D) dense_.assign(size_t(D * D), 0.0);  // refresh fields by GEMM
}

void QuadPcdChains::set_parameters(const double* weights, const double* bias) {
  mcmc::SpinQuadratic& m = run_.model;
  const int64_t D = m.dim, nz = nnz();
  for (int64_t k = 0; k < nz; ++k)
    if (!std::isfinite(weights[k])) throw std::invalid_argument("couplings must be finite");
  for (int64_t i = 0; i < D; ++i)
    if (!std::isfinite(bias[i])) throw std::invalid_argument("bias must be finite");
  std::copy(weights, weights + nz, m.weights.begin());
  std::copy(bias, bias + D, m.bias.begin());
  const bool tree = run_.config.uses_tree();
  if (tree) {  // exp(+-4 W) factors of the multiplicative proposal-weight updates
    for (int64_t k = 0; k < nz; ++k) {
      m.exp_pos[size_t(k)] = std::exp(4.0 * m.weights[size_t(k)]);
      m.exp_neg[size_t(k)] = std::exp(-4.0 * m.weights[size_t(k)]);
    }
  }
  if (!dense_.empty()) {
    std::fill(dense_.begin(), dense_.end(), 0.0);
    for (int64_t i = 0; i < D; ++i)
      for (int64_t k = m.indptr[i]; k < m.indptr[i + 1]; ++k) dense_[size_t(i * D + m.indices[k])] = m.weights[k];
  }
  refresh_chains();
}

void QuadPcdChains::refresh_chains() {
  const mcmc::SpinQuadratic& m = run_.model;
  const int64_t D = m.dim, n = n_chains();
  const bool tree = run_.config.uses_tree();
  if (!dense_.empty()) {  // G = 2 S W (W symmetric) for all chains at once
    std::vector<double> S(size_t(n * D)), G(size_t(n * D));
    for (int64_t c = 0; c < n; ++c)
      for (int64_t i = 0; i < D; ++i) S[size_t(c * D + i)] = run_.chains[size_t(c)].s[size_t(i)];
    {
      la::BlasSingleThreadScope single;  // the same sums whatever the thread count
      la::gemm(false, false, n, D, D, 2.0, S.data(), D, dense_.data(), D, 0.0, G.data(), D);
    }
    for (int64_t c = 0; c < n; ++c) {
      mcmc::QuadChain& ch = run_.chains[size_t(c)];
      for (int64_t i = 0; i < D; ++i) ch.g[size_t(i)] = G[size_t(c * D + i)] + m.bias[size_t(i)];
    }
  }
  mcmc::for_each_unit(n, [&](int64_t c) {
    mcmc::QuadChain& ch = run_.chains[size_t(c)];
    if (dense_.empty()) m.fields(ch.s.data(), ch.g.data());
    // f = sum_i s_i ((W s)_i + h_i) with (W s)_i = (g_i - h_i) / 2.
    double f = 0.0;
    for (int64_t i = 0; i < D; ++i) f += ch.s[size_t(i)] * 0.5 * (ch.g[size_t(i)] + m.bias[size_t(i)]);
    ch.f = f;
    if (tree) ch.rebuild_tree(m, run_.config.kind);
  });
}

double QuadPcdChains::advance(int64_t n_steps, Interrupt* stop) {
  if (n_steps < 0) throw std::invalid_argument("n_steps must be >= 0");
  const int64_t n = n_chains();
  std::vector<uint64_t> accepted0(static_cast<size_t>(n));
  for (int64_t c = 0; c < n; ++c) accepted0[size_t(c)] = run_.chains[size_t(c)].accepted;
  // Chunks of about 2^16 chain-steps between Ctrl-C polls (never inside the parallel loop).
  const int64_t chunk = std::max<int64_t>(1, (int64_t(1) << 16) / n);
  for (int64_t done = 0; done < n_steps;) {
    const int64_t len = std::min(chunk, n_steps - done);
    mcmc::for_each_unit(n, [&](int64_t c) {
      mcmc::QuadChain& ch = run_.chains[size_t(c)];
      for (int64_t t = 0; t < len; ++t) mcmc::quad_step(run_.model, run_.config, ch);
    });
    done += len;
    if (done < n_steps) check_interrupt(stop);
  }
  if (n_steps == 0) return 0.0;
  uint64_t total = 0;
  for (int64_t c = 0; c < n; ++c) total += run_.chains[size_t(c)].accepted - accepted0[size_t(c)];
  return double(total) / (double(n) * double(n_steps));
}

void QuadPcdChains::states(uint8_t* out) const {
  const int64_t D = dim();
  for (int64_t c = 0; c < n_chains(); ++c) {
    const auto& s = run_.chains[size_t(c)].s;
    for (int64_t i = 0; i < D; ++i) out[c * D + i] = s[size_t(i)] > 0;
  }
}

}  // namespace ttsolve::learn
