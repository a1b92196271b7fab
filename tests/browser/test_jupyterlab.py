"""Every notebook opened in JupyterLab in Chromium, all cells run: no error, no stderr, no maths, every image.

The notebooks are copied into a temporary folder with parameters injected as papermill injects them (the
committed sample as the user's CSVs, a temporary run folder), so the lab runs exactly what ships, on small data.
JupyterLab bundles MathJax 3 (no CDN), so a ``$...$`` pair left in any output is typeset and found here; the
control notebook proves that by putting one back.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from browser_checks import BROKEN_IMAGES_JS, MATHJAX_SELECTOR, outside_requests
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook
from sample_data import write_user_folder

from seller_insurance.publish import report

RUN_ALL_TIMEOUT_MS = 600_000

# The notebook's panel, found by its path (not "the current widget": a restored tab or the launcher may be current).
PANEL_JS = """(name) => Array.from(window.jupyterapp.shell.widgets('main'))
    .find(w => w.context && w.context.path === name && w.sessionContext)"""

NOTEBOOK_STATE_JS = """(name) => {
  const panel = Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.context && w.context.path === name);
  const cells = panel.content.model.toJSON().cells.filter(c => c.cell_type === 'code');
  const problems = [];
  cells.forEach((c, i) => (c.outputs || []).forEach(o => {
    if (o.output_type === 'error') problems.push(`cell ${i + 1}: ${o.ename}: ${o.evalue}`);
    if (o.output_type === 'stream' && o.name === 'stderr') problems.push(`cell ${i + 1} stderr: ${o.text}`);
  }));
  return {problems, unrun: cells.filter(c => c.execution_count === null).length, n: cells.length};
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _control_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": report.KERNEL_NAME, "display_name": "x", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from IPython.display import Markdown, display\ndisplay(Markdown('pays $5 and $10 under the cap'))"
        )
    ]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    data = write_user_folder(root / "user_data")
    run_dir = root / "run"
    (run_dir / "figures").mkdir(parents=True)
    nb_dir = root / "notebooks"
    nb_dir.mkdir()
    declared = report.notebook_parameters()
    for src in report.notebooks():
        wanted = {"input_dir": str(data), "run_dir": str(run_dir), "top_k": 10}
        params = {k: v for k, v in wanted.items() if k in declared[src.name]}
        nb = parameterize_notebook(load_notebook_node(str(src)), params)
        nbformat.write(nb, nb_dir / src.name)
    _control_notebook(nb_dir / "zz_control_unescaped_dollars.ipynb")

    settings = root / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # every cell in the DOM (JupyterLab 4 otherwise renders only the cells in view)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(root / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    cmd = [
        str(Path(sys.executable).with_name("jupyter")),
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={nb_dir}",
        "--LabApp.expose_app_in_browser=True",
        "--allow-root",
    ]
    log = (root / "lab.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"JupyterLab did not start: {(root / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield {"base": base, "token": token, "nb_dir": nb_dir}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    shutil.rmtree(root / "workspaces", ignore_errors=True)


def _run_in_lab(browser, lab, name: str, interact=None) -> tuple[dict, list[str], list[str], list[str]]:
    """Open ``name`` in the lab, run all cells, collect what the tests check; ``interact(page)`` runs before the
    kernel is shut down (its result goes into ``state["interaction"]``)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside = outside_requests(page)
    # a workspace of its own, reset: no tab restored from an earlier test
    workspace = name.split(".")[0].replace("_", "-")
    page.goto(f"{lab['base']}/lab/workspaces/{workspace}/tree/{name}?token={lab['token']}&reset")
    page.wait_for_function(f"() => window.jupyterapp && !!({PANEL_JS})({name!r})", timeout=120_000)
    page.evaluate(f"async () => {{ await ({PANEL_JS})({name!r}).sessionContext.ready; }}")
    page.evaluate(
        f"""async () => {{
            const panel = ({PANEL_JS})({name!r});
            window.jupyterapp.shell.activateById(panel.id);
            await window.jupyterapp.commands.execute('notebook:run-all-cells');
        }}"""
    )
    page.wait_for_function(
        f"() => ({PANEL_JS})({name!r}).sessionContext.session.kernel.status === 'idle'",
        timeout=RUN_ALL_TIMEOUT_MS,
    )
    page.wait_for_timeout(1500)  # MathJax typesets asynchronously after the outputs are attached
    state = page.evaluate(NOTEBOOK_STATE_JS, name)
    maths = page.eval_on_selector_all(
        f".jp-Notebook {MATHJAX_SELECTOR}",  # Markdown cells and outputs alike
        "els => els.map(e => (e.closest('.jp-OutputArea-output, .jp-MarkdownOutput') || e).innerText.slice(0, 160))",
    )
    broken = page.evaluate(BROKEN_IMAGES_JS)
    if interact is not None:
        state["interaction"] = interact(page)
    page.evaluate(f"async () => {{ await ({PANEL_JS})({name!r}).sessionContext.shutdown(); }}")
    page.close()
    return state, maths, broken, outside


@pytest.mark.parametrize("name", [p.name for p in report.notebooks()])
def test_notebook_runs_clean_in_jupyterlab(browser, lab, name):
    state, maths, broken, outside = _run_in_lab(browser, lab, name)
    assert state["n"] > 0 and state["unrun"] == 0, state
    assert state["problems"] == []
    assert maths == [], f"typeset as maths (a `$` pair reached the page unescaped): {maths}"
    assert broken == []
    assert outside == []


def test_control_an_unescaped_dollar_pair_is_caught(browser, lab):
    state, maths, _, _ = _run_in_lab(browser, lab, "zz_control_unescaped_dollars.ipynb")
    assert state["problems"] == [] and len(maths) >= 1


def test_what_if_controls_render_and_recompute_in_jupyterlab(browser, lab):
    """The what-if panel is a live widget in the lab (not its no-frontend text), and a control recomputes."""

    def flip_to_reach(page):
        widget_shown = page.locator(".jp-Notebook .widget-toggle-button").count() > 0
        fallback_shown = "Interactive what-if controls: open" in page.inner_text(".jp-Notebook")
        page.locator(".widget-toggle-button", has_text="reaches").first.click()
        page.wait_for_function(
            "() => document.querySelector('.jp-Notebook').innerText.includes('sales must reach it')",
            timeout=60_000,
        )
        return widget_shown, fallback_shown

    state, maths, broken, outside = _run_in_lab(browser, lab, "07_what_if.ipynb", interact=flip_to_reach)
    assert state["problems"] == [] and maths == [] and broken == [] and outside == []
    assert state["interaction"] == (True, False)
