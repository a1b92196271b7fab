"""``seller-insurance generate``: write a synthetic dataset to ``data/raw/<name>/``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seller_insurance.data.synthetic import GeneratorParams
from seller_insurance.errors import InputError
from seller_insurance.paths import RAW_DATA_DIR

# keys of a flat params file (params/default.yaml) the generator takes; every other key is ignored
PARAMS_FILE_KEYS = ("dataset_name", "n_sellers", "start_month", "n_months", "marketplaces", "seed")
_D = GeneratorParams()


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def register(subparsers) -> None:
    """Add the ``generate`` command (a synthetic dataset into ``OUT/NAME/``); it runs :func:`run`."""
    p = subparsers.add_parser(
        "generate",
        help="generate a synthetic dataset (sellers, monthly sales, claims) into data/raw/<name>/",
        description=(
            "Generate synthetic seller sales and claim histories calibrated to public figures "
            "(docs/generator.md) and write them as Parquet with a manifest to OUT/NAME/. The same parameters "
            "give byte-identical files. If OUT/NAME already holds a dataset with the same parameters it is "
            "reused; with different parameters the command refuses (raw data is immutable) unless --force."
        ),
    )
    p.add_argument(
        "--params",
        metavar="FILE.yaml",
        type=Path,
        default=None,
        help="flat YAML parameters file (like params/default.yaml); the keys "
        f"{', '.join(PARAMS_FILE_KEYS)} are used, others ignored; options below override it "
        "(default: none, the built-in defaults)",
    )
    p.add_argument(
        "--name",
        default=None,
        help="dataset folder name under OUT (default: dataset_name from --params, else a name "
        "derived from the parameters, e.g. s100000-m60-2019-01-seed20210901-<hash>)",
    )
    p.add_argument(
        "--sellers",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"number of sellers (default {_D.n_sellers:,})",
    )
    p.add_argument(
        "--start-month",
        default=None,
        metavar="YYYY-MM",
        help=f"first calendar month of sales (default {_D.start_month})",
    )
    p.add_argument(
        "--months",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"number of calendar months (default {_D.n_months})",
    )
    p.add_argument(
        "--marketplaces",
        default=None,
        metavar="US,CA,...",
        help=f"comma-separated site codes (default {','.join(_D.marketplaces)}); shares of sellers are "
        "the default weights of these sites, renormalised",
    )
    p.add_argument("--seed", type=int, default=None, metavar="N", help=f"random seed (default {_D.seed})")
    p.add_argument(
        "--out",
        type=Path,
        default=RAW_DATA_DIR,
        metavar="DIR",
        help="parent folder of the dataset folder (default: data/raw of the project)",
    )
    p.add_argument(
        "--partitioned",
        action="store_true",
        help="write monthly_sales/ and claims/ as folders of part files, each seller's whole history "
        "in one part (for Dask); default: one file per table",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="regenerate OUT/NAME even if it exists "
        "(default: reuse it if the parameters match, refuse otherwise)",
    )
    p.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="do not show the per-chunk progress bar (default: shown on stderr)",
    )
    p.set_defaults(func=run)


def read_params_file(path: Path) -> dict:
    """The generator's keys of a flat YAML file; ``InputError`` naming the file if unreadable."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise InputError("parameters file not found", path=path) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML ({exc})", path=path) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError("expected a mapping of parameter names to values", path=path)
    return {k: data[k] for k in PARAMS_FILE_KEYS if k in data}


def params_from_args(args: argparse.Namespace) -> tuple[GeneratorParams, str | None]:
    """Parameters and dataset name from the parsed options (file first, then command-line overrides)."""
    values = read_params_file(args.params) if args.params is not None else {}
    name = values.pop("dataset_name", None)
    overrides = {
        "n_sellers": args.sellers,
        "start_month": args.start_month,
        "n_months": args.months,
        "marketplaces": args.marketplaces,
        "seed": args.seed,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    if isinstance(values.get("marketplaces"), str):
        values["marketplaces"] = [s for s in values["marketplaces"].split(",") if s.strip()]
    try:
        params = GeneratorParams.from_mapping(values)
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc), path=args.params) from None
    return params, (args.name or (str(name) if name is not None else None))


def run(args: argparse.Namespace) -> int:
    """Run ``generate``: write (or reuse) the dataset and print its row counts; returns 0."""
    from seller_insurance.data.synthetic import ensure_dataset, read_manifest

    params, name = params_from_args(args)
    target = Path(args.out) / (name or params.default_name())
    existed = target.exists()
    path = ensure_dataset(
        params, name, root=args.out, progress=args.progress, partitioned=args.partitioned, force=args.force
    )
    counts = read_manifest(path)["row_counts"]
    verb = "reused (same parameters)" if existed and not args.force else "wrote"
    print(
        f"{verb} {path}: {counts['sellers']:,} sellers, {counts['monthly_sales']:,} monthly sales rows, "
        f"{counts['claims']:,} claims",
        file=sys.stdout,
    )
    return 0
