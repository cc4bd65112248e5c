// _core.regression: bases, functional TT evaluation, ALS/SALSA kernels (csrc/regression).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <string>
#include <vector>

#include "bindings/glue.hpp"
#include "bindings/register.hpp"
#include "regression/regression.hpp"
#include "regression/simd.hpp"

namespace ttsolve::bindings {
namespace rg = ttsolve::regression;

namespace {

py::array_t<double> basis_evaluate(DArray X, DArray coef, DArray shift, DArray scale, int derivative) {
  require_ndim(X, 2, "X");
  require_ndim(coef, 3, "coef");
  const int64_t K = X.shape(0), d = X.shape(1), p = coef.shape(1);
  require(coef.shape(0) == d && coef.shape(2) == p && p >= 1, "coef must have shape (d, p, p)");
  require(shift.size() == d && scale.size() == d, "shift/scale must have d entries");
  std::vector<double> out(K * d * p);
  run_released([&](Interrupt*) {
    rg::basis_evaluate(X.data(), K, d, coef.data(), shift.data(), scale.data(), p, derivative, out.data());
  });
  return move_to_numpy(std::move(out), {K, d, p});
}

/// Borrowed TT cores (kept alive with their arrays) as the kernels' CoreList.
struct Cores {
  std::vector<DArray> keep;
  rg::CoreList list;
};

Cores to_cores(const py::list& cores, int64_t d, int64_t p) {
  Cores c;
  require(static_cast<int64_t>(cores.size()) == d, "number of cores must equal the dimension of X");
  c.list.p = p;
  c.list.ranks.push_back(1);
  for (int64_t k = 0; k < d; ++k) {
    DArray a = as_array<double>(cores[k], "cores[" + std::to_string(k) + "]");
    require_ndim(a, 3, "core");
    require(a.shape(0) == c.list.ranks.back(), "core ranks are inconsistent");
    require(a.shape(1) == p, "core mode size must equal the basis size");
    c.list.ranks.push_back(a.shape(2));
    c.list.cores.push_back(a.data());
    c.keep.push_back(a);
  }
  require(c.list.ranks.back() == 1, "last TT rank must be 1");
  return c;
}

py::array_t<double> functional_eval(const py::list& cores, DArray Phi, std::string mode, py::object D) {
  require_ndim(Phi, 3, "Phi");
  const int64_t K = Phi.shape(0), d = Phi.shape(1), p = Phi.shape(2);
  Cores c = to_cores(cores, d, p);
  const Optional<double> Da = optional_array<double>(D, "D", {K, d, p});
  if (mode != "value") require(Da.present(), "mode '" + mode + "' needs the derivative array D");
  std::vector<double> out(mode == "grad" ? K * d : K);
  run_released([&](Interrupt*) {
    if (mode == "value") rg::functional_value(c.list, Phi.data(), K, out.data());
    else if (mode == "grad") rg::functional_grad(c.list, Phi.data(), Da.data(), K, out.data());
    else if (mode == "laplacian") rg::functional_laplacian(c.list, Phi.data(), Da.data(), K, out.data());
    else throw std::invalid_argument("mode must be 'value', 'grad' or 'laplacian'");
  });
  if (mode == "grad") return move_to_numpy(std::move(out), {K, d});
  return move_to_numpy(std::move(out), {K});
}

void check_stack(const DArray& S, const DArray& Phi, int64_t k, const char* name) {
  require_ndim(S, 2, name);
  require_ndim(Phi, 3, "Phi");
  require(S.shape(0) == Phi.shape(0), std::string(name) + " and Phi must have the same number of samples");
  if (k < 0 || k >= Phi.shape(1)) throw py::index_error("core index out of range");
}

/// One stack step: left (S = L, out (K, r2)) or right (S = R, out (K, r)).
py::array_t<double> stack_step(DArray S, DArray Phi, int64_t k, DArray core, bool left) {
  check_stack(S, Phi, k, left ? "L" : "R");
  require_ndim(core, 3, "core");
  const int64_t K = Phi.shape(0), d = Phi.shape(1), p = Phi.shape(2), r = core.shape(0), r2 = core.shape(2);
  require(S.shape(1) == (left ? r : r2) && core.shape(1) == p, "stack step: shapes do not match");
  const int64_t cols = left ? r2 : r;
  std::vector<double> out(K * cols);
  run_released([&](Interrupt*) {
    if (left) rg::stack_left(S.data(), Phi.data(), K, d, p, k, core.data(), r, r2, out.data());
    else rg::stack_right(S.data(), Phi.data(), K, d, p, k, core.data(), r, r2, out.data());
  });
  return move_to_numpy(std::move(out), {K, cols});
}

/// The optional inputs of a fit, checked in one place for the local problems and the sweep:
/// the additive term g (K), the weights w (K) and the compressed Gram's product-basis values
/// Psi ((K, d, q), or PsiT (d, K, q) for the sweep) with their coefficients C (d, p(p+1)/2, q).
struct FitExtras {
  Optional<double> g, w, Psi, C;
  int64_t q = 0;  // 0: uncompressed Gram
};

FitExtras fit_extras(py::handle g, py::handle w, py::handle Psi, py::handle C, int64_t K, int64_t d, int64_t p,
                     bool coordinate_major) {
  FitExtras e;
  e.g = optional_array<double>(g, "g", {K});
  e.w = optional_array<double>(w, "weights", {K});
  const std::string psi = coordinate_major ? "PsiT" : "Psi";
  e.Psi = coordinate_major ? optional_array<double>(Psi, psi, {d, K, kAny}) : optional_array<double>(Psi, psi, {K, d, kAny});
  if (e.Psi) {
    e.q = e.Psi.array().shape(2);
    require(e.q >= 1, psi + " needs at least one product-basis function");
    e.C = Optional<double>(as_array<double>(C, "C", {d, p * (p + 1) / 2, e.q}));
  }
  return e;
}

/// The checked inputs of one local problem (kept alive with their arrays).
struct LocalProblem {
  DArray L, Phi, R, y;
  FitExtras extras;
  int64_t K = 0, d = 0, p = 0, k = 0, r = 0, r2 = 0, nc = 0, n = 0;
  const double* cp() const {  // core k's product-basis coefficients
    return extras.q ? extras.C.data() + k * extras.C.array().shape(1) * extras.q : nullptr;
  }
};

LocalProblem local_problem(DArray L, DArray Phi, DArray R, int64_t k, py::object g, py::object w, DArray y,
                           py::object Psi, py::object C) {
  check_stack(L, Phi, k, "L");
  check_stack(R, Phi, k, "R");
  LocalProblem lp;
  lp.L = L, lp.Phi = Phi, lp.R = R, lp.y = y, lp.k = k;
  lp.K = Phi.shape(0), lp.d = Phi.shape(1), lp.p = Phi.shape(2), lp.r = L.shape(1), lp.r2 = R.shape(1);
  require_shape(y, {lp.K}, "y");
  lp.extras = fit_extras(g, w, Psi, C, lp.K, lp.d, lp.p, false);
  lp.nc = lp.r * lp.p * lp.r2;
  lp.n = lp.nc + (lp.extras.g ? 1 : 0);
  return lp;
}

py::tuple normal_equations(DArray L, DArray Phi, DArray R, int64_t k, py::object g, py::object w, DArray y,
                           py::object Psi, py::object C) {
  const LocalProblem lp = local_problem(L, Phi, R, k, g, w, y, Psi, C);
  const FitExtras& e = lp.extras;
  std::vector<double> G(lp.n * lp.n), b(lp.n);
  run_released([&](Interrupt* intr) {
    rg::local_normal_equations(lp.L.data(), lp.Phi.data(), lp.R.data(), lp.K, lp.d, lp.p, k, lp.r, lp.r2, e.g.data(),
                               e.w.data(), lp.y.data(), G.data(), b.data(), e.Psi.data(), e.q, lp.cp(), intr);
  });
  return py::make_tuple(move_to_numpy(std::move(G), {lp.n, lp.n}), move_to_numpy(std::move(b), {lp.n}));
}

py::tuple local_solve(DArray L, DArray Phi, DArray R, int64_t k, py::object g, py::object w, DArray y,
                      py::object Psi, py::object C, DArray reg, py::object penalty) {
  const LocalProblem lp = local_problem(L, Phi, R, k, g, w, y, Psi, C);
  const FitExtras& e = lp.extras;
  require(reg.ndim() == 1 && reg.shape(0) == lp.n, "reg must have one entry per unknown");
  const Optional<double> pen = optional_array<double>(penalty, "penalty", {lp.nc, lp.nc});
  std::vector<double> x(lp.n);
  const bool fallback = run_released([&](Interrupt* intr) {
    return rg::local_solve(lp.L.data(), lp.Phi.data(), lp.R.data(), lp.K, lp.d, lp.p, k, lp.r, lp.r2, e.g.data(),
                           e.w.data(), lp.y.data(), e.Psi.data(), e.q, lp.cp(), pen.data(), reg.data(), x.data(),
                           intr);
  });
  return py::make_tuple(move_to_numpy(std::move(x), {lp.n}), fallback);
}

/// A float64 C-contiguous writeable numpy array to update in place (no conversion copies).
py::array_t<double> inplace_array(py::handle h, const std::string& name) {
  if (!py::isinstance<py::array_t<double, py::array::c_style>>(h))
    throw py::type_error(name + " must be a C-contiguous float64 numpy array");
  auto a = py::reinterpret_borrow<py::array_t<double>>(h);
  if (!a.writeable()) throw py::value_error(name + " must be writeable");
  return a;
}

py::tuple als_sweep(const py::list& cores, const py::list& R, DArray PhiT, py::object PsiT, py::object C, DArray y,
                    py::object g, py::object w, double ridge) {
  require_ndim(PhiT, 3, "PhiT");
  rg::SweepProblem P;
  P.d = PhiT.shape(0), P.K = PhiT.shape(1), P.p = PhiT.shape(2);
  const int64_t d = P.d, K = P.K;
  require(d >= 2, "als_sweep needs d >= 2");
  require(static_cast<int64_t>(cores.size()) == d && static_cast<int64_t>(R.size()) == d + 1,
          "als_sweep: need d cores and d + 1 stack slots");
  require_shape(y, {K}, "y");
  std::vector<py::array_t<double>> keep;
  std::vector<double*> core_ptr(d), R_ptr(d + 1, nullptr);
  P.ranks.assign(1, 1);
  for (int64_t k = 0; k < d; ++k) {
    auto a = inplace_array(cores[k], "cores[" + std::to_string(k) + "]");
    require(a.ndim() == 3 && a.shape(0) == P.ranks.back() && a.shape(1) == P.p, "core shapes are inconsistent");
    P.ranks.push_back(a.shape(2));
    core_ptr[k] = a.mutable_data();
    keep.push_back(a);
  }
  require(P.ranks.back() == 1, "last TT rank must be 1");
  for (int64_t k = 1; k < d; ++k) {
    auto a = inplace_array(R[k], "R[" + std::to_string(k) + "]");
    require(a.ndim() == 2 && a.shape(0) == K && a.shape(1) == P.ranks[k], "right stack shapes are inconsistent");
    R_ptr[k] = a.mutable_data();
    keep.push_back(a);
  }
  const FitExtras e = fit_extras(g, w, PsiT, C, K, d, P.p, true);
  P.q = e.q;
  P.SP = P.p * (P.p + 1) / 2;
  P.PsiT = e.Psi.data();
  P.C = e.C.data();
  P.g = e.g.data();
  P.w = e.w.data();
  require(std::isfinite(ridge) && ridge >= 0, "ridge must be finite and >= 0");
  P.ridge = ridge;
  P.PhiT = PhiT.data();
  P.y = y.data();
  std::vector<double> f(K);
  double c = 0.0;
  const int fallbacks = run_released([&](Interrupt* intr) { return rg::als_sweep(P, core_ptr, R_ptr, &c, f.data(), intr); });
  return py::make_tuple(move_to_numpy(std::move(f), {K}), c, fallbacks);
}

py::array_t<double> product_basis_values(DArray X, IArray kind, DArray shift, DArray scale, int64_t q) {
  require_ndim(X, 2, "X");
  const int64_t K = X.shape(0), d = X.shape(1);
  require(kind.size() == d && shift.size() == d && scale.size() == d, "kind/shift/scale must have d entries");
  require(q >= 1 && q <= 256, "q must be in [1, 256]");
  std::vector<double> out(K * d * q);
  run_released([&](Interrupt*) {
    rg::product_basis_values(X.data(), K, d, kind.data(), shift.data(), scale.data(), q, out.data());
  });
  return move_to_numpy(std::move(out), {K, d, q});
}

}  // namespace

void register_regression(py::module_& m, py::module_& testing) {
  m.def("basis_evaluate", &basis_evaluate, py::arg("X"), py::arg("coef"), py::arg("shift"), py::arg("scale"),
        py::arg("derivative"));
  m.def("functional_eval", &functional_eval, py::arg("cores"), py::arg("Phi"), py::arg("mode"),
        py::arg("D") = py::none());
  m.def("als_stack_left", [](DArray L, DArray Phi, int64_t k, DArray core) { return stack_step(L, Phi, k, core, true); },
        py::arg("L"), py::arg("Phi"), py::arg("k"), py::arg("core"));
  m.def("als_stack_right", [](DArray R, DArray Phi, int64_t k, DArray core) { return stack_step(R, Phi, k, core, false); },
        py::arg("R"), py::arg("Phi"), py::arg("k"), py::arg("core"));
  m.def("als_local_solve", &local_solve, py::arg("L"), py::arg("Phi"), py::arg("R"), py::arg("k"), py::arg("g"),
        py::arg("w"), py::arg("y"), py::arg("Psi"), py::arg("C"), py::arg("reg"), py::arg("penalty") = py::none());
  m.def("als_sweep", &als_sweep, py::arg("cores"), py::arg("R"), py::arg("PhiT"), py::arg("PsiT"), py::arg("C"),
        py::arg("y"), py::arg("g"), py::arg("w"), py::arg("ridge"));
  m.def("product_basis_values", &product_basis_values, py::arg("X"), py::arg("kind"), py::arg("shift"),
        py::arg("scale"), py::arg("q"));
  m.def("simd_enabled", &rg::simd_enabled, "Whether the AVX2/FMA kernels of the Gram and the stacks are in use.");

  m.def("als_normal_equations", &normal_equations, py::arg("L"), py::arg("Phi"), py::arg("R"), py::arg("k"),
        py::arg("g"), py::arg("w"), py::arg("y"), py::arg("Psi") = py::none(), py::arg("C") = py::none(),
        "The Gram G and right-hand side b of core k's local least-squares problem (the sharded sweep sums "
        "them over shards).");
  m.def("spd_solve", [](const DArray& G, const DArray& reg, const DArray& rhs) {
    require(G.ndim() == 2 && G.shape(0) == G.shape(1), "G must be square");
    const int64_t n = G.shape(0);
    require(reg.ndim() == 1 && reg.shape(0) == n && rhs.ndim() == 1 && rhs.shape(0) == n,
            "reg and rhs must have one entry per row of G");
    std::vector<double> x(n);
    const bool truncated = run_released([&](Interrupt*) { return rg::spd_solve(n, G.data(), reg.data(), rhs.data(), x.data()); });
    return py::make_tuple(move_to_numpy(std::move(x), {n}), truncated);
  }, py::arg("G"), py::arg("reg"), py::arg("rhs"),
  "The local solve of (G + diag(reg)) x = rhs: (x, whether the truncated eigen solve was used).");
  // Switches the AVX2/FMA kernels of the Gram and the stacks (off => the BLAS paths; global
  // state); returns whether they are on.
  testing.def("gram_simd", [](py::object enable) {
    if (!enable.is_none()) rg::set_simd_enabled(enable.cast<bool>());
    return rg::simd_enabled();
  }, py::arg("enable") = py::none());
}

}  // namespace ttsolve::bindings
