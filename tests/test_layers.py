"""The layer rule of DESIGN.md section 3: a module imports only layers to its left.

The order is the flow of the data (standard -> ... -> web -> cli). A rightward
import would let a lower layer depend on a higher one (the store on the web
app, say), which is how rules end up written twice. Lazy imports inside
functions count too: they are dependencies all the same. Modules at the top of
the package (`errors`, `config`) sit left of every layer and may import none.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ctdata

ORDER = ("standard", "store", "screening", "cases", "ingest", "simulate", "warehouse", "linkage",
         "analytics", "prevalence", "publish", "report", "web", "cli")
RANK = {name: i for i, name in enumerate(ORDER)}
ROOT = Path(ctdata.__file__).parent


def _layer_of(parts: tuple[str, ...]) -> str | None:
    """The layer a module or an imported name belongs to (None: package top, left of all)."""
    head = parts[0].removesuffix(".py") if parts else ""
    return head if head in RANK else None


def _imported_layers(tree: ast.AST, module_parts: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line, layer) of every ctdata layer a module imports, absolute or relative, at any depth."""
    found: list[tuple[int, str]] = []
    package = module_parts[:-1]
    for node in ast.walk(tree):
        names: list[tuple[str, ...]] = []
        if isinstance(node, ast.Import):
            names = [tuple(a.name.split(".")) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                names = [tuple(node.module.split("."))]
            elif node.level > 0:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                tail = tuple(node.module.split(".")) if node.module else ()
                full = ("ctdata", *base, *tail)
                names = [full] if tail or base else [("ctdata", a.name) for a in node.names]
        for parts in names:
            if len(parts) > 1 and parts[0] == "ctdata":
                layer = _layer_of(parts[1:])
                if layer is not None:
                    found.append((node.lineno, layer))
    return found


def rightward_imports(root: Path) -> list[str]:
    """Every import, under `root`, of a layer to the right of the importing module's layer."""
    bad: list[str] = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        here = _layer_of(parts)
        rank = RANK[here] if here is not None else -1
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, layer in _imported_layers(tree, parts):
            if RANK[layer] > rank:
                bad.append(f"{path.relative_to(root)}:{line} ({here or 'package top'} imports {layer})")
    return bad


def test_no_module_imports_a_layer_to_its_right() -> None:
    assert rightward_imports(ROOT) == []


def test_every_top_level_folder_is_a_known_layer() -> None:
    """A new folder must take its place in the order (and in DESIGN.md) before it can be checked."""
    folders = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders <= set(ORDER), folders - set(ORDER)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"store/x.py": "from ctdata.web import app\n"}, ["store imports web"]),
        ({"store/x.py": "def f():\n    import ctdata.cli.output\n"}, ["store imports cli"]),
        ({"store/x.py": "from ctdata.standard import vocab\n"}, []),
        ({"cases/a/b.py": "from ...linkage import model\n"}, ["cases imports linkage"]),
        ({"cases/a.py": "from . import service\n"}, []),
        ({"errors.py": "from ctdata.store import db\n"}, ["package top imports store"]),
        ({"web/x.py": "from ctdata.publish import kanon\n"}, []),
    ],
)
def test_the_check_finds_rightward_imports(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    """The checker itself: it must flag what it is meant to flag, lazy and relative imports included."""
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    found = rightward_imports(tmp_path)
    assert [f.split("(", 1)[1].rstrip(")") for f in found] == expected


@pytest.mark.parametrize("layer", ORDER)
def test_every_layer_names_its_public_surface(layer: str) -> None:
    """Each layer's __init__ lists its public names, and each of them is there to import."""
    import importlib

    package = importlib.import_module(f"ctdata.{layer}")
    names = getattr(package, "__all__", None)
    assert names, f"ctdata.{layer} declares no __all__"
    for name in names:
        if not hasattr(package, name):
            importlib.import_module(f"ctdata.{layer}.{name}")
