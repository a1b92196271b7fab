"""The main job: run every notebook with papermill into ``reports/<run>/`` and package the results.

A run folder holds the executed notebooks, an HTML version of each without code cells (nbconvert
``exclude_input``, self-contained: see :func:`export_html`), ``figures/`` (PNG and SVG), ``metrics.json``,
``slides.pptx``, ``manifest.json`` (parameters, policy calendar, data checksums, package versions, git commit,
timings) and ``index.html`` linking all of them with the headline numbers (:mod:`~seller_insurance.publish.run_index`).

Decisions:

- Notebooks are ``notebooks/NN_*.ipynb``, run in number order. Each receives only the parameters its
  ``parameters`` cell declares (so papermill never warns about unknown ones) plus ``run_dir``.
- The run is staged in ``reports/.<run>.partial`` and renamed into place only when every notebook succeeded, so a
  re-run replaces the folder atomically and a failed run never leaves a half report where a good one was. A
  failing notebook stops the run; the partly executed notebooks are kept in ``reports/<run>.failed/`` and the error
  names the notebook, the cell and that path (exit status 1).
- Parameter values given as ``--set key=value`` are parsed as YAML scalars (``n_sellers=2000`` is an int,
  ``threshold=null`` is None).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

from seller_insurance import __version__
from seller_insurance.errors import InputError, RunError
from seller_insurance.paths import NOTEBOOKS_DIR, PARAMS_DIR, PROJ_ROOT, REPORTS_DIR

KERNEL_NAME = "seller-insurance"
DEFAULT_PARAMS_FILE = PARAMS_DIR / "default.yaml"
RECORDED_PACKAGES = (
    "pandas",
    "numpy",
    "pyarrow",
    "matplotlib",
    "scikit-learn",
    "papermill",
    "nbconvert",
    "python-pptx",
    "dask",
    "jupytext",
)


def notebooks(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The report's notebooks, in the order they run (``NN_name.ipynb``)."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def notebook_parameters(folder: Path = NOTEBOOKS_DIR) -> dict[str, dict[str, dict[str, Any]]]:
    """Every notebook's parameters: ``{notebook: {name: {"default", "type", "help"}}}`` (papermill's view)."""
    import papermill as pm

    out: dict[str, dict[str, dict[str, Any]]] = {}
    for nb in notebooks(folder):
        params = pm.inspect_notebook(str(nb))
        out[nb.name] = {
            name: {"default": p["default"], "type": p["inferred_type_name"], "help": p["help"]}
            for name, p in params.items()
        }
    return out


def load_params(path: str | Path | None = None, overrides: list[str] | None = None) -> dict[str, Any]:
    """Run parameters from a flat YAML file plus ``key=value`` overrides (values parsed as YAML)."""
    params: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise InputError("parameter file not found", path=path)
        loaded = yaml.safe_load(path.read_text()) or {}
        if not isinstance(loaded, dict):
            raise InputError("a parameter file must be a mapping of name: value", path=path)
        params.update(loaded)
    for item in overrides or []:
        if "=" not in item:
            raise InputError(f"--set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        params[key.strip()] = yaml.safe_load(value)
    return params


def check_params(params: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise ``InputError`` for a parameter that no notebook declares (a typo would silently do nothing)."""
    known = {name for nb in declared.values() for name in nb} | {"run_name"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InputError(
            f"unknown parameter(s) {', '.join(unknown)}; `seller-insurance report --list-params` lists them"
        )


def _git_commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJ_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJ_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _package_versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0], "seller-insurance-impact": __version__}
    for name in RECORDED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


HTML_TEMPLATES = Path(__file__).parent / "templates"


def export_html(executed: Path, out: Path) -> Path:
    """HTML of an executed notebook without code cells or prompts (what a stakeholder opens).

    Uses the package's ``standalone`` template (``publish/templates/standalone``): nbconvert's ``lab`` template
    without require.js, MathJax, mermaid.js or the widget renderer, which ``lab`` fetches from CDNs. The page
    is self-contained (figures are embedded) and renders the same offline and online; without MathJax, ``$``
    amounts cannot turn into maths.
    """
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="standalone",
        extra_template_basedirs=[str(HTML_TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    out.write_text(body, encoding="utf-8")
    return out


def run_info(run_dir: Path, name: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``run`` block of metrics.json.

    The data source comes from the data notebook's ``dataset.json``; the parameters from ``params`` or, when not
    given, from the ``parameters.json`` the runner writes at the start of a run.
    """
    run_dir = Path(run_dir)
    data = json.loads((run_dir / "dataset.json").read_text()) if (run_dir / "dataset.json").exists() else {}
    if params is None:
        saved = run_dir / "parameters.json"
        params = json.loads(saved.read_text()) if saved.exists() else {}
    return {
        "name": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_source": data.get("description", "unknown"),
        "parameters": dict(params),
        "package_version": __version__,
        "git_commit": _git_commit(),
    }


def run_report(
    params: Mapping[str, Any],
    name: str,
    *,
    kernel_name: str = KERNEL_NAME,
    progress_bar: bool | None = None,
    log: Callable[[str], None] | None = None,
    reports_dir: Path = REPORTS_DIR,
    notebook_dir: Path = NOTEBOOKS_DIR,
    slides: bool = True,
) -> Path:
    """Run every notebook into ``reports_dir/<name>/`` and return that folder.

    ``params`` are the run's parameters (each notebook gets the ones it declares). Raises ``RunError`` when a
    notebook fails (after keeping the partial run in ``<name>.failed``) and ``InputError`` for unknown parameters.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    progress_bar = sys.stderr.isatty() if progress_bar is None else progress_bar
    declared = notebook_parameters(notebook_dir)
    params = {k: v for k, v in params.items() if k != "run_name"}
    check_params(params, declared)

    reports_dir.mkdir(parents=True, exist_ok=True)
    final = reports_dir / name
    staging = reports_dir / f".{name}.partial"
    failed = reports_dir / f"{name}.failed"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "figures").mkdir(parents=True)

    (staging / "parameters.json").write_text(json.dumps(dict(params), indent=2, default=str) + "\n")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    env_backend = os.environ.setdefault("MPLBACKEND", "agg")
    # The kernels inherit the environment: no progress bars in the executed notebooks and their HTML
    # (data.run_data.progress_wanted); restored afterwards for the caller's own progress bars.
    with mock.patch.dict(os.environ, {"TQDM_DISABLE": "1"}):
        for nb in notebooks(notebook_dir):
            nb_params = {k: v for k, v in params.items() if k in declared[nb.name]}
            if "run_dir" in declared[nb.name]:
                nb_params["run_dir"] = str(staging.resolve())
            if "run_name" in declared[nb.name]:
                nb_params["run_name"] = name
            out_nb = staging / nb.name
            t0 = time.perf_counter()
            try:
                pm.execute_notebook(
                    str(nb),
                    str(out_nb),
                    parameters=nb_params,
                    kernel_name=kernel_name,
                    progress_bar=progress_bar,
                    cwd=str(notebook_dir),
                )
            except PapermillExecutionError as exc:
                shutil.rmtree(failed, ignore_errors=True)
                staging.rename(failed)
                raise RunError(
                    f"notebook {nb.name} failed in cell {exc.exec_count} ({exc.ename}: {exc.evalue}); the partly "
                    f"executed notebook is {failed / nb.name}; earlier results in {final} are unchanged"
                ) from None
            timings[nb.name] = round(time.perf_counter() - t0, 2)
            log(f"  {nb.name:<28} {timings[nb.name]:7.1f} s")
            export_html(out_nb, out_nb.with_suffix(".html"))

    info = run_info(staging, name, params)
    metrics_path = staging / "metrics.json"
    if not metrics_path.exists():  # the summary notebook normally writes it
        from seller_insurance.publish import run_metrics

        run_metrics.assemble(staging, info)
    if slides:
        from seller_insurance.publish.slides import build_deck

        t0 = time.perf_counter()
        build_deck(staging)
        timings["slides.pptx"] = round(time.perf_counter() - t0, 2)
        log(f"  {'slides.pptx':<28} {timings['slides.pptx']:7.1f} s")

    data = json.loads((staging / "dataset.json").read_text()) if (staging / "dataset.json").exists() else {}
    data_dir = Path(data["path"]) if data.get("path") else None
    data_files = (
        {p.relative_to(data_dir).as_posix(): _sha256(p) for p in sorted(data_dir.rglob("*")) if p.is_file()}
        if data_dir is not None and data_dir.is_dir()
        else {}
    )
    metrics_file = staging / "metrics.json"  # the policy calendar the notebooks used (path + sha256), if any
    calendar = json.loads(metrics_file.read_text())["run"].get("calendar") if metrics_file.exists() else None
    manifest = {
        "run": name,
        "created": info["created"],
        "parameters": dict(params),
        "policy_calendar": calendar,
        "notebooks": [nb.name for nb in notebooks(notebook_dir)],
        "data": data,
        "data_checksums": data_files,
        "outputs": {
            p.relative_to(staging).as_posix(): _sha256(p)
            for p in sorted(staging.rglob("*"))
            if p.is_file()
            and p.suffix in {".json", ".pptx", ".csv", ".parquet"}
            and p.name != "manifest.json"
        },
        "packages": _package_versions(),
        "git_commit": info["git_commit"],
        "timings_seconds": {**timings, "total": round(time.perf_counter() - started, 2)},
        "mpl_backend": env_backend,
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    from seller_insurance.publish.run_index import write_index

    write_index(staging)

    # Atomic replacement: the old folder moves aside, the staged one takes its name, then the old one goes.
    old = reports_dir / f".{name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(failed, ignore_errors=True)
    log(f"  {'total':<28} {manifest['timings_seconds']['total']:7.1f} s -> {final}")
    return final
