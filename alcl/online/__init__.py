"""Online learning on feature-evolving streams: the prequential protocol and its learners.

- :mod:`alcl.online.learner`: the interface (predict, then learn) and the registry;
- :mod:`alcl.online.prequential`: the protocol and what it reports;
- the learners, one module each: :mod:`~alcl.online.majority` (the floor),
  :mod:`~alcl.online.ogd` (logistic regression), :mod:`~alcl.online.olsf`,
  :mod:`~alcl.online.odl`, :mod:`~alcl.online.aux_drop` (on ODL and on OGD), and
  :mod:`~alcl.online.al_online` (AL, growing a block when new features arrive).
"""

from alcl.online import al_online, aux_drop, majority, odl, ogd, olsf  # noqa: F401  (register)
from alcl.online.learner import (
    ONLINE_LEARNERS,
    OnlineLearner,
    build_learner,
    hyper_parameters,
    register_online,
)
from alcl.online.prequential import OnlineResult, prequential

__all__ = [
    "ONLINE_LEARNERS",
    "OnlineLearner",
    "OnlineResult",
    "build_learner",
    "hyper_parameters",
    "prequential",
    "register_online",
]
