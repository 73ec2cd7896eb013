"""The import graph points down only (docs/architecture.md): io → weights → nets → faces → analysis → metrics | models →
baselines → results → protocols → reports → benchmarks → commands. Every import is checked, including the
lazy ones inside functions, so a cycle cannot hide behind a deferred import."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "talkbench"

#: layer of each top-level module or package; equal layers may not import each other (metrics ↛ models)
LAYERS = {
    "errors": 0, "lazy": 0, "logs": 0, "io": 0, "geometry": 0,
    "weights": 1, "nets": 2, "faces": 3, "analysis": 4,
    "metrics": 5, "models": 5,
    "baselines": 6, "results": 7, "protocols": 8, "reports": 9, "benchmarks": 10,
    "listings": 10, "commands": 11, "cli": 12, "__main__": 13,
}
#: the package root holds only `__version__` and the lazy public API
ROOT_ATTRIBUTES = {"__version__"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[str]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out += [target] if node.module else [f"{target}.{a.name}" for a in node.names]
    return [t for t in out if t == "talkbench" or t.startswith("talkbench.")]


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_top_level_module_has_a_layer():
    tops = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())}
    assert tops <= set(LAYERS), f"add {sorted(tops - set(LAYERS))} to LAYERS (and to docs/architecture.md)"


def test_imports_point_down_only():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        src = _top(_module_name(path))
        if not src:
            continue
        for target in _imports(path):
            dst = _top(target)
            if dst in ("", *ROOT_ATTRIBUTES) or dst == src:
                continue
            if LAYERS[dst] >= LAYERS[src] and not (LAYERS[dst] == LAYERS[src] == 0):
                upward.append(f"{_module_name(path)} imports {target} ({src} L{LAYERS[src]} → {dst} L{LAYERS[dst]})")
    assert upward == []
