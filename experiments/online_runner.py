"""Run an experiment under ``protocol: online``: config -> table -> online stream -> learners ->
run files -> table and figure.

Every (learner, seed) run shuffles the table's rows with its seed, hides the columns the
stream's feature-evolving pattern hides (NaN; ``stream.grouping`` trapezoidal, haphazard or
obsolete, :mod:`streams.evolving`), and runs the prequential protocol over it
(:func:`alcl.online.prequential`: each row, or ``online.batch_size`` rows, predicted, then
learned, in one pass). A published test split joins the pool: the stream is one pass over
every row, as in the papers.

Each run's record is written atomically to ``<folder>/online/<key>__seed<k>.json`` as soon as
it ends; running the same config into the same folder again skips the finished runs, and a
folder extends with new seeds and learners like a batch one (:mod:`experiments.folders`).
``online.csv``, ``online.md`` (:mod:`alcl.results.online_report`) and
``figures/error_rate.{png,pdf}`` are rebuilt from the files. Every learner is built once on
the data's real width before anything is written, so a learner that cannot take the data
(OLSF on more than two classes) fails at once.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from experiments.config import ConfigError, ExperimentConfig
from experiments.folders import check_output_folder, claim_folder
from streams import load_stream_data
from streams.evolving import OnlineStream, online_stream, pattern_of
from streams.rows import SparseRows
from streams.tabular import TabularData


def online_table(data) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Dense rows, labels, class count and name of a loaded table (pool and published test)."""
    if not isinstance(data, TabularData) or data.layout is not None:
        raise ConfigError(
            f"protocol online reads plain tables (csv, table, libsvm, the scikit-learn sets); "
            f"{getattr(data, 'name', 'this data')!r} is not one: use protocol batch for it."
        )
    parts = [(data.x, data.y)] + ([(data.test_x, data.test_y)] if data.test_y is not None else [])
    xs = [
        x.dense(np.arange(x.shape[0])) if isinstance(x, SparseRows) else np.asarray(x)
        for x, _ in parts
    ]
    x = np.concatenate(xs).astype(np.float32)
    y = np.concatenate([np.asarray(y) for _, y in parts]).astype(np.int64)
    return x, y, data.n_classes, data.name


def learner_params(cfg: ExperimentConfig, index: int) -> dict:
    """The keyword settings learner ``index`` runs with: its own keys, and
    ``stream.base_features`` as its base features (Aux-Drop's ``n_base``) unless it sets them
    itself."""
    from alcl.online import hyper_parameters

    entry = cfg.strategies[index]
    params = dict(entry.params)
    takes = hyper_parameters(entry.name)
    if "n_base" in takes and "n_base" not in params and cfg.stream.base_features >= 1:
        params["n_base"] = cfg.stream.base_features
    return params


def build(
    cfg: ExperimentConfig, index: int, params: dict, n_features: int, n_classes: int, seed: int
):
    """Learner ``index`` of ``cfg`` with ``params`` (:func:`learner_params`) for this data; a
    learner that cannot take it is a :class:`ConfigError` naming the entry."""
    from alcl.online import build_learner

    try:
        return build_learner(cfg.strategies[index].name, n_features, n_classes, seed, **params)
    except ValueError as err:
        raise ConfigError(f"strategies[{index}] ({cfg.strategies[index].key}): {err}") from None


def run_and_save_online(
    cfg: ExperimentConfig,
    folder: Path,
    index: int,
    seed: int,
    stream: OnlineStream,
    device: str = "cpu",
    on_experience=None,
) -> dict | None:
    """One online run, written atomically when it ends; None when its file exists already.
    (The signature is :data:`experiments.local_pool.Run`'s, so runs can go in workers.)"""
    from alcl.online import prequential
    from alcl.results.files import write_json
    from alcl.results.online_report import online_record, online_run_path

    entry = cfg.strategies[index]
    path = online_run_path(folder, entry.key, seed)
    if path.is_file():
        return None
    params = learner_params(cfg, index)
    model = build(cfg, index, params, stream.x.shape[1], stream.n_classes, seed)
    result = prequential(model, stream.x, stream.y, seed=seed, batch_size=cfg.online.batch_size)
    record = online_record(
        result,
        stream,
        pattern_of(cfg.stream),
        learner=entry.key,  # the row's name (a label runs a registered learner)
        name=entry.name,
        order=index,
        params=params,
        dataset=cfg.stream.dataset if not cfg.stream.path else Path(cfg.stream.path).name,
        batch_size=cfg.online.batch_size,
    )
    write_json(path, record)
    return record


def run_online(
    cfg: ExperimentConfig,
    out: str | Path | None = None,
    progress: bool = True,
    plots: bool = True,
    resume: bool = False,
    data=None,
) -> Path:
    """Run every learner for every seed under the online protocol; return the results folder."""
    from tqdm.auto import tqdm

    from alcl.results.online_report import write_online_report
    from experiments.local_pool import Task, run_tasks
    from experiments.runner import output_folder

    if cfg.protocol != "online":
        raise ConfigError(f"run_online runs protocol online, not {cfg.protocol!r}.")
    folder = output_folder(cfg, out)
    x, y, n_classes, _ = online_table(load_stream_data(cfg.stream) if data is None else data)
    pattern = pattern_of(cfg.stream)
    streams = {seed: online_stream(x, y, n_classes, pattern, seed) for seed in cfg.seeds}
    for index in range(len(cfg.strategies)):  # fail before writing
        build(cfg, index, learner_params(cfg, index), x.shape[1], n_classes, cfg.seeds[0])
    cfg = dataclasses.replace(cfg, output=str(folder))
    check_output_folder(folder)
    claim_folder(folder, cfg, resume)
    if cfg.threads:
        import torch

        torch.set_num_threads(cfg.threads)
    tasks = [
        Task(cfg, folder, index, seed, streams[seed], "cpu")
        for seed in cfg.seeds
        for index in range(len(cfg.strategies))
    ]
    with tqdm(total=len(tasks), disable=not progress, unit="run", leave=False) as bar:

        def done(task: Task, ran: bool) -> None:
            bar.update(1)
            bar.set_description(cfg.strategies[task.strategy_index].key)
            if ran:
                write_online_report(folder)

        run_tasks(tasks, cfg.jobs, run_and_save_online, None, done)
    write_online_report(folder)
    if plots:
        from alcl.results.online_plots import plot_error_rates

        plot_error_rates(folder)
    return folder
