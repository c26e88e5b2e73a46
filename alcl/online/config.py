"""The ``online:`` config section: how many rows each predict-then-learn step takes.

Read under ``protocol: online`` (:mod:`experiments.online_runner`). Which columns each row
shows is the stream's business, as in the batch protocol: ``stream.grouping`` names the
pattern (trapezoidal, haphazard, obsolete; :mod:`streams.evolving`), ``stream.n_experiences``
its chunks, and ``stream.base_features``, ``stream.presence`` and ``stream.lifetime`` the
rest. So one ``stream`` section describes both forms of a feature-evolving stream::

    protocol: online
    stream: {dataset: table, path: german.data-numeric, grouping: haphazard,
             n_experiences: 10, base_features: 2, presence: 0.73}
    online:
      batch_size: 1          # rows predicted, then learned, per step

Every online run repeats over the config's ``seeds`` (a seed is a shuffle of the rows);
with no ``seeds`` key the online protocol takes 20, as the papers do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_SHUFFLES = 20
"""Seeds (shuffles) of an online config that names none: the papers' 20."""

DEFAULT_LEARNERS = ("majority", "ogd", "olsf", "odl", "aux_drop_odl", "aux_drop_ogd", "al")
"""The learners of an online config that names none: the floor, the peers and AL."""


@dataclass(frozen=True)
class OnlineConfig:
    """The prequential protocol's step size."""

    batch_size: int = 1

    def check(self, need: Callable[[bool, str], None]) -> None:
        need(self.batch_size >= 1, f"online.batch_size must be >= 1, got {self.batch_size}.")
