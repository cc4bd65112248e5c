"""The .pyi stubs of ttsolve._core (one per submodule) match the compiled signatures.

Names and parameter names are compared in both directions: every compiled function,
class, method and attribute has a stub with the same parameters, and every stub exists in
the extension. Parameter names of compiled callables come from pybind11's docstring
signatures ("name(a: T, b: U = ...) -> R").
"""

import ast
import importlib.machinery
import pathlib
import types

import pytest

import ttsolve
from ttsolve import _core

STUB_DIR = pathlib.Path(ttsolve.__file__).parent / "_core"
SUBMODULES = ["tt", "regression", "mcmc", "pde", "learn", "_testing"]


def _split_top_level(text):
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def compiled_params(obj, name):
    """Parameter names (without self) from the first line of a pybind11 docstring."""
    first = (obj.__doc__ or "").lstrip().splitlines()[0]
    assert first.startswith(name + "("), f"{name}: no pybind11 signature in its docstring: {first!r}"
    depth = 0
    for end, ch in enumerate(first[len(name):], len(name)):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            break
    names = [p.split(":")[0].split("=")[0].strip() for p in _split_top_level(first[len(name) + 1:end])]
    return [n for n in names if n not in ("self", "*", "/")]


def compiled_surface(mod):
    """{name: params (functions) | {member: params or None} (classes) | None (attributes)}."""
    out = {}
    for name, obj in vars(mod).items():
        if name.startswith("__") or isinstance(obj, types.ModuleType):
            continue
        if isinstance(obj, type):
            members = {}
            for m, v in vars(obj).items():
                if m.startswith("_") and m != "__init__":
                    continue
                members[m] = None if isinstance(v, property) else compiled_params(v, m)
            out[name] = members
        elif callable(obj):
            out[name] = compiled_params(obj, name)
        else:
            out[name] = None
    return out


def _stub_params(fn):
    a = fn.args
    return [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs if p.arg != "self"]


def stub_surface(path):
    out = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = _stub_params(node)
        elif isinstance(node, ast.ClassDef):
            members = {}
            for m in node.body:
                if isinstance(m, ast.FunctionDef):
                    is_property = any(isinstance(d, ast.Name) and d.id == "property" for d in m.decorator_list)
                    members[m.name] = None if is_property else _stub_params(m)
            out[node.name] = members
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and not node.target.id.startswith("_"):
            out[node.target.id] = None
    return out


@pytest.mark.parametrize("sub", [""] + SUBMODULES)
def test_stub_matches_compiled_signatures(sub):
    mod = getattr(_core, sub) if sub else _core
    stub = stub_surface(STUB_DIR / f"{sub or '__init__'}.pyi")
    compiled = compiled_surface(mod)
    assert sorted(set(compiled) - set(stub)) == [], "compiled names without a stub"
    assert sorted(set(stub) - set(compiled)) == [], "stubs of names the extension does not have"
    for name, expected in compiled.items():
        assert stub[name] == expected, f"_core.{sub + '.' if sub else ''}{name}: stub {stub[name]} vs compiled {expected}"


def test_every_submodule_has_a_stub_and_is_declared():
    declared = {n.names[0].name for n in ast.parse((STUB_DIR / "__init__.pyi").read_text()).body
                if isinstance(n, ast.ImportFrom) and n.level == 1}
    compiled = {n for n, v in vars(_core).items() if isinstance(v, types.ModuleType)}
    assert declared == compiled == set(SUBMODULES)
    assert {p.stem for p in STUB_DIR.glob("*.pyi")} == {"__init__", *SUBMODULES}


def test_stub_directory_does_not_shadow_the_extension():
    # a stub-only directory beside the .so must not turn ttsolve._core into a namespace package
    assert _core.__spec__.origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    assert not list(STUB_DIR.glob("*.py"))


def test_test_hooks_only_under_testing():
    # the public submodules carry no test hooks; _testing holds nothing public-facing
    for sub in ["tt", "regression", "mcmc", "pde"]:
        names = set(vars(getattr(_core, sub)))
        assert not {n for n in names if n.startswith("_") and not n.startswith("__")}, sub
    assert "gram_simd" in vars(_core._testing) and "gram_simd" not in vars(_core.regression)
