"""The ``alcl`` command line.

Only argparse is imported at start-up, so ``alcl --help`` stays instant;
torch, Avalanche and matplotlib are imported by the command that needs them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alcl",
        description="Continual learning with Associated Learning on feature-incremental streams.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run an experiment (the default one when no CONFIG is given)",
        description="Train AL and the baselines on a stream, write results and figures, print a summary.",
    )
    run.add_argument(
        "config", nargs="?", help="YAML config file (default: the built-in digits experiment)"
    )
    run.add_argument(
        "--out", help="results folder (default: the config's output, or results/<name>)"
    )
    run.add_argument("--seed", type=int, help="run this single seed instead of the config's seeds")
    run.add_argument("--device", help="cpu, cuda, cuda:N or auto (overrides the config)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    plot = commands.add_parser(
        "plot",
        help="redraw the figures of a results folder",
        description="Redraw figures from results files.",
    )
    plot.add_argument("folder", help="a results folder written by `alcl run`")
    return parser


def _run(args: argparse.Namespace) -> int:
    import dataclasses

    from experiments.config import load_config

    cfg = load_config(args.config)
    if args.seed is not None:
        cfg = dataclasses.replace(cfg, seeds=[args.seed])
    if args.device:
        cfg = dataclasses.replace(cfg, device=args.device)
    from experiments.config import config_from_dict

    cfg = config_from_dict(cfg.to_dict())  # re-check the overridden values

    from alcl.results import AGGREGATE_MD, SUMMARY_COLUMNS, format_table, load_runs, summary_rows
    from experiments.runner import run_experiment

    folder = run_experiment(cfg, out=args.out, progress=not args.no_progress)
    print(format_table(summary_rows(load_runs(folder)), SUMMARY_COLUMNS[:7]))
    if len(cfg.seeds) > 1:
        print(f"\nmean ± std over seeds ({folder / AGGREGATE_MD}):\n")
        print((folder / AGGREGATE_MD).read_text())
    print(f"\nresults and figures: {folder}")
    return 0


def _plot(args: argparse.Namespace) -> int:
    from alcl.plots import draw_all

    for path in draw_all(args.folder):
        print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from experiments.config import ConfigError
    from streams.validation import DataError

    try:
        return {"run": _run, "plot": _plot}[args.command](args)
    except (ConfigError, DataError, FileNotFoundError) as err:
        print(f"alcl: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
