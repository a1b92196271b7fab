"""``seller-insurance generate``: options, params file, reuse, refusal, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from seller_insurance.cli import main
from seller_insurance.data.synthetic import GeneratorParams, read_manifest


def _run(*args):
    return main(["generate", "--no-progress", *args])


@pytest.mark.subprocess
def test_help_documents_every_option_with_default():
    out = subprocess.run(
        [sys.executable, "-m", "seller_insurance", "generate", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for opt in (
        "--params",
        "--name",
        "--sellers",
        "--start-month",
        "--months",
        "--marketplaces",
        "--seed",
        "--out",
        "--partitioned",
        "--force",
        "--no-progress",
    ):
        assert opt in out
    text = " ".join(out.split())
    assert "default 100,000" in text and "default 2019-01" in text and "default 72" in text
    assert "default 20210901" in text and "US,UK,DE" in text


def test_params_file_then_overrides(tmp_path, capsys):
    params = tmp_path / "p.yaml"
    params.write_text(
        "run_name: x\ndataset_name: mine\nn_sellers: 40\nstart_month: '2020-03'\nn_months: 12\n"
        "seed: 5\nmarketplaces: [US, CA]\nthreshold: 9999\n"
    )
    assert _run("--params", str(params), "--months", "14", "--out", str(tmp_path)) == 0
    manifest = read_manifest(tmp_path / "mine")
    expected = GeneratorParams(
        n_sellers=40, start_month="2020-03", n_months=14, seed=5, marketplaces=("US", "CA")
    )
    assert manifest["params"] == expected.to_dict()
    assert "wrote" in capsys.readouterr().out
    # same parameters again: reused
    assert _run("--params", str(params), "--months", "14", "--out", str(tmp_path)) == 0
    assert "reused" in capsys.readouterr().out
    # different parameters: refused with a clear message and exit 2, unless --force
    assert _run("--params", str(params), "--out", str(tmp_path)) == 2
    assert "different parameters (n_months)" in capsys.readouterr().err
    assert _run("--params", str(params), "--out", str(tmp_path), "--force") == 0
    assert read_manifest(tmp_path / "mine")["params"]["n_months"] == 12


def test_name_derived_and_partitioned(tmp_path):
    assert (
        _run(
            "--sellers",
            "25",
            "--months",
            "6",
            "--marketplaces",
            "US,DE",
            "--out",
            str(tmp_path),
            "--partitioned",
        )
        == 0
    )
    expected = GeneratorParams(n_sellers=25, n_months=6, marketplaces=("US", "DE"))
    out = tmp_path / expected.default_name()
    assert (out / "monthly_sales" / "part-00000.parquet").exists() and read_manifest(out)["partitioned"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--marketplaces", "US,XX"], "unknown site 'XX'"),
        (["--start-month", "2021/01"], "YYYY-MM"),
        (["--params", "missing.yaml"], "not found"),
    ],
)
def test_bad_input_exits_2(tmp_path, capsys, args, message):
    assert _run(*args, "--out", str(tmp_path)) == 2
    assert message in capsys.readouterr().err


def test_bad_yaml_and_bad_number(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("n_sellers: [1, 2\n")
    assert _run("--params", str(bad), "--out", str(tmp_path)) == 2
    assert "bad.yaml" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        _run("--sellers", "0")
    assert exc.value.code == 2
