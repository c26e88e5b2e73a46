"""Run an experiment: config -> stream -> strategies -> results files -> figures.

Each (strategy, seed) run is written to its own metrics file as soon as it
finishes, and ``summary.csv`` is rebuilt from those files, so an interrupted
experiment keeps every finished run.
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


def _claim_folder(folder: Path, cfg_text: str) -> None:
    """Use ``folder`` unless it holds the results of a different configuration."""
    from alcl.results import CONFIG_FILE, atomic_write_text

    existing = folder / CONFIG_FILE
    if existing.is_file() and existing.read_text() != cfg_text:
        raise ConfigError(
            f"{folder} already holds results of a different configuration; "
            "pass another --out or remove the folder."
        )
    atomic_write_text(existing, cfg_text)


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
    cfg: ExperimentConfig, strategy_index: int, seed: int, stream, device: str, on_experience=None
) -> dict[str, Any]:
    """Train and evaluate one strategy of ``cfg`` on ``stream`` with ``seed``."""
    from avalanche.training.plugins import EvaluationPlugin

    from alcl.calibration import AdaptiveSettings
    from alcl.evaluation import ExperienceAccuracy
    from alcl.protocol import run_protocol
    from alcl.registry import build_strategy

    entry = cfg.strategies[strategy_index]
    spec = STRATEGIES[entry.name]
    if spec.task_oracle:
        stream = stream.with_task_labels()  # the same samples, with the task-label oracle
    seed_everything(seed)
    accuracy = ExperienceAccuracy()
    with quiet_avalanche():
        strategy = build_strategy(
            entry.name,
            entry.params,
            settings_for(cfg, stream, device),
            evaluator=EvaluationPlugin(loggers=[]),
            plugins=[accuracy],
        )
    with quiet_avalanche():
        adaptive = dataclasses.asdict(cfg.adaptive)
        adaptive["thresholds"] = tuple(adaptive["thresholds"] or ()) or None
        record = run_protocol(
            strategy,
            stream,
            accuracy,
            spec.trains_once,
            on_experience,
            adaptive=AdaptiveSettings(**adaptive),
        )
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


def run_experiment(
    cfg: ExperimentConfig, out: str | Path | None = None, progress: bool = True, plots: bool = True
) -> Path:
    """Run every strategy for every seed; return the results folder."""
    from tqdm.auto import tqdm

    from alcl.results import run_path, write_json, write_summary

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
    _claim_folder(folder, dump_config(cfg))

    total = len(cfg.seeds) * len(cfg.strategies) * streams[cfg.seeds[0]].n_experiences
    with tqdm(total=total, disable=not progress, unit="exp", leave=False) as bar:
        for seed in cfg.seeds:
            stream = streams[seed]
            for index, entry in enumerate(cfg.strategies):
                bar.set_description(f"{entry.key} seed {seed}")
                trains_once = STRATEGIES[entry.name].trains_once
                record = run_one(
                    cfg,
                    index,
                    seed,
                    stream,
                    device,
                    on_experience=None if trains_once else (lambda _: bar.update(1)),
                )
                if trains_once:
                    bar.update(stream.n_experiences)
                write_json(run_path(folder, entry.key, seed), record)
                write_summary(folder)
    if plots:
        from alcl.plots import draw_all

        draw_all(folder)
    return folder
