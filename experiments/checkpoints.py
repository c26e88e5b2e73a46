"""The checkpoint of one (strategy, seed) run in a results folder: where it lives, what it holds,
and whether it belongs to the run that wants to resume from it.

``checkpoints/<strategy>__seed<k>.pt`` holds, after the run's last finished
experience: the run's identity (strategy, seed, the config's digest and the
stream's sample fingerprint), the metrics measured so far
(:class:`alcl.evaluation.protocol.Progress`), the strategy's state
(:mod:`alcl.state.strategy_state`) and every random generator's state
(:mod:`alcl.state.checkpoint`). It is replaced atomically after every experience
and deleted once the run's metrics file is written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from experiments.config import ExperimentConfig
from experiments.folders import CHECKPOINTS_DIR, COMPARABLE_SECTIONS


def checkpoint_path(folder: str | Path, strategy: str, seed: int) -> Path:
    """``<folder>/checkpoints/<strategy>__seed<k>.pt``, named as the run's metrics file."""
    from alcl.results.files import run_path

    return Path(folder) / CHECKPOINTS_DIR / run_path(folder, strategy, seed).with_suffix(".pt").name


def remove_empty_checkpoint_folder(folder: str | Path) -> None:
    """Remove ``<folder>/checkpoints`` once every run is finished (it is then empty)."""
    path = Path(folder) / CHECKPOINTS_DIR
    if path.is_dir() and not any(path.iterdir()):
        path.rmdir()


def config_digest(cfg: ExperimentConfig, strategy: str) -> str:
    """A digest of everything in ``cfg`` that can change run ``strategy``: the stream, model,
    training and adaptive sections and that strategy's entry (not the seed list or the other
    strategies, so a folder extended with seeds or strategies still resumes its runs)."""
    data = cfg.to_dict()
    entry = next(e for e in data["strategies"] if e.get("label", e["name"]) == strategy)
    shared = {k: data[k] for k in COMPARABLE_SECTIONS}
    text = yaml.safe_dump({**shared, "strategy": entry}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class RunCheckpoint:
    """The checkpoint file of one run: read it (if any), check it is this run's, save, restore."""

    def __init__(self, path: Path, cfg: ExperimentConfig, strategy: str, seed: int, stream) -> None:
        self.path = Path(path)
        self.identity = {
            "strategy": strategy,
            "seed": seed,
            "config": config_digest(cfg, strategy),
            "fingerprint": stream.fingerprint(),
        }
        self.stream = stream
        self.data: dict[str, Any] | None = None

    def progress(self):
        """The saved :class:`alcl.evaluation.protocol.Progress`, or None when there is no checkpoint yet."""
        from alcl.evaluation.protocol import Progress
        from alcl.state.checkpoint import CheckpointError, load_checkpoint

        if not self.path.is_file():
            return None
        self.data = load_checkpoint(self.path)
        if self.data.get("run") != self.identity:
            raise CheckpointError(
                f"{self.path} belongs to another run ({self.data.get('run')}), not to "
                f"{self.identity}; delete it to restart this run."
            )
        return Progress.from_dict(self.data["progress"])

    def restore(self, strategy, trains_once: bool) -> None:
        """Put the saved strategy state and random state into a freshly built ``strategy``."""
        from alcl.evaluation.protocol import Progress, train_views
        from alcl.state.checkpoint import set_rng_state
        from alcl.state.strategy_state import load_strategy_state

        assert self.data is not None, "call progress() first"
        done = Progress.from_dict(self.data["progress"]).done
        finished = train_views(self.stream, trains_once)[:done]
        load_strategy_state(strategy, self.data["strategy"], finished)
        set_rng_state(self.data["rng"])  # last: rebuilding the model drew random numbers

    def save(self, strategy, progress) -> None:
        """Replace the checkpoint with the state after ``progress.done`` experiences.

        Saving leaves the random state as it found it (reading a buffer through a
        DataLoader draws from PyTorch's generator), so a run computes the same
        numbers whether it saves checkpoints or not.
        """
        from alcl.state.checkpoint import rng_state, save_checkpoint, set_rng_state
        from alcl.state.strategy_state import strategy_state

        rng = rng_state()
        state = strategy_state(strategy)
        set_rng_state(rng)
        save_checkpoint(
            self.path,
            {"run": self.identity, "progress": progress.to_dict(), "strategy": state, "rng": rng},
        )
