"""Run an experiment: config -> stream -> strategies -> results files -> figures.

Each (strategy, seed) run is written to its own metrics file as soon as it
finishes, and ``summary.csv`` is rebuilt from those files, so an interrupted
experiment keeps every finished run. While it runs, a run saves a checkpoint
after every experience (:mod:`experiments.checkpoints`); running the same
config into the same folder again skips the finished runs and resumes the
unfinished ones from their last finished experience.
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from pathlib import Path

from alcl.evaluation.record import RunRecord, StreamInfo
from alcl.registry import Problem
from experiments.config import ConfigError, ExperimentConfig
from experiments.folders import check_output_folder, claim_folder
from streams import StreamConfig, load_stream_data
from streams import build_stream as build_any_stream


def resolve_device(name: str) -> str:
    """``auto`` picks CUDA when present; asking for CUDA without one is an error."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"device {name!r} was asked for, but PyTorch sees no CUDA device; use cpu or auto."
        )
    return name


def load_data(cfg: StreamConfig):
    """The dataset a stream config names (loaded once, shared by every seed's stream)."""
    return load_stream_data(cfg)


def build_stream(cfg: StreamConfig, seed: int, data=None):
    """The stream a config describes, split with ``seed`` (``data``: already loaded)."""
    return build_any_stream(load_stream_data(cfg) if data is None else data, cfg, seed)


def problem_of(stream) -> Problem:
    """What a strategy is built for: the stream's column and class counts and its layout."""
    groups = tuple(tuple(int(c) for c in group) for group in stream.groups)
    return Problem(stream.n_features, stream.n_classes, stream.layout, groups)


def output_folder(cfg: ExperimentConfig, out: str | Path | None) -> Path:
    return Path(out or cfg.output or f"results/{cfg.name}")


@contextlib.contextmanager
def quiet_avalanche():
    """Hide Avalanche's deprecation notices and its warning about running without loggers.

    Avalanche's ``@deprecated`` resets the warning filters on every call, so
    the notices are dropped at display time instead; other warnings still show.
    """
    with warnings.catch_warnings():
        show = warnings.showwarning

        def filtered(message, category, filename, lineno, file=None, line=None):
            noise = issubclass(category, DeprecationWarning) or "No loggers specified" in str(
                message
            )
            if not (noise and "avalanche" in filename):
                show(message, category, filename, lineno, file, line)

        warnings.showwarning = filtered
        yield


def seed_everything(seed: int) -> None:
    """Seed every generator a strategy may draw from, so a run depends on its seed alone.

    Avalanche's replay buffers and A-GEM sample with Python's ``random``;
    without this, their results would depend on which runs came before.
    """
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run_one(
    cfg: ExperimentConfig,
    strategy_index: int,
    seed: int,
    stream,
    device: str,
    on_experience=None,
    checkpoint: Path | None = None,
    logs: Path | None = None,
) -> RunRecord:
    """Train and evaluate one strategy of ``cfg`` on ``stream`` with ``seed``.

    With ``checkpoint``, the run saves its state there after every experience
    and, when the file exists, resumes from it. With ``logs``, Avalanche's
    loggers write into that folder (:mod:`alcl.results.logs`).
    """
    from avalanche.training.plugins import EvaluationPlugin

    from alcl.evaluation.accuracy import ExperienceAccuracy
    from alcl.evaluation.exits import ExitAccuracy
    from alcl.evaluation.protocol import run_protocol
    from alcl.registry import build_strategy
    from alcl.results.logs import RunLogs
    from experiments.checkpoints import RunCheckpoint

    entry = cfg.strategies[strategy_index]
    spec = entry.entry
    if spec.task_oracle:
        stream = stream.with_task_labels()  # the same samples, with the task-label oracle
    seed_everything(seed)
    saved = None if checkpoint is None else RunCheckpoint(checkpoint, cfg, entry.key, seed, stream)
    progress = None if saved is None else saved.progress()
    run_logs = None
    if logs is not None:
        note = "" if progress is None else f"-- resumed after experience {progress.done} --"
        run_logs = RunLogs(logs, cfg.logging.tensorboard, note=note)
    accuracy, exits = ExperienceAccuracy(), ExitAccuracy()
    try:
        with quiet_avalanche():
            strategy = build_strategy(
                entry.name,
                entry.options,
                problem_of(stream),
                cfg.model,
                entry.training_for(cfg.training),
                device=device,
                evaluator=run_logs.evaluator if run_logs else EvaluationPlugin(loggers=[]),
                plugins=[accuracy, exits],
            )
            if progress is not None:
                saved.restore(strategy, spec.trains_once)
            record = run_protocol(
                strategy,
                stream,
                accuracy,
                spec.trains_once,
                on_experience,
                adaptive=cfg.adaptive,
                progress=progress,
                on_checkpoint=None if saved is None else (lambda p: saved.save(strategy, p)),
                exits=exits,
            )
    finally:
        if run_logs is not None:
            run_logs.close()
    return dataclasses.replace(
        record,
        strategy=entry.key,
        kind=entry.name,
        seed=seed,
        order=strategy_index,
        # its own training keys (a tuned lr or epoch count) are hyper-parameters too
        params=spec.resolve(entry.params)
        | ({"training": entry.training} if entry.training else {}),
        absent=spec.absent_mode(entry.params, cfg.model.absent),
        task_oracle=spec.task_oracle,
        stream=StreamInfo(
            dataset=stream.name,
            kind=stream.kind,
            n_experiences=stream.n_experiences,
            group_sizes=[len(g) for g in stream.groups],
            group_names=stream.group_names,
            n_classes=stream.n_classes,
            fingerprint=stream.fingerprint(),
            task_labels="oracle: experience index" if stream.task_labels else None,
            test_sizes=[len(rows) for rows in stream.rows["test"]],
            class_names=[str(c) for c in stream.class_names],
        ),
    )


def run_and_save(
    cfg: ExperimentConfig,
    folder: Path,
    strategy_index: int,
    seed: int,
    stream,
    device: str,
    on_experience=None,
) -> RunRecord | None:
    """One run of a results folder, resumable: skipped (None) when its metrics file exists.

    The metrics file is written atomically once the run is finished; only
    then is its checkpoint deleted.
    """
    from alcl.results.files import finished_run, run_path, write_json
    from alcl.results.logs import LOGS_DIR
    from experiments.checkpoints import checkpoint_path

    key = cfg.strategies[strategy_index].key
    metrics, checkpoint = run_path(folder, key, seed), checkpoint_path(folder, key, seed)
    if finished_run(metrics):
        checkpoint.unlink(missing_ok=True)  # left by a run killed between the two steps
        return None
    record = run_one(
        cfg,
        strategy_index,
        seed,
        stream,
        device,
        on_experience,
        checkpoint=checkpoint,
        logs=folder / LOGS_DIR / metrics.stem,
    )
    write_json(metrics, record.to_dict())
    checkpoint.unlink(missing_ok=True)
    return record


def run_experiment(
    cfg: ExperimentConfig,
    out: str | Path | None = None,
    progress: bool = True,
    plots: bool = True,
    resume: bool = False,
    data=None,
) -> Path:
    """Run every strategy for every seed; return the results folder.

    A folder that already holds this config's results is resumed: finished
    runs are skipped and unfinished ones continue from their checkpoints.
    ``resume`` demands such a folder. ``data``: the stream's dataset, already loaded.
    """
    from tqdm.auto import tqdm

    from alcl.results.files import write_summary
    from experiments.checkpoints import remove_empty_checkpoint_folder
    from experiments.local_pool import Task, run_tasks

    folder = output_folder(cfg, out)
    device = resolve_device(cfg.device)
    if cfg.threads:
        import torch

        # Small models train fastest on one thread, above all on a busy machine.
        torch.set_num_threads(cfg.threads)
    data = load_data(cfg.stream) if data is None else data
    streams = {
        seed: build_stream(cfg.stream, seed, data) for seed in cfg.seeds
    }  # fail before writing
    cfg = dataclasses.replace(cfg, output=str(folder))
    check_output_folder(folder)
    claim_folder(folder, cfg, resume)

    tasks = [
        Task(cfg, folder, index, seed, streams[seed], device)
        for seed in cfg.seeds
        for index in range(len(cfg.strategies))
    ]
    n_exp = streams[cfg.seeds[0]].n_experiences
    with tqdm(total=len(tasks) * n_exp, disable=not progress, unit="exp", leave=False) as bar:
        finished = [0]

        def heard(task: Task) -> None:
            if not task.cfg.strategies[task.strategy_index].entry.trains_once:
                bar.update(1)

        def done(task: Task, ran: bool) -> None:
            finished[0] += 1
            bar.set_description(f"{finished[0]}/{len(tasks)} runs")
            if not ran or task.cfg.strategies[task.strategy_index].entry.trains_once:
                bar.update(n_exp)
            if ran:
                write_summary(folder)

        bar.set_description(f"0/{len(tasks)} runs")
        run_tasks(tasks, cfg.jobs, run_and_save, heard, done)
    write_summary(folder)
    remove_empty_checkpoint_folder(folder)
    if plots:
        from alcl.results.plots import draw_all
        from experiments.local_pool import map_forked, workers_for

        parts = 1 if device.startswith("cuda") else workers_for(cfg.jobs, 8, "cpu")
        map_forked(draw_all, [(folder, part, parts) for part in range(parts)], parts)
    return folder
