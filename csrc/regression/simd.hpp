// Run-time choice of the regression kernels' AVX2/FMA versions: the build stays portable (no
// -march); each kernel with such a version is compiled for that target alone and used when
// the CPU has AVX2 and FMA, else its BLAS-based path runs.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__)
// Kernels with an AVX2/FMA version are built on this platform; functions marked
// TTSOLVE_AVX2_TARGET are compiled for it (and must only run when simd_enabled()).
#define TTSOLVE_AVX2_KERNELS 1
#define TTSOLVE_AVX2_TARGET __attribute__((target("avx2,fma")))
#endif

namespace ttsolve::regression {

/// True if the AVX2/FMA kernels are available on this CPU and not disabled.
bool simd_enabled();

/// Test hook: disable (or re-enable, where the CPU has them) the AVX2/FMA kernels, so both
/// paths can be compared on one machine.
void set_simd_enabled(bool enabled);

}  // namespace ttsolve::regression
