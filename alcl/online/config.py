"""The ``online:`` config section: which feature-evolving pattern, and how many rows per step.

Read under ``protocol: online`` (:mod:`experiments.online_runner`). The pattern's keys are
those of :class:`streams.evolving.EvolvingPattern` (the stream's part: which columns each row
shows); ``batch_size`` is the protocol's (rows predicted, then learned, per step)::

    online:
      pattern: trapezoidal   # trapezoidal | haphazard | obsolete
      n_chunks: 10           # trapezoid and obsolete chunks (the papers use 10)
      base: 0                # the first `base` columns are always present
      p: 0.5                 # haphazard: each other column present with probability p
      lifetime: null         # obsolete: chunks a group stays (null: half the chunks)
      batch_size: 1          # rows per predict-then-learn step

Every online run repeats over the config's ``seeds`` (a seed is a shuffle of the rows);
with no ``seeds`` key the online protocol takes 20, as the papers do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from streams.evolving import EvolvingPattern

DEFAULT_SHUFFLES = 20
"""Seeds (shuffles) of an online config that names none: the papers' 20."""

DEFAULT_LEARNERS = ("majority", "ogd", "olsf", "odl", "aux_drop_odl", "aux_drop_ogd", "al")
"""The learners of an online config that names none: the floor, the peers and AL."""


@dataclass(frozen=True)
class OnlineConfig(EvolvingPattern):
    """The pattern of the stream (see :class:`~streams.evolving.EvolvingPattern`) and the
    protocol's step size."""

    batch_size: int = 1

    def check(self, need: Callable[[bool, str], None]) -> None:
        """Report every problem through ``need(ok, message)``; the data's width is checked
        when the stream is built."""
        for problem in self.problems():
            need(False, problem)
        need(self.batch_size >= 1, f"online.batch_size must be >= 1, got {self.batch_size}.")
