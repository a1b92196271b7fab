"""environment.yml (conda) and pyproject.toml (pip) must name the same packages; the lock must cover them."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from seller_insurance.paths import PROJ_ROOT

# pip name -> conda-forge name(s), where they differ; extras expand to their own conda packages.
PIP_TO_CONDA = {"duckdb": {"python-duckdb"}, "dask": {"dask", "distributed"}}


def _name(req: str) -> str:
    return re.split(r"[\s\[<>=!~;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pyproject_packages(text: str) -> set[str]:
    meta = tomllib.loads(text)["project"]
    reqs = list(meta["dependencies"]) + [r for extra in meta["optional-dependencies"].values() for r in extra]
    out: set[str] = set()
    for r in reqs:
        out |= PIP_TO_CONDA.get(_name(r), {_name(r)})
    return out


def environment_packages(text: str) -> set[str]:
    deps = yaml.safe_load(text)["dependencies"]
    return {_name(d) for d in deps if isinstance(d, str)} - {"python", "pip"}


def test_environment_matches_pyproject():
    py = pyproject_packages((PROJ_ROOT / "pyproject.toml").read_text())
    env = environment_packages((PROJ_ROOT / "environment.yml").read_text())
    assert env - py == set(), f"in environment.yml only: {sorted(env - py)}"
    assert py - env == set(), f"in pyproject.toml only: {sorted(py - env)}"


def test_environment_installs_the_project_editable():
    deps = yaml.safe_load((PROJ_ROOT / "environment.yml").read_text())["dependencies"]
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert "-e ." in pip
    assert "conda-forge" in yaml.safe_load((PROJ_ROOT / "environment.yml").read_text())["channels"]


def test_consistency_check_catches_a_missing_package():
    env_text = (PROJ_ROOT / "environment.yml").read_text().replace("  - tqdm>=4.66\n", "")
    py = pyproject_packages((PROJ_ROOT / "pyproject.toml").read_text())
    assert py - environment_packages(env_text) == {"tqdm"}


def test_consistency_check_catches_an_extra_package():
    env_text = (PROJ_ROOT / "environment.yml").read_text().replace("  - pip\n", "  - pip\n  - seaborn\n")
    py = pyproject_packages((PROJ_ROOT / "pyproject.toml").read_text())
    assert environment_packages(env_text) - py == {"seaborn"}


@pytest.mark.parametrize(
    "package",
    sorted(
        pyproject_packages((PROJ_ROOT / "pyproject.toml").read_text()) - {"distributed", "python-duckdb"}
        | {"distributed", "duckdb"}
    ),
)
def test_lock_pins_every_direct_dependency(package):
    lock = (PROJ_ROOT / "requirements.lock").read_text().lower()
    assert re.search(rf"^{re.escape(package)}==\S+", lock, re.M), (
        f"{package} is not pinned in requirements.lock"
    )
