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
    run.add_argument(
        "--jobs", type=int, help="runs at once in worker processes, 0: one per core (overrides "
        "the config's jobs; the numbers do not depend on it)",
    )  # fmt: skip
    _add_set(run)
    run.add_argument(
        "--resume",
        action="store_true",
        help="continue the results folder of an interrupted run (it must hold this config's "
        "results; without CONFIG, the folder's own config.yaml is used); running the same "
        "config into the same folder again also resumes",
    )
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    config = commands.add_parser(
        "config",
        help="print a config with every key resolved (defaults and --set included)",
        description="Check a config and print it in full, every key with its value.",
    )
    config.add_argument("config", nargs="?", help="YAML config file (default: the default one)")
    _add_set(config)

    sweep = commands.add_parser(
        "sweep",
        help="run every variant of a config's sweep section in parallel on Ray",
        description="Expand the config's `sweep:` section (dotted keys -> lists of values) into "
        "variants, run every strategy x seed x variant as a Ray task, and aggregate.",
    )
    sweep.add_argument("config", help="YAML config file with an optional `sweep:` section")
    sweep.add_argument(
        "--out", help="root folder (default: the config's output, or results/<name>)"
    )
    sweep.add_argument(
        "--address", help="an existing Ray cluster (e.g. auto, or ray://host:10001); default: local"
    )
    sweep.add_argument(
        "--num-cpus", type=int, help="CPUs of the local Ray instance (default: all); one per run"
    )
    sweep.add_argument(
        "--jobs", type=int, help="run on this machine without Ray: N runs at once in forked "
        "worker processes (0: one per core); faster than a local Ray instance for small runs",
    )  # fmt: skip
    _add_set(sweep)
    sweep.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    suite = commands.add_parser(
        "suite",
        help="run a suite: every stream x strategy x seed, then a scoreboard across streams",
        description="Run every stream of a suite file (a config with a `streams:` list) with "
        "every strategy and seed, in sequence or on Ray, then write the scoreboard: per stream "
        "mean, 95%% CI and paired tests against AL; across streams mean ranks, a Friedman test "
        "and a critical-difference diagram.",
    )
    suite.add_argument("suite", help="suite file, e.g. experiments/suites/feature_incremental.yaml")
    suite.add_argument("--out", help="root folder (default: the suite's output, or results/<name>)")
    suite.add_argument("--ray", action="store_true", help="run on a local Ray instance")
    suite.add_argument("--address", help="run on an existing Ray cluster (implies --ray)")
    suite.add_argument(
        "--num-cpus", type=int, help="CPUs of the local Ray instance (default: all); one per run"
    )
    _add_set(suite)
    suite.add_argument("--no-progress", action="store_true", help="hide the progress bars")

    plot = commands.add_parser(
        "plot",
        help="redraw the figures of a results folder",
        description="Redraw figures from results files.",
    )
    plot.add_argument("folder", help="a results folder written by `alcl run`")
    return parser


def _add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key, e.g. training.epochs=5 or seeds=[0,1] (dotted keys, "
        "YAML values; repeat for several)",
    )


def _run(args: argparse.Namespace) -> int:
    import dataclasses

    from experiments.config import load_config

    config = args.config
    if config is None and args.resume and args.out:
        config = f"{args.out}/config.yaml"  # the folder's own resolved config
    cfg = load_config(config, args.set)
    if args.seed is not None:
        cfg = dataclasses.replace(cfg, seeds=[args.seed])
    if args.device:
        cfg = dataclasses.replace(cfg, device=args.device)
    if args.jobs is not None:
        cfg = dataclasses.replace(cfg, jobs=args.jobs)
    from experiments.config import config_from_dict

    cfg = config_from_dict(cfg.to_dict())  # re-check the overridden values

    if cfg.protocol == "online":
        from alcl.results.online_report import ONLINE_MD
        from experiments.online_runner import run_online

        folder = run_online(cfg, out=args.out, progress=not args.no_progress, resume=args.resume)
        print((folder / ONLINE_MD).read_text())
        print(f"results and figures: {folder}")
        return 0

    from alcl.results.files import AGGREGATE_MD, load_runs
    from alcl.results.tables import SUMMARY_COLUMNS, format_table, summary_rows
    from experiments.runner import run_experiment

    folder = run_experiment(cfg, out=args.out, progress=not args.no_progress, resume=args.resume)
    print(format_table(summary_rows(load_runs(folder)), SUMMARY_COLUMNS[:8]))
    if len(cfg.seeds) > 1:
        print(f"\nmean ± 95 % CI over seeds ({folder / AGGREGATE_MD}):\n")
        print((folder / AGGREGATE_MD).read_text())
    print(f"\nresults and figures: {folder}")
    return 0


def _config(args: argparse.Namespace) -> int:
    from experiments.config import DEFAULT_STRATEGIES, dump_config, load_raw
    from experiments.overrides import apply_overrides

    data = apply_overrides(load_raw(args.config), args.set, DEFAULT_STRATEGIES)
    if "streams" in data:
        from experiments.suite import expand_suite

        print(expand_suite(data).describe())
    elif "sweep" in data:
        from experiments.sweep import expand_sweep

        sweep = expand_sweep(data)
        print(sweep.describe())
    else:
        from experiments.config import config_from_dict

        print(dump_config(config_from_dict(data)), end="")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from experiments.errors import ConfigError
    from experiments.sweep import load_sweep
    from experiments.sweep_runner import run_sweep

    sweep = load_sweep(args.config, args.set, out=args.out)
    if args.jobs is not None:
        if args.address or args.num_cpus:
            raise ConfigError("--jobs runs without Ray; drop --address and --num-cpus.")
        from experiments.sweep_local import run_sweep_local

        run_sweep_local(sweep, args.jobs, progress=not args.no_progress)
        print(f"sweep of {len(sweep.variants)} variant(s) finished: {sweep.root}")
        return 0
    result = run_sweep(
        sweep, address=args.address, num_cpus=args.num_cpus, progress=not args.no_progress
    )
    print(result.report())
    return 0 if not result.failures else 1


def _suite(args: argparse.Namespace) -> int:
    from experiments.suite import load_suite, run_suite

    suite = load_suite(args.suite, args.set, out=args.out)
    root = run_suite(
        suite,
        ray=args.ray,
        address=args.address,
        num_cpus=args.num_cpus,
        progress=not args.no_progress,
    )
    print((root / "scoreboard.md").read_text())
    print(f"results, scoreboard and figures: {root}")
    return 0


def _plot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from alcl.results.online_report import ONLINE_DIR

    if (Path(args.folder) / ONLINE_DIR).is_dir():  # an online folder: its table and figure
        from alcl.results.online_plots import plot_error_rates
        from alcl.results.online_report import write_online_report

        paths = write_online_report(args.folder) + plot_error_rates(Path(args.folder))
    else:
        from alcl.results.plots import draw_all

        paths = draw_all(args.folder)
    for path in paths:
        print(path)
    return 0


def _user_errors() -> tuple[type[Exception], ...]:
    """Errors reported as one line (bad config, data or checkpoint), not as a traceback.

    Evaluated when an error propagates, so that a command that never loaded
    torch does not import it just to name the checkpoint error.
    """
    from experiments.errors import ConfigError
    from streams.validation import DataError

    errors: tuple[type[Exception], ...] = (ConfigError, DataError, FileNotFoundError)
    if "alcl.results.files" in sys.modules:
        errors += (sys.modules["alcl.results.files"].ResultsError,)
    if "alcl.state.checkpoint" in sys.modules:
        errors += (sys.modules["alcl.state.checkpoint"].CheckpointError,)
    return errors


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        commands = {
            "run": _run,
            "config": _config,
            "sweep": _sweep,
            "suite": _suite,
            "plot": _plot,
        }
        return commands[args.command](args)
    except _user_errors() as err:
        print(f"alcl: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
