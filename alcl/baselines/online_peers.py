"""The online feature-evolving peers as batch strategies: OGD, OLSF, ODL and Aux-Drop on
Avalanche experiences, so suites compare them with AL on the usual metrics.

Each peer is its online learner (:mod:`alcl.online`, with its paper's defaults) inside an
Avalanche ``SupervisedTemplate``: a training experience streams its training rows through
the learner's own predict-then-learn step, one row at a time as the papers do, in
``training.epochs`` passes of ``training.batch_size`` shuffled minibatches (the shared
budget), with ``training.lr`` as the learner's learning rate (OGD, ODL, Aux-Drop; set or
tune it per strategy like any training key: the papers use 0.1, Aux-Drop 0.01 on magic04);
its other hyper-parameters are the strategy's own keys. Evaluation asks the learner's :meth:`~alcl.online.OnlineLearner.scores`, which
changes nothing. Absent columns stay NaN: every peer was built to read rows that lack
features (each treats them its own way), so none of them goes through ``FillAbsent``.

The learner's state is saved as tensors in the model's ``state_dict``
(:meth:`~alcl.online.OnlineLearner.state_tensors`), so checkpoints, resume and weight
fingerprints work as for any strategy; the parameter count is the number of weights the
learner holds. None stores samples.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
from avalanche.training.templates import SupervisedTemplate
from torch import nn

from alcl.online import OnlineLearner, build_learner, hyper_parameters
from alcl.registry import Problem, register_strategy
from alcl.training.loop import fast_loop_class, loop_kwargs
from streams.validation import DataError

PEERS = {
    "ogd": "ogd",
    "olsf": "olsf",
    "odl": "odl",
    "aux-drop-odl": "aux_drop_odl",
    "aux-drop-ogd": "aux_drop_ogd",
}
"""Batch strategy name -> the online learner it runs."""

WEIGHTS = ("w", "b", "layers", "heads")
"""The learner attributes whose arrays count as its parameters."""


class PeerModel(nn.Module):
    """An online learner as a module: ``forward`` gives its class scores, without gradient."""

    def __init__(self, learner: OnlineLearner) -> None:
        super().__init__()
        self.learner = learner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scores = self.learner.scores(x.detach().cpu().numpy().astype(np.float64))
        return torch.as_tensor(scores, dtype=torch.float32, device=x.device)

    @property
    def n_parameters(self) -> int:
        """The weights the learner holds (its layers, heads or weight vectors)."""
        state = self.learner.state_tensors()
        return sum(
            t.numel()
            for name, t in state.items()
            if t.is_floating_point() and name.replace("net.", "").split(".")[0] in WEIGHTS
        )

    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        for name, tensor in self.learner.state_tensors().items():
            destination[f"{prefix}learner.{name}"] = tensor

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, errors
    ) -> None:
        mine = f"{prefix}learner."
        saved = {k[len(mine) :]: v for k, v in state_dict.items() if k.startswith(mine)}
        expected = set(self.learner.state_tensors())
        missing_keys += [mine + k for k in sorted(expected - set(saved))]
        unexpected_keys += [mine + k for k in sorted(set(saved) - expected)]
        if expected <= set(saved):
            self.learner.load_state_tensors(saved)
        rest = {k: v for k, v in state_dict.items() if not k.startswith(mine)}
        super()._load_from_state_dict(
            rest, prefix, local_metadata, strict, missing_keys, unexpected_keys, errors
        )


class OnlinePeer(SupervisedTemplate):
    """Avalanche's template around a :class:`PeerModel`: no optimizer, no backward pass; each
    minibatch's rows go through the learner's step one at a time."""

    def check_model_and_optimizer(self, **kwargs) -> None:
        """Nothing to adapt: the learner sees every column from the start (NaN until
        released) and updates itself."""

    def training_epoch(self, **kwargs) -> None:
        learner = self.model.learner
        for mbatch in self.dataloader:
            self.mbatch = mbatch  # where Avalanche's hooks and _unpack_minibatch read it
            if self._stop_training:
                break
            self._unpack_minibatch()
            self._before_training_iteration(**kwargs)
            x = self.mb_x.detach().cpu().numpy().astype(np.float64)
            y = self.mb_y.detach().cpu().numpy()
            predicted = [learner.step(x[i : i + 1], y[i : i + 1])[0] for i in range(len(y))]
            # what the loggers' training accuracy reads: the predictions made before learning
            self.mb_output = nn.functional.one_hot(
                torch.as_tensor(predicted, device=self.mb_y.device), learner.n_classes
            ).float()
            self.loss = self._make_empty_loss()
            self._after_training_iteration(**kwargs)


def peer_params(learner: str) -> type:
    """A frozen dataclass of ``learner``'s keyword hyper-parameters, with its defaults (the
    schema of its ``strategies:`` entry); its values are checked when it is built."""
    fields = [
        (name, type(default), dataclasses.field(default=default))
        for name, default in hyper_parameters(learner).items()
        if name != "lr"  # training.lr
    ]
    cls = dataclasses.make_dataclass(
        f"{learner.title().replace('_', '')}Params", fields, frozen=True
    )
    cls.problems = lambda self: []
    return cls


def build_peer(learner: str, problem: Problem, model: Any, training: Any, params: Any, **run):
    """The batch strategy that runs online learner ``learner``."""
    if problem.layout is not None:
        raise DataError(
            f"{learner} reads plain table columns, not {type(problem.layout).__name__} data; "
            "drop it from this stream's strategies."
        )
    seed = int(torch.initial_seed() % (2**31))
    settings = dataclasses.asdict(params)
    if "lr" in hyper_parameters(learner):
        settings["lr"] = training.lr  # the shared training key, tuned per strategy like any
    try:
        online = build_learner(learner, problem.n_features, problem.n_classes, seed, **settings)
    except ValueError as err:
        raise DataError(f"{learner}: {err} Drop it from this stream's strategies.") from None
    net = PeerModel(online)
    strategy = fast_loop_class(OnlinePeer)(
        model=net,
        optimizer=torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.0),
        criterion=nn.CrossEntropyLoss(),
        **loop_kwargs(training, run.get("device", "cpu"), run.get("evaluator"), run.get("plugins")),
    )
    strategy.optimizer = None  # the learner updates itself; nothing for checkpoints to keep
    return strategy


for _name, _learner in PEERS.items():
    register_strategy(
        _name,
        OnlinePeer,
        peer_params(_learner),
        f"online feature-evolving peer: {_learner} (alcl.online), one pass of one-row steps per "
        "epoch over each experience's training rows; reads NaN for absent columns itself",
        source=f"alcl.online.{_learner}",
        reads_nan=True,
        two_classes=_learner == "olsf",
    )(lambda problem, model, training, params, _l=_learner, **run: build_peer(
        _l, problem, model, training, params, **run
    ))  # fmt: skip
