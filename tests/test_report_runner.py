"""The papermill runner on tiny stand-in notebooks: order, parameters, atomic replacement, failure reporting."""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from seller_insurance.errors import InputError, RunError
from seller_insurance.publish import report

pytestmark = pytest.mark.notebook


def _notebook(path, params_src: str, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": report.KERNEL_NAME,
        "display_name": "Python (seller-insurance)",
        "language": "python",
    }
    p = nbformat.v4.new_code_cell(params_src)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# demo"), p, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)


@pytest.fixture
def nb_dir(tmp_path):
    d = tmp_path / "notebooks"
    d.mkdir()
    _notebook(
        d / "01_first.ipynb",
        'run_dir = ""  # where to write\nvalue = 1  # a number',
        "import pathlib, json, os\n"
        "pathlib.Path(run_dir, 'first.json').write_text(json.dumps({'value': value}))\n"
        "pathlib.Path(run_dir, 'env.json').write_text(json.dumps({'tqdm': os.environ.get('TQDM_DISABLE')}))\n"
        "print('<b>escaped</b>')",
    )
    _notebook(
        d / "02_second.ipynb",
        'run_dir = ""\nfail = False  # raise on purpose',
        "if fail:\n    raise ValueError('deliberate failure')\n"
        "from seller_insurance.publish import run_metrics\n"
        "run_metrics.record(run_dir, 'demo', {'x': run_metrics.metric(3, 'things')})",
    )
    return d


def test_parameters_are_listed_with_help(nb_dir):
    params = report.notebook_parameters(nb_dir)
    assert list(params) == ["01_first.ipynb", "02_second.ipynb"]
    assert params["01_first.ipynb"]["value"]["default"] == "1"
    assert params["01_first.ipynb"]["value"]["help"] == "a number"


def test_run_writes_outputs_and_replaces_atomically(nb_dir, tmp_path):
    reports = tmp_path / "reports"
    out = report.run_report(
        {"value": 7},
        "demo",
        reports_dir=reports,
        notebook_dir=nb_dir,
        slides=False,
        progress_bar=False,
        log=lambda m: None,
    )
    assert out == reports / "demo"
    assert json.loads((out / "first.json").read_text()) == {"value": 7}
    # the kernels run without progress bars; the caller's environment is left as it was
    assert json.loads((out / "env.json").read_text()) == {"tqdm": "1"}
    assert "TQDM_DISABLE" not in os.environ
    html = (out / "01_first.html").read_text()
    assert "pathlib.Path(run_dir" not in html  # no code cells
    assert "&lt;b&gt;escaped&lt;/b&gt;" in html and "<b>escaped</b>" not in html
    assert "<script src=" not in html and "MathJax" not in html  # self-contained: nothing from a CDN
    index = (out / "index.html").read_text()
    assert '<a href="01_first.html">' in index and '<a href="metrics.json">' in index
    assert '<a href="manifest.json">' in index and "things" in index  # the metric's label
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["metrics"]["demo.x"]["value"] == 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"] == {"value": 7}
    assert set(manifest["timings_seconds"]) == {"01_first.ipynb", "02_second.ipynb", "total"}
    assert "pandas" in manifest["packages"]

    # a failing re-run keeps the good run, names notebook and cell, keeps the partial run
    with pytest.raises(RunError) as err:
        report.run_report(
            {"value": 8, "fail": True},
            "demo",
            reports_dir=reports,
            notebook_dir=nb_dir,
            slides=False,
            progress_bar=False,
            log=lambda m: None,
        )
    msg = str(err.value)
    assert "02_second.ipynb" in msg and "ValueError" in msg and "demo.failed" in msg
    assert json.loads((out / "first.json").read_text()) == {"value": 7}
    # the kernels run without progress bars; the caller's environment is left as it was
    assert json.loads((out / "env.json").read_text()) == {"tqdm": "1"}
    assert "TQDM_DISABLE" not in os.environ
    assert (reports / "demo.failed" / "02_second.ipynb").exists()
    assert not (reports / ".demo.partial").exists()

    # a successful re-run replaces the folder and clears the failed one
    report.run_report(
        {"value": 9},
        "demo",
        reports_dir=reports,
        notebook_dir=nb_dir,
        slides=False,
        progress_bar=False,
        log=lambda m: None,
    )
    assert json.loads((out / "first.json").read_text()) == {"value": 9}
    assert not (reports / "demo.failed").exists()


def test_unknown_parameter_is_an_input_error(nb_dir, tmp_path):
    with pytest.raises(InputError, match="valeu"):
        report.run_report({"valeu": 1}, "demo", reports_dir=tmp_path, notebook_dir=nb_dir, slides=False)


def test_load_params_parses_yaml_values(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("n_sellers: 10\nthreshold: null\n")
    p = report.load_params(f, ["n_sellers=20", "inclusive=true", "rule_start=2021-09"])
    assert p == {"n_sellers": 20, "threshold": None, "inclusive": True, "rule_start": "2021-09"}
    with pytest.raises(InputError, match="key=value"):
        report.load_params(None, ["oops"])
    with pytest.raises(InputError, match="not found"):
        report.load_params(tmp_path / "missing.yaml")
