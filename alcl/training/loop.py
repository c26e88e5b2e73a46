"""A leaner Avalanche training loop, for any ``SupervisedTemplate``: :class:`FastLoop`.

Avalanche's loop costs 0.6-1.0 ms per iteration on top of the model's own
work (DESIGN §4). Two parts of that are not needed when the data is in memory:

- the per-sample DataLoader: in-memory data without transforms is served as
  shuffled tensor minibatches instead (:mod:`alcl.training.loader`), and
  evaluation sets as the same minibatches in order, as Avalanche's eval loader
  would cut them;
- the callback dispatch: each iteration triggers eight plugin events, and an
  ``EvaluationPlugin`` copies the experience on every one of them even when
  it has no metric and no logger. Here an event reaches only the plugins
  that do something on it; every plugin that implements a callback still
  receives it, in order.

Both are skipped only where the strategy class keeps Avalanche's default
implementation of the hook (DER, for one, overrides ``_before_forward``), and
``fast_loop=False`` restores Avalanche's behaviour exactly, to measure it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from avalanche.core import BasePlugin, BaseSGDPlugin, SupervisedPlugin
from avalanche.evaluation.metric_definitions import PluginMetric
from avalanche.training.plugins import EvaluationPlugin
from avalanche.training.templates.base_sgd import BaseSGDTemplate

from alcl.training.loader import ordered_batches, tensor_batches
from alcl.training.precision import training_autocast

LOOPS = ("fast", "avalanche")
"""``training.loop``: fast (:class:`FastLoop`) or avalanche (Avalanche's loop as shipped)."""

ITERATION_EVENTS = (
    "before_training_iteration",
    "before_forward",
    "after_forward",
    "before_backward",
    "after_backward",
    "before_update",
    "after_update",
    "after_training_iteration",
)


_NO_OP_BASES = (BasePlugin, BaseSGDPlugin, SupervisedPlugin, PluginMetric)


def _implements(obj: object, event: str) -> bool:
    """Whether ``obj``'s class does something on ``event`` (beyond the no-op base callbacks)."""
    method = getattr(type(obj), event, None)
    if method is None:
        return hasattr(obj, event)
    return all(method is not getattr(base, event, None) for base in _NO_OP_BASES)


def listens(plugin: object, event: str) -> bool:
    """Whether ``plugin`` does anything when ``event`` fires."""
    if isinstance(plugin, EvaluationPlugin):
        # Its callbacks only feed metrics and loggers: it listens to what they implement.
        if not plugin.active:
            return False
        return any(_implements(part, event) for part in (*plugin.metrics, *plugin.loggers))
    return _implements(plugin, event)


class FastLoop:
    """Mixin placed before an Avalanche strategy class: tensor batches and lean callbacks.

    ``fast_loop`` (keyword, default True) switches both on; False keeps
    Avalanche's loader and dispatch as shipped.
    """

    def __init__(self, *, fast_loop: bool = True, precision: str = "fp32", **kwargs) -> None:
        self.fast_loop = fast_loop
        self.precision = precision
        self._listeners: dict[str, list] | None = None
        self._autocast = None
        super().__init__(**kwargs)

    def make_train_dataloader(self, shuffle: bool = True, drop_last: bool = False, **kwargs):
        batches = None
        if self.fast_loop and _default_hook_is_kept(type(self), "make_train_dataloader"):
            batches = tensor_batches(
                self.adapted_dataset, self.train_mb_size, self.device, shuffle, drop_last
            )
        if batches is None:
            super().make_train_dataloader(shuffle=shuffle, drop_last=drop_last, **kwargs)
        else:
            self.dataloader = batches

    def make_eval_dataloader(self, **kwargs):
        batches = None
        if self.fast_loop and _default_hook_is_kept(type(self), "make_eval_dataloader"):
            batches = ordered_batches(self.adapted_dataset, self.eval_mb_size, self.device)
        if batches is None:
            super().make_eval_dataloader(**kwargs)
        else:
            self.dataloader = batches

    def _before_training_epoch(self, **kwargs) -> None:
        self._listeners = None
        if self.fast_loop:
            self._listeners = {
                event: [p for p in self.plugins if listens(p, event)]
                for event in ITERATION_EVENTS
                if _default_hook_is_kept(type(self), f"_{event}")
            }
        super()._before_training_epoch(**kwargs)

    def iteration_output_read(self) -> bool:
        """Whether anything may read ``mb_output`` during a training iteration: a plugin on an
        event after the forward pass, or any plugin when the dispatch is Avalanche's own."""
        if self._listeners is None:
            return True
        after_forward = ITERATION_EVENTS[ITERATION_EVENTS.index("after_forward") :]
        return any(self._listeners.get(event, True) for event in after_forward)

    def _fire(self, event: str, **kwargs) -> None:
        listeners = None if self._listeners is None else self._listeners.get(event)
        if listeners is None:
            getattr(super(), f"_{event}")(**kwargs)
            return
        for plugin in listeners:
            getattr(plugin, event)(self, **kwargs)

    def _before_training_iteration(self, **kwargs) -> None:
        self._fire("before_training_iteration", **kwargs)

    def _before_forward(self, **kwargs) -> None:
        self._fire("before_forward", **kwargs)
        if self.precision != "fp32":  # the forward pass (and AL's local losses) in autocast
            self._autocast = training_autocast(self.precision, self.device)
            self._autocast.__enter__()

    def _after_forward(self, **kwargs) -> None:
        if self._autocast is not None:
            self._autocast.__exit__(None, None, None)
            self._autocast = None
        self._fire("after_forward", **kwargs)

    def _before_backward(self, **kwargs) -> None:
        self._fire("before_backward", **kwargs)

    def _after_backward(self, **kwargs) -> None:
        self._fire("after_backward", **kwargs)

    def _before_update(self, **kwargs) -> None:
        self._fire("before_update", **kwargs)

    def _after_update(self, **kwargs) -> None:
        self._fire("after_update", **kwargs)

    def _after_training_iteration(self, **kwargs) -> None:
        self._fire("after_training_iteration", **kwargs)


@cache
def _default_hook_is_kept(cls: type, hook: str) -> bool:
    """Whether the classes after FastLoop in ``cls``'s MRO keep BaseSGDTemplate's ``hook``."""
    mro = cls.__mro__
    after = mro[mro.index(FastLoop) + 1 :]
    for klass in after:
        if hook in vars(klass):
            return vars(klass)[hook] is vars(BaseSGDTemplate).get(hook)
    return False


@cache
def fast_loop_class(strategy_class: type) -> type:
    """``strategy_class`` with :class:`FastLoop` mixed in (one class per strategy class)."""
    if issubclass(strategy_class, FastLoop):
        return strategy_class
    return type(strategy_class.__name__, (FastLoop, strategy_class), {})


def loop_kwargs(training: Any, device: str, evaluator: Any, plugins: Any) -> dict[str, Any]:
    """The keyword arguments every strategy's loop gets from the ``training`` config section
    (:class:`alcl.config.TrainingConfig`): the same budget and batches for every strategy."""
    return {
        "train_mb_size": training.batch_size,
        "train_epochs": training.epochs,
        "eval_mb_size": training.eval_batch_size,
        "device": device,
        "evaluator": evaluator,
        "plugins": plugins,
        "fast_loop": training.loop == "fast",
        "precision": training.precision,
    }


__all__ = ["LOOPS", "FastLoop", "fast_loop_class", "listens", "loop_kwargs"]
