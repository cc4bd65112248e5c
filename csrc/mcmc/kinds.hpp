// The sampler table: every compiled kernel kind, written once. Adding a sampler is one row
// here plus its step function; Python reads the rows through _core.mcmc.sampler_table()
// (python/ttsolve/mcmc/kernels.py), so names, options, the model families a kernel runs on
// and the multi-flip flag live nowhere else.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace ttsolve::mcmc {

// X(Kind, kernel, sampler, option, values, families, multi_flip, params, python)
//   kernel      unique name of the compiled kind (test hooks take it)
//   sampler     public name for sample(); several rows may share it, told apart by
//   option      the sampler option that selects the row ("" if none) and
//   values      its value(s), '|'-separated: the first is canonical, the rest aliases.
//               The first row of a sampler that runs on the model's family is its
//               default (block_gibbs: scan="sweep", the RBM's alternating hidden / visible
//               sweep, on RBMs; scan="random" on the others).
//   families    space-separated model families (quadratic, rbm, user, pairwise) the kind supports
//   multi_flip  accepts n_flips > 1
//   params      extra keyword parameters with defaults, "name=default ..." ("" if none)
//   python      the step is written in Python (numpy engine), not compiled
// Multi-coordinate gradient kinds (csrc/mcmc/gradient_run.hpp, one engine for both families).
// Params: "a|b|c" is a choice (first = default), true/false a flag, other numbers > 0.
#define TTSOLVE_GRADIENT_COMMON "weight=sqrt|barker|max|min adaptive=false target_acceptance=0.574"
#define TTSOLVE_MCMC_GRADIENT_KINDS(X)                                                                   \
  X(Dmala, "dmala", "dmala", "", "", "quadratic pairwise rbm user", false, "step_size=0.5 " TTSOLVE_GRADIENT_COMMON, \
    false)                                                                                                \
  X(Dula, "dula", "dula", "", "", "quadratic pairwise rbm user", false, "step_size=0.5 " TTSOLVE_GRADIENT_COMMON,   \
    false)                                                                                                \
  X(Pas, "pas", "pas", "", "", "quadratic pairwise rbm user", false,                                               \
    "path_length=1 length=fixed|uniform " TTSOLVE_GRADIENT_COMMON, false)                                 \
  X(Dlmc, "dlmc", "dlmc", "", "", "quadratic pairwise rbm user", false,                                            \
    "t=1.0 solver=expm|interpolate " TTSOLVE_GRADIENT_COMMON, false)                                      \
  X(GwgMulti, "gwg_multi", "gwg_multi", "", "", "quadratic pairwise rbm", true, TTSOLVE_GRADIENT_COMMON, false)

#define TTSOLVE_MCMC_KINDS(X)                                                                             \
  X(Gwg, "gwg", "gwg", "", "", "quadratic rbm user pairwise", true, "", false)                                     \
  X(GibbsRandom, "gibbs_random", "gibbs", "scan", "random", "quadratic rbm user pairwise", false, "", false)                \
  X(GibbsSystematic, "gibbs_systematic", "gibbs", "scan", "systematic", "quadratic rbm user pairwise", false, "", false)    \
  X(BlockGibbs, "block_gibbs", "block_gibbs", "scan", "sweep", "rbm", false, "", true)                    \
  X(BlockGibbsRandom, "block_gibbs_random", "block_gibbs", "scan", "random", "quadratic pairwise user rbm", false,    \
    "block_size=2", false)                                                                                \
  X(BlockGibbsSystematic, "block_gibbs_systematic", "block_gibbs", "scan", "systematic", "quadratic pairwise user rbm", \
    false, "block_size=2", false)                                                                         \
  X(HammingBall, "hamming_ball", "hamming_ball", "", "", "quadratic rbm user pairwise", false, "block_size=4", false)       \
  X(RandomWalk, "random_walk", "random_walk", "scan", "random", "quadratic rbm user pairwise", false, "", false)            \
  X(RandomWalkSystematic, "random_walk_systematic", "random_walk", "scan", "systematic", "quadratic rbm user pairwise",     \
    false, "", false)                                                                                     \
  X(LbSqrt, "locally_balanced_sqrt", "locally_balanced", "weight", "sqrt", "quadratic rbm user pairwise", false, "", false) \
  X(LbBarker, "locally_balanced_barker", "locally_balanced", "weight", "barker|ratio", "quadratic rbm user pairwise", false, \
    "", false)                                                                                            \
  X(LbMax, "locally_balanced_max", "locally_balanced", "weight", "max", "quadratic rbm user pairwise", false, "", false)    \
  X(LbMin, "locally_balanced_min", "locally_balanced", "weight", "min", "quadratic rbm user pairwise", false, "", false)    \
  TTSOLVE_MCMC_GRADIENT_KINDS(X)

enum class Kind {
#define TTSOLVE_KIND_ENUM(kind, ...) kind,
  TTSOLVE_MCMC_KINDS(TTSOLVE_KIND_ENUM)
#undef TTSOLVE_KIND_ENUM
};

struct KindRow {
  Kind kind;
  const char *kernel, *sampler, *option, *values, *families;
  bool multi_flip;
  const char* params;
  bool python;
};

inline constexpr KindRow kKindTable[] = {
#define TTSOLVE_KIND_ROW(kind, ...) {Kind::kind, __VA_ARGS__},
    TTSOLVE_MCMC_KINDS(TTSOLVE_KIND_ROW)
#undef TTSOLVE_KIND_ROW
};

inline const KindRow& kind_row(Kind kind) { return kKindTable[static_cast<int>(kind)]; }

/// The kind whose kernel name is `name`; std::invalid_argument naming the valid ones if none.
inline Kind kind_from_name(const std::string& name) {
  std::string valid;
  for (const KindRow& row : kKindTable) {
    if (name == row.kernel) return row.kind;
    valid += valid.empty() ? row.kernel : std::string(", ") + row.kernel;
  }
  throw std::invalid_argument("unknown sampler kind '" + name + "'; valid: " + valid);
}

/// True if the kind runs on the model family `family` (one word of the families column).
inline bool kind_supports(Kind kind, const std::string& family) {
  const std::string words = std::string(" ") + kind_row(kind).families + " ";
  return words.find(" " + family + " ") != std::string::npos;
}

}  // namespace ttsolve::mcmc
