"""Notebook hygiene checks: what a notebook under ``notebooks/`` must satisfy to be committed.

- no outputs and no execution counts (git diffs show code, not JSON);
- a paired jupytext percent-format ``.py`` beside it, with the same cells (the readable diff);
- a kernelspec in the metadata (papermill needs it);
- exactly one code cell tagged ``parameters`` (papermill injects overrides after it).

``python -m seller_insurance.nbhygiene notebooks/*.ipynb`` prints the problems and exits 1 if there are any.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def _cells_signature(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (c.cell_type, c.source.strip(), tuple(sorted(c.get("metadata", {}).get("tags", []))))
        for c in nb.cells
    ]


def check_notebook(path: str | Path) -> list[str]:
    """Problems with one ``.ipynb`` (an empty list when it is clean)."""
    import jupytext

    path = Path(path)
    problems: list[str] = []
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"{path.name}: cell {i} carries outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"{path.name}: cell {i} carries an execution count")
    ks = nb.metadata.get("kernelspec") or {}
    if not ks.get("name"):
        problems.append(f"{path.name}: no kernelspec in the notebook metadata")
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        problems.append(f"{path.name}: {len(tagged)} cells tagged 'parameters' (exactly one needed)")
    elif tagged[0].cell_type != "code":
        problems.append(f"{path.name}: the 'parameters' cell is not a code cell")
    pair = path.with_suffix(".py")
    if not pair.exists():
        problems.append(f"{path.name}: no paired jupytext file {pair.name}")
    else:
        py = jupytext.read(pair, fmt="py:percent")
        if _cells_signature(py) != _cells_signature(nb):
            problems.append(f"{path.name}: out of sync with {pair.name} (run `make sync-notebooks`)")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Check the notebooks in ``argv`` (default ``sys.argv[1:]``), print each problem; 1 if any, else 0."""
    paths = argv if argv is not None else sys.argv[1:]
    problems = [p for path in paths for p in check_notebook(path)]
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
