"""Everything a strategy has learnt, as plain data: save after an experience, restore into a
freshly built strategy, and go on exactly as the uninterrupted run would.

The state of a strategy between two experiences is

- its model's weights and buffers (``state_dict``), and the model's
  *structure* where it grows: the blocks of an AL (or ``bp-grow``) network,
  with the columns each reads and whether it is frozen; the columns and
  task heads of a PNN; the snapshots of ``snapshot-route`` and their columns;
- its optimizer's state, where the optimizer lives across experiences (the
  baselines' Adam moments); AL builds a fresh optimizer at every experience;
- the state of every plugin (:mod:`alcl.state.plugin_state`): the clock, EWC/SI/MAS
  importances and old parameters, LwF's previous model, replay/GEM/A-GEM
  memories; DER's buffer of samples and logits;
- Cumulative's accumulated dataset.

A grown model is rebuilt by *replaying* the strategy's own adaptation over
the finished training experiences (AL's growth rule with each experience's
new columns; PNN's column and head adaptation; snapshot-route's snapshot at
the end of each), then checked against the recorded structure and loaded
with the saved weights (new blocks draw random initial weights during the
replay; the caller restores the random state afterwards). Cumulative's
dataset is rebuilt the same way, by replaying its dataset adaptation: it is
the concatenation of the finished experiences' data, which the stream
already holds, so it is not copied into every checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from avalanche.models import PNN
from avalanche.training import DER, Cumulative

from alcl.baselines.snapshot_route import SnapshotRoute, SnapshotRouter
from alcl.network import BlockStack
from alcl.state.checkpoint import CheckpointError
from alcl.state.plugin_state import buffer_state, load_buffer, load_plugin_state, plugin_state
from alcl.strategy import ALStrategy


def model_structure(model: torch.nn.Module) -> dict[str, Any]:
    """What a growing model's ``state_dict`` does not say: its blocks or columns."""
    if isinstance(model, BlockStack):
        return {
            "blocks": [
                {"columns": block.columns.tolist(), "width": block.width, "frozen": block.frozen}
                for block in model.blocks
            ]
        }
    if isinstance(model, PNN):
        return {
            "columns": [layer.num_columns for layer in model.layers],
            "tasks": [sorted(layer.task_to_module_idx.items()) for layer in model.layers],
            "heads": sorted(model.classifier.classifiers.keys()),
        }
    if isinstance(model, SnapshotRouter):
        return {"snapshots": [row.nonzero().flatten().tolist() for row in model.snapshot_columns]}
    return {}


def _optimizer_state(strategy) -> dict[str, Any] | None:
    if isinstance(strategy, ALStrategy) or strategy.optimizer is None:
        return None  # AL builds a fresh optimizer over its new blocks at every experience
    names = {id(p): n for n, p in strategy.model.named_parameters()}
    try:
        groups = [[names[id(p)] for p in g["params"]] for g in strategy.optimizer.param_groups]
    except KeyError as err:
        raise CheckpointError("the optimizer holds a parameter the model does not have.") from err
    return {
        "state": strategy.optimizer.state_dict(),
        "params": groups,  # parameter names in the optimizer's order
        "tracks_names": getattr(strategy, "optimized_param_id", None) is not None,
    }


def _load_optimizer(strategy, state: dict[str, Any] | None) -> None:
    if state is None:
        return
    named = dict(strategy.model.named_parameters())
    groups = strategy.optimizer.param_groups
    if len(groups) != len(state["params"]):
        raise CheckpointError("the checkpoint's optimizer has another number of parameter groups.")
    try:
        for group, names in zip(groups, state["params"], strict=True):
            group["params"] = [named[n] for n in names]
    except KeyError as err:
        raise CheckpointError(f"the optimizer's parameter {err} is not in the model.") from err
    strategy.optimizer.load_state_dict(state["state"])
    if state["tracks_names"]:
        # Avalanche's map from parameter names to the tensors its optimizer updates.
        strategy.optimized_param_id = named


def strategy_state(strategy) -> dict[str, Any]:
    """The state of ``strategy`` after an experience, as tensors and plain data."""
    state: dict[str, Any] = {
        "class": type(strategy).__name__,
        "model": strategy.model.state_dict(),
        "structure": model_structure(strategy.model),
        "optimizer": _optimizer_state(strategy),
        "plugins": [[type(p).__name__, plugin_state(p)] for p in strategy.plugins],
    }
    if isinstance(strategy, DER):
        state["der_buffer"] = buffer_state(strategy.storage_policy)
    return state


def replay_adaptation(strategy, experiences: Sequence) -> None:
    """Grow the model (and Cumulative's dataset) as training on ``experiences`` did, without training."""
    was_training = strategy.is_training
    strategy.is_training = True
    try:
        for experience in experiences:
            strategy.experience = experience
            strategy.model.train()
            if isinstance(strategy, Cumulative):
                strategy.train_dataset_adaptation()
            strategy.model = strategy.model_adaptation()
            if isinstance(strategy, SnapshotRoute):
                strategy.take_snapshot()  # what the end of that training experience did
    finally:
        strategy.is_training = was_training
        strategy.experience = None


def load_strategy_state(strategy, state: dict[str, Any], experiences: Sequence) -> None:
    """Restore ``state`` into a freshly built ``strategy`` that has trained on nothing yet.

    ``experiences`` are the training experiences the saved strategy had
    finished, in order (the stream rebuilt from the same config and seed).
    """
    if state["class"] != type(strategy).__name__:
        raise CheckpointError(
            f"the checkpoint holds a {state['class']} strategy, this run builds a "
            f"{type(strategy).__name__}."
        )
    replay_adaptation(strategy, experiences)
    found = model_structure(strategy.model)
    if found != state["structure"]:
        raise CheckpointError(
            "replaying the finished experiences grew another model than the checkpoint's "
            f"({found} vs {state['structure']}); was the stream changed?"
        )
    strategy.model.load_state_dict(state["model"])
    _load_optimizer(strategy, state["optimizer"])
    names = [type(p).__name__ for p in strategy.plugins]
    if names != [name for name, _ in state["plugins"]]:
        raise CheckpointError(
            f"the checkpoint's plugins {[n for n, _ in state['plugins']]} differ from this "
            f"run's {names}."
        )
    for plugin, (_, plugin_data) in zip(strategy.plugins, state["plugins"], strict=True):
        load_plugin_state(plugin, plugin_data, strategy.model)
    if "der_buffer" in state:
        load_buffer(strategy.storage_policy, state["der_buffer"])
