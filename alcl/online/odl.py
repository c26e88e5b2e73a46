"""ODL: online deep learning with hedge backpropagation (Sahoo, Pham, Lu and Hoi, IJCAI 2018).

A deep network with a classifier after each hidden layer; the heads' outputs are mixed with
hedge weights and every head trains the layers below it (:mod:`alcl.online.hedge_net`).
Every column goes to the first layer, an absent one as 0. As in the reference code of
Aux-Drop, whose ODL rows the published tables report, the first hidden layer has no head.

Hyper-parameters (defaults: the Aux-Drop paper's ODL settings, Sec. 5): ``n_layers`` 6
hidden layers of ``width`` 50, ``lr`` 0.1, discount ``b`` 0.99, smoothing ``s`` 0.2,
``loss`` "reference" (see :mod:`alcl.online.hedge_net`).
"""

from __future__ import annotations

import numpy as np

from alcl.online.hedge_net import HedgeNetwork
from alcl.online.learner import OnlineLearner, register_online


@register_online("odl")
class ODL(OnlineLearner):
    def __init__(
        self,
        n_features: int,
        n_classes: int,
        seed: int = 0,
        n_layers: int = 6,
        width: int = 50,
        lr: float = 0.1,
        b: float = 0.99,
        s: float = 0.2,
        loss: str = "reference",
    ) -> None:
        super().__init__(n_features, n_classes, seed)
        if n_layers < 2:
            raise ValueError(
                f"ODL needs >= 2 hidden layers (the first has no head), got {n_layers}."
            )
        self.net = HedgeNetwork(
            n_features,
            n_classes,
            [width] * n_layers,
            list(range(1, n_layers)),
            self.rng,
            lr,
            b=b,
            s=s,
            loss=loss,
        )

    def scores(self, x: np.ndarray) -> np.ndarray:
        return self.net.scores(np.nan_to_num(np.atleast_2d(np.asarray(x, dtype=np.float64))))

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x = np.nan_to_num(np.atleast_2d(np.asarray(x, dtype=np.float64)), nan=0.0)
        return self.net.step(x, np.asarray(y))
