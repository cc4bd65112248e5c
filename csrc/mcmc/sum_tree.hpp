// Binary sum tree over non-negative leaf weights: O(log n) update and O(log n) draw of
// an index with probability weight / total (the GWG proposal on sparse models).
#pragma once
#include <cstdint>
#include <vector>

namespace ttsolve::mcmc {

class SumTree {
 public:
  SumTree() = default;
  explicit SumTree(int64_t n) { resize(n); }

  void resize(int64_t n) {
    size_ = 1;
    while (size_ < n) size_ <<= 1;
    node_.assign(2 * size_, 0.0);
  }
  double leaf(int64_t i) const { return node_[size_ + i]; }
  double total() const { return node_[1]; }

  /// Sets every leaf, then all parents bottom-up (O(n)).
  template <class F>
  void build(int64_t n, F weight) {
    for (int64_t i = 0; i < n; ++i) node_[size_ + i] = weight(i);
    for (int64_t k = size_ - 1; k >= 1; --k) node_[k] = node_[2 * k] + node_[2 * k + 1];
  }
  /// Sets one leaf and recomputes its ancestors from their children (no drift).
  void update(int64_t i, double w) {
    int64_t k = size_ + i;
    node_[k] = w;
    for (k >>= 1; k >= 1; k >>= 1) node_[k] = node_[2 * k] + node_[2 * k + 1];
  }
  /// Index whose cumulative-weight interval contains u, 0 <= u < total().
  int64_t find(double u) const {
    int64_t k = 1;
    while (k < size_) {
      const double left = node_[2 * k];
      if (u < left || node_[2 * k + 1] <= 0.0) k = 2 * k;
      else { u -= left; k = 2 * k + 1; }
    }
    return k - size_;
  }

 private:
  int64_t size_ = 1;
  std::vector<double> node_;
};

}  // namespace ttsolve::mcmc
