"""A results folder and the config that claims it: checked before anything is written,
extended with new seeds and strategies, refused (naming each key) when old and new runs would
not be comparable.

``check_output_folder`` fails with one line when a folder cannot be written;
``claim_folder`` decides whether a config may use a folder; ``COMPARABLE_SECTIONS`` says
which config sections make two runs comparable, for the folder and for a run's checkpoint
(:mod:`experiments.checkpoints`) alike.
"""

from __future__ import annotations

from pathlib import Path

from experiments.config import ConfigError, ExperimentConfig, dump_config

CHECKPOINTS_DIR = "checkpoints"
"""Where a folder's unfinished runs keep their checkpoints (:mod:`experiments.checkpoints`)."""


def check_output_folder(folder: Path) -> None:
    """Fail with one line, before anything is written, when ``folder`` cannot be a results
    folder: a file is in its way, or it cannot be created or written."""
    import os

    for place in [folder, *folder.parents]:
        if place.exists():
            break
    if not place.is_dir():
        what = "is" if place == folder else f"lies under {place}, which is"
        raise ConfigError(
            f"output folder {folder} {what} a file, not a folder; pass another --out."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(
            f"output folder {folder} cannot be created ({err.strerror}); pass another --out."
        ) from err
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"output folder {folder} is not writable; pass another --out.")


COMPARABLE_SECTIONS = ("stream", "model", "training", "adaptive", "online")
"""Config sections whose change makes old and new runs of a folder incomparable."""


def _leaves(value, prefix: str) -> dict[str, object]:
    if isinstance(value, dict):
        out = {}
        for key, inner in value.items():
            out |= _leaves(inner, f"{prefix}.{key}")
        return out or {prefix: {}}
    return {prefix: value}


def _resolved(entry, cfg: ExperimentConfig) -> dict[str, object]:
    """A strategy entry as it runs: every hyper-parameter's value (absent columns resolved
    against ``model.absent``) and its own training keys; an online learner's own keys."""
    if cfg.protocol == "online":
        return {"name": entry.name, **entry.params}
    params = entry.entry.resolve(entry.params)
    if "absent" in params:
        params["absent"] = entry.entry.absent_mode(entry.params, cfg.model.absent)
    return {"name": entry.name, **params, "training": entry.training}


def incomparable(old: ExperimentConfig, new: ExperimentConfig) -> list[str]:
    """Each setting that differs between ``old`` and ``new`` and would make their runs
    incomparable, as ``key: old -> new``. Seeds and strategies may be added (or dropped)."""
    old_data, new_data = old.to_dict(), new.to_dict()
    before, after = {"protocol": old.protocol}, {"protocol": new.protocol}
    for section in COMPARABLE_SECTIONS:
        before |= _leaves(old_data[section], section)
        after |= _leaves(new_data[section], section)
    old_runs = {s.key: s for s in old.strategies}
    for entry in new.strategies:
        if entry.key in old_runs:  # the same strategy key must mean the same strategy
            where = f"strategies[{entry.key}]"
            before |= _leaves(_resolved(old_runs[entry.key], old), where)
            after |= _leaves(_resolved(entry, new), where)
    missing = object()
    return [
        f"{key}: {before.get(key, '(unset)')!r} -> {after.get(key, '(unset)')!r}"
        for key in sorted(set(before) | set(after))
        if before.get(key, missing) != after.get(key, missing)
    ]


def _finished(folder: Path) -> bool:
    from alcl.results.files import METRICS_DIR
    from alcl.results.online_report import ONLINE_DIR

    return any((folder / METRICS_DIR).glob("*.json")) or any((folder / ONLINE_DIR).glob("*.json"))


def folder_conflict(folder: Path, cfg: ExperimentConfig) -> str | None:
    """Why ``folder`` cannot take ``cfg`` (its finished runs are incomparable with it: the
    message names every key that differs), or None. Writes nothing."""
    import yaml

    from alcl.results.files import CONFIG_FILE
    from experiments.config import config_from_dict

    existing = folder / CONFIG_FILE
    if not existing.is_file() or existing.read_text() == dump_config(cfg) or not _finished(folder):
        return None
    try:
        old = config_from_dict(yaml.safe_load(existing.read_text()))
    except (ConfigError, yaml.YAMLError) as err:
        return (
            f"{existing} is not a config this alcl reads ({err}); pass another --out "
            "or remove the folder."
        )
    differences = incomparable(old, cfg)
    if not differences:
        return None
    return (
        f"{folder} holds finished runs that differ from this config in "
        f"{'; '.join(differences)}; pass another --out or remove the folder."
    )


def claim_folder(folder: Path, cfg: ExperimentConfig, resume: bool = False) -> bool:
    """Use ``folder`` for ``cfg`` unless its finished runs are incomparable with ``cfg``'s.

    A folder whose runs used the same stream, model, training and adaptive settings (and the
    same settings for every strategy key both configs share) is extended: its finished runs
    stay, and only the runs ``cfg`` adds will run. A folder with no finished run (a start that
    failed) takes the new config, and the old config's checkpoints are removed. Otherwise the
    error names every key that differs, with its old and new value. Returns whether the folder
    already held runs of a comparable config (to resume). Temporary files left by a killed
    writer are removed. ``resume`` demands that there is something to resume.
    """
    import shutil

    from alcl.results.files import CONFIG_FILE, atomic_write_text, remove_stale_temporaries

    text = dump_config(cfg)
    existing = folder / CONFIG_FILE
    held = existing.is_file()
    if resume and not held:
        raise ConfigError(f"--resume: {folder} holds no results of this configuration to resume.")
    conflict = folder_conflict(folder, cfg)
    if conflict:
        raise ConfigError(conflict)
    if held and existing.read_text() != text and not _finished(folder):
        # nothing finished: an earlier start failed, and its checkpoints are not ours
        shutil.rmtree(folder / CHECKPOINTS_DIR, ignore_errors=True)
        held = False
    if held:
        remove_stale_temporaries(folder)
    atomic_write_text(existing, text)
    return held
