"""``seller-insurance report``: run every notebook with papermill into ``reports/<run>/``."""

from __future__ import annotations

import argparse
import sys

from seller_insurance.paths import REPORTS_DIR


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` command (every notebook into ``reports/<run>/``); exit status 1 if one fails."""
    p = sub.add_parser(
        "report",
        help="run every notebook with one set of parameters into reports/<run>/ (the main job)",
        description=(
            "Run the numbered notebooks in order with papermill into reports/<run>/: executed notebooks, HTML "
            "without code, figures (PNG and SVG), metrics.json, slides.pptx and manifest.json. The run folder is "
            "replaced atomically only when every notebook succeeds; a failure names the notebook and cell and "
            "keeps the partial run in reports/<run>.failed/ (exit status 1)."
        ),
    )
    p.add_argument(
        "--params",
        metavar="FILE.yaml",
        default=None,
        help="flat YAML of parameters (default: params/default.yaml)",
    )
    p.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        dest="overrides",
        help="override one parameter (repeatable); VALUE is parsed as YAML, e.g. --set n_sellers=5000",
    )
    p.add_argument(
        "--name",
        metavar="RUN",
        default=None,
        help="run name: the folder under reports/ (default: run_name from the parameters, else 'default')",
    )
    p.add_argument(
        "--list-params",
        action="store_true",
        help="list every parameter of every notebook with its default and help, then exit",
    )
    p.add_argument("--no-slides", action="store_true", help="skip building slides.pptx")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from seller_insurance.publish import report

    if args.list_params:
        for nb, params in report.notebook_parameters().items():
            print(nb)
            for name, p in params.items():
                help_text = f"  # {p['help']}" if p["help"] else ""
                print(f"  {name} = {p['default']}{help_text}")
        return 0
    params_file = args.params or report.DEFAULT_PARAMS_FILE
    params = report.load_params(params_file, args.overrides)
    name = args.name or params.get("run_name") or "default"
    print(f"report {name!r}: {len(report.notebooks())} notebooks -> {REPORTS_DIR / name}", file=sys.stderr)
    report.run_report(params, name, slides=not args.no_slides)
    return 0
