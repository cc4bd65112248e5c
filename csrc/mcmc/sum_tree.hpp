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
  /// Sets a leaf without fixing its ancestors (call refresh() afterwards).
  void set_leaf(int64_t i, double w) { node_[size_ + i] = w; }
  /// True when refresh() of this many leaves is one O(n) pass over every parent.
  bool refresh_is_full(int64_t n_leaves) const { return n_leaves * 4 > size_; }
  /// Recomputes every parent bottom-up (O(n)).
  void refresh_all() {
    for (int64_t k = size_ - 1; k >= 1; --k) node_[k] = node_[2 * k] + node_[2 * k + 1];
  }
  /// Recomputes the ancestors of the given leaves, sorted ascending (shared ones once).
  void refresh(std::vector<int64_t>& nodes) {
    if (refresh_is_full(int64_t(nodes.size()))) {  // many leaves: one O(n) pass is cheaper
      refresh_all();
      return;
    }
    for (auto& k : nodes) k += size_;
    while (nodes[0] > 1) {
      size_t out = 0;
      for (size_t a = 0; a < nodes.size(); ++a) {
        const int64_t p = nodes[a] >> 1;
        if (out > 0 && nodes[out - 1] == p) continue;  // sorted: duplicates are adjacent
        nodes[out++] = p;
        node_[p] = node_[2 * p] + node_[2 * p + 1];
      }
      nodes.resize(out);
    }
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
  /// find(u) over the first n leaves, moved to the nearest leaf of positive weight when
  /// round-off at an interval boundary lands on a zero leaf (first leftwards, then rightwards).
  int64_t find_live(double u, int64_t n) const {
    const int64_t i = find(u);
    if (leaf(i) > 0.0) return i;
    int64_t j = i;
    while (j > 0 && leaf(j) <= 0.0) --j;
    if (leaf(j) <= 0.0) {
      j = i;
      while (j + 1 < n && leaf(j) <= 0.0) ++j;
    }
    return j;
  }

 private:
  int64_t size_ = 1;
  std::vector<double> node_;
};

}  // namespace ttsolve::mcmc
