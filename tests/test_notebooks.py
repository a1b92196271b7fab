"""Every notebook runs under papermill (pyhf/pudl style) and its numbers match the helpers called directly.

One report run on the user-data path (the committed sample, written out as CSV with a hostile category name and a
formula-like seller id), one run of the data notebook on the synthetic path in a temporary project root.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import papermill as pm
import pytest
import yaml

from seller_insurance import policy, schema
from seller_insurance.analysis import claims, impact, rules
from seller_insurance.data.run_data import load_run_data
from seller_insurance.paths import NOTEBOOKS_DIR, PARAMS_DIR, SAMPLE_DATA_DIR
from seller_insurance.publish import report

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

HOSTILE_CATEGORY = "<b>bold</b>"
HOSTILE_ID = '=HYPERLINK("http://x")'


@pytest.fixture(scope="module")
def user_data(tmp_path_factory):
    """The committed sample as the user's own CSV exports, with hostile text in it."""
    folder = tmp_path_factory.mktemp("user_data")
    sellers = schema.read_parquet(SAMPLE_DATA_DIR / "sellers.parquet")
    sales = schema.read_parquet(SAMPLE_DATA_DIR / "monthly_sales.parquet")
    claim_rows = schema.read_parquet(SAMPLE_DATA_DIR / "claims.parquet")
    first = sellers["seller_id"].iloc[0]
    sellers.loc[sellers["category"] == sellers["category"].iloc[1], "category"] = HOSTILE_CATEGORY
    for df in (sellers, sales, claim_rows):
        df["seller_id"] = df["seller_id"].astype(object).where(df["seller_id"] != first, HOSTILE_ID)
    sellers.to_csv(folder / "sellers.csv", index=False)
    sales.to_csv(folder / "monthly_sales.csv", index=False)
    claim_rows.to_csv(folder / "claims.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def run(user_data, tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    params = {
        "input_dir": str(user_data),
        "top_k": 10,
        "thresholds": [5000, 10000, 20000],
        "windows": [1, 3],
        "caps": [500, 1000, 2000],
    }
    return report.run_report(params, "pytest", reports_dir=reports, progress_bar=False, log=lambda m: None)


def test_run_folder_has_every_output(run):
    names = [p.name for p in report.notebooks()]
    for nb in names:
        assert (run / nb).exists() and (run / nb.replace(".ipynb", ".html")).exists()
    for f in ("metrics.json", "manifest.json", "slides.pptx", "dataset.json", "watch_list.csv"):
        assert (run / f).exists(), f
    figures = [p for p in (run / "figures").glob("*.png") if not p.name.endswith(".slide.png")]
    assert figures and all(p.with_suffix(".svg").exists() for p in figures)
    # the untitled slide copies are PNG only, and each belongs to a chart of the report
    slide_copies = list((run / "figures").glob("*.slide.png"))
    assert slide_copies and all(
        (p.parent / p.name.replace(".slide.png", ".png")).exists() for p in slide_copies
    )


def test_metrics_match_the_helpers(run, user_data):
    m = json.loads((run / "metrics.json").read_text())["metrics"]
    data = load_run_data(run)
    # by default each site is under its own rules (the shipped policy calendar), as of the data's last month
    comparison = rules.evaluate_calendar(data.monthly_sales, end=data.last_month)
    overall = impact.impact_table(comparison).iloc[0]
    assert m["rules.newly_affected"]["value"] == overall["newly_affected"]
    assert m["rules.accelerated"]["value"] == overall["accelerated"]
    assert m["rules.population"]["value"] == overall["population"]
    # by default each claim under its own site's programme (the shipped policy calendar)
    shares = claims.claim_shares(data.claims, calendar=policy.DEFAULT_CALENDAR).iloc[0]
    assert m["claims.n_claims"]["value"] == shares["n_claims"]
    assert m["claims.n_outside_programme"]["value"] == shares["n_outside_programme"]
    assert m["claims.count_share_under_cap"]["value"] == pytest.approx(shares["count_share"], abs=1e-12)
    assert m["claims.value_share_under_cap"]["value"] == pytest.approx(shares["amount_share"], abs=1e-12)
    # independent of the helpers: the sample's valid claims counted by hand with each site's programme
    # (docs/claims.md: caps in USD at IRS 2021 rates; US from 2021-09-01, CA/UK/EU from 2024-05-01; MX/JP none)
    eu = dict.fromkeys(("DE", "FR", "IT", "ES", "NL", "BE", "SE", "PL"), (1000 / 0.845, "2024-05-01"))
    programme = {
        "US": (1000.0, "2021-09-01"),
        "CA": (1000 / 1.254, "2024-05-01"),
        "UK": (1000 / 0.727, "2024-05-01"),
    }
    programme.update(eu)
    raw = pd.read_csv(user_data / "claims.csv")
    valid = raw[raw["status"] == "valid"]
    site = valid["marketplace"] if "marketplace" in valid else pd.Series("US", index=valid.index)
    start = pd.to_datetime(site.map(lambda s: programme.get(s, (None, None))[1]))
    inside = valid[(pd.to_datetime(valid["filed_date"]) >= start).to_numpy()]
    cap_usd = site[inside.index].map(lambda s: programme[s][0])
    assert m["claims.n_claims"]["value"] == len(inside)
    assert m["claims.n_outside_programme"]["value"] == len(valid) - len(inside)
    assert m["claims.count_share_under_cap"]["value"] == pytest.approx((inside["amount"] <= cap_usd).mean())
    assert m["data.sellers"]["value"] == len(pd.read_csv(user_data / "sellers.csv"))


def test_html_has_no_code_and_escapes_data(run):
    html = "".join((run / nb.name.replace(".ipynb", ".html")).read_text() for nb in report.notebooks())
    assert "from seller_insurance" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert HOSTILE_CATEGORY not in html


def test_deck_numbers_come_from_metrics(run):
    from pptx import Presentation

    metrics = json.loads((run / "metrics.json").read_text())
    deck = Presentation(str(run / "slides.pptx"))
    assert len(deck.slides) == 1 + len(metrics["slides"])
    from seller_insurance.publish.run_metrics import format_metric
    from seller_insurance.publish.slides import slide_number

    for slide, entry in zip(list(deck.slides)[1:], metrics["slides"], strict=True):
        if entry.get("metric") is None:
            continue
        metric = metrics["metrics"][entry["metric"]]
        shown = "\n".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
        notes = slide.notes_slide.notes_text_frame.text
        assert slide_number(metric) in shown  # rounded on the slide ($13.7M, 82%)
        assert format_metric(metric) in notes  # exact in the speaker notes


def test_manifest_records_parameters_and_checksums(run):
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["parameters"]["top_k"] == 10
    assert manifest["policy_calendar"]["sha256"] == policy.DEFAULT_CALENDAR.sha256  # the shipped calendar
    assert manifest["policy_calendar"]["source"] == "package:seller_insurance/policy_calendar.csv"
    assert "metrics.json" in manifest["outputs"] and len(manifest["outputs"]["metrics.json"]) == 64
    import hashlib

    user_file = manifest["data_checksums"]["claims.csv"]
    assert (
        user_file == hashlib.sha256((Path(manifest["data"]["path"]) / "claims.csv").read_bytes()).hexdigest()
    )
    assert set(manifest["timings_seconds"]) >= {p.name for p in report.notebooks()} | {"total"}


def test_data_notebook_generates_synthetic_data(tmp_path, monkeypatch):
    """The synthetic path in a temporary project root: generated once, calibrated, recorded."""
    root = tmp_path / "project"
    shutil.copytree(PARAMS_DIR, root / "params")
    monkeypatch.setenv("SELLER_INSURANCE_ROOT", str(root))
    run_dir = tmp_path / "run"
    pm.execute_notebook(
        str(NOTEBOOKS_DIR / "01_generate_data.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={
            "run_dir": str(run_dir),
            "dataset_name": "tiny",
            "n_sellers": 200,
            "n_months": 24,
            "start_month": "2020-09",
        },
        kernel_name=report.KERNEL_NAME,
        progress_bar=False,
        cwd=str(NOTEBOOKS_DIR),
    )
    record = json.loads((run_dir / "dataset.json").read_text())
    assert record["source"] == "synthetic"
    assert record["path"] == str(root / "data" / "raw" / "tiny")
    assert record["rows_read"]["sellers"] == 200 and record["rejected"]["monthly_sales"] == 0
    assert (run_dir / "figures" / "data_size_bands.png").exists()


def test_notebook_defaults_match_params_default_yaml():
    """`make report` and a notebook opened in JupyterLab with its defaults analyse the same thing."""
    defaults = yaml.safe_load((PARAMS_DIR / "default.yaml").read_text())
    for nb, params in report.notebook_parameters().items():
        for name, p in params.items():
            if name in defaults and name != "run_name":  # the runner passes run_name explicitly
                assert yaml.safe_load(p["default"]) == defaults[name], f"{nb}: {name}"


def test_rule_notebook_on_a_local_dask_cluster_gives_the_same_numbers(run, tmp_path):
    """The scheduler parameter: notebook 02 on a LocalCluster records the same metrics as the pandas run."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    pm.execute_notebook(
        str(NOTEBOOKS_DIR / "02_rule_impact.ipynb"),
        str(tmp_path / "02.ipynb"),
        parameters={"run_dir": str(copy), "scheduler": "local", "calendar": "none"},
        kernel_name=report.KERNEL_NAME,
        progress_bar=False,
        cwd=str(NOTEBOOKS_DIR),
    )
    # the scheduler runs the one-start mode (calendar "none"; calendar mode runs in-process): same as pandas
    dask_run = json.loads((copy / "metrics" / "rules.json").read_text())["metrics"]
    overall = impact.impact_table(
        rules.compare_rules(load_run_data(run).monthly_sales, start="2021-09")
    ).iloc[0]
    for name in ("newly_affected", "accelerated", "population", "already_required"):
        assert dask_run[f"rules.{name}"]["value"] == overall[name]


def test_report_on_sales_only_data(tmp_path):
    """Your own data without claims or sellers tables: the run completes and says there are no claims."""
    folder = tmp_path / "sales_only"
    folder.mkdir()
    shutil.copy(SAMPLE_DATA_DIR / "monthly_sales.parquet", folder / "monthly_sales.parquet")
    out = report.run_report(
        {"input_dir": str(folder), "top_k": 10},
        "sales-only",
        reports_dir=tmp_path / "r",
        progress_bar=False,
        log=lambda m: None,
    )
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert metrics["claims.n_claims"]["value"] == 0
    assert "claims.count_share_under_cap" not in metrics
    assert "No claims to analyse" in (out / "03_claims.html").read_text()
    sales = pd.read_parquet(folder / "monthly_sales.parquet")
    assert metrics["data.sellers"]["value"] == len(sales[["seller_id", "marketplace"]].drop_duplicates())
