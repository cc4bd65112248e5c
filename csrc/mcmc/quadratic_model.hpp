// Binary quadratic models in spin form: f(s) = s^T W s + h . s, s = 2x - 1 in {-1, 1}^D,
// W symmetric with zero diagonal stored as CSR. The Ising lattice and dense / sparse
// Boltzmann machines are all converted to this form by the Python layer.
//
// With the local field g_i = 2 (W s)_i + h_i, flipping site i changes f by
// delta_i = -2 s_i g_i exactly, and a flip of i changes g_j by -4 W_ji s_i (old s_i).
#pragma once
#include <cstdint>
#include <vector>

namespace ttsolve::mcmc {

struct SpinQuadratic {
  int64_t dim = 0;
  std::vector<int64_t> indptr, indices;  // CSR of W (row i: neighbours of i)
  std::vector<double> weights, bias;     // W values, h
  // exp(+-4 W_ij): factors by which a neighbour's sqrt proposal weight exp(delta_j / 2)
  // changes when site i flips (filled by prepare(); saves the exps on the hot path).
  std::vector<double> exp_pos, exp_neg;
  // Every row strictly increasing and without i itself: the single-flip fast path can then
  // update the touched leaves independently (set by prepare()); max_degree sizes its scratch.
  bool simple_rows = false;
  int64_t max_degree = 0;

  void prepare();

  /// Throws std::invalid_argument on inconsistent / non-finite / asymmetric input.
  void validate() const;
  /// f(s) from scratch.
  double energy(const int8_t* s) const;
  /// Local fields g = 2 W s + h from scratch.
  void fields(const int8_t* s, double* g) const;
};

}  // namespace ttsolve::mcmc
