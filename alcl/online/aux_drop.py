"""Aux-Drop: auxiliary dropout for haphazard inputs (Agarwal, Gupta, Mishra and Kumar, TMLR 2023).

The first ``n_base`` columns are base features, read by the first hidden layer; the others
are auxiliary features, read by the *aux layer* (hidden layer ``aux_layer``, 1-based, with
``aux_width`` units) next to the layer below's output. Its units for absent auxiliary
features are dropped, the rest at the rate that keeps the overall rate ``dropout``
(:mod:`alcl.online.hedge_net`). On ODL the heads follow every hidden layer but the first and
the aux layer, mixed by hedging; on OGD one head follows the last layer.

Hyper-parameters, defaults from the paper (Sec. 5, and its code): 6 hidden layers of 50
units, the aux layer third with 100 units, dropout 0.3, 2 base features, ``lr`` 0.1 (the
paper uses 0.01 on magic04), ``b`` 0.99, ``s`` 0.2, ``loss`` "reference".
"""

from __future__ import annotations

import numpy as np

from alcl.online.hedge_net import HedgeNetwork
from alcl.online.learner import OnlineLearner, register_online


class _AuxDrop(OnlineLearner):
    hedged = True

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        seed: int = 0,
        n_base: int = 2,
        n_layers: int = 6,
        width: int = 50,
        aux_layer: int = 3,
        aux_width: int = 100,
        dropout: float = 0.3,
        lr: float = 0.1,
        b: float = 0.99,
        s: float = 0.2,
        loss: str = "reference",
    ) -> None:
        super().__init__(n_features, n_classes, seed)
        if not 1 <= n_base < n_features:
            raise ValueError(
                f"Aux-Drop needs 1 <= n_base < {n_features} base features, got {n_base}."
            )
        if not 2 <= aux_layer <= n_layers:
            raise ValueError(f"aux_layer must lie in 2..{n_layers} (1-based), got {aux_layer}.")
        self.n_base = n_base
        widths = [width] * n_layers
        widths[aux_layer - 1] = aux_width
        if self.hedged:
            heads = [k for k in range(1, n_layers) if k != aux_layer - 1]
        else:
            heads = [n_layers - 1]
        self.net = HedgeNetwork(
            n_base,
            n_classes,
            widths,
            heads,
            self.rng,
            lr,
            aux_layer=aux_layer - 1,
            n_aux=n_features - n_base,
            dropout=dropout,
            hedge=self.hedged,
            b=b,
            s=s,
            loss=loss,
        )

    def _split(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        aux = x[:, self.n_base :]
        present = ~np.isnan(aux)
        return np.nan_to_num(x[:, : self.n_base], nan=0.0), np.where(present, aux, 0.0), present

    def scores(self, x: np.ndarray) -> np.ndarray:
        base, aux, present = self._split(x)
        return self.net.scores(base, aux, present)

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        base, aux, present = self._split(x)
        return self.net.step(base, np.asarray(y), aux, present)


@register_online("aux_drop_odl")
class AuxDropODL(_AuxDrop):
    """Aux-Drop on ODL: hedged heads after every hidden layer but the first and the aux layer."""

    hedged = True


@register_online("aux_drop_ogd")
class AuxDropOGD(_AuxDrop):
    """Aux-Drop on OGD: one head after the last layer, plain online gradient descent."""

    hedged = False
