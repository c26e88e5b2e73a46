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
from typing import Any

from alcl.registry import STRATEGIES
from experiments.config import ConfigError, ExperimentConfig, StreamConfig, dump_config
from streams import Release, TextOptions, load_source
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
    return load_source(cfg.dataset, cfg.path, cfg.target, cfg.data_root, cfg.download)


def build_stream(cfg: StreamConfig, seed: int, data=None):
    """The stream a config describes, split with ``seed`` (``data``: already loaded)."""
    release = Release(
        grouping=cfg.grouping,
        groups=cfg.groups,
        n_pieces=cfg.n_pieces,
        patch_grid=cfg.patch_grid,
        resolution_strides=cfg.resolution_strides,
        segment_lengths=cfg.segment_lengths,
        order=cfg.order,
        shuffle=cfg.shuffle,
        per_experience=cfg.per_experience,
    )
    return build_any_stream(
        load_data(cfg) if data is None else data,
        cfg.n_experiences,
        kind=cfg.kind,
        seed=seed,
        release=release,
        text=TextOptions(cfg.encoding, cfg.max_length, cfg.vocab_size),
        test_fraction=cfg.test_fraction,
        valid_fraction=cfg.valid_fraction,
        standardize=cfg.standardize,
        domain_transform=cfg.domain_transform,
        task_labels=cfg.task_labels,
    )


def settings_for(cfg: ExperimentConfig, stream, device: str):
    from alcl.registry import Settings

    return Settings(
        n_features=stream.n_features,
        n_classes=stream.n_classes,
        widths=tuple(cfg.model.widths),
        label_dim=cfg.model.label_dim,
        layers_per_block=cfg.model.layers_per_block,
        dropout=cfg.model.dropout,
        absent=cfg.model.absent,
        epochs=cfg.training.epochs,
        batch_size=cfg.training.batch_size,
        eval_batch_size=cfg.training.eval_batch_size,
        optimizer=cfg.training.optimizer,
        lr=cfg.training.lr,
        weight_decay=cfg.training.weight_decay,
        device=device,
        loop=cfg.training.loop,
        backbone=cfg.model.backbone,
        backbone_options=cfg.model.backbone_options.get(cfg.model.backbone, {}),
        layout=stream.layout,
    )


def output_folder(cfg: ExperimentConfig, out: str | Path | None) -> Path:
    return Path(out or cfg.output or f"results/{cfg.name}")


def claim_folder(folder: Path, cfg_text: str, resume: bool = False) -> bool:
    """Use ``folder`` unless it holds the results of a different configuration.

    Returns whether it already held this configuration's results (to resume).
    Temporary files left by a killed writer are removed. ``resume`` demands
    that there is something to resume.
    """
    from alcl.results import CONFIG_FILE, atomic_write_text, remove_stale_temporaries

    existing = folder / CONFIG_FILE
    held = existing.is_file()
    if held and existing.read_text() != cfg_text:
        raise ConfigError(
            f"{folder} already holds results of a different configuration; "
            "pass another --out or remove the folder."
        )
    if resume and not held:
        raise ConfigError(f"--resume: {folder} holds no results of this configuration to resume.")
    if held:
        remove_stale_temporaries(folder)
    atomic_write_text(existing, cfg_text)
    return held


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
) -> dict[str, Any]:
    """Train and evaluate one strategy of ``cfg`` on ``stream`` with ``seed``.

    With ``checkpoint``, the run saves its state there after every experience
    and, when the file exists, resumes from it. With ``logs``, Avalanche's
    loggers write into that folder (:mod:`alcl.logs`).
    """
    from avalanche.training.plugins import EvaluationPlugin

    from alcl.calibration import AdaptiveSettings
    from alcl.evaluation import ExperienceAccuracy
    from alcl.logs import RunLogs
    from alcl.protocol import run_protocol
    from alcl.registry import build_strategy
    from experiments.checkpoints import RunCheckpoint

    entry = cfg.strategies[strategy_index]
    spec = STRATEGIES[entry.name]
    if spec.task_oracle:
        stream = stream.with_task_labels()  # the same samples, with the task-label oracle
    seed_everything(seed)
    saved = None if checkpoint is None else RunCheckpoint(checkpoint, cfg, entry.key, seed, stream)
    progress = None if saved is None else saved.progress()
    run_logs = None
    if logs is not None:
        note = "" if progress is None else f"-- resumed after experience {progress.done} --"
        run_logs = RunLogs(logs, cfg.logging.tensorboard, note=note)
    accuracy = ExperienceAccuracy()
    try:
        with quiet_avalanche():
            strategy = build_strategy(
                entry.name,
                entry.params,
                settings_for(cfg, stream, device),
                evaluator=run_logs.evaluator if run_logs else EvaluationPlugin(loggers=[]),
                plugins=[accuracy],
            )
            if progress is not None:
                saved.restore(strategy, spec.trains_once)
            adaptive = dataclasses.asdict(cfg.adaptive)
            adaptive["thresholds"] = tuple(adaptive["thresholds"] or ()) or None
            record = run_protocol(
                strategy,
                stream,
                accuracy,
                spec.trains_once,
                on_experience,
                adaptive=AdaptiveSettings(**adaptive),
                progress=progress,
                on_checkpoint=None if saved is None else (lambda p: saved.save(strategy, p)),
            )
    finally:
        if run_logs is not None:
            run_logs.close()
    return {
        "strategy": entry.key,
        "kind": entry.name,
        "seed": seed,
        "order": strategy_index,
        "params": spec.resolve(entry.params),
        "absent": spec.absent_mode(entry.params, cfg.model.absent),
        "task_oracle": spec.task_oracle,
        "stream": {
            "dataset": stream.name,
            "kind": stream.kind,
            "n_experiences": stream.n_experiences,
            "group_sizes": [len(g) for g in stream.groups],
            "group_names": stream.group_names,
            "n_classes": stream.n_classes,
            "fingerprint": stream.fingerprint(),
            "task_labels": "oracle: experience index" if stream.task_labels else None,
        },
        **record,
    }


def run_and_save(
    cfg: ExperimentConfig,
    folder: Path,
    strategy_index: int,
    seed: int,
    stream,
    device: str,
    on_experience=None,
) -> dict[str, Any] | None:
    """One run of a results folder, resumable: skipped (None) when its metrics file exists.

    The metrics file is written atomically once the run is finished; only
    then is its checkpoint deleted.
    """
    from alcl.logs import LOGS_DIR
    from alcl.results import run_path, write_json
    from experiments.checkpoints import checkpoint_path

    key = cfg.strategies[strategy_index].key
    metrics, checkpoint = run_path(folder, key, seed), checkpoint_path(folder, key, seed)
    if metrics.is_file():
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
    write_json(metrics, record)
    checkpoint.unlink(missing_ok=True)
    return record


def run_experiment(
    cfg: ExperimentConfig,
    out: str | Path | None = None,
    progress: bool = True,
    plots: bool = True,
    resume: bool = False,
) -> Path:
    """Run every strategy for every seed; return the results folder.

    A folder that already holds this config's results is resumed: finished
    runs are skipped and unfinished ones continue from their checkpoints.
    ``resume`` demands such a folder.
    """
    from tqdm.auto import tqdm

    from alcl.results import write_summary
    from experiments.checkpoints import remove_empty_checkpoint_folder

    folder = output_folder(cfg, out)
    device = resolve_device(cfg.device)
    if cfg.threads:
        import torch

        # Small models train fastest on one thread, above all on a busy machine.
        torch.set_num_threads(cfg.threads)
    data = load_data(cfg.stream)
    streams = {
        seed: build_stream(cfg.stream, seed, data) for seed in cfg.seeds
    }  # fail before writing
    cfg = dataclasses.replace(cfg, output=str(folder))
    claim_folder(folder, dump_config(cfg), resume)

    total = len(cfg.seeds) * len(cfg.strategies) * streams[cfg.seeds[0]].n_experiences
    with tqdm(total=total, disable=not progress, unit="exp", leave=False) as bar:
        for seed in cfg.seeds:
            stream = streams[seed]
            for index, entry in enumerate(cfg.strategies):
                bar.set_description(f"{entry.key} seed {seed}")
                trains_once = STRATEGIES[entry.name].trains_once
                done = run_and_save(
                    cfg,
                    folder,
                    index,
                    seed,
                    stream,
                    device,
                    on_experience=None if trains_once else (lambda _: bar.update(1)),
                )
                if done is None or trains_once:
                    bar.update(stream.n_experiences)
                if done is not None:
                    write_summary(folder)
    write_summary(folder)
    remove_empty_checkpoint_folder(folder)
    if plots:
        from alcl.plots import draw_all

        draw_all(folder)
    return folder
