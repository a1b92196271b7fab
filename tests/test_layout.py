"""The package's shape holds: no private names across modules, no shared prefixes, layering enforced.

These read the source (AST), not the running package, so a violation is named by file and line.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seller_insurance.paths import PROJ_ROOT

PACKAGE = PROJ_ROOT / "src" / "seller_insurance"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _private_imports(path: Path) -> list[str]:
    """``from seller_insurance.x import _name`` or ``module._name`` uses in ``path`` (dunder names are fine)."""
    label = path.relative_to(PROJ_ROOT) if path.is_relative_to(PROJ_ROOT) else path.name
    aliases = _package_aliases(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("seller_insurance"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{label}:{node.lineno} imports {node.module}.{alias.name}")
        private_attr = (
            isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
        )
        if private_attr and isinstance(node.value, ast.Name) and node.value.id in aliases:
            found.append(f"{label}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def _package_aliases(path: Path) -> set[str]:
    """Names bound in ``path`` to a seller_insurance module (``from seller_insurance import rules as r``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name for a in node.names if a.name.startswith("seller_insurance")}
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("seller_insurance"):
            for a in node.names:
                candidate = PACKAGE.joinpath(*node.module.split(".")[1:], a.name)
                if candidate.with_suffix(".py").exists() or (candidate / "__init__.py").exists():
                    names.add(a.asname or a.name)
    return names


def test_no_module_imports_a_private_name_of_another():
    found = [line for path in _modules() for line in _private_imports(path)]
    assert found == []


def test_the_private_name_check_catches_both_spellings(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from seller_insurance.data.loading import _secret\n"
        "from seller_insurance.analysis import rules as r\n"
        "r._hidden()\n"
    )
    assert _private_imports(bad) == [
        "bad.py:1 imports seller_insurance.data.loading._secret",
        "bad.py:3 uses r._hidden",
    ]


def test_no_two_top_level_modules_share_a_prefix():
    """``loading_core``/``loading_tables`` style names mean a subpackage is missing."""
    names = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("__"))
    names += sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    prefixes = [n.split("_")[0] for n in names]
    shared = {p for p in prefixes if prefixes.count(p) > 1}
    assert shared == set(), f"top-level modules sharing a prefix: {sorted(shared)} in {names}"


def test_every_subpackage_declares_its_public_face():
    for init in PACKAGE.rglob("__init__.py"):
        if init.parent == PACKAGE:
            continue
        tree = ast.parse(init.read_text())
        declared = [
            n
            for n in tree.body
            if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets)
        ]
        assert declared, f"{init.relative_to(PROJ_ROOT)} has no __all__"


@pytest.mark.subprocess
def test_layering_contract_fails_when_a_lower_layer_imports_a_higher_one(tmp_path):
    """Copy the package, add ``import seller_insurance.publish`` to a data module: lint-imports must fail."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        pytest.skip("import-linter is a dev dependency (make setup installs it)")
    shutil.copytree(PROJ_ROOT / "src", tmp_path / "src")
    shutil.copy(PROJ_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {"PYTHONPATH": str(tmp_path / "src"), "PATH": str(lint_imports.parent)}

    clean = subprocess.run([str(lint_imports)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    run_data = tmp_path / "src" / "seller_insurance" / "data" / "run_data.py"
    run_data.write_text(run_data.read_text() + "\nimport seller_insurance.publish.charts  # upward\n")
    broken = subprocess.run([str(lint_imports)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert broken.returncode != 0
    assert "seller_insurance.data.run_data -> seller_insurance.publish.charts" in broken.stdout
