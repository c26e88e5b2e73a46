"""The state of Avalanche's plugins and replay buffers, as tensors and plain data.

Avalanche keeps what a strategy has learnt beyond its weights in rich objects:
``ParamData`` dicts (EWC, SI, MAS), datasets (replay buffers, A-GEM's
memory), a copy of the model (LwF), sets of classes. Each adapter here
reduces one kind of plugin to tensors and plain types, so that it fits a
checkpoint read with ``weights_only=True`` (:mod:`alcl.state.checkpoint`), and
puts it back into a freshly built plugin of the same kind. Datasets are
stored as their items' tensors and rebuilt as tensor datasets with the same
items, targets and task labels, in the same order.

A plugin with no adapter cannot be checkpointed: :func:`plugin_state`
raises rather than silently dropping its state. Plugins whose state cannot
change what a run computes are listed in :data:`STATELESS`.
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import torch
from avalanche.benchmarks.utils import make_avalanche_dataset
from avalanche.benchmarks.utils.classification_dataset import (
    _make_taskaware_tensor_classification_dataset,
)
from avalanche.benchmarks.utils.data_attribute import TensorDataAttribute
from avalanche.benchmarks.utils.flat_data import FlatData
from avalanche.benchmarks.utils.utils import concat_datasets
from avalanche.training.plugins import (
    AGEMPlugin,
    EvaluationPlugin,
    EWCPlugin,
    GEMPlugin,
    LwFPlugin,
    MASPlugin,
    ReplayPlugin,
    SynapticIntelligencePlugin,
)
from avalanche.training.plugins.clock import Clock
from avalanche.training.storage_policy import BalancedExemplarsBuffer, ReservoirSamplingBuffer
from avalanche.training.templates.base_sgd import PeriodicEval
from avalanche.training.utils import ParamData

from alcl.baselines.avalanche import NonZeroLoss
from alcl.baselines.fixed_width import RunningMeans
from alcl.evaluation.accuracy import ExperienceAccuracy
from alcl.evaluation.exits import ExitAccuracy
from alcl.state.checkpoint import CheckpointError
from alcl.training.loader import in_memory_tensors

STATELESS = (
    ExperienceAccuracy,
    ExitAccuracy,
    EvaluationPlugin,
    PeriodicEval,
    RunningMeans,
    NonZeroLoss,
)
"""Plugins whose state never changes what a run computes: per-evaluation counters, metrics and
loggers, periodic evaluation (its flags are reset at every training call), and RunningMeans
(whose running means live in the model's buffers)."""


# -- building blocks -------------------------------------------------------------------------


def dataset_state(dataset) -> dict[str, Any]:
    """A dataset's items as one tensor per field (inputs, targets, task labels, extras)."""
    if len(dataset) == 0:
        return {"fields": []}
    fields = in_memory_tensors(dataset, "cpu", max_mb=math.inf)
    if fields is None:
        raise CheckpointError(
            "a replay buffer holds a dataset with transforms (or non-tensor items), which "
            "alcl cannot store as tensors; checkpoints need data read without transforms."
        )
    return {"fields": fields}


def load_dataset(state: dict[str, Any]):
    """The dataset :func:`dataset_state` described: the same items, targets and task labels.

    A fourth field is DER's stored logits, attached as Avalanche's DER attaches them.
    """
    fields = state["fields"]
    if not fields:
        return concat_datasets([])
    x, y, task = fields[:3]
    # One task label for every item is stored as a constant, as the stream's datasets store
    # it: Avalanche cannot concatenate a constant attribute with a per-item one.
    labels = task.unique()
    data = _make_taskaware_tensor_classification_dataset(
        x, y, targets=y, task_labels=int(labels[0]) if len(labels) == 1 else task.tolist()
    )
    if len(fields) == 4:
        logits = FlatData(
            [[row.clone() for row in fields[3]]], discard_elements_not_in_indices=True
        )
        data = make_avalanche_dataset(
            data, data_attributes=[TensorDataAttribute(logits, name="logits", use_in_getitem=True)]
        )
    elif len(fields) != 3:
        raise CheckpointError(f"a stored dataset has {len(fields)} fields; expected 3 or 4.")
    return data


def params_state(params: dict[str, ParamData] | None) -> dict[str, torch.Tensor] | None:
    return None if params is None else {k: p.data.detach().clone() for k, p in params.items()}


def load_params(state: dict[str, torch.Tensor] | None) -> dict[str, ParamData] | None:
    if state is None:
        return None
    return {k: ParamData(k, init_tensor=t, device=t.device) for k, t in state.items()}


def _by_key(mapping: dict) -> list[list]:
    """Dict items as a list of pairs, so that keys of any plain type survive a checkpoint."""
    return [[key, value] for key, value in mapping.items()]


def buffer_state(policy) -> dict[str, Any]:
    """A balanced buffer of reservoir-sampled groups (Replay's, DER's): sizes, weights, data."""
    if not isinstance(policy, BalancedExemplarsBuffer):
        raise CheckpointError(f"no checkpoint adapter for the storage policy {type(policy)}.")
    groups = []
    for key, group in policy.buffer_groups.items():
        if not isinstance(group, ReservoirSamplingBuffer):
            raise CheckpointError(f"no checkpoint adapter for buffer groups {type(group)}.")
        groups.append(
            [
                key,
                {
                    "max_size": group.max_size,
                    "weights": group._buffer_weights.clone(),
                    "data": dataset_state(group.buffer),
                },
            ]
        )
    return {
        "max_size": policy.max_size,
        "num_exps": getattr(policy, "_num_exps", None),
        "seen_classes": list(getattr(policy, "seen_classes", ())),
        "groups": groups,
    }


def load_buffer(policy, state: dict[str, Any]) -> None:
    policy.max_size = state["max_size"]
    if state["num_exps"] is not None:
        policy._num_exps = state["num_exps"]
    if hasattr(policy, "seen_classes"):
        policy.seen_classes = set(state["seen_classes"])
    policy.buffer_groups = {}
    for key, group_state in state["groups"]:
        group = ReservoirSamplingBuffer(group_state["max_size"])
        group.buffer = load_dataset(group_state["data"])
        group._buffer_weights = group_state["weights"]
        policy.buffer_groups[key] = group


# -- one adapter per plugin --------------------------------------------------------------------


def _clock(clock: Clock) -> dict[str, Any]:
    return {k: v for k, v in vars(clock).items() if type(v) is int}


def _load_clock(clock: Clock, state: dict[str, Any]) -> None:
    vars(clock).update(state)


def _ewc(plugin: EWCPlugin) -> dict[str, Any]:
    return {
        "saved_params": [[t, params_state(p)] for t, p in plugin.saved_params.items()],
        "importances": [[t, params_state(p)] for t, p in plugin.importances.items()],
    }


def _load_ewc(plugin: EWCPlugin, state: dict[str, Any]) -> None:
    plugin.saved_params = defaultdict(dict, {t: load_params(p) for t, p in state["saved_params"]})
    plugin.importances = defaultdict(dict, {t: load_params(p) for t, p in state["importances"]})


def _si(plugin: SynapticIntelligencePlugin) -> dict[str, Any]:
    return {
        "ewc_data": [params_state(d) for d in plugin.ewc_data],
        "syn_data": {k: params_state(d) for k, d in plugin.syn_data.items()},
    }


def _load_si(plugin: SynapticIntelligencePlugin, state: dict[str, Any]) -> None:
    plugin.ewc_data = tuple(load_params(d) for d in state["ewc_data"])
    plugin.syn_data = {k: load_params(d) for k, d in state["syn_data"].items()}


def _mas(plugin: MASPlugin) -> dict[str, Any]:
    return {"params": params_state(plugin.params), "importance": params_state(plugin.importance)}


def _load_mas(plugin: MASPlugin, state: dict[str, Any]) -> None:
    plugin.params, plugin.importance = (
        load_params(state["params"]),
        load_params(state["importance"]),
    )


def _lwf(plugin: LwFPlugin) -> dict[str, Any]:
    lwf, prev = plugin.lwf, plugin.lwf.prev_model
    return {
        "expcount": lwf.expcount,
        "prev_classes_by_task": [[t, list(c)] for t, c in lwf.prev_classes_by_task.items()],
        "prev_model": None
        if prev is None
        else {"state": prev.state_dict(), "training": [m.training for m in prev.modules()]},
    }


def _load_lwf(plugin: LwFPlugin, state: dict[str, Any], model) -> None:
    lwf = plugin.lwf
    lwf.expcount = state["expcount"]
    lwf.prev_classes_by_task = defaultdict(
        set, {t: set(c) for t, c in state["prev_classes_by_task"]}
    )
    lwf.prev_model = None
    if state["prev_model"] is not None:
        # The previous model has the current one's structure: LwF's models never grow.
        prev = copy.deepcopy(model)
        prev.load_state_dict(state["prev_model"]["state"])
        for module, training in zip(prev.modules(), state["prev_model"]["training"], strict=True):
            module.training = training
        lwf.prev_model = prev


def _replay(plugin: ReplayPlugin) -> dict[str, Any]:
    return {"storage": buffer_state(plugin.storage_policy)}


def _load_replay(plugin: ReplayPlugin, state: dict[str, Any]) -> None:
    load_buffer(plugin.storage_policy, state["storage"])


def _gem(plugin: GEMPlugin) -> dict[str, Any]:
    return {
        "memory_x": _by_key(plugin.memory_x),
        "memory_y": _by_key(plugin.memory_y),
        "memory_tid": _by_key(plugin.memory_tid),
        "G": plugin.G,
    }


def _load_gem(plugin: GEMPlugin, state: dict[str, Any]) -> None:
    plugin.memory_x = dict(state["memory_x"])
    plugin.memory_y = dict(state["memory_y"])
    plugin.memory_tid = dict(state["memory_tid"])
    plugin.G = state["G"]


def _agem(plugin: AGEMPlugin) -> dict[str, Any]:
    return {
        "buffers": [dataset_state(b) for b in plugin.buffers],
        "reference_gradients": plugin.reference_gradients,
    }


def _load_agem(plugin: AGEMPlugin, state: dict[str, Any]) -> None:
    buffers = [load_dataset(b) for b in state["buffers"]]
    plugin.buffers = buffers[:-1]
    if buffers:
        # A-GEM's own update appends the last buffer and rebuilds its sampler; the
        # buffer is no larger than patterns_per_experience, so nothing is resampled.
        plugin.update_memory(buffers[-1])
    plugin.reference_gradients = state["reference_gradients"]


Adapter = tuple[type, Callable[[Any], dict], Callable[..., None]]
ADAPTERS: tuple[Adapter, ...] = (
    (Clock, _clock, _load_clock),
    (EWCPlugin, _ewc, _load_ewc),
    (SynapticIntelligencePlugin, _si, _load_si),
    (MASPlugin, _mas, _load_mas),
    (LwFPlugin, _lwf, _load_lwf),
    (ReplayPlugin, _replay, _load_replay),
    (GEMPlugin, _gem, _load_gem),
    (AGEMPlugin, _agem, _load_agem),
)
"""(plugin class, state of a plugin, load state into a plugin), matched with isinstance."""


def _adapter(plugin) -> Adapter | None:
    return next((a for a in ADAPTERS if isinstance(plugin, a[0])), None)


def plugin_state(plugin) -> dict[str, Any] | None:
    """The state of one plugin (None for a stateless one); raises for a plugin alcl cannot store."""
    if isinstance(plugin, STATELESS):
        return None
    adapter = _adapter(plugin)
    if adapter is None:
        raise CheckpointError(
            f"no checkpoint adapter for the plugin {type(plugin).__name__}; add one to "
            "alcl.state.plugin_state.ADAPTERS (or list it in STATELESS if it keeps no state)."
        )
    return adapter[1](plugin)


def load_plugin_state(plugin, state: dict[str, Any] | None, model) -> None:
    """Put what :func:`plugin_state` returned back into a fresh plugin of the same kind."""
    if state is None:
        return
    adapter = _adapter(plugin)
    if adapter is None:
        raise CheckpointError(f"no checkpoint adapter for the plugin {type(plugin).__name__}.")
    if adapter[0] is LwFPlugin:
        adapter[2](plugin, state, model)
    else:
        adapter[2](plugin, state)
